-- Donors' phones are personal data, sealed at rest like ID numbers: the column that held the
-- number now holds its keyed blind index (to find the same person again); the number itself is
-- sealed; the last four digits tell records apart on screen and let a clerk search by them.
-- Rows written before this migration still hold the plain number (11 digits, not a 64-character
-- index) until the server, holding the data key, seals them (store::donors::seal_plain_phones).
ALTER TABLE donors RENAME COLUMN phone TO phone_index;
ALTER TABLE donors ADD COLUMN phone_sealed TEXT NOT NULL DEFAULT '';
ALTER TABLE donors ADD COLUMN phone_last4 TEXT NOT NULL DEFAULT '';
CREATE INDEX donors_phone_last4 ON donors (phone_last4);
