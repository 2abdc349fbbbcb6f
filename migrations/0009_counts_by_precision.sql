-- The per-month counts of migration 0005 keep each move's precision beside its first month, so
-- that a move known only to "2023" is no longer indistinguishable from one in January 2023:
-- a period or a balance bucket can then tell the moves that lie in it from the ones that only
-- may (the rule of `PartialDate::placement`, src/domain/partial_date.rs). A row's `month` is
-- the first month of the move's interval; with `precision` it gives the whole interval
-- (`tf_period_end(month, precision)` for month and year precision; a day-precision row is
-- some days of that month, read from `moves` where a period cuts the month).

ALTER TABLE move_flow_months ADD COLUMN precision text NOT NULL DEFAULT 'day'
    CHECK (precision IN ('day', 'month', 'year'));
ALTER TABLE move_flow_months DROP CONSTRAINT move_flow_months_month_kind_from_company_id_to_company_id_key;
ALTER TABLE move_flow_months ADD CONSTRAINT move_flow_months_key
    UNIQUE NULLS NOT DISTINCT (month, precision, kind, from_company_id, to_company_id);
DROP INDEX move_flow_months_from_idx;
DROP INDEX move_flow_months_to_idx;
CREATE INDEX move_flow_months_from_idx ON move_flow_months (from_company_id, month) INCLUDE (to_company_id, kind, precision, moves);
CREATE INDEX move_flow_months_to_idx ON move_flow_months (to_company_id, month) INCLUDE (from_company_id, kind, precision, moves);

ALTER TABLE company_flow_months ADD COLUMN precision text NOT NULL DEFAULT 'day'
    CHECK (precision IN ('day', 'month', 'year'));
ALTER TABLE company_flow_months DROP CONSTRAINT company_flow_months_pkey;
ALTER TABLE company_flow_months ADD PRIMARY KEY (company_id, month, precision);

ALTER TABLE move_flow_months ALTER COLUMN precision DROP DEFAULT;
ALTER TABLE company_flow_months ALTER COLUMN precision DROP DEFAULT;

-- As in 0005, with the precision carried into the two per-month tables.
CREATE OR REPLACE FUNCTION tf_count_moves() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta text;
    live_after constant text := 'SELECT effective_on, effective_precision, kind, from_company_id, to_company_id, 1 AS n FROM new_rows WHERE deleted_at IS NULL';
    live_before constant text := 'SELECT effective_on, effective_precision, kind, from_company_id, to_company_id, -1 AS n FROM old_rows WHERE deleted_at IS NULL';
BEGIN
    delta := CASE TG_OP
        WHEN 'INSERT' THEN live_after
        WHEN 'DELETE' THEN live_before
        ELSE live_after || ' UNION ALL ' || live_before
    END;
    EXECUTE format($sql$
        WITH delta AS (%s),
        by_month AS (
            INSERT INTO move_flow_months AS counted (month, precision, kind, from_company_id, to_company_id, moves)
            SELECT date_trunc('month', effective_on)::date, effective_precision, kind, from_company_id, to_company_id, sum(n)
            FROM delta GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0 ORDER BY 1, 2, 3, 4, 5
            ON CONFLICT (month, precision, kind, from_company_id, to_company_id)
            DO UPDATE SET moves = counted.moves + excluded.moves
        ),
        by_pair AS (
            INSERT INTO move_flow_pairs AS counted (from_company_id, to_company_id, moves)
            SELECT from_company_id, to_company_id, sum(n)
            FROM delta GROUP BY 1, 2 HAVING sum(n) <> 0 ORDER BY 1, 2
            ON CONFLICT (from_company_id, to_company_id)
            DO UPDATE SET moves = counted.moves + excluded.moves
        ),
        sides AS (
            SELECT to_company_id AS company_id, date_trunc('month', effective_on)::date AS month,
                   effective_precision AS precision, n AS inflow, 0 AS outflow, 0 AS outflow_to_company
            FROM delta WHERE to_company_id IS NOT NULL
            UNION ALL
            SELECT from_company_id, date_trunc('month', effective_on)::date, effective_precision,
                   0, n, CASE WHEN to_company_id IS NULL THEN 0 ELSE n END
            FROM delta WHERE from_company_id IS NOT NULL
        ),
        by_company_month AS (
            INSERT INTO company_flow_months AS counted (company_id, month, precision, inflow, outflow, outflow_to_company)
            SELECT company_id, month, precision, sum(inflow), sum(outflow), sum(outflow_to_company)
            FROM sides GROUP BY 1, 2, 3 HAVING sum(inflow) <> 0 OR sum(outflow) <> 0 OR sum(outflow_to_company) <> 0
            ORDER BY 1, 2, 3
            ON CONFLICT (company_id, month, precision) DO UPDATE SET
                inflow = counted.inflow + excluded.inflow,
                outflow = counted.outflow + excluded.outflow,
                outflow_to_company = counted.outflow_to_company + excluded.outflow_to_company
        )
        INSERT INTO company_flow_totals AS counted (company_id, inflow, outflow, outflow_to_company)
        SELECT company_id, sum(inflow), sum(outflow), sum(outflow_to_company)
        FROM sides GROUP BY 1 HAVING sum(inflow) <> 0 OR sum(outflow) <> 0 OR sum(outflow_to_company) <> 0
            ORDER BY 1
        ON CONFLICT (company_id) DO UPDATE SET
            inflow = counted.inflow + excluded.inflow,
            outflow = counted.outflow + excluded.outflow,
            outflow_to_company = counted.outflow_to_company + excluded.outflow_to_company
    $sql$, delta);
    RETURN NULL;
END
$$;

-- The existing rows were all marked `day`: count the two tables again from the moves.
TRUNCATE move_flow_months, company_flow_months;

INSERT INTO move_flow_months (month, precision, kind, from_company_id, to_company_id, moves)
SELECT date_trunc('month', effective_on)::date, effective_precision, kind, from_company_id, to_company_id, count(*)
FROM moves WHERE deleted_at IS NULL GROUP BY 1, 2, 3, 4, 5;

INSERT INTO company_flow_months (company_id, month, precision, inflow, outflow, outflow_to_company)
SELECT company_id, month, precision, sum(inflow), sum(outflow), sum(outflow_to_company) FROM (
    SELECT to_company_id AS company_id, date_trunc('month', effective_on)::date AS month,
           effective_precision AS precision, 1 AS inflow, 0 AS outflow, 0 AS outflow_to_company
    FROM moves WHERE deleted_at IS NULL AND to_company_id IS NOT NULL
    UNION ALL
    SELECT from_company_id, date_trunc('month', effective_on)::date, effective_precision,
           0, 1, CASE WHEN to_company_id IS NULL THEN 0 ELSE 1 END
    FROM moves WHERE deleted_at IS NULL AND from_company_id IS NOT NULL
) sides GROUP BY 1, 2, 3;
