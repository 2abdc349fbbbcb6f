-- Maintained counts of moves, so that flows, balance and leaderboard answer from a few
-- thousand pre-counted rows instead of scanning every move per request.
--
-- Counted are live moves (deleted_at IS NULL) by the company ids they name; roll-up to a
-- top-level parent happens when reading, so re-parenting a company needs no recount. A side
-- that is unknown (a founding has no origin, a departure no destination) is NULL, and NULLs
-- are one key. The counts are kept by statement triggers in the writing transaction, so a
-- reader sees them change exactly when the moves do. (No CHECK on `moves`: Postgres checks
-- the row an upsert proposes, -1 for a removal, before it finds the row it conflicts with.)

-- Per calendar month, kind and pair: any period is whole months from here plus the moves of
-- the partial months at its ends, read from `moves` itself.
CREATE TABLE move_flow_months (
    month            date NOT NULL CHECK (extract(day FROM month) = 1),
    kind             text NOT NULL,
    from_company_id  uuid,
    to_company_id    uuid,
    moves            integer NOT NULL,
    UNIQUE NULLS NOT DISTINCT (month, kind, from_company_id, to_company_id)
);
-- Covering, so one company's rows are read from the index alone.
CREATE INDEX move_flow_months_from_idx ON move_flow_months (from_company_id, month) INCLUDE (to_company_id, kind, moves);
CREATE INDEX move_flow_months_to_idx ON move_flow_months (to_company_id, month) INCLUDE (from_company_id, kind, moves);

-- Per pair over all time and kinds: the unfiltered questions ("the biggest links", "where do
-- Meta's people come from") without summing months.
CREATE TABLE move_flow_pairs (
    from_company_id  uuid,
    to_company_id    uuid,
    moves            integer NOT NULL,
    UNIQUE NULLS NOT DISTINCT (from_company_id, to_company_id)
);
-- A company's largest counterparts on either side, read off the index in rank order.
CREATE INDEX move_flow_pairs_to_ranked_idx ON move_flow_pairs (to_company_id, moves DESC) INCLUDE (from_company_id);
CREATE INDEX move_flow_pairs_from_ranked_idx ON move_flow_pairs (from_company_id, moves DESC) INCLUDE (to_company_id);
CREATE INDEX move_flow_pairs_moves_idx ON move_flow_pairs (moves DESC);

-- Per company and month: arrivals, departures, and departures to a known company (the ones
-- that are links in a flow). Balance series and period leaderboards read ~120 rows a company
-- instead of one per move or per counterpart.
CREATE TABLE company_flow_months (
    company_id          uuid NOT NULL,
    month               date NOT NULL CHECK (extract(day FROM month) = 1),
    inflow              integer NOT NULL,
    outflow             integer NOT NULL,
    outflow_to_company  integer NOT NULL,
    PRIMARY KEY (company_id, month)
);
CREATE INDEX company_flow_months_month_idx ON company_flow_months (month);

-- The same over all time: the all-time leaderboard, and the total of all links, from one row
-- per company.
CREATE TABLE company_flow_totals (
    company_id          uuid PRIMARY KEY,
    inflow              integer NOT NULL,
    outflow             integer NOT NULL,
    outflow_to_company  integer NOT NULL
);

-- One function for the three triggers: +1 for every live row after the statement, -1 for
-- every live row before it; an UPDATE that leaves kind, date and companies alone nets to 0
-- and writes nothing. Keys are upserted in order so concurrent writers lock them in order.
CREATE FUNCTION tf_count_moves() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta text;
    live_after constant text := 'SELECT effective_on, kind, from_company_id, to_company_id, 1 AS n FROM new_rows WHERE deleted_at IS NULL';
    live_before constant text := 'SELECT effective_on, kind, from_company_id, to_company_id, -1 AS n FROM old_rows WHERE deleted_at IS NULL';
BEGIN
    delta := CASE TG_OP
        WHEN 'INSERT' THEN live_after
        WHEN 'DELETE' THEN live_before
        ELSE live_after || ' UNION ALL ' || live_before
    END;
    EXECUTE format($sql$
        WITH delta AS (%s),
        by_month AS (
            INSERT INTO move_flow_months AS counted (month, kind, from_company_id, to_company_id, moves)
            SELECT date_trunc('month', effective_on)::date, kind, from_company_id, to_company_id, sum(n)
            FROM delta GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0 ORDER BY 1, 2, 3, 4
            ON CONFLICT (month, kind, from_company_id, to_company_id)
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
                   n AS inflow, 0 AS outflow, 0 AS outflow_to_company
            FROM delta WHERE to_company_id IS NOT NULL
            UNION ALL
            SELECT from_company_id, date_trunc('month', effective_on)::date,
                   0, n, CASE WHEN to_company_id IS NULL THEN 0 ELSE n END
            FROM delta WHERE from_company_id IS NOT NULL
        ),
        by_company_month AS (
            INSERT INTO company_flow_months AS counted (company_id, month, inflow, outflow, outflow_to_company)
            SELECT company_id, month, sum(inflow), sum(outflow), sum(outflow_to_company)
            FROM sides GROUP BY 1, 2 HAVING sum(inflow) <> 0 OR sum(outflow) <> 0 OR sum(outflow_to_company) <> 0
            ORDER BY 1, 2
            ON CONFLICT (company_id, month) DO UPDATE SET
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

CREATE TRIGGER moves_counted_on_insert AFTER INSERT ON moves
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tf_count_moves();
CREATE TRIGGER moves_counted_on_update AFTER UPDATE ON moves
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tf_count_moves();
CREATE TRIGGER moves_counted_on_delete AFTER DELETE ON moves
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION tf_count_moves();

INSERT INTO move_flow_months (month, kind, from_company_id, to_company_id, moves)
SELECT date_trunc('month', effective_on)::date, kind, from_company_id, to_company_id, count(*)
FROM moves WHERE deleted_at IS NULL GROUP BY 1, 2, 3, 4;

INSERT INTO move_flow_pairs (from_company_id, to_company_id, moves)
SELECT from_company_id, to_company_id, count(*)
FROM moves WHERE deleted_at IS NULL GROUP BY 1, 2;

INSERT INTO company_flow_months (company_id, month, inflow, outflow, outflow_to_company)
SELECT company_id, month, sum(inflow), sum(outflow), sum(outflow_to_company) FROM (
    SELECT to_company_id AS company_id, date_trunc('month', effective_on)::date AS month,
           1 AS inflow, 0 AS outflow, 0 AS outflow_to_company
    FROM moves WHERE deleted_at IS NULL AND to_company_id IS NOT NULL
    UNION ALL
    SELECT from_company_id, date_trunc('month', effective_on)::date,
           0, 1, CASE WHEN to_company_id IS NULL THEN 0 ELSE 1 END
    FROM moves WHERE deleted_at IS NULL AND from_company_id IS NOT NULL
) sides GROUP BY 1, 2;

INSERT INTO company_flow_totals (company_id, inflow, outflow, outflow_to_company)
SELECT company_id, sum(inflow), sum(outflow), sum(outflow_to_company)
FROM company_flow_months GROUP BY 1;
