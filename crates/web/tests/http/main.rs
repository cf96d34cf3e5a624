//! HTTP tests through the whole router (`oneshot`), on SQLite and on PostgreSQL.

mod helpers;

mod access;
mod activities;
mod agency_lists;
mod alliances;
mod api;
mod audit;
mod beneficiaries;
mod commerce;
mod complaints;
mod compliance;
mod culture;
mod donations;
mod donors;
mod facts;
mod funds;
mod hardening;
mod meals;
mod meetings;
mod needs;
mod orgs;
mod projects;
mod public;
mod receipts;
mod routes;
mod statements;
mod supermarkets;
mod users;
mod volunteers;
