-- The registry continued (issue 12 §2, §4, §5): the birth date the ID number carries (for ages:
-- school stages, college-age lists; registrations before this have none); bank accounts sealed
-- like phones; a merged
-- registration points at the record it was merged into (kept, with its history); households
-- and their members; each act of help a person receives; a need may name a registered person.
ALTER TABLE beneficiaries ADD COLUMN born_on TEXT NOT NULL DEFAULT '';
ALTER TABLE beneficiaries ADD COLUMN bank_account_sealed TEXT NOT NULL DEFAULT '';
ALTER TABLE beneficiaries ADD COLUMN bank_account_index TEXT NOT NULL DEFAULT '';
ALTER TABLE beneficiaries ADD COLUMN bank_account_shown TEXT NOT NULL DEFAULT '';
ALTER TABLE beneficiaries ADD COLUMN merged_into_id BIGINT REFERENCES beneficiaries (id);
ALTER TABLE beneficiaries ADD COLUMN merged_at_ms BIGINT;
ALTER TABLE beneficiary_merge_proposals ADD COLUMN decided_by TEXT NOT NULL DEFAULT '';
ALTER TABLE beneficiary_merge_proposals ADD COLUMN decided_at_ms BIGINT;

CREATE TABLE households (
    id INTEGER PRIMARY KEY,
    org_code TEXT NOT NULL REFERENCES org_units (code),
    org_path TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX households_unit ON households (org_path);

-- A person belongs to at most one household.
CREATE TABLE household_members (
    beneficiary_id BIGINT PRIMARY KEY REFERENCES beneficiaries (id),
    household_id BIGINT NOT NULL REFERENCES households (id),
    relation TEXT NOT NULL,
    added_by TEXT NOT NULL,
    added_at_ms BIGINT NOT NULL
);
CREATE INDEX household_members_household ON household_members (household_id);

CREATE TABLE assistance_records (
    id INTEGER PRIMARY KEY,
    beneficiary_id BIGINT NOT NULL REFERENCES beneficiaries (id),
    org_code TEXT NOT NULL REFERENCES org_units (code),
    org_path TEXT NOT NULL,
    dimension TEXT NOT NULL,
    kind TEXT NOT NULL,
    given_on TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    measure TEXT NOT NULL,
    amount_fen BIGINT,
    school_stage TEXT,
    project_id BIGINT REFERENCES projects (id),
    disbursement_id BIGINT REFERENCES disbursements (id),
    recorded_by TEXT NOT NULL,
    recorded_at_ms BIGINT NOT NULL
);
CREATE INDEX assistance_records_person ON assistance_records (beneficiary_id, given_on);
CREATE INDEX assistance_records_unit ON assistance_records (org_path, given_on);

ALTER TABLE needs ADD COLUMN beneficiary_id BIGINT REFERENCES beneficiaries (id);
