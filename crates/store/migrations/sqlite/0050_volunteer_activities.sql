-- Issue 13 §3 and §1's self-service: activities with sign-up, sign-in and sign-out, hours
-- confirmed by the organiser and kept per China day (service_hours), rolled up per unit and
-- month for the hours views (service_hours_by_unit, kept in the same transaction), correction
-- requests and their answers, star thresholds per unit (the nearest above applies), and the
-- volunteer's own sign-in account.
ALTER TABLE volunteers ADD COLUMN user_id BIGINT REFERENCES users (id);
CREATE UNIQUE INDEX volunteers_user ON volunteers (user_id);

CREATE TABLE volunteer_activities (
    id INTEGER PRIMARY KEY,
    org_code TEXT NOT NULL REFERENCES org_units (code),
    org_path TEXT NOT NULL,
    team_id BIGINT REFERENCES volunteer_teams (id),
    project_id BIGINT REFERENCES projects (id),
    title TEXT NOT NULL,
    place TEXT NOT NULL,
    content TEXT NOT NULL,
    starts_at_ms BIGINT NOT NULL,
    ends_at_ms BIGINT NOT NULL,
    places BIGINT NOT NULL,
    -- What the activity's QR code carries besides its id: only someone who sees it scans in.
    check_key TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX volunteer_activities_path ON volunteer_activities (org_path, ends_at_ms);
CREATE INDEX volunteer_activities_team ON volunteer_activities (team_id, ends_at_ms);

CREATE TABLE activity_attendances (
    id INTEGER PRIMARY KEY,
    activity_id BIGINT NOT NULL REFERENCES volunteer_activities (id),
    volunteer_id BIGINT NOT NULL REFERENCES volunteers (id),
    state TEXT NOT NULL,
    -- The activity's times, kept here so one volunteer's overlapping places are one lookup.
    starts_at_ms BIGINT NOT NULL,
    ends_at_ms BIGINT NOT NULL,
    signed_in_ms BIGINT,
    signed_out_ms BIGINT,
    minutes BIGINT NOT NULL DEFAULT 0,
    signed_up_at_ms BIGINT NOT NULL,
    confirmed_by TEXT NOT NULL DEFAULT '',
    updated_by TEXT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    UNIQUE (activity_id, volunteer_id)
);
CREATE INDEX activity_attendances_volunteer ON activity_attendances (volunteer_id, starts_at_ms);

CREATE TABLE attendance_corrections (
    id INTEGER PRIMARY KEY,
    attendance_id BIGINT NOT NULL REFERENCES activity_attendances (id),
    signed_in_ms BIGINT NOT NULL,
    signed_out_ms BIGINT NOT NULL,
    reason TEXT NOT NULL,
    state TEXT NOT NULL,
    answer TEXT NOT NULL DEFAULT '',
    asked_at_ms BIGINT NOT NULL,
    answered_by TEXT NOT NULL DEFAULT '',
    answered_at_ms BIGINT
);
CREATE INDEX attendance_corrections_attendance ON attendance_corrections (attendance_id);

CREATE TABLE service_hours (
    id INTEGER PRIMARY KEY,
    attendance_id BIGINT NOT NULL REFERENCES activity_attendances (id),
    volunteer_id BIGINT NOT NULL REFERENCES volunteers (id),
    activity_id BIGINT NOT NULL REFERENCES volunteer_activities (id),
    team_id BIGINT,
    org_code TEXT NOT NULL,
    org_path TEXT NOT NULL,
    day TEXT NOT NULL,
    year BIGINT NOT NULL,
    minutes BIGINT NOT NULL
);
CREATE INDEX service_hours_volunteer ON service_hours (volunteer_id, year, minutes);
CREATE INDEX service_hours_team ON service_hours (team_id, year, minutes);
CREATE INDEX service_hours_attendance ON service_hours (attendance_id);

CREATE TABLE service_hours_by_unit (
    org_code TEXT NOT NULL,
    org_path TEXT NOT NULL,
    year BIGINT NOT NULL,
    month BIGINT NOT NULL,
    minutes BIGINT NOT NULL,
    records BIGINT NOT NULL,
    PRIMARY KEY (org_code, year, month)
);
CREATE INDEX service_hours_by_unit_path ON service_hours_by_unit (year, org_path, month, minutes);

CREATE TABLE star_levels (
    org_code TEXT PRIMARY KEY REFERENCES org_units (code),
    hours TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);

CREATE TABLE service_hours_by_team (
    team_id BIGINT NOT NULL REFERENCES volunteer_teams (id),
    year BIGINT NOT NULL,
    minutes BIGINT NOT NULL,
    PRIMARY KEY (team_id, year)
);
CREATE INDEX service_hours_by_team_year ON service_hours_by_team (year, minutes);
