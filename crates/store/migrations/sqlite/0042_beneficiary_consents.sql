-- Consents recorded with a beneficiary (issue 12 §2): to share their record (and with whom),
-- and a guardian's for a child under 14, each with its day.
CREATE TABLE beneficiary_consents (
    id INTEGER PRIMARY KEY,
    beneficiary_id BIGINT NOT NULL REFERENCES beneficiaries (id),
    kind TEXT NOT NULL,
    scope TEXT NOT NULL,
    guardian_name TEXT NOT NULL,
    guardian_relation TEXT NOT NULL,
    given_on TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at_ms BIGINT NOT NULL
);
CREATE INDEX beneficiary_consents_person ON beneficiary_consents (beneficiary_id);
