-- Donors and donations (issue 3, parts 2–3, first slice). A donation is a gift record that
-- points at the ledger transaction that booked it.

CREATE TABLE donors (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    publish_name SMALLINT NOT NULL DEFAULT 0,
    org_code TEXT NOT NULL,
    org_path TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX donors_phone ON donors (phone);

-- idempotency_key: a retried API call or a double-submitted form books one gift, not two.
CREATE TABLE donations (
    id INTEGER PRIMARY KEY,
    fund_id BIGINT NOT NULL REFERENCES funds (id),
    donor_id BIGINT NOT NULL REFERENCES donors (id),
    amount_fen BIGINT NOT NULL,
    channel TEXT NOT NULL,
    publish_name SMALLINT NOT NULL,
    ledger_transaction_id BIGINT NOT NULL REFERENCES ledger_transactions (id),
    receipt_number TEXT,
    idempotency_key TEXT UNIQUE,
    org_path TEXT NOT NULL,
    received_at_ms BIGINT NOT NULL
);
CREATE INDEX donations_fund ON donations (fund_id);
CREATE INDEX donations_ledger ON donations (ledger_transaction_id);
