//! 消费捐 (M15): an e-commerce partner gives a fixed amount or a share of every sale, under an
//! agreement signed before the activity (Charity Law art. 37). Requests are signed with the
//! merchant's secret (`SW1-HMAC-SHA256`); every order counts exactly once, a refund reverses its
//! order once.

use crate::FieldError;
use crate::money::Fen;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Items per request at most.
pub const MAX_BATCH_ITEMS: usize = 10_000;
/// A signed request's timestamp may be this far from the server's clock, either way.
pub const MAX_CLOCK_SKEW_S: i64 = 300;
pub const AUTH_SCHEME: &str = "SW1-HMAC-SHA256";
pub const MAX_ORDER_ID_CHARS: usize = 64;

/// The string a merchant signs: method, path (with its query), timestamp, and the body's
/// SHA-256 in hex.
pub fn string_to_sign(method: &str, path_and_query: &str, ts: &str, body: &[u8]) -> String {
    format!(
        "{method}\n{path_and_query}\n{ts}\n{}",
        crate::sha256_hex(body)
    )
}

/// Hex HMAC-SHA256 of `message` under `secret`.
pub fn sign(secret: &str, message: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The parts of an `Authorization: SW1-HMAC-SHA256 partner=…, ts=…, sig=…` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeader {
    pub merchant_id: i64,
    pub ts: String,
    pub sig: String,
}

pub fn parse_authorization(header: &str) -> Option<SignedHeader> {
    let rest = header.trim().strip_prefix(AUTH_SCHEME)?.trim();
    let (mut merchant, mut ts, mut sig) = (None, None, None);
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        match k.trim() {
            "partner" => merchant = v.trim().parse::<i64>().ok(),
            "ts" => ts = Some(v.trim().to_string()),
            "sig" => sig = Some(v.trim().to_ascii_lowercase()),
            _ => return None,
        }
    }
    Some(SignedHeader {
        merchant_id: merchant?,
        ts: ts?,
        sig: sig?,
    })
}

/// Why a signed request is refused before its body is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureRefusal {
    /// The timestamp is not a number, or more than five minutes off.
    Stale,
    BadSignature,
}

/// Checks the timestamp against `now_s` and the signature, in constant time.
pub fn verify(
    secret: &str,
    signed: &SignedHeader,
    method: &str,
    path_and_query: &str,
    body: &[u8],
    now_s: i64,
) -> Result<(), SignatureRefusal> {
    let ts: i64 = signed.ts.parse().map_err(|_| SignatureRefusal::Stale)?;
    if (now_s - ts).abs() > MAX_CLOCK_SKEW_S {
        return Err(SignatureRefusal::Stale);
    }
    let expected = sign(
        secret,
        &string_to_sign(method, path_and_query, &signed.ts, body),
    );
    let same = expected.len() == signed.sig.len()
        && expected
            .bytes()
            .zip(signed.sig.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if same {
        Ok(())
    } else {
        Err(SignatureRefusal::BadSignature)
    }
}

/// What the agreement lets a merchant give per order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    /// China-time dates, inclusive.
    pub starts_on: String,
    pub ends_on: String,
    /// The most one order may carry (the fixed per-order amount, or the cap of a share).
    pub max_per_order: Fen,
}

impl Terms {
    pub fn active_on(&self, day: &str) -> bool {
        self.starts_on.as_str() <= day && day <= self.ends_on.as_str()
    }
}

/// What a settlement books: its orders, less its refunds, plus the negative balance carried
/// in from the last one. Positive: a gift; zero or negative: carried to the next settlement.
/// `None` on overflow.
pub fn settlement_net(orders: Fen, refunds: Fen, carried_in: Fen) -> Option<Fen> {
    orders.checked_sub(refunds)?.checked_add(carried_in)
}

/// The last day of the settlement period that `day` falls in, periods of `period_days` days
/// counted from the agreement's first day (China-time dates).
pub fn period_end(starts_on: &str, period_days: i64, day: &str) -> Option<String> {
    let start = crate::time::china_day_range_ms(starts_on)?.0;
    let at = crate::time::china_day_range_ms(day)?.0;
    let period = period_days.max(1);
    let index = (at - start).div_euclid(86_400_000) / period;
    let end = start + ((index + 1) * period - 1) * 86_400_000;
    Some(crate::time::china_day(end))
}

/// A share typed as a percentage ("1.5" or "1.5%") in basis points (150); at most 100 %, two
/// decimals.
pub fn percent_to_bp(field: &'static str, input: &str) -> Result<i64, FieldError> {
    let t = crate::text::normalize(input);
    let t = t.trim_end_matches('%').trim();
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    let ok = !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && frac.len() <= 2
        && frac.bytes().all(|b| b.is_ascii_digit());
    let bp = ok
        .then(|| {
            let w: i64 = whole.parse().ok()?;
            let f: i64 = format!("{frac:0<2}").parse().ok()?;
            w.checked_mul(100)?.checked_add(f)
        })
        .flatten()
        .ok_or(FieldError::new(field, "share_invalid"))?;
    if !(1..=10_000).contains(&bp) {
        return Err(FieldError::new(field, "share_invalid"));
    }
    Ok(bp)
}

/// One item as the merchant sent it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct ItemInput {
    pub order_id: String,
    #[serde(rename = "amount_fen")]
    pub amount: Fen,
    pub occurred_at: String,
    #[serde(default)]
    pub refund: bool,
}

/// A checked item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub order_id: String,
    pub amount: Fen,
    pub occurred_at_ms: i64,
    /// China-time day of `occurred_at`: the day it counts for.
    pub day: String,
    pub refund: bool,
}

/// Checks one item against the terms; `not_before_ms` is the oldest time still accepted (the
/// retention horizon: older orders are past duplicate detection and are refused).
pub fn check_item(
    input: &ItemInput,
    terms: &Terms,
    not_before_ms: i64,
    now_ms: i64,
) -> Result<Item, FieldError> {
    let order_id = input.order_id.trim();
    if order_id.is_empty()
        || order_id.chars().count() > MAX_ORDER_ID_CHARS
        || order_id.chars().any(char::is_control)
    {
        return Err(FieldError::new("order_id", "order_id_invalid"));
    }
    if !input.amount.is_positive() {
        return Err(FieldError::new("amount_fen", "amount_zero"));
    }
    if input.amount > terms.max_per_order {
        return Err(FieldError::new("amount_fen", "amount_over_agreement"));
    }
    let at = crate::time::parse_rfc3339_ms(&input.occurred_at)
        .ok_or(FieldError::new("occurred_at", "occurred_at_invalid"))?;
    // A little clock difference is tolerated; orders from the future are not.
    if at > now_ms + MAX_CLOCK_SKEW_S * 1000 {
        return Err(FieldError::new("occurred_at", "occurred_in_future"));
    }
    if at < not_before_ms {
        return Err(FieldError::new("occurred_at", "occurred_too_long_ago"));
    }
    let day = crate::time::china_day(at);
    if !terms.active_on(&day) {
        return Err(FieldError::new("occurred_at", "outside_agreement"));
    }
    Ok(Item {
        order_id: order_id.to_string(),
        amount: input.amount,
        occurred_at_ms: at,
        day,
        refund: input.refund,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms() -> Terms {
        Terms {
            starts_on: "2026-11-01".into(),
            ends_on: "2026-12-31".into(),
            max_per_order: Fen::new(10),
        }
    }

    #[test]
    fn a_signature_is_checked_over_method_path_time_and_body() {
        let body = br#"{"batch_id":"b1","items":[]}"#;
        let path = "/api/v1/partner/micro-donations";
        let msg = string_to_sign("POST", path, "1764000000", body);
        assert!(msg.starts_with("POST\n/api/v1/partner/micro-donations\n1764000000\n"));
        assert_eq!(msg.rsplit('\n').next().unwrap(), crate::sha256_hex(body));
        // RFC 4231 test case 2: HMAC-SHA256("Jefe", "what do ya want for nothing?").
        assert_eq!(
            sign("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let header = format!(
            "SW1-HMAC-SHA256 partner=7, ts=1764000000, sig={}",
            sign("s3cret", &msg)
        );
        let signed = parse_authorization(&header).unwrap();
        assert_eq!(signed.merchant_id, 7);
        assert_eq!(
            verify("s3cret", &signed, "POST", path, body, 1764000100),
            Ok(())
        );
        assert_eq!(
            verify("other", &signed, "POST", path, body, 1764000100),
            Err(SignatureRefusal::BadSignature)
        );
        assert_eq!(
            verify("s3cret", &signed, "POST", path, b"{}", 1764000100),
            Err(SignatureRefusal::BadSignature),
            "a changed body breaks the signature"
        );
        assert_eq!(
            verify("s3cret", &signed, "POST", path, body, 1764000000 + 301),
            Err(SignatureRefusal::Stale),
            "a replayed old request is refused"
        );
        assert!(parse_authorization("Bearer abc").is_none());
        assert!(parse_authorization("SW1-HMAC-SHA256 partner=x, ts=1, sig=ab").is_none());
    }

    #[test]
    fn periods_count_from_the_agreements_first_day() {
        assert_eq!(
            period_end("2026-11-01", 1, "2026-11-05").unwrap(),
            "2026-11-05"
        );
        assert_eq!(
            period_end("2026-11-01", 7, "2026-11-01").unwrap(),
            "2026-11-07"
        );
        assert_eq!(
            period_end("2026-11-01", 7, "2026-11-07").unwrap(),
            "2026-11-07"
        );
        assert_eq!(
            period_end("2026-11-01", 7, "2026-11-08").unwrap(),
            "2026-11-14"
        );
        assert_eq!(
            period_end("2026-11-01", 30, "2026-12-15").unwrap(),
            "2026-12-30"
        );
        assert!(period_end("soon", 7, "2026-11-08").is_none());
        assert_eq!(
            crate::time::add_days("2026-03-01", -1).unwrap(),
            "2026-02-28"
        );
    }

    #[test]
    fn a_settlement_nets_refunds_and_what_it_carried_in() {
        let net = |o, r, c| settlement_net(Fen::new(o), Fen::new(r), Fen::new(c));
        assert_eq!(net(1_000, 200, 0), Some(Fen::new(800)));
        assert_eq!(net(100, 300, 0), Some(Fen::new(-200)));
        assert_eq!(net(500, 0, -200), Some(Fen::new(300)));
        assert_eq!(net(0, i64::MAX, -2), None);
    }

    #[test]
    fn items_are_checked_against_the_agreement() {
        let now = crate::time::china_day_range_ms("2026-11-30").unwrap().0 + 3_600_000;
        let item = |amount: i64, at: &str| ItemInput {
            order_id: "TB-1".into(),
            amount: Fen::new(amount),
            occurred_at: at.into(),
            refund: false,
        };
        let ok = check_item(&item(10, "2026-11-11T23:30:00+08:00"), &terms(), 0, now).unwrap();
        assert_eq!(ok.day, "2026-11-11");
        // 16:30 UTC on the 11th is already the 12th in China.
        let late = check_item(&item(10, "2026-11-11T16:30:00Z"), &terms(), 0, now).unwrap();
        assert_eq!(late.day, "2026-11-12");
        let code =
            |i: ItemInput, horizon: i64| check_item(&i, &terms(), horizon, now).unwrap_err().code;
        assert_eq!(code(item(0, "2026-11-11T10:00:00+08:00"), 0), "amount_zero");
        assert_eq!(
            code(item(-5, "2026-11-11T10:00:00+08:00"), 0),
            "amount_zero"
        );
        assert_eq!(
            code(item(11, "2026-11-11T10:00:00+08:00"), 0),
            "amount_over_agreement"
        );
        assert_eq!(code(item(5, "yesterday"), 0), "occurred_at_invalid");
        assert_eq!(
            code(item(5, "2026-10-31T23:00:00+08:00"), 0),
            "outside_agreement"
        );
        assert_eq!(
            code(item(5, "2026-12-25T10:00:00+08:00"), 0),
            "occurred_in_future"
        );
        assert_eq!(
            code(item(5, "2026-11-02T10:00:00+08:00"), now),
            "occurred_too_long_ago"
        );
        let mut blank = item(5, "2026-11-11T10:00:00+08:00");
        blank.order_id = " ".into();
        assert_eq!(code(blank, 0), "order_id_invalid");
    }
}
