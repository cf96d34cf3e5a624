-- Settlements (issue 4, part 4): per partner and period, the orders and refunds not yet settled
-- (late ones included) become one gift in the ledger with one receipt; a period whose refunds
-- outweigh its orders carries the difference to the next. One settlement per partner and day.
CREATE TABLE commerce_settlements (
    id INTEGER PRIMARY KEY,
    partner_id BIGINT NOT NULL REFERENCES commerce_partners (id),
    through_day TEXT NOT NULL,
    orders_count BIGINT NOT NULL,
    orders_fen BIGINT NOT NULL,
    refunds_count BIGINT NOT NULL,
    refunds_fen BIGINT NOT NULL,
    carried_in_fen BIGINT NOT NULL,
    net_fen BIGINT NOT NULL,
    donation_id BIGINT REFERENCES donations (id),
    settled_at_ms BIGINT NOT NULL,
    UNIQUE (partner_id, through_day)
);
ALTER TABLE micro_donations ADD COLUMN settlement_id BIGINT REFERENCES commerce_settlements (id);
CREATE INDEX micro_donations_unsettled ON micro_donations (partner_id, settlement_id);
