-- Volunteers (issue 13 §1): registered by real name at a unit, ID number and phone sealed with
-- the data key and found again by the blind index (one record per person: the index is
-- unique), shown masked; skills, availability, consent to publication, a minor's guardian.
CREATE TABLE volunteers (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    org_code TEXT NOT NULL REFERENCES org_units (code),
    org_path TEXT NOT NULL,
    name TEXT NOT NULL,
    born_on TEXT NOT NULL,
    id_number_sealed TEXT NOT NULL,
    id_number_index TEXT NOT NULL UNIQUE,
    id_number_shown TEXT NOT NULL,
    phone_sealed TEXT NOT NULL,
    phone_index TEXT NOT NULL,
    phone_shown TEXT NOT NULL,
    skills_json TEXT NOT NULL,
    availability TEXT NOT NULL,
    consent_publication SMALLINT NOT NULL,
    guardian_name TEXT NOT NULL,
    guardian_relation TEXT NOT NULL,
    registered_by TEXT NOT NULL,
    registered_at_ms BIGINT NOT NULL
);
CREATE INDEX volunteers_unit ON volunteers (org_path, name);
