-- Public fundraising campaigns (issue 11 §5, Charity Law art. 24): a legal entity with public
-- fundraising status files the plan; the campaign links projects across levels.
CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    org_code TEXT NOT NULL REFERENCES org_units (code),
    org_path TEXT NOT NULL,
    purpose TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    area TEXT NOT NULL,
    person_in_charge TEXT NOT NULL,
    office_address TEXT NOT NULL,
    ways_of_giving TEXT NOT NULL,
    bank_account_name TEXT NOT NULL,
    bank_name TEXT NOT NULL,
    bank_account TEXT NOT NULL,
    beneficiaries TEXT NOT NULL,
    use_of_funds TEXT NOT NULL,
    fundraising_cost_fen BIGINT NOT NULL,
    surplus_handling TEXT NOT NULL,
    filing_number TEXT NOT NULL,
    filed_on TEXT NOT NULL,
    emergency SMALLINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX campaigns_unit ON campaigns (org_path);

CREATE TABLE campaign_projects (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    project_id BIGINT NOT NULL REFERENCES projects (id),
    linked_by TEXT NOT NULL,
    linked_at_ms BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, project_id)
);
CREATE INDEX campaign_projects_project ON campaign_projects (project_id);

-- Disclosures (issue 11 §6): each published item of a project, a campaign or an organisation's
-- annual report; a correction is a new row naming the one it corrects, with its 更正说明.
CREATE TABLE disclosures (
    id INTEGER PRIMARY KEY,
    org_path TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    seq BIGINT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    corrects_id BIGINT REFERENCES disclosures (id),
    correction_note TEXT NOT NULL,
    published_by TEXT NOT NULL,
    published_at_ms BIGINT NOT NULL
);
CREATE INDEX disclosures_subject ON disclosures (subject_kind, subject_id, kind, seq);
CREATE INDEX disclosures_unit ON disclosures (org_path);

-- A project's budget total beside its lines, so a template's rollup over thousands of
-- instances sums a column instead of reading every budget.
ALTER TABLE projects ADD COLUMN budget_fen BIGINT NOT NULL DEFAULT 0;
UPDATE projects SET budget_fen = COALESCE((SELECT SUM(json_extract(value, '$.amount_fen'))
    FROM json_each(projects.budget_json)), 0);
