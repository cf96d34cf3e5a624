-- What partners actually remit (issue 4, part 4), imported from the bank statement and matched
-- against settlements: each line once (by file and row), placed on at most one settlement.
CREATE TABLE commerce_remittances (
    id INTEGER PRIMARY KEY,
    partner_id BIGINT NOT NULL REFERENCES commerce_partners (id),
    paid_on TEXT NOT NULL,
    payer TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    reference TEXT NOT NULL,
    settlement_id BIGINT REFERENCES commerce_settlements (id),
    file_digest TEXT NOT NULL,
    file_row BIGINT NOT NULL,
    imported_at_ms BIGINT NOT NULL,
    UNIQUE (file_digest, file_row)
);
CREATE INDEX commerce_remittances_partner ON commerce_remittances (partner_id);
