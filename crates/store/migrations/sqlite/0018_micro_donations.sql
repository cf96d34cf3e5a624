-- 消费捐 (issue 4): e-commerce partners giving per sale, under an agreement signed before the
-- activity. Each order is stored once per partner (and its refund once); the unique key is
-- what keeps retries, overlapping batches and concurrent servers exact.
CREATE TABLE commerce_partners (
    id INTEGER PRIMARY KEY,
    donor_id BIGINT NOT NULL REFERENCES donors (id),
    name TEXT NOT NULL,
    credit_code TEXT NOT NULL UNIQUE,
    org_code TEXT NOT NULL REFERENCES org_units (code),
    org_path TEXT NOT NULL,
    -- The API secret, sealed with the data key (it is needed in plain to check signatures).
    secret_sealed TEXT NOT NULL,
    secret_set_at_ms BIGINT NOT NULL,
    active SMALLINT NOT NULL DEFAULT 1,
    created_at_ms BIGINT NOT NULL
);

CREATE TABLE commerce_agreements (
    id INTEGER PRIMARY KEY,
    partner_id BIGINT NOT NULL REFERENCES commerce_partners (id),
    fund_id BIGINT NOT NULL REFERENCES funds (id),
    -- A fixed amount per order, or a share of the order value (basis points); one is 0.
    per_order_fen BIGINT NOT NULL,
    share_bp BIGINT NOT NULL,
    max_per_order_fen BIGINT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    settlement_days BIGINT NOT NULL,
    retention_days BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX commerce_agreements_partner ON commerce_agreements (partner_id);

CREATE TABLE micro_donations (
    id INTEGER PRIMARY KEY,
    partner_id BIGINT NOT NULL REFERENCES commerce_partners (id),
    order_id TEXT NOT NULL,
    refund SMALLINT NOT NULL,
    amount_fen BIGINT NOT NULL,
    occurred_at_ms BIGINT NOT NULL,
    china_day TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    received_at_ms BIGINT NOT NULL,
    UNIQUE (partner_id, order_id, refund)
);
CREATE INDEX micro_donations_day ON micro_donations (partner_id, china_day);
