-- Standard project templates the city publishes for counties and villages to take up
-- (issue 11 §1: 幸福家园 and the like). Visible to every unit below the one that published it.
CREATE TABLE project_templates (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    org_path TEXT NOT NULL,
    org_code TEXT NOT NULL,
    tier TEXT NOT NULL,
    project_type TEXT NOT NULL,
    goals TEXT NOT NULL,
    beneficiaries TEXT NOT NULL,
    budget_json TEXT NOT NULL,
    indicators_json TEXT NOT NULL,
    locked_json TEXT NOT NULL,
    published_by TEXT NOT NULL,
    published_at_ms BIGINT NOT NULL
);
CREATE INDEX project_templates_unit ON project_templates (org_path);
