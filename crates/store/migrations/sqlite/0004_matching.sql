-- 1:1 matching (issue 3, part 5): rules on special funds, and each match linked to the gift
-- it matched and to the ledger transfer that paid it.

CREATE TABLE matching_rules (
    id INTEGER PRIMARY KEY,
    special_fund_id BIGINT NOT NULL REFERENCES funds (id),
    ratio_num BIGINT NOT NULL,
    ratio_den BIGINT NOT NULL,
    eligible_level SMALLINT NOT NULL,
    cap_per_project_fen BIGINT NOT NULL,
    cap_per_donor_day_fen BIGINT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    org_path TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX matching_rules_org_path ON matching_rules (org_path);

CREATE TABLE matches (
    id INTEGER PRIMARY KEY,
    rule_id BIGINT NOT NULL REFERENCES matching_rules (id),
    donation_id BIGINT NOT NULL REFERENCES donations (id),
    project_fund_id BIGINT NOT NULL REFERENCES funds (id),
    donor_id BIGINT NOT NULL REFERENCES donors (id),
    china_day TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    ledger_transaction_id BIGINT NOT NULL REFERENCES ledger_transactions (id),
    reversed SMALLINT NOT NULL DEFAULT 0,
    UNIQUE (rule_id, donation_id)
);
CREATE INDEX matches_project ON matches (rule_id, project_fund_id);
CREATE INDEX matches_donor_day ON matches (rule_id, donor_id, china_day);
CREATE INDEX matches_donation ON matches (donation_id);

ALTER TABLE donations ADD COLUMN reversed_by_id BIGINT REFERENCES ledger_transactions (id);
