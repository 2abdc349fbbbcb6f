-- Analytics over a period (flows, leaderboard, balance with since/until) read the count rows
-- of a range of months. Their rows of one month are spread over the whole table (they are
-- written in the order moves arrive), so a range of months cost a visit to nearly every heap
-- page. Indexes led by (month, precision) that carry every column those reads use let
-- Postgres answer them from the index alone.

-- The pair counts' key already begins with (month, precision): it now carries `moves` too.
-- `moves` is in two indexes already (from_idx, to_idx), so its updates were never HOT; this
-- adds no new kind of write.
ALTER TABLE move_flow_months DROP CONSTRAINT move_flow_months_key;
ALTER TABLE move_flow_months ADD CONSTRAINT move_flow_months_key
    UNIQUE NULLS NOT DISTINCT (month, precision, kind, from_company_id, to_company_id) INCLUDE (moves);

-- Replaces the index on (month) alone of migration 0005.
DROP INDEX company_flow_months_month_idx;
CREATE INDEX company_flow_months_period_idx ON company_flow_months (month, precision)
    INCLUDE (company_id, inflow, outflow);
