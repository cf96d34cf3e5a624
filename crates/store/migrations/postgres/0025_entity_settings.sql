-- A legal entity's own money rules, set by its admin on a page (audited): for now the amount
-- above which a payment needs a second approval. No row: the default (¥50,000.00).
CREATE TABLE entity_settings (
    entity_code TEXT PRIMARY KEY,
    upper_threshold_fen BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
