-- An import counts its moves once, at its end, instead of once per statement.
--
-- The statement triggers of 0005/0009 upsert every count row a statement touches. For an
-- import that writes moves in batches this was half of its write time (measured: 50,000 moves
-- into a table of 200,000, 10.4 s with the trigger, 5.1 s without), and rows such as a
-- company's month were rewritten once per batch. Now a transaction can ask for its moves to be
-- counted later (`tf_count_moves_later()`): the trigger then only notes each statement's delta
-- in a temporary table, and `tf_count_uncounted_moves()` applies the sum of them all in one
-- pass, with the same upserts. Readers see the counts change when the moves do, at commit, as
-- before; every other writer counts per statement, as before.

-- The upserts of 0009's trigger, as a statement for any delta: `delta` is a query yielding
-- (effective_on, effective_precision, kind, from_company_id, to_company_id, n), n = +1 or -1
-- per move (or a sum of them). Keys are upserted in order so concurrent writers lock them in
-- order. A statement, not a function that runs it: a trigger's transition tables are visible
-- only to statements the trigger function itself executes.
CREATE FUNCTION tf_move_count_upserts(delta text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT format($sql$
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
    $sql$, delta)
$$;

-- The trigger of the three statements on `moves`: counts now, or notes the delta for later.
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
    IF current_setting('talentflow.count_moves', true) = 'later' THEN
        EXECUTE 'INSERT INTO pg_temp.uncounted_moves ' || delta;
    ELSE
        EXECUTE tf_move_count_upserts(delta);
    END IF;
    RETURN NULL;
END
$$;

-- For the rest of the calling transaction, moves written are counted by
-- `tf_count_uncounted_moves()` instead of per statement. The caller must call it before
-- committing: until then the counts lack the transaction's moves.
CREATE FUNCTION tf_count_moves_later() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    CREATE TEMPORARY TABLE IF NOT EXISTS uncounted_moves (
        effective_on        date NOT NULL,
        effective_precision text NOT NULL,
        kind                text NOT NULL,
        from_company_id     uuid,
        to_company_id       uuid,
        n                   integer NOT NULL
    ) ON COMMIT DROP;
    PERFORM set_config('talentflow.count_moves', 'later', true);
END
$$;

-- Counts the moves noted since `tf_count_moves_later()`, and counts per statement again.
-- (The memory lets a large import's sums be hashed rather than sorted on disk.)
CREATE FUNCTION tf_count_uncounted_moves() RETURNS void LANGUAGE plpgsql
    SET work_mem = '256MB' AS $$
BEGIN
    PERFORM set_config('talentflow.count_moves', '', true);
    EXECUTE tf_move_count_upserts('SELECT * FROM pg_temp.uncounted_moves');
    TRUNCATE pg_temp.uncounted_moves;
END
$$;
