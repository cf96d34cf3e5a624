-- Issue 14 §1 (M7): charity supermarkets. A supermarket belongs to a unit and books its money
-- and gifts in one restricted fund; its goods keep their stock; every intake keeps its source
-- (government, enterprise, resident, purchase) and its gift, grant or payment; enrolled
-- households hold a quota per month; a redemption takes goods out against it.
CREATE TABLE supermarkets (
    id INTEGER PRIMARY KEY,
    org_code TEXT NOT NULL REFERENCES org_units (code),
    org_path TEXT NOT NULL,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    fund_code TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    UNIQUE (org_code, name)
);
CREATE INDEX supermarkets_path ON supermarkets (org_path);

CREATE TABLE supermarket_goods (
    id INTEGER PRIMARY KEY,
    supermarket_id BIGINT NOT NULL REFERENCES supermarkets (id),
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    unit TEXT NOT NULL,
    price_fen BIGINT NOT NULL,
    stock BIGINT NOT NULL DEFAULT 0 CHECK (stock >= 0),
    UNIQUE (supermarket_id, name)
);

CREATE TABLE supermarket_intakes (
    id INTEGER PRIMARY KEY,
    supermarket_id BIGINT NOT NULL REFERENCES supermarkets (id),
    source TEXT NOT NULL,
    is_money SMALLINT NOT NULL,
    giver_name TEXT NOT NULL,
    wishes TEXT NOT NULL,
    value_fen BIGINT NOT NULL,
    received_on TEXT NOT NULL,
    month TEXT NOT NULL,
    donation_id BIGINT REFERENCES donations (id),
    ledger_transaction_id BIGINT REFERENCES ledger_transactions (id),
    disbursement_id BIGINT UNIQUE REFERENCES disbursements (id),
    receipt_number TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at_ms BIGINT NOT NULL
);
CREATE INDEX supermarket_intakes_month ON supermarket_intakes (supermarket_id, month);

CREATE TABLE supermarket_intake_lines (
    intake_id BIGINT NOT NULL REFERENCES supermarket_intakes (id),
    goods_id BIGINT NOT NULL REFERENCES supermarket_goods (id),
    quantity BIGINT NOT NULL,
    value_fen BIGINT NOT NULL,
    PRIMARY KEY (intake_id, goods_id)
);

CREATE TABLE supermarket_households (
    id INTEGER PRIMARY KEY,
    supermarket_id BIGINT NOT NULL REFERENCES supermarkets (id),
    household_id BIGINT NOT NULL REFERENCES households (id),
    basis TEXT NOT NULL,
    note TEXT NOT NULL,
    quota_fen BIGINT NOT NULL,
    card_number TEXT UNIQUE,
    enrolled_on TEXT NOT NULL,
    enrolled_by TEXT NOT NULL,
    UNIQUE (supermarket_id, household_id)
);

-- One row per household and month, made at its first redemption with the quota then in force;
-- `used_fen <= quota_fen` is kept by a conditional update, so two counters never overdraw it.
CREATE TABLE supermarket_balances (
    member_id BIGINT NOT NULL REFERENCES supermarket_households (id),
    month TEXT NOT NULL,
    quota_fen BIGINT NOT NULL,
    used_fen BIGINT NOT NULL DEFAULT 0 CHECK (used_fen <= quota_fen),
    PRIMARY KEY (member_id, month)
);

CREATE TABLE supermarket_redemptions (
    id INTEGER PRIMARY KEY,
    supermarket_id BIGINT NOT NULL REFERENCES supermarkets (id),
    member_id BIGINT NOT NULL REFERENCES supermarket_households (id),
    redeemed_on TEXT NOT NULL,
    month TEXT NOT NULL,
    value_fen BIGINT NOT NULL,
    items BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at_ms BIGINT NOT NULL
);
CREATE INDEX supermarket_redemptions_month ON supermarket_redemptions (supermarket_id, month);

CREATE TABLE supermarket_redemption_lines (
    redemption_id BIGINT NOT NULL REFERENCES supermarket_redemptions (id),
    goods_id BIGINT NOT NULL REFERENCES supermarket_goods (id),
    quantity BIGINT NOT NULL,
    value_fen BIGINT NOT NULL,
    PRIMARY KEY (redemption_id, goods_id)
);
