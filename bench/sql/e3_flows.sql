-- E3: the statement behind GET /v1/flows with no filters (src/db/analytics.rs, the path for
-- all time, every kind, no roll-up): the largest links off the pair counts' index, the total
-- from the per-company counts. Keep in step with the code.
WITH links AS (SELECT from_company_id AS src, to_company_id AS dst, moves AS n
    FROM move_flow_pairs
    WHERE from_company_id IS NOT NULL AND to_company_id IS NOT NULL AND moves > 0)
SELECT coalesce((SELECT sum(outflow_to_company) FROM company_flow_totals), 0)::bigint,
       coalesce((SELECT jsonb_agg(jsonb_build_array(src, dst, n) ORDER BY n DESC, src, dst)
                 FROM (SELECT src, dst, n FROM links WHERE n >= 1 ORDER BY n DESC, src, dst LIMIT 1000) top), '[]'::jsonb);
SELECT id, slug, name FROM companies WHERE id = ANY(ARRAY(
    SELECT DISTINCT unnest(ARRAY[from_company_id, to_company_id]) FROM (
        SELECT from_company_id, to_company_id FROM move_flow_pairs
        WHERE from_company_id IS NOT NULL AND to_company_id IS NOT NULL AND moves > 0
        ORDER BY moves DESC, from_company_id, to_company_id LIMIT 1000) top));
