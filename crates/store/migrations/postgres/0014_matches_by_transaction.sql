-- The public fund page joins each ledger line to the match it booked: found by index, so the
-- page costs the same with a million lines.
CREATE INDEX matches_ledger ON matches (ledger_transaction_id);
