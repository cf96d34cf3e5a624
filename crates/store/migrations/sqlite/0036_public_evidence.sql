-- A paid disbursement's invoices and photos can be shown on the public portal once a finance
-- officer marks them public, confirming no personal data is on them (issue 10 §6).
ALTER TABLE disbursement_evidence ADD COLUMN public SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE disbursement_evidence ADD COLUMN published_by TEXT NOT NULL DEFAULT '';
ALTER TABLE disbursement_evidence ADD COLUMN published_at_ms BIGINT NOT NULL DEFAULT 0;
-- The portal lists a fund's or a subtree's lines newest first, page by page.
CREATE INDEX ledger_postings_account_id ON ledger_postings (account_id, id);
