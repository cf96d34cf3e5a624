-- Projects (issue 11): a project belongs to the unit that runs it, may take up a city template,
-- and moves through the lifecycle in domain::project. Its fund is opened when it is approved
-- (立项); until then it takes no gifts. Replaces the stage a project fund carried (0022).
CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    org_code TEXT NOT NULL REFERENCES org_units (code),
    org_path TEXT NOT NULL,
    tier TEXT NOT NULL,
    project_type TEXT NOT NULL,
    template_id BIGINT REFERENCES project_templates (id),
    key_project SMALLINT NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    goals TEXT NOT NULL,
    beneficiaries TEXT NOT NULL,
    budget_json TEXT NOT NULL,
    indicators_json TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    fund_id BIGINT UNIQUE REFERENCES funds (id),
    -- Moved here from a project fund opened before projects existed: approved without a
    -- recorded needs assessment or review.
    legacy SMALLINT NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
CREATE INDEX projects_unit ON projects (org_path, state);
CREATE INDEX projects_template ON projects (template_id, state);

-- Every step of its life: who did what, from which unit, when.
CREATE TABLE project_steps (
    id INTEGER PRIMARY KEY,
    project_id BIGINT NOT NULL REFERENCES projects (id),
    action TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    actor TEXT NOT NULL,
    actor_unit_path TEXT NOT NULL,
    note TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX project_steps_project ON project_steps (project_id, id);

-- 三访三议: visits and deliberations, attached to the proposal.
CREATE TABLE project_needs (
    id INTEGER PRIMARY KEY,
    project_id BIGINT NOT NULL REFERENCES projects (id),
    kind TEXT NOT NULL,
    held_on TEXT NOT NULL,
    who TEXT NOT NULL,
    findings TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at_ms BIGINT NOT NULL
);
CREATE INDEX project_needs_project ON project_needs (project_id, kind);

CREATE TABLE project_reviews (
    id INTEGER PRIMARY KEY,
    project_id BIGINT NOT NULL REFERENCES projects (id),
    decision TEXT NOT NULL,
    scores_json TEXT NOT NULL,
    total BIGINT NOT NULL,
    comments TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    reviewer_unit_path TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX project_reviews_project ON project_reviews (project_id);

CREATE TABLE project_supervisions (
    id INTEGER PRIMARY KEY,
    project_id BIGINT NOT NULL REFERENCES projects (id),
    visited_on TEXT NOT NULL,
    findings TEXT NOT NULL,
    issues TEXT NOT NULL,
    rectify_by TEXT,
    rectified_at_ms BIGINT,
    rectified_note TEXT NOT NULL DEFAULT '',
    recorded_by TEXT NOT NULL,
    recorder_unit_path TEXT NOT NULL,
    recorded_at_ms BIGINT NOT NULL
);
CREATE INDEX project_supervisions_project ON project_supervisions (project_id);

CREATE TABLE project_evaluations (
    project_id BIGINT PRIMARY KEY REFERENCES projects (id),
    actuals_json TEXT NOT NULL,
    reached BIGINT NOT NULL,
    spent_fen BIGINT NOT NULL,
    outputs TEXT NOT NULL,
    grade TEXT NOT NULL,
    evaluator TEXT NOT NULL,
    evaluator_unit_path TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);

CREATE TABLE project_audits (
    project_id BIGINT PRIMARY KEY REFERENCES projects (id),
    firm TEXT NOT NULL,
    rating TEXT NOT NULL,
    findings TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL,
    uploaded_by TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);

-- Every project fund opened before projects existed becomes an approved project (raising),
-- in progress (implementing) or completed, keeping its fund and every posting on it.
INSERT INTO projects (code, name, org_code, org_path, tier, project_type, template_id,
    key_project, state, goals, beneficiaries, budget_json, indicators_json, starts_on, ends_on,
    fund_id, legacy, created_by, created_at_ms, updated_at_ms)
SELECT f.code, f.name, f.org_code, f.org_path,
    CASE u.level WHEN 2 THEN 'city' WHEN 3 THEN 'county' ELSE 'village' END,
    'relief', NULL, 0,
    CASE f.project_status WHEN 'implementing' THEN 'in_progress'
        WHEN 'completed' THEN 'completed' ELSE 'approved' END,
    '', '', '[]', '[]', '', '', f.id, 1, 'migration', f.created_at_ms, f.created_at_ms
FROM funds f JOIN org_units u ON u.code = f.org_code
WHERE f.kind = 'project';

-- The lifecycle decides which gifts are matched: a rule no longer names a stage.
ALTER TABLE funds DROP COLUMN project_status;
ALTER TABLE matching_rules DROP COLUMN eligible_status;

-- A payment from a project's fund names the budget line it is spent on, so the project shows
-- spending against its budget line by line ('' for payments from other funds and before).
ALTER TABLE disbursements ADD COLUMN budget_line TEXT NOT NULL DEFAULT '';
