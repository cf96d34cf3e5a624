-- What kind of legal entity a city or county association is, for the compliance rules
-- (issue 3, part 8). Absent: a social group (慈善会) with public fundraising.
CREATE TABLE entity_profiles (
    entity_code TEXT PRIMARY KEY,
    org_type TEXT NOT NULL,
    public_fundraising SMALLINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
