-- The double-entry ledger (issue 3, part 1): funds, their accounts with kept balances,
-- transactions that are never changed, and their postings.

CREATE TABLE funds (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    org_code TEXT NOT NULL REFERENCES org_units (code),
    org_path TEXT NOT NULL,
    entity_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    active SMALLINT NOT NULL DEFAULT 1,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX funds_org_path ON funds (org_path);

CREATE TABLE ledger_accounts (
    id INTEGER PRIMARY KEY,
    fund_id BIGINT NOT NULL REFERENCES funds (id),
    kind TEXT NOT NULL,
    balance_fen BIGINT NOT NULL DEFAULT 0,
    UNIQUE (fund_id, kind)
);

-- A transaction is reversed at most once: the unique key on reverses_id says so.
CREATE TABLE ledger_transactions (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    memo TEXT NOT NULL,
    entity_code TEXT NOT NULL,
    org_path TEXT NOT NULL,
    reverses_id BIGINT REFERENCES ledger_transactions (id),
    actor TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    UNIQUE (reverses_id)
);
CREATE INDEX ledger_transactions_org_path ON ledger_transactions (org_path);

CREATE TABLE ledger_postings (
    id INTEGER PRIMARY KEY,
    transaction_id BIGINT NOT NULL REFERENCES ledger_transactions (id),
    account_id BIGINT NOT NULL REFERENCES ledger_accounts (id),
    amount_fen BIGINT NOT NULL
);
CREATE INDEX ledger_postings_transaction ON ledger_postings (transaction_id);
CREATE INDEX ledger_postings_account ON ledger_postings (account_id);
