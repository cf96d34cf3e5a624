-- A need referred on (issue 12 §1): to another unit, where it is raised again as a need of its
-- own on its own clock (each names the other), or to a project of the referring unit's subtree.
ALTER TABLE needs ADD COLUMN referred_to_unit TEXT;
ALTER TABLE needs ADD COLUMN referred_to_need_id BIGINT REFERENCES needs (id);
ALTER TABLE needs ADD COLUMN referred_project_code TEXT;
ALTER TABLE needs ADD COLUMN referred_from_id BIGINT REFERENCES needs (id);
