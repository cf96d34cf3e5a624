-- In-kind gifts (issue 3, part 3): goods at a valuation, with what they were.
ALTER TABLE donations ADD COLUMN in_kind_description TEXT NOT NULL DEFAULT '';
