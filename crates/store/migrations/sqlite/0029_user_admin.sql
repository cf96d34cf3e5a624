-- People are managed from pages by the admins of their subtree. A user hangs off the unit they
-- were made at (their home: only admins over it deactivate them or reset their password); a
-- password an admin set is temporary until its holder changes it; the last sign-in is shown.
ALTER TABLE users ADD COLUMN org_path TEXT NOT NULL DEFAULT '/';
ALTER TABLE users ADD COLUMN must_change_password SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_sign_in_ms BIGINT;
UPDATE users SET org_path = COALESCE(
    (SELECT g.org_path FROM grants g WHERE g.user_id = users.id
     ORDER BY length(g.org_path), g.org_path LIMIT 1), '/');
CREATE INDEX users_org_path ON users (org_path);
CREATE INDEX grants_org_path ON grants (org_path);
