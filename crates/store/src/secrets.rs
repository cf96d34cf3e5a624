//! Personal ID numbers at rest: sealed with XChaCha20-Poly1305 under the installation's data
//! key, and found again through a keyed blind index (HMAC-SHA256), so the database alone — a
//! backup, a stolen disk — reveals no ID number and cannot be searched by one.
//!
//! The key is 32 random bytes given by the operator (`SHANWANG_DATA_KEY`, 64 hex digits) or
//! kept in `<data-dir>/data.key`; every app server of one installation needs the same key.

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

#[derive(Clone)]
pub struct DataKey {
    seal: [u8; 32],
    index: [u8; 32],
    tokens: [u8; 32],
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(…)")
    }
}

fn derive(master: &[u8; 32], purpose: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(master).expect("any key length");
    mac.update(purpose);
    mac.finalize().into_bytes().into()
}

impl DataKey {
    /// Separate keys for sealing and for the index, both derived from the one master key.
    pub fn from_master(master: [u8; 32]) -> DataKey {
        DataKey {
            seal: derive(&master, b"shanwang seal v1"),
            index: derive(&master, b"shanwang blind index v1"),
            tokens: derive(&master, b"shanwang tokens v1"),
        }
    }

    /// A key from 64 hex digits.
    pub fn from_hex(hex_key: &str) -> Result<DataKey, String> {
        let bytes =
            hex::decode(hex_key.trim()).map_err(|_| "数据密钥应为 64 位十六进制数".to_string())?;
        let master: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "数据密钥应为 64 位十六进制数（32 字节）".to_string())?;
        Ok(DataKey::from_master(master))
    }

    /// A new random master key, as 64 hex digits (for a new installation's key file).
    pub fn generate_hex() -> String {
        use rand::RngCore;
        let mut master = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut master);
        hex::encode(master)
    }

    /// `hex(nonce ‖ ciphertext)`; a fresh random nonce each time.
    pub fn seal(&self, plain: &str) -> String {
        hex::encode(self.seal_bytes(plain.as_bytes()))
    }

    /// The plain text, or None when the value was not sealed under this key or was altered.
    pub fn open(&self, sealed: &str) -> Option<String> {
        let plain = self.open_bytes(&hex::decode(sealed).ok()?)?;
        String::from_utf8(plain).ok()
    }

    /// A file sealed as bytes (`nonce ‖ ciphertext`), for a staged upload that holds personal
    /// data until it is used.
    pub fn seal_bytes(&self, plain: &[u8]) -> Vec<u8> {
        let cipher = XChaCha20Poly1305::new((&self.seal).into());
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = cipher
            .encrypt(&nonce, plain)
            .expect("encryption of a staged file cannot fail");
        let mut out = nonce.to_vec();
        out.extend(sealed);
        out
    }

    /// The bytes sealed with [`DataKey::seal_bytes`], or None when not sealed under this key.
    pub fn open_bytes(&self, sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < 24 {
            return None;
        }
        let (nonce, body) = sealed.split_at(24);
        let cipher = XChaCha20Poly1305::new((&self.seal).into());
        cipher.decrypt(XNonce::from_slice(nonce), body).ok()
    }

    /// The same value always gives the same index under one key; without the key the index
    /// says nothing about the value.
    pub fn blind_index(&self, value: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.index).expect("any key length");
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// A piece of personal data as it is stored: sealed, found again by its blind index, and the
/// part that may be shown (a masked ID number, a phone's last four digits).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sealed {
    pub sealed: String,
    pub index: String,
    pub shown: String,
}

impl DataKey {
    /// A person's ID number (already checked): shown masked, `110***********002X`.
    pub fn seal_id_number(&self, id_number: &str) -> Sealed {
        Sealed {
            sealed: self.seal(id_number),
            index: self.blind_index(id_number),
            shown: domain::donor::mask_id_number(id_number),
        }
    }

    /// A phone number (already checked and normalised): shown by its last four digits.
    pub fn seal_phone(&self, phone: &str) -> Sealed {
        self.seal_showing_last_four(phone)
    }

    /// A bank account number (digits only): shown by its last four digits.
    pub fn seal_bank_account(&self, account: &str) -> Sealed {
        self.seal_showing_last_four(account)
    }

    fn seal_showing_last_four(&self, value: &str) -> Sealed {
        let skip = value.chars().count().saturating_sub(4);
        Sealed {
            sealed: self.seal(value),
            index: self.blind_index(value),
            shown: value.chars().skip(skip).collect(),
        }
    }
}

impl DataKey {
    /// A token the server hands out and later recognises as its own (a visitor's, for public
    /// ratings): `random.mac`. Any server of the installation checks it with the same key.
    pub fn issue_token(&self, purpose: &str) -> String {
        use rand::RngCore;
        let mut b = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut b);
        let random = hex::encode(b);
        let mac = self.token_mac(purpose, &random);
        format!("{random}.{mac}")
    }

    /// Whether `token` was issued by [`DataKey::issue_token`] for `purpose` under this key.
    pub fn token_is_ours(&self, purpose: &str, token: &str) -> bool {
        let Some((random, mac)) = token.split_once('.') else {
            return false;
        };
        if random.len() != 32 || !random.bytes().all(|b| b.is_ascii_hexdigit()) {
            return false;
        }
        let Ok(given) = hex::decode(mac) else {
            return false;
        };
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&self.tokens).expect("any key length");
        m.update(purpose.as_bytes());
        m.update(b"\n");
        m.update(random.as_bytes());
        m.verify_slice(&given).is_ok()
    }

    fn token_mac(&self, purpose: &str, random: &str) -> String {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&self.tokens).expect("any key length");
        m.update(purpose.as_bytes());
        m.update(b"\n");
        m.update(random.as_bytes());
        hex::encode(m.finalize().into_bytes())
    }
}

/// Which sealed columns of which table a reader asks for, and how the trail names the read.
pub(crate) struct SealedRead {
    pub table: &'static str,
    pub columns: &'static [&'static str],
    /// The audit action, e.g. `donor.reveal_id_number`.
    pub action: String,
    /// The entity's kind in the trail, e.g. `donor`.
    pub entity: &'static str,
}

/// A sealed detail of a person that may be read in full (with a reason, in the trail): the
/// same three for every register of people (beneficiaries, volunteers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    IdNumber,
    Phone,
    BankAccount,
}

impl Detail {
    pub const ALL: [Detail; 3] = [Detail::IdNumber, Detail::Phone, Detail::BankAccount];

    pub fn key(self) -> &'static str {
        match self {
            Detail::IdNumber => "id_number",
            Detail::Phone => "phone",
            Detail::BankAccount => "bank_account",
        }
    }

    pub fn parse(s: &str) -> Option<Detail> {
        Detail::ALL.into_iter().find(|d| d.key() == s)
    }

    fn column(self) -> &'static [&'static str] {
        match self {
            Detail::IdNumber => &["id_number_sealed"],
            Detail::Phone => &["phone_sealed"],
            Detail::BankAccount => &["bank_account_sealed"],
        }
    }
}

/// Reads one sealed detail of the person `id` of `table` (inside the scope) in full, with a
/// reason that goes in the trail as `{entity}.reveal_{detail}`.
pub(crate) async fn reveal(
    db: &crate::Db,
    actor: &crate::Actor,
    scope: &domain::access::Scope,
    (table, entity): (&'static str, &'static str),
    id: i64,
    detail: Detail,
    reason: &str,
) -> crate::Result<String> {
    let reason = domain::text::reason(reason, "reveal_reason_missing")?;
    let read = SealedRead {
        table,
        columns: detail.column(),
        action: format!("{entity}.reveal_{}", detail.key()),
        entity,
    };
    let plain = read_sealed(db, actor, scope, &read, id, &reason).await?;
    Ok(plain.into_iter().next().unwrap_or_default())
}

/// Opens sealed columns of row `id` inside the scope for a reader who gave `reason` (checked by
/// the caller): each column's plain value ('' where nothing was sealed), the read in the audit
/// trail with the reason, in one transaction. A row outside the scope is `NotFound`. The one
/// way personal data is read in full (donors' and beneficiaries' ID numbers, a complainant's
/// contact).
pub(crate) async fn read_sealed(
    db: &crate::Db,
    actor: &crate::Actor,
    scope: &domain::access::Scope,
    what: &SealedRead,
    id: i64,
    reason: &str,
) -> crate::Result<Vec<String>> {
    use sqlx::Row;
    let key = db.data_key()?;
    let (lo, hi) = scope.path_bounds();
    let mut tx = db.begin_write().await?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT org_path, {} FROM {} WHERE id = $1 AND org_path >= $2 AND org_path < $3",
        what.columns.join(", "),
        what.table
    )))
    .bind(id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(crate::StoreError::NotFound)?;
    let mut plain = Vec::with_capacity(what.columns.len());
    for column in what.columns {
        let sealed: String = row.try_get(*column)?;
        plain.push(if sealed.is_empty() {
            String::new()
        } else {
            key.open(&sealed).ok_or(crate::StoreError::NoDataKey)?
        });
    }
    let org_path: String = row.try_get("org_path")?;
    crate::audit::append(
        &mut tx,
        actor,
        crate::audit::Change {
            action: &what.action,
            org_path: &org_path,
            entity: format!("{}:{id}", what.entity),
            before: None,
            after: Some(serde_json::json!({ "reason": reason })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_under_their_key_and_unaltered() {
        let key = DataKey::from_hex(&DataKey::generate_hex()).unwrap();
        let other = DataKey::from_hex(&DataKey::generate_hex()).unwrap();
        let id = "11010519491231002X";
        let a = key.seal(id);
        let b = key.seal(id);
        assert_ne!(a, b, "a fresh nonce each time");
        assert!(
            !a.contains("3130313035"),
            "no plain digits in the sealed text"
        );
        assert_eq!(key.open(&a).as_deref(), Some(id));
        assert_eq!(other.open(&a), None);
        let mut tampered = a.clone().into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'0' { b'1' } else { b'0' };
        assert_eq!(key.open(&String::from_utf8(tampered).unwrap()), None);
        assert_eq!(key.blind_index(id), key.blind_index(id));
        assert_ne!(key.blind_index(id), other.blind_index(id));
        assert!(DataKey::from_hex("abc").is_err());
    }

    #[test]
    fn tokens_are_recognised_only_when_ours_and_for_their_purpose() {
        let key = DataKey::from_hex(&DataKey::generate_hex()).unwrap();
        let other = DataKey::from_hex(&DataKey::generate_hex()).unwrap();
        let t = key.issue_token("visitor");
        assert!(key.token_is_ours("visitor", &t));
        assert!(!key.token_is_ours("other", &t));
        assert!(!other.token_is_ours("visitor", &t));
        let (random, _) = t.split_once('.').unwrap();
        assert!(!key.token_is_ours("visitor", &format!("{random}.00")));
        assert!(!key.token_is_ours("visitor", random));
        assert!(!key.token_is_ours("visitor", "made-up-by-a-client"));
    }
}
