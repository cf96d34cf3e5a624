-- Volunteer teams (issue 13 §2, first part): a team belongs to a unit, has a name unique there
-- and what it does; registered volunteers join it, one of them may lead it.
CREATE TABLE volunteer_teams (
    id INTEGER PRIMARY KEY,
    org_code TEXT NOT NULL REFERENCES org_units (code),
    org_path TEXT NOT NULL,
    name TEXT NOT NULL,
    focus TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    UNIQUE (org_code, name)
);
CREATE INDEX volunteer_teams_unit ON volunteer_teams (org_path);

CREATE TABLE volunteer_team_members (
    team_id BIGINT NOT NULL REFERENCES volunteer_teams (id),
    volunteer_id BIGINT NOT NULL REFERENCES volunteers (id),
    leads SMALLINT NOT NULL,
    joined_by TEXT NOT NULL,
    joined_at_ms BIGINT NOT NULL,
    PRIMARY KEY (team_id, volunteer_id)
);
