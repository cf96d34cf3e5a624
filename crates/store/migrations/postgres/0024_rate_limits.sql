-- Abuse limits (sign-in, trace, ratings) kept in the database, so several app servers share
-- one count: a bucket per client address, username or receipt, counting attempts in a window.
CREATE TABLE rate_limits (
    bucket TEXT PRIMARY KEY,
    hits BIGINT NOT NULL,
    window_ends_at_ms BIGINT NOT NULL
);
CREATE INDEX rate_limits_window ON rate_limits (window_ends_at_ms);

-- The sign-in lock now lives in the buckets too (per username, known or not).
ALTER TABLE users DROP COLUMN failed_logins;
ALTER TABLE users DROP COLUMN locked_until_ms;
