-- Merged donors (issue 3, part 2): the duplicate stays, pointing at the donor it became.
ALTER TABLE donors ADD COLUMN merged_into_id BIGINT REFERENCES donors (id);
