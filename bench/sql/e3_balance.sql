-- E3: the statements behind GET /v1/companies/{slug}/balance (src/api/analytics.rs and
-- src/db/analytics.rs, all time, no roll-up): resolve the slug, then in one read-only
-- snapshot the monthly series and the two rankings of counterparts (top 50 off the ranked
-- pair indexes, ties with the 50th kept so the name can break them). Keep in step.
SELECT id AS cid FROM companies WHERE deleted_at IS NULL AND slug = :company \gset
BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;
SELECT month, precision, sum(inflow)::bigint AS inflow, sum(outflow)::bigint AS outflow, certain FROM (
    SELECT month, precision, inflow, outflow, true AS certain FROM company_flow_months
    WHERE company_id = ANY(ARRAY[:cid::uuid]) AND precision = 'day'
    UNION ALL
    SELECT month, precision, inflow, outflow, (true) AS certain FROM company_flow_months
    WHERE company_id = ANY(ARRAY[:cid::uuid]) AND precision <> 'day'
) parts GROUP BY month, precision, certain HAVING sum(inflow) <> 0 OR sum(outflow) <> 0 ORDER BY month, precision;
SELECT jsonb_build_object('id', c.id, 'slug', c.slug, 'name', c.name) AS company, top.moves::bigint AS count
FROM (SELECT from_company_id AS other, moves FROM move_flow_pairs
      WHERE to_company_id = :cid::uuid AND from_company_id IS NOT NULL AND moves > 0
      ORDER BY moves DESC FETCH FIRST 50 ROWS WITH TIES) top
JOIN companies c ON c.id = top.other ORDER BY top.moves DESC, c.name LIMIT 50;
SELECT jsonb_build_object('id', c.id, 'slug', c.slug, 'name', c.name) AS company, top.moves::bigint AS count
FROM (SELECT to_company_id AS other, moves FROM move_flow_pairs
      WHERE from_company_id = :cid::uuid AND to_company_id IS NOT NULL AND moves > 0
      ORDER BY moves DESC FETCH FIRST 50 ROWS WITH TIES) top
JOIN companies c ON c.id = top.other ORDER BY top.moves DESC, c.name LIMIT 50;
COMMIT;
SELECT id, slug, name FROM companies WHERE id = ANY(ARRAY[:cid::uuid]);
