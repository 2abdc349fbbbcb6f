-- A company's balance reads its rows by the key (company_id, month, precision): they carry the
-- counts too, so that read is index-only as well (a company's rows were a heap page each).
-- The counts are already in company_flow_months_period_idx (0010), so this adds no new kind of
-- write.
ALTER TABLE company_flow_months DROP CONSTRAINT company_flow_months_pkey;
ALTER TABLE company_flow_months ADD PRIMARY KEY (company_id, month, precision) INCLUDE (inflow, outflow);
