-- Where a project stands (issue 3, part 5): a matching rule names the stage at which its
-- projects qualify, raising money by default. Projects themselves (M5) will move it along.
ALTER TABLE funds ADD COLUMN project_status TEXT NOT NULL DEFAULT 'fundraising';
ALTER TABLE matching_rules ADD COLUMN eligible_status TEXT NOT NULL DEFAULT 'fundraising';
