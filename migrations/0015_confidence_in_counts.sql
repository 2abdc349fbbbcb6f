-- A fourth confidence, `inferred` (a move derived from an open source's affiliations, below
-- `rumored`), and counts that can leave out the moves below a confidence.
--
-- Confidences are ordered inferred < rumored < reported < confirmed (`tf_confidence_rank`,
-- 0..3, the order of `Confidence` in src/domain/moves.rs). Analytics take `min_confidence`, so
-- every count row now has a `min_confidence` rank too: a move is counted in the rows of every
-- rank up to its own (a `reported` move under 0, 1 and 2). A read names one rank and reads
-- exactly the rows it read before, off the same indexes with the rank in front, instead of
-- summing a row per confidence: what it costs is up to four count rows written per move.

ALTER TABLE moves DROP CONSTRAINT moves_confidence_check;
ALTER TABLE moves ADD CONSTRAINT moves_confidence_check
    CHECK (confidence IN ('confirmed', 'reported', 'rumored', 'inferred'));

CREATE FUNCTION tf_confidence_rank(confidence text) RETURNS smallint
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT CASE confidence
    WHEN 'inferred' THEN 0 WHEN 'rumored' THEN 1 WHEN 'reported' THEN 2 WHEN 'confirmed' THEN 3
END::smallint $$;

-- The rows are counted again below, with the rank.
TRUNCATE move_flow_months, move_flow_pairs, company_flow_months, company_flow_totals;

ALTER TABLE move_flow_months ADD COLUMN min_confidence smallint NOT NULL CHECK (min_confidence BETWEEN 0 AND 3);
ALTER TABLE move_flow_months DROP CONSTRAINT move_flow_months_key;
ALTER TABLE move_flow_months ADD CONSTRAINT move_flow_months_key
    UNIQUE NULLS NOT DISTINCT (min_confidence, month, precision, kind, from_company_id, to_company_id) INCLUDE (moves);
DROP INDEX move_flow_months_from_idx;
DROP INDEX move_flow_months_to_idx;
CREATE INDEX move_flow_months_from_idx ON move_flow_months (from_company_id, min_confidence, month) INCLUDE (to_company_id, kind, precision, moves);
CREATE INDEX move_flow_months_to_idx ON move_flow_months (to_company_id, min_confidence, month) INCLUDE (from_company_id, kind, precision, moves);

ALTER TABLE move_flow_pairs ADD COLUMN min_confidence smallint NOT NULL CHECK (min_confidence BETWEEN 0 AND 3);
ALTER TABLE move_flow_pairs DROP CONSTRAINT move_flow_pairs_from_company_id_to_company_id_key;
ALTER TABLE move_flow_pairs ADD CONSTRAINT move_flow_pairs_key
    UNIQUE NULLS NOT DISTINCT (min_confidence, from_company_id, to_company_id);
DROP INDEX move_flow_pairs_to_ranked_idx;
DROP INDEX move_flow_pairs_from_ranked_idx;
DROP INDEX move_flow_pairs_moves_idx;
CREATE INDEX move_flow_pairs_to_ranked_idx ON move_flow_pairs (to_company_id, min_confidence, moves DESC) INCLUDE (from_company_id);
CREATE INDEX move_flow_pairs_from_ranked_idx ON move_flow_pairs (from_company_id, min_confidence, moves DESC) INCLUDE (to_company_id);
CREATE INDEX move_flow_pairs_moves_idx ON move_flow_pairs (min_confidence, moves DESC);

ALTER TABLE company_flow_months ADD COLUMN min_confidence smallint NOT NULL CHECK (min_confidence BETWEEN 0 AND 3);
ALTER TABLE company_flow_months DROP CONSTRAINT company_flow_months_pkey;
ALTER TABLE company_flow_months ADD PRIMARY KEY (company_id, min_confidence, month, precision) INCLUDE (inflow, outflow);
DROP INDEX company_flow_months_period_idx;
CREATE INDEX company_flow_months_period_idx ON company_flow_months (min_confidence, month, precision)
    INCLUDE (company_id, inflow, outflow);

ALTER TABLE company_flow_totals ADD COLUMN min_confidence smallint NOT NULL CHECK (min_confidence BETWEEN 0 AND 3);
ALTER TABLE company_flow_totals DROP CONSTRAINT company_flow_totals_pkey;
ALTER TABLE company_flow_totals ADD PRIMARY KEY (min_confidence, company_id);

-- As in 0013, with each move's confidence in the delta: (effective_on, effective_precision,
-- kind, from_company_id, to_company_id, confidence, n). The delta is summed per key first and
-- only then spread over the ranks, so a large import's spread is over its sums, not its moves.
CREATE OR REPLACE FUNCTION tf_move_count_upserts(delta text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT format($sql$
        WITH delta AS (%s),
        summed AS (
            SELECT date_trunc('month', effective_on)::date AS month, effective_precision AS precision,
                   kind, from_company_id, to_company_id, tf_confidence_rank(confidence) AS rank, sum(n) AS n
            FROM delta GROUP BY 1, 2, 3, 4, 5, 6
        ),
        spread AS (
            SELECT month, precision, kind, from_company_id, to_company_id, min_confidence, n
            FROM summed, generate_series(0, rank) AS min_confidence
        ),
        by_month AS (
            INSERT INTO move_flow_months AS counted (min_confidence, month, precision, kind, from_company_id, to_company_id, moves)
            SELECT min_confidence, month, precision, kind, from_company_id, to_company_id, sum(n)
            FROM spread GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(n) <> 0 ORDER BY 1, 2, 3, 4, 5, 6
            ON CONFLICT (min_confidence, month, precision, kind, from_company_id, to_company_id)
            DO UPDATE SET moves = counted.moves + excluded.moves
        ),
        by_pair AS (
            INSERT INTO move_flow_pairs AS counted (min_confidence, from_company_id, to_company_id, moves)
            SELECT min_confidence, from_company_id, to_company_id, sum(n)
            FROM spread GROUP BY 1, 2, 3 HAVING sum(n) <> 0 ORDER BY 1, 2, 3
            ON CONFLICT (min_confidence, from_company_id, to_company_id)
            DO UPDATE SET moves = counted.moves + excluded.moves
        ),
        sides AS (
            SELECT to_company_id AS company_id, min_confidence, month, precision,
                   n AS inflow, 0 AS outflow, 0 AS outflow_to_company
            FROM spread WHERE to_company_id IS NOT NULL
            UNION ALL
            SELECT from_company_id, min_confidence, month, precision,
                   0, n, CASE WHEN to_company_id IS NULL THEN 0 ELSE n END
            FROM spread WHERE from_company_id IS NOT NULL
        ),
        by_company_month AS (
            INSERT INTO company_flow_months AS counted (company_id, min_confidence, month, precision, inflow, outflow, outflow_to_company)
            SELECT company_id, min_confidence, month, precision, sum(inflow), sum(outflow), sum(outflow_to_company)
            FROM sides GROUP BY 1, 2, 3, 4 HAVING sum(inflow) <> 0 OR sum(outflow) <> 0 OR sum(outflow_to_company) <> 0
            ORDER BY 1, 2, 3, 4
            ON CONFLICT (company_id, min_confidence, month, precision) DO UPDATE SET
                inflow = counted.inflow + excluded.inflow,
                outflow = counted.outflow + excluded.outflow,
                outflow_to_company = counted.outflow_to_company + excluded.outflow_to_company
        )
        INSERT INTO company_flow_totals AS counted (min_confidence, company_id, inflow, outflow, outflow_to_company)
        SELECT min_confidence, company_id, sum(inflow), sum(outflow), sum(outflow_to_company)
        FROM sides GROUP BY 1, 2 HAVING sum(inflow) <> 0 OR sum(outflow) <> 0 OR sum(outflow_to_company) <> 0
            ORDER BY 1, 2
        ON CONFLICT (min_confidence, company_id) DO UPDATE SET
            inflow = counted.inflow + excluded.inflow,
            outflow = counted.outflow + excluded.outflow,
            outflow_to_company = counted.outflow_to_company + excluded.outflow_to_company
    $sql$, delta)
$$;

CREATE OR REPLACE FUNCTION tf_count_moves() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta text;
    live_after constant text := 'SELECT effective_on, effective_precision, kind, from_company_id, to_company_id, confidence, 1 AS n FROM new_rows WHERE deleted_at IS NULL';
    live_before constant text := 'SELECT effective_on, effective_precision, kind, from_company_id, to_company_id, confidence, -1 AS n FROM old_rows WHERE deleted_at IS NULL';
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

CREATE OR REPLACE FUNCTION tf_count_moves_later() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    CREATE TEMPORARY TABLE IF NOT EXISTS uncounted_moves (
        effective_on        date NOT NULL,
        effective_precision text NOT NULL,
        kind                text NOT NULL,
        from_company_id     uuid,
        to_company_id       uuid,
        confidence          text NOT NULL,
        n                   integer NOT NULL
    ) ON COMMIT DROP;
    PERFORM set_config('talentflow.count_moves', 'later', true);
END
$$;

DO $$ BEGIN
    EXECUTE tf_move_count_upserts(
        'SELECT effective_on, effective_precision, kind, from_company_id, to_company_id, confidence, 1 AS n
         FROM moves WHERE deleted_at IS NULL');
END $$;
