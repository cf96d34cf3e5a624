-- A unit's donor list and a donor's giving history (issue 10 §4): gifts by donor, newest
-- first; donors by where they were registered.
CREATE INDEX donations_donor ON donations (donor_id, received_at_ms);
CREATE INDEX donors_org ON donors (org_path);
