-- Satisfaction feedback on projects from the public portal (issue 3, part 7). A visitor is
-- known only by a digest of their browser's token: one rating per project per China day.
CREATE TABLE project_feedback (
    id INTEGER PRIMARY KEY,
    fund_id BIGINT NOT NULL REFERENCES funds (id),
    rating SMALLINT NOT NULL,
    comment TEXT NOT NULL,
    visitor_digest TEXT NOT NULL,
    china_day TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    UNIQUE (fund_id, visitor_digest, china_day)
);
