-- A bulk "三有" upload waits here between its preview and its confirmation (issue 10 §7), so
-- any app server can apply it; it is removed once applied and ignored after an hour.
CREATE TABLE facts_uploads (
    id INTEGER PRIMARY KEY,
    org_path TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    file_name TEXT NOT NULL,
    rows_json TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX facts_uploads_unit ON facts_uploads (org_path);
