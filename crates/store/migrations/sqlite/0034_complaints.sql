-- Complaints and reports from the public (issue 10 §5, M19 接受监督). A complaint hangs off
-- the unit that handles it (org_path): the unit above the one it is about (about_path), so
-- the staff of the unit concerned never see it. The contact is sealed like donors' phones;
-- the query code is kept only as its digest.
CREATE TABLE complaints (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    org_path TEXT NOT NULL,
    about_path TEXT NOT NULL,
    about_code TEXT NOT NULL,
    about_name TEXT NOT NULL,
    fund_id BIGINT REFERENCES funds (id),
    text TEXT NOT NULL,
    contact_name_sealed TEXT NOT NULL,
    contact_name_shown TEXT NOT NULL,
    contact_phone_sealed TEXT NOT NULL,
    contact_phone_shown TEXT NOT NULL,
    code_digest TEXT NOT NULL,
    state TEXT NOT NULL,
    filed_at_ms BIGINT NOT NULL,
    accept_due_at_ms BIGINT NOT NULL,
    answer_due_at_ms BIGINT NOT NULL,
    closed_at_ms BIGINT,
    answer TEXT NOT NULL
);
CREATE INDEX complaints_handler ON complaints (org_path, id);
CREATE INDEX complaints_about ON complaints (about_path, filed_at_ms);
-- Each step the handling unit took, with who and when.
CREATE TABLE complaint_steps (
    id INTEGER PRIMARY KEY,
    complaint_id BIGINT NOT NULL REFERENCES complaints (id),
    action TEXT NOT NULL,
    note TEXT NOT NULL,
    actor TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX complaint_steps_complaint ON complaint_steps (complaint_id, id);
