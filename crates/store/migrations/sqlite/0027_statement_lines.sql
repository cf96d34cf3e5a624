-- Every incoming bank-statement line, kept with where it came from (issue 8): a line is never
-- booked twice, whether the same file comes again or a later export overlaps an earlier one.
-- line_key: 'ref:<bank reference>', or a digest of date, payer, amount and reference with the
-- number of alike lines before it in its file. state: booked, unmatched, suspected, dismissed.
CREATE TABLE statement_lines (
    id INTEGER PRIMARY KEY,
    entity_code TEXT NOT NULL,
    fund_id BIGINT NOT NULL REFERENCES funds (id),
    org_path TEXT NOT NULL,
    line_key TEXT NOT NULL,
    file_digest TEXT NOT NULL,
    file_row BIGINT NOT NULL,
    paid_on TEXT NOT NULL,
    payer TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    reference TEXT NOT NULL,
    bank_ref TEXT NOT NULL,
    state TEXT NOT NULL,
    donation_id BIGINT REFERENCES donations (id),
    imported_at_ms BIGINT NOT NULL,
    UNIQUE (entity_code, file_digest, file_row)
);
CREATE INDEX statement_lines_key ON statement_lines (entity_code, line_key);
CREATE INDEX statement_lines_state ON statement_lines (state, org_path);
