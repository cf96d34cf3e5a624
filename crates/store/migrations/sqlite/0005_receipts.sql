-- 公益事业捐赠票据 (issue 3, part 4): ranges registered by finance, one number per receipt,
-- never two receipts on one number (the unique key), void and re-issue kept as history.

CREATE TABLE receipt_ranges (
    id INTEGER PRIMARY KEY,
    entity_code TEXT NOT NULL,
    org_path TEXT NOT NULL,
    code TEXT NOT NULL,
    first_no BIGINT NOT NULL,
    last_no BIGINT NOT NULL,
    next_no BIGINT NOT NULL,
    active SMALLINT NOT NULL DEFAULT 1,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX receipt_ranges_entity ON receipt_ranges (entity_code, active);

CREATE TABLE receipts (
    id INTEGER PRIMARY KEY,
    range_id BIGINT NOT NULL REFERENCES receipt_ranges (id),
    number BIGINT NOT NULL,
    donation_id BIGINT NOT NULL REFERENCES donations (id),
    status TEXT NOT NULL,
    handler TEXT NOT NULL,
    issued_at_ms BIGINT NOT NULL,
    voided_at_ms BIGINT,
    void_reason TEXT,
    reissue_of_id BIGINT REFERENCES receipts (id),
    org_path TEXT NOT NULL,
    UNIQUE (range_id, number)
);
CREATE INDEX receipts_donation ON receipts (donation_id);

ALTER TABLE donations ADD COLUMN receipt_wanted SMALLINT NOT NULL DEFAULT 1;
CREATE INDEX donations_receipt ON donations (receipt_number);
