-- Issue 13 §2: each workstation's liaison (a volunteer registered there), each community's
-- 慈善管家 (a certified social worker) linked to 5–8 volunteer teams. A unit's "三有" service-team
-- count comes from its registered teams once it has any: the hand-typed number is then
-- replaced and no longer accepted (service_teams_registered).
ALTER TABLE org_units ADD COLUMN service_teams_registered SMALLINT NOT NULL DEFAULT 0;
UPDATE org_units SET
    service_teams = (SELECT COUNT(*) FROM volunteer_teams t WHERE t.org_code = org_units.code),
    service_teams_registered = 1,
    set_up = CASE WHEN site_address <> '' AND leader_name <> '' AND leader_phone <> ''
        THEN 1 ELSE 0 END
WHERE code IN (SELECT org_code FROM volunteer_teams);

CREATE TABLE workstation_liaisons (
    org_code TEXT PRIMARY KEY REFERENCES org_units (code),
    org_path TEXT NOT NULL,
    volunteer_id BIGINT NOT NULL REFERENCES volunteers (id),
    appointed_by TEXT NOT NULL,
    appointed_at_ms BIGINT NOT NULL
);
CREATE INDEX workstation_liaisons_path ON workstation_liaisons (org_path);

CREATE TABLE stewards (
    id INTEGER PRIMARY KEY,
    org_code TEXT NOT NULL UNIQUE REFERENCES org_units (code),
    org_path TEXT NOT NULL,
    name TEXT NOT NULL,
    certificate_no TEXT NOT NULL UNIQUE,
    level TEXT NOT NULL,
    appointed_by TEXT NOT NULL,
    appointed_at_ms BIGINT NOT NULL
);
CREATE INDEX stewards_path ON stewards (org_path);

CREATE TABLE steward_teams (
    steward_id BIGINT NOT NULL REFERENCES stewards (id),
    team_id BIGINT NOT NULL REFERENCES volunteer_teams (id),
    linked_by TEXT NOT NULL,
    linked_at_ms BIGINT NOT NULL,
    PRIMARY KEY (steward_id, team_id)
);
