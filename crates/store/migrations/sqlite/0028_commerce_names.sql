-- 消费捐 has one name in code and tables: merchants (e-commerce partners) send orders. The
-- word "partner" is left to 慈善合伙人 pledges.
ALTER TABLE commerce_partners RENAME TO commerce_merchants;
ALTER TABLE micro_donations RENAME TO commerce_orders;
ALTER TABLE micro_daily_totals RENAME TO commerce_daily_totals;
ALTER TABLE commerce_agreements RENAME COLUMN partner_id TO merchant_id;
ALTER TABLE commerce_orders RENAME COLUMN partner_id TO merchant_id;
ALTER TABLE commerce_settlements RENAME COLUMN partner_id TO merchant_id;
ALTER TABLE commerce_remittances RENAME COLUMN partner_id TO merchant_id;
ALTER TABLE commerce_daily_totals RENAME COLUMN partner_id TO merchant_id;
DROP INDEX commerce_agreements_partner;
CREATE INDEX commerce_agreements_merchant ON commerce_agreements (merchant_id);
DROP INDEX micro_donations_day;
CREATE INDEX commerce_orders_day ON commerce_orders (merchant_id, china_day);
DROP INDEX micro_donations_unsettled;
CREATE INDEX commerce_orders_unsettled ON commerce_orders (merchant_id, settlement_id);
DROP INDEX commerce_remittances_partner;
CREATE INDEX commerce_remittances_merchant ON commerce_remittances (merchant_id);
