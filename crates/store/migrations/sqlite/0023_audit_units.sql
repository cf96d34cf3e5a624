-- Every audit entry names the unit it concerns, and from now on the unit's path is part of the
-- chained hash (version 2). Entries written before keep version 1 and are checked as made.
ALTER TABLE audit_log ADD COLUMN hash_version SMALLINT NOT NULL DEFAULT 1;
