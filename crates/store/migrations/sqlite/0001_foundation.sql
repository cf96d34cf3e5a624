-- The four-level network, people and access, and the audit trail (issue 2).
-- Portable types only: BIGINT ids/money/times (UTC ms), TEXT codes and dates, SMALLINT flags.

CREATE TABLE org_units (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    level SMALLINT NOT NULL,
    parent_code TEXT,
    org_path TEXT NOT NULL,
    active SMALLINT NOT NULL DEFAULT 1,
    site_address TEXT NOT NULL DEFAULT '',
    leader_name TEXT NOT NULL DEFAULT '',
    leader_phone TEXT NOT NULL DEFAULT '',
    service_teams BIGINT NOT NULL DEFAULT 0,
    contact_phone TEXT NOT NULL DEFAULT '',
    set_up SMALLINT NOT NULL DEFAULT 0,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
CREATE INDEX org_units_path ON org_units (org_path, level, active, set_up);
CREATE INDEX org_units_parent ON org_units (parent_code);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until_ms BIGINT NOT NULL DEFAULT 0,
    active SMALLINT NOT NULL DEFAULT 1,
    created_at_ms BIGINT NOT NULL
);

CREATE TABLE grants (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    role TEXT NOT NULL,
    org_code TEXT NOT NULL REFERENCES org_units (code),
    org_path TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    UNIQUE (user_id, role, org_code)
);

-- Browser sessions and API bearer tokens alike: only the SHA-256 of the token is stored.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    revoked SMALLINT NOT NULL DEFAULT 0
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    actor_user_id BIGINT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    org_code TEXT,
    org_path TEXT,
    entity TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_org_path ON audit_log (org_path);
CREATE INDEX audit_log_at ON audit_log (at_ms);

-- The chain's head: every append updates this one row first, which serialises appends
-- (SQLite's single writer; a row lock on PostgreSQL) so the chain never forks.
CREATE TABLE audit_head (
    id SMALLINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
