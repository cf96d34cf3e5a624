-- Issue 14 §4 (M10): joint meetings convened by the city or a county, with the units and
-- departments attending and the minutes; their decisions, each with an owner unit and a
-- deadline; follow-up reports, the last of which may close the decision.
CREATE TABLE joint_meetings (
    id INTEGER PRIMARY KEY,
    org_code TEXT NOT NULL REFERENCES org_units (code),
    org_path TEXT NOT NULL,
    title TEXT NOT NULL,
    held_on TEXT NOT NULL,
    place TEXT NOT NULL,
    departments_json TEXT NOT NULL,
    units_json TEXT NOT NULL,
    minutes TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX joint_meetings_path ON joint_meetings (org_path, held_on);

CREATE TABLE meeting_decisions (
    id INTEGER PRIMARY KEY,
    meeting_id BIGINT NOT NULL REFERENCES joint_meetings (id),
    text TEXT NOT NULL,
    owner_code TEXT NOT NULL REFERENCES org_units (code),
    owner_path TEXT NOT NULL,
    due_on TEXT NOT NULL,
    state TEXT NOT NULL,
    closed_on TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX meeting_decisions_meeting ON meeting_decisions (meeting_id);
CREATE INDEX meeting_decisions_owner ON meeting_decisions (owner_path, state, due_on);

CREATE TABLE decision_reports (
    id INTEGER PRIMARY KEY,
    decision_id BIGINT NOT NULL REFERENCES meeting_decisions (id),
    report TEXT NOT NULL,
    closes SMALLINT NOT NULL,
    reported_by TEXT NOT NULL,
    reported_at_ms BIGINT NOT NULL
);
CREATE INDEX decision_reports_decision ON decision_reports (decision_id);
