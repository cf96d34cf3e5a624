-- The beneficiary registry (issue 12 §2): a person at a unit, their ID number and phone sealed
-- with the data key and found again by a keyed blind index (as donors'), shown masked. The
-- same person registered by units far apart waits as a merge proposal at the lowest unit that
-- covers both.
CREATE TABLE beneficiaries (
    id INTEGER PRIMARY KEY,
    org_code TEXT NOT NULL REFERENCES org_units (code),
    org_path TEXT NOT NULL,
    name TEXT NOT NULL,
    id_number_sealed TEXT NOT NULL,
    id_number_index TEXT NOT NULL,
    id_number_shown TEXT NOT NULL,
    phone_sealed TEXT NOT NULL,
    phone_index TEXT NOT NULL,
    phone_shown TEXT NOT NULL,
    registered_by TEXT NOT NULL,
    registered_at_ms BIGINT NOT NULL
);
CREATE INDEX beneficiaries_unit ON beneficiaries (org_path);
CREATE INDEX beneficiaries_id_number ON beneficiaries (id_number_index);

CREATE TABLE beneficiary_merge_proposals (
    id INTEGER PRIMARY KEY,
    org_path TEXT NOT NULL,
    first_id BIGINT NOT NULL REFERENCES beneficiaries (id),
    second_id BIGINT NOT NULL REFERENCES beneficiaries (id),
    state TEXT NOT NULL,
    proposed_at_ms BIGINT NOT NULL
);
CREATE INDEX beneficiary_merge_proposals_unit ON beneficiary_merge_proposals (org_path, state);
