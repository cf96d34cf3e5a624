-- Issue 14 §2 (M16): 夕阳工程 elderly meals, "中央厨房 + 配送点". Kitchens and delivery points at
-- units (a point names its kitchen, a meal's price and the restricted fund its meals are booked
-- in); enrolled elders (registry persons of 60 or more, one point each); each day's plan; each
-- elder's meal signed off once a day, with the price, the subsidy and the elder's own share it
-- was booked at.
CREATE TABLE meal_sites (
    id INTEGER PRIMARY KEY,
    org_code TEXT NOT NULL REFERENCES org_units (code),
    org_path TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    capacity BIGINT NOT NULL,
    kitchen_id BIGINT REFERENCES meal_sites (id),
    price_fen BIGINT NOT NULL,
    fund_code TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    UNIQUE (org_code, name)
);
CREATE INDEX meal_sites_path ON meal_sites (org_path);

CREATE TABLE meal_elders (
    id INTEGER PRIMARY KEY,
    point_id BIGINT NOT NULL REFERENCES meal_sites (id),
    beneficiary_id BIGINT NOT NULL UNIQUE REFERENCES beneficiaries (id),
    priority TEXT NOT NULL,
    subsidy_fen BIGINT NOT NULL,
    diet_note TEXT NOT NULL,
    enrolled_on TEXT NOT NULL,
    enrolled_by TEXT NOT NULL
);
CREATE INDEX meal_elders_point ON meal_elders (point_id);

CREATE TABLE meal_plans (
    point_id BIGINT NOT NULL REFERENCES meal_sites (id),
    day TEXT NOT NULL,
    planned BIGINT NOT NULL,
    planned_by TEXT NOT NULL,
    PRIMARY KEY (point_id, day)
);

CREATE TABLE meals_served (
    id INTEGER PRIMARY KEY,
    elder_id BIGINT NOT NULL REFERENCES meal_elders (id),
    point_id BIGINT NOT NULL REFERENCES meal_sites (id),
    day TEXT NOT NULL,
    month TEXT NOT NULL,
    price_fen BIGINT NOT NULL,
    subsidy_fen BIGINT NOT NULL,
    own_fen BIGINT NOT NULL,
    ledger_transaction_id BIGINT NOT NULL REFERENCES ledger_transactions (id),
    signed_by TEXT NOT NULL,
    signed_at_ms BIGINT NOT NULL,
    UNIQUE (elder_id, day)
);
CREATE INDEX meals_served_point ON meals_served (point_id, month, day);

-- Meals per point and day, kept in the sign-off's transaction (a point's day page reads it).
CREATE TABLE meal_days (
    point_id BIGINT NOT NULL REFERENCES meal_sites (id),
    day TEXT NOT NULL,
    month TEXT NOT NULL,
    org_path TEXT NOT NULL,
    meals BIGINT NOT NULL,
    PRIMARY KEY (point_id, day)
);

-- And per point and month (meals, serving days), which the overviews read: a row a point-month.
CREATE TABLE meal_months (
    point_id BIGINT NOT NULL REFERENCES meal_sites (id),
    month TEXT NOT NULL,
    org_path TEXT NOT NULL,
    meals BIGINT NOT NULL,
    days BIGINT NOT NULL,
    PRIMARY KEY (point_id, month)
);
CREATE INDEX meal_months_path ON meal_months (month, org_path);
