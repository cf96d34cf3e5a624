-- Needs (issue 12 §1): help requests raised at a unit, on a clock set by category and urgency
-- (domain::need), with every step kept.
CREATE TABLE needs (
    id INTEGER PRIMARY KEY,
    org_code TEXT NOT NULL REFERENCES org_units (code),
    org_path TEXT NOT NULL,
    category TEXT NOT NULL,
    urgency TEXT NOT NULL,
    channel TEXT NOT NULL,
    description TEXT NOT NULL,
    person TEXT NOT NULL,
    state TEXT NOT NULL,
    raised_by TEXT NOT NULL,
    raised_at_ms BIGINT NOT NULL,
    respond_due_at_ms BIGINT NOT NULL,
    resolve_due_at_ms BIGINT NOT NULL,
    first_response_at_ms BIGINT,
    closed_at_ms BIGINT,
    outcome TEXT NOT NULL DEFAULT ''
);
CREATE INDEX needs_unit ON needs (org_path, state);

CREATE TABLE need_steps (
    id INTEGER PRIMARY KEY,
    need_id BIGINT NOT NULL REFERENCES needs (id),
    action TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    actor TEXT NOT NULL,
    actor_unit_path TEXT NOT NULL,
    note TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX need_steps_need ON need_steps (need_id, id);
