-- Retention (issue 4, part 6): per-order rows older than the agreement's retention period are
-- folded into daily totals. Orders that old are refused at ingest, so duplicate detection never
-- needs the folded rows; settlements and the ledger were booked before they were folded.
CREATE TABLE micro_daily_totals (
    partner_id BIGINT NOT NULL REFERENCES commerce_partners (id),
    china_day TEXT NOT NULL,
    orders_count BIGINT NOT NULL,
    orders_fen BIGINT NOT NULL,
    refunds_count BIGINT NOT NULL,
    refunds_fen BIGINT NOT NULL,
    PRIMARY KEY (partner_id, china_day)
);
