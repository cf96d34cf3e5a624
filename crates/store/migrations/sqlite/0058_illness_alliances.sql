-- Issue 14 §3 (M12): 大病救助 alliances across counties. An alliance hangs off the unit above
-- its member counties, with the pool (a special fund of that unit), the cap per case and the
-- share of the bill left after insurance; each member's agreed yearly share; contributions
-- booked as transfers into the pool; applications for residents with a medical need, each
-- decided once, a grant naming the payment requested from the pool.
CREATE TABLE alliances (
    id INTEGER PRIMARY KEY,
    org_code TEXT NOT NULL REFERENCES org_units (code),
    org_path TEXT NOT NULL,
    name TEXT NOT NULL,
    fund_code TEXT NOT NULL,
    cap_fen BIGINT NOT NULL,
    share_permille BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    UNIQUE (org_code, name)
);

CREATE TABLE alliance_members (
    alliance_id BIGINT NOT NULL REFERENCES alliances (id),
    member_code TEXT NOT NULL REFERENCES org_units (code),
    member_path TEXT NOT NULL,
    agreed_fen BIGINT NOT NULL,
    PRIMARY KEY (alliance_id, member_code)
);

CREATE TABLE alliance_contributions (
    id INTEGER PRIMARY KEY,
    alliance_id BIGINT NOT NULL REFERENCES alliances (id),
    member_code TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    from_fund TEXT NOT NULL,
    contributed_on TEXT NOT NULL,
    ledger_transaction_id BIGINT NOT NULL REFERENCES ledger_transactions (id),
    recorded_by TEXT NOT NULL,
    recorded_at_ms BIGINT NOT NULL
);
CREATE INDEX alliance_contributions_member ON alliance_contributions (alliance_id, member_code);

CREATE TABLE alliance_applications (
    id INTEGER PRIMARY KEY,
    alliance_id BIGINT NOT NULL REFERENCES alliances (id),
    member_code TEXT NOT NULL,
    org_path TEXT NOT NULL,
    need_id BIGINT NOT NULL UNIQUE REFERENCES needs (id),
    beneficiary_id BIGINT NOT NULL REFERENCES beneficiaries (id),
    bill_fen BIGINT NOT NULL,
    insurance_fen BIGINT NOT NULL,
    requested_fen BIGINT NOT NULL,
    state TEXT NOT NULL,
    granted_fen BIGINT NOT NULL,
    note TEXT NOT NULL,
    disbursement_id BIGINT REFERENCES disbursements (id),
    submitted_on TEXT NOT NULL,
    submitted_by TEXT NOT NULL,
    submitted_at_ms BIGINT NOT NULL,
    decided_by TEXT,
    decided_at_ms BIGINT
);
CREATE INDEX alliance_applications_alliance ON alliance_applications (alliance_id, org_path);
