-- Evidence behind a payment (issue 3, part 6): invoices, contracts, photos. Kept in the
-- database, so every app server sees the same files and they commit with the request; the
-- SHA-256 proves later that a file is the one uploaded.
CREATE TABLE disbursement_evidence (
    id INTEGER PRIMARY KEY,
    disbursement_id BIGINT NOT NULL REFERENCES disbursements (id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at_ms BIGINT NOT NULL,
    UNIQUE (disbursement_id, sha256)
);
