//! 消费捐 (M15): merchants (e-commerce partners) give a little per sale. Their agreements and
//! API secrets (`merchants`), the signed orders they send (`ingest`), settlements booked as
//! gifts (`settlement`), what they remitted (`remittances`), and retention (`retention`).

mod ingest;
mod merchants;
mod remittances;
mod retention;
mod settlement;

pub use ingest::*;
pub use merchants::*;
pub use remittances::*;
pub use retention::*;
pub use settlement::*;

/// The columns of a stored order or refund, as ingest writes them.
pub const ORDER_COLUMNS: [&str; 8] = [
    "merchant_id",
    "order_id",
    "refund",
    "amount_fen",
    "occurred_at_ms",
    "china_day",
    "batch_id",
    "received_at_ms",
];

/// Orders are kept this long for duplicate detection and refunds unless the agreement says
/// otherwise; older ones are refused.
pub const DEFAULT_RETENTION_DAYS: i64 = 90;
