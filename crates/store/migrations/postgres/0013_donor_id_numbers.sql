-- Personal ID numbers (issue 3, part 2): sealed with the installation's data key, found again
-- by a keyed blind index, and a masked form ready for screens. No plain ID number is stored.
ALTER TABLE donors ADD COLUMN id_number_sealed TEXT NOT NULL DEFAULT '';
ALTER TABLE donors ADD COLUMN id_number_index TEXT NOT NULL DEFAULT '';
ALTER TABLE donors ADD COLUMN id_number_masked TEXT NOT NULL DEFAULT '';
CREATE INDEX donors_id_number_index ON donors (id_number_index);
