-- Issue 13 §6 (M17): honour rounds run by a unit for an award and a year; nominations from the
-- units below, reviewed one level at a time (reviewing_path: who acts next) up to the round's
-- unit; each review in honour_reviews; public notice with objections and, optionally, one vote
-- per phone number (kept only as its blind index) per round; the announcement.
CREATE TABLE honour_rounds (
    id INTEGER PRIMARY KEY,
    org_code TEXT NOT NULL REFERENCES org_units (code),
    org_path TEXT NOT NULL,
    year BIGINT NOT NULL,
    award TEXT NOT NULL,
    places BIGINT NOT NULL,
    notice_days BIGINT NOT NULL,
    public_vote SMALLINT NOT NULL,
    state TEXT NOT NULL,
    notice_from TEXT NOT NULL DEFAULT '',
    notice_until TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    announced_at_ms BIGINT,
    UNIQUE (org_code, year, award)
);
CREATE INDEX honour_rounds_path ON honour_rounds (org_path);

CREATE TABLE honour_nominations (
    id INTEGER PRIMARY KEY,
    round_id BIGINT NOT NULL REFERENCES honour_rounds (id),
    org_code TEXT NOT NULL REFERENCES org_units (code),
    org_path TEXT NOT NULL,
    nominee TEXT NOT NULL,
    volunteer_id BIGINT REFERENCES volunteers (id),
    -- A registered donor, when the nominee is one: their gifts are evidence.
    donor_id BIGINT REFERENCES donors (id),
    story TEXT NOT NULL,
    consent SMALLINT NOT NULL,
    state TEXT NOT NULL,
    reviewing_path TEXT NOT NULL,
    votes BIGINT NOT NULL DEFAULT 0,
    nominated_by TEXT NOT NULL,
    nominated_at_ms BIGINT NOT NULL
);
CREATE INDEX honour_nominations_round ON honour_nominations (round_id, state);

CREATE TABLE honour_reviews (
    id INTEGER PRIMARY KEY,
    nomination_id BIGINT NOT NULL REFERENCES honour_nominations (id),
    org_path TEXT NOT NULL,
    step TEXT NOT NULL,
    note TEXT NOT NULL,
    reviewed_by TEXT NOT NULL,
    reviewed_at_ms BIGINT NOT NULL
);
CREATE INDEX honour_reviews_nomination ON honour_reviews (nomination_id);

CREATE TABLE honour_objections (
    id INTEGER PRIMARY KEY,
    nomination_id BIGINT NOT NULL REFERENCES honour_nominations (id),
    text TEXT NOT NULL,
    state TEXT NOT NULL,
    answer TEXT NOT NULL DEFAULT '',
    filed_at_ms BIGINT NOT NULL,
    answered_by TEXT NOT NULL DEFAULT '',
    answered_at_ms BIGINT
);
CREATE INDEX honour_objections_nomination ON honour_objections (nomination_id);

CREATE TABLE honour_votes (
    round_id BIGINT NOT NULL REFERENCES honour_rounds (id),
    phone_index TEXT NOT NULL,
    nomination_id BIGINT NOT NULL REFERENCES honour_nominations (id),
    voted_at_ms BIGINT NOT NULL,
    PRIMARY KEY (round_id, phone_index)
);
