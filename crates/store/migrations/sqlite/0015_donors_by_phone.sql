-- A person is found by phone among donors without a credit code. With separate indexes the
-- planner may take the credit-code one (nearly every row has '') and scan the table; one index
-- over both columns answers the lookup directly.
DROP INDEX donors_phone;
CREATE INDEX donors_phone_code ON donors (phone, credit_code);
