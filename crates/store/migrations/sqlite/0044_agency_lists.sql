-- Agency lists (issue 12 §3). An uploaded roster waits sealed with the data key until its
-- columns are mapped and it is matched (at most an hour); the match deletes it. What stays is
-- the import (which list, from whom, on what legal basis and impact assessment, valid until
-- when, with its counts and the rows skipped — row numbers and reasons, never their values)
-- and the result per registered person.
CREATE TABLE agency_uploads (
    id INTEGER PRIMARY KEY,
    org_code TEXT NOT NULL REFERENCES org_units (code),
    org_path TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content BLOB NOT NULL,
    headers_json TEXT NOT NULL,
    rows_count BIGINT NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at_ms BIGINT NOT NULL
);
CREATE INDEX agency_uploads_unit ON agency_uploads (org_path);

CREATE TABLE agency_imports (
    id INTEGER PRIMARY KEY,
    org_code TEXT NOT NULL REFERENCES org_units (code),
    org_path TEXT NOT NULL,
    list_kind TEXT NOT NULL,
    source TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    pia_purpose TEXT NOT NULL,
    pia_necessity TEXT NOT NULL,
    pia_risks TEXT NOT NULL,
    pia_measures TEXT NOT NULL,
    assessed_on TEXT NOT NULL,
    keep_until TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    file_name TEXT NOT NULL,
    by_blind_index SMALLINT NOT NULL,
    rows_read BIGINT NOT NULL,
    rows_matched BIGINT NOT NULL,
    rows_unmatched BIGINT NOT NULL,
    rows_skipped BIGINT NOT NULL,
    imported_by TEXT NOT NULL,
    imported_at_ms BIGINT NOT NULL
);
CREATE INDEX agency_imports_unit ON agency_imports (org_path, imported_at_ms);

CREATE TABLE agency_import_skips (
    import_id BIGINT NOT NULL REFERENCES agency_imports (id),
    row_number BIGINT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (import_id, row_number)
);

CREATE TABLE agency_matches (
    id INTEGER PRIMARY KEY,
    import_id BIGINT NOT NULL REFERENCES agency_imports (id),
    beneficiary_id BIGINT NOT NULL REFERENCES beneficiaries (id),
    org_path TEXT NOT NULL,
    list_kind TEXT NOT NULL,
    category TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    source TEXT NOT NULL,
    imported_at_ms BIGINT NOT NULL
);
CREATE INDEX agency_matches_person ON agency_matches (beneficiary_id, valid_until);
CREATE INDEX agency_matches_unit ON agency_matches (org_path, list_kind, valid_until);
