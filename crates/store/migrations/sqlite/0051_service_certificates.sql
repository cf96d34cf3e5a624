-- Issue 13 §4: certificates of volunteer service (志愿服务记录与证明出具办法), issued free by the
-- unit that recorded the hours, numbered per unit and year without gaps or repeats however many
-- are issued at once (certificate_counters, taken in the issuing transaction), verified on the
-- public portal with the number and the check code printed on it.
CREATE TABLE certificate_counters (
    org_code TEXT NOT NULL REFERENCES org_units (code),
    -- `service` or `training`: each kind numbers on its own.
    kind TEXT NOT NULL,
    year BIGINT NOT NULL,
    last_no BIGINT NOT NULL,
    PRIMARY KEY (org_code, kind, year)
);

CREATE TABLE service_certificates (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    check_code TEXT NOT NULL,
    org_code TEXT NOT NULL REFERENCES org_units (code),
    org_path TEXT NOT NULL,
    volunteer_id BIGINT NOT NULL REFERENCES volunteers (id),
    from_day TEXT NOT NULL,
    until_day TEXT NOT NULL,
    minutes BIGINT NOT NULL,
    activities BIGINT NOT NULL,
    content TEXT NOT NULL,
    person_in_charge TEXT NOT NULL,
    handler TEXT NOT NULL,
    contact TEXT NOT NULL,
    issued_at_ms BIGINT NOT NULL
);
CREATE INDEX service_certificates_volunteer ON service_certificates (volunteer_id);
CREATE INDEX service_certificates_path ON service_certificates (org_path);
