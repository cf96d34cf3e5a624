-- 慈善合伙人 (issue 3, part 2): a long-term partner's annual pledge; its fulfilment is what the
-- partner actually gave that China-time year.
CREATE TABLE partner_agreements (
    id INTEGER PRIMARY KEY,
    donor_id BIGINT NOT NULL REFERENCES donors (id),
    org_code TEXT NOT NULL REFERENCES org_units (code),
    org_path TEXT NOT NULL,
    year BIGINT NOT NULL,
    pledge_fen BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    UNIQUE (donor_id, org_code, year)
);
