-- The needs dashboard without sorting (issue 12's 50 ms over a county's year of 100,000
-- needs): each need keeps its durations (raised → first response; raised → resolved, for
-- resolved ones) and the paths of its city, county and township ('' above its own level), so
-- the k-th shortest duration among a unit's needs is a walk along one index.
ALTER TABLE needs ADD COLUMN response_ms BIGINT;
ALTER TABLE needs ADD COLUMN resolution_ms BIGINT;
ALTER TABLE needs ADD COLUMN city_path TEXT NOT NULL DEFAULT '';
ALTER TABLE needs ADD COLUMN county_path TEXT NOT NULL DEFAULT '';
ALTER TABLE needs ADD COLUMN township_path TEXT NOT NULL DEFAULT '';
UPDATE needs SET response_ms = first_response_at_ms - raised_at_ms
    WHERE first_response_at_ms IS NOT NULL;
UPDATE needs SET resolution_ms = closed_at_ms - raised_at_ms
    WHERE state = 'resolved' AND closed_at_ms IS NOT NULL;
-- Paths are '/' and fixed-width codes: '/41/' 4, '/41/4103/' 9, county 16, township 26.
UPDATE needs SET city_path = SUBSTR(org_path, 1, 9) WHERE LENGTH(org_path) >= 9;
UPDATE needs SET county_path = SUBSTR(org_path, 1, 16) WHERE LENGTH(org_path) >= 16;
UPDATE needs SET township_path = SUBSTR(org_path, 1, 26) WHERE LENGTH(org_path) >= 26;
CREATE INDEX needs_times ON needs (org_path, raised_at_ms, response_ms, resolution_ms, state,
    respond_due_at_ms, resolve_due_at_ms);
CREATE INDEX needs_open ON needs (state, org_path, raised_at_ms, respond_due_at_ms,
    resolve_due_at_ms);
CREATE INDEX needs_response_city ON needs (city_path, response_ms, raised_at_ms);
CREATE INDEX needs_response_county ON needs (county_path, response_ms, raised_at_ms);
CREATE INDEX needs_response_township ON needs (township_path, response_ms, raised_at_ms);
CREATE INDEX needs_response_unit ON needs (org_path, response_ms, raised_at_ms);
CREATE INDEX needs_resolution_city ON needs (city_path, resolution_ms, raised_at_ms);
CREATE INDEX needs_resolution_county ON needs (county_path, resolution_ms, raised_at_ms);
CREATE INDEX needs_resolution_township ON needs (township_path, resolution_ms, raised_at_ms);
CREATE INDEX needs_resolution_unit ON needs (org_path, resolution_ms, raised_at_ms);
