//! The tamper-evident audit trail (M19): each entry's hash covers the previous entry's hash and
//! every field of its own, so changing, dropping or reordering any entry breaks the chain from
//! there on.
//!
//! Version 2 entries (every entry written today) also cover the unit's materialised path, so an
//! entry cannot be moved out of a scoped auditor's sight; version 1 entries, written before the
//! path was covered, are still checked as they were made.

use sha2::{Digest, Sha256};

/// The version every new entry is written with.
pub const HASH_VERSION: i16 = 2;

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub seq: i64,
    pub at_ms: i64,
    pub actor_user_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub org_code: Option<String>,
    /// The unit's materialised path (`/41/4103/`); `/` for the whole network.
    pub org_path: Option<String>,
    pub entity: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    /// 1: made before the path was part of the hash; 2: the path is covered too.
    pub hash_version: i16,
}

/// SHA-256 over the previous hash and every field, each length-prefixed so no two different
/// records can serialise alike.
pub fn chain_hash(prev_hash: &str, r: &AuditRecord) -> String {
    let mut h = Sha256::new();
    let mut field = |s: &str| {
        h.update((s.len() as u64).to_be_bytes());
        h.update(s.as_bytes());
    };
    field(prev_hash);
    field(&r.seq.to_string());
    field(&r.at_ms.to_string());
    field(&r.actor_user_id.map(|i| i.to_string()).unwrap_or_default());
    field(&r.actor);
    field(&r.action);
    field(r.org_code.as_deref().unwrap_or("\u{0}"));
    field(&r.entity);
    field(r.before_json.as_deref().unwrap_or("\u{0}"));
    field(r.after_json.as_deref().unwrap_or("\u{0}"));
    if r.hash_version >= 2 {
        field(&r.hash_version.to_string());
        field(r.org_path.as_deref().unwrap_or("\u{0}"));
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec() -> AuditRecord {
        AuditRecord {
            seq: 1,
            at_ms: 1_795_996_800_000,
            actor_user_id: Some(7),
            actor: "city.admin".into(),
            action: "org_unit.update_facts".into(),
            org_code: Some("410302001001".into()),
            org_path: Some("/41/4103/410302/410302001/410302001001/".into()),
            entity: "org_unit:410302001001".into(),
            before_json: Some("{}".into()),
            after_json: Some("{\"service_teams\":2}".into()),
            hash_version: HASH_VERSION,
        }
    }

    #[test]
    fn every_field_and_the_previous_hash_change_the_hash() {
        let base = chain_hash(GENESIS, &rec());
        assert_eq!(base.len(), 64);
        assert_ne!(chain_hash(&base, &rec()), base);
        let mut variants = Vec::new();
        let mut r = rec();
        r.seq = 2;
        variants.push(r);
        let mut r = rec();
        r.at_ms += 1;
        variants.push(r);
        let mut r = rec();
        r.actor_user_id = None;
        variants.push(r);
        let mut r = rec();
        r.actor = "x".into();
        variants.push(r);
        let mut r = rec();
        r.action = "x".into();
        variants.push(r);
        let mut r = rec();
        r.org_code = None;
        variants.push(r);
        let mut r = rec();
        r.entity = "x".into();
        variants.push(r);
        let mut r = rec();
        r.before_json = None;
        variants.push(r);
        let mut r = rec();
        r.after_json = Some("{\"service_teams\":3}".into());
        variants.push(r);
        let mut r = rec();
        r.org_path = Some("/41/4103/410303/".into());
        variants.push(r);
        let mut r = rec();
        r.hash_version = 1;
        variants.push(r);
        for v in variants {
            assert_ne!(chain_hash(GENESIS, &v), base, "{v:?}");
        }
    }

    #[test]
    fn version_one_entries_hash_as_they_were_made() {
        // An entry written before the path was covered keeps its hash whatever the path says.
        let mut old = rec();
        old.hash_version = 1;
        let made = chain_hash(GENESIS, &old);
        old.org_path = None;
        assert_eq!(chain_hash(GENESIS, &old), made);
        assert_ne!(chain_hash(GENESIS, &rec()), made);
    }

    #[test]
    fn field_boundaries_cannot_be_shifted() {
        let mut a = rec();
        a.actor = "ab".into();
        a.action = "c".into();
        let mut b = rec();
        b.actor = "a".into();
        b.action = "bc".into();
        assert_ne!(chain_hash(GENESIS, &a), chain_hash(GENESIS, &b));
    }
}
