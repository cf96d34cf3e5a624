-- Enterprise donors (issue 3, part 2, first slice): known by their 统一社会信用代码.
ALTER TABLE donors ADD COLUMN credit_code TEXT NOT NULL DEFAULT '';
CREATE INDEX donors_credit_code ON donors (credit_code);
