//! Storage tests. Every test runs on SQLite and on PostgreSQL (`both_backends!`).

mod helpers;

mod activities;
mod agency_lists;
mod alliances;
mod assistance;
mod audit;
mod beneficiaries;
mod campaigns;
mod commerce;
mod complaints;
mod culture;
mod disbursements;
mod donation_batch;
mod donations;
mod donors;
mod facts_uploads;
mod hardening;
mod honours;
mod households;
mod ledger;
mod matching;
mod meals;
mod meetings;
mod migrations;
mod needs;
mod org_units;
mod project_status;
mod projects;
mod receipts;
mod supermarkets;
mod training;
mod users;
mod volunteers;
