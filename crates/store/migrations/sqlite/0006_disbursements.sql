-- Disbursements (issue 3, part 6): request, four-eyes approval, a second approval from the
-- level above for large amounts, payment into the ledger; every state change an event.

CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);

CREATE TABLE disbursements (
    id INTEGER PRIMARY KEY,
    fund_id BIGINT NOT NULL REFERENCES funds (id),
    org_path TEXT NOT NULL,
    entity_code TEXT NOT NULL,
    payee TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    function_code TEXT NOT NULL,
    purpose TEXT NOT NULL,
    state TEXT NOT NULL,
    threshold_fen BIGINT NOT NULL,
    maker_id BIGINT NOT NULL,
    maker TEXT NOT NULL,
    approver_id BIGINT,
    upper_approver_id BIGINT,
    ledger_transaction_id BIGINT REFERENCES ledger_transactions (id),
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
CREATE INDEX disbursements_org_path ON disbursements (org_path, state);

CREATE TABLE disbursement_events (
    id INTEGER PRIMARY KEY,
    disbursement_id BIGINT NOT NULL REFERENCES disbursements (id),
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    actor TEXT NOT NULL,
    note TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX disbursement_events_disbursement ON disbursement_events (disbursement_id);
