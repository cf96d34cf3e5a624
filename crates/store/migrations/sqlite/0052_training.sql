-- Issue 13 §5 (M3): courses at three tiers held by a unit of the tier's level, their sessions,
-- attendance per session (staff by user, volunteers by volunteer), and numbered certificates
-- for those who attended every session.
CREATE TABLE training_courses (
    id INTEGER PRIMARY KEY,
    org_code TEXT NOT NULL REFERENCES org_units (code),
    org_path TEXT NOT NULL,
    tier TEXT NOT NULL,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX training_courses_path ON training_courses (org_path);

CREATE TABLE training_sessions (
    id INTEGER PRIMARY KEY,
    course_id BIGINT NOT NULL REFERENCES training_courses (id),
    held_on TEXT NOT NULL,
    place TEXT NOT NULL,
    minutes BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX training_sessions_course ON training_sessions (course_id);

CREATE TABLE training_attendance (
    session_id BIGINT NOT NULL REFERENCES training_sessions (id),
    trainee_kind TEXT NOT NULL,
    trainee_id BIGINT NOT NULL,
    held_on TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at_ms BIGINT NOT NULL,
    PRIMARY KEY (session_id, trainee_kind, trainee_id)
);
CREATE INDEX training_attendance_trainee ON training_attendance (trainee_kind, trainee_id, held_on);

CREATE TABLE training_certificates (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    course_id BIGINT NOT NULL REFERENCES training_courses (id),
    trainee_kind TEXT NOT NULL,
    trainee_id BIGINT NOT NULL,
    issued_by TEXT NOT NULL,
    issued_at_ms BIGINT NOT NULL,
    UNIQUE (course_id, trainee_kind, trainee_id)
);
