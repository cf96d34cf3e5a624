//! shanwang's domain: the types and rules every other crate builds on.
//! Pure: no I/O, no clock, no database.

pub mod access;
pub mod activity;
pub mod agency;
pub mod alliance;
pub mod assistance;
pub mod audit;
pub mod beneficiary;
pub mod campaign;
pub mod commerce;
pub mod complaint;
pub mod compliance;
pub mod correction;
pub mod culture;
pub mod disbursement;
pub mod disclosure;
pub mod donor;
pub mod evidence;
pub mod honour;
pub mod ledger;
pub mod matching;
pub mod meals;
pub mod meeting;
pub mod money;
pub mod need;
pub mod org;
pub mod project;
pub mod receipt;
pub mod statement;
pub mod supermarket;
pub mod text;
pub mod time;
pub mod training;
pub mod volunteer;

/// Lowercase hex SHA-256: evidence files, signed request bodies, token and visitor digests.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

/// Equal strings, compared in time that does not depend on where they differ (tokens, codes).
pub fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A rule broken by user input: which field, and a stable code the edge turns into a message
/// (`err.<code>` in the locale files).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {code}")]
pub struct FieldError {
    pub field: &'static str,
    pub code: &'static str,
}

impl FieldError {
    pub fn new(field: &'static str, code: &'static str) -> Self {
        FieldError { field, code }
    }
}
