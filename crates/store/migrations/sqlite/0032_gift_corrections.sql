-- A mistaken gift is corrected by a reversal one finance officer asks for, with a reason, and
-- another approves (issue 10 §4). At most one request waits per gift at a time.
CREATE TABLE gift_corrections (
    id INTEGER PRIMARY KEY,
    donation_id BIGINT NOT NULL REFERENCES donations (id),
    org_path TEXT NOT NULL,
    reason TEXT NOT NULL,
    state TEXT NOT NULL,
    requester_id BIGINT NOT NULL,
    requester TEXT NOT NULL,
    requested_at_ms BIGINT NOT NULL,
    decider TEXT,
    decided_at_ms BIGINT
);
CREATE INDEX gift_corrections_donation ON gift_corrections (donation_id);
CREATE INDEX gift_corrections_waiting ON gift_corrections (state, org_path);
