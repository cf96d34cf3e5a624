-- Issue 14 §5 (M17): each county's 慈善文化主题公园 or 慈善文化长廊 — location, opening date —
-- the activities held there with their visitors, and photos (PNG or JPEG, kept in the database
-- like payment evidence). All of it is public.
CREATE TABLE culture_sites (
    id INTEGER PRIMARY KEY,
    org_code TEXT NOT NULL REFERENCES org_units (code),
    org_path TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    location TEXT NOT NULL,
    opened_on TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    UNIQUE (org_code, name)
);
CREATE INDEX culture_sites_path ON culture_sites (org_path);

CREATE TABLE culture_site_events (
    id INTEGER PRIMARY KEY,
    site_id BIGINT NOT NULL REFERENCES culture_sites (id),
    held_on TEXT NOT NULL,
    title TEXT NOT NULL,
    visitors BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at_ms BIGINT NOT NULL
);
CREATE INDEX culture_site_events_site ON culture_site_events (site_id, held_on);

CREATE TABLE culture_site_photos (
    id INTEGER PRIMARY KEY,
    site_id BIGINT NOT NULL REFERENCES culture_sites (id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at_ms BIGINT NOT NULL,
    UNIQUE (site_id, sha256)
);
