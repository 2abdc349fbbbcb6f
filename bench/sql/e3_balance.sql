-- E3: the statements behind GET /v1/companies/{slug}/balance (src/api/analytics.rs and
-- src/db/analytics.rs, all time, no roll-up): resolve the slug, then in one read-only
-- snapshot the monthly series and the two rankings of counterparts. Keep in step.
SELECT id AS cid FROM companies WHERE deleted_at IS NULL AND slug = :company \gset
BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;
SELECT date_trunc('month', month)::date AS period, sum(inflow)::bigint, sum(outflow)::bigint FROM (
    SELECT month, inflow, outflow FROM company_flow_months WHERE company_id = ANY(ARRAY[:cid::uuid])
) parts GROUP BY 1 HAVING sum(inflow) <> 0 OR sum(outflow) <> 0 ORDER BY 1;
SELECT jsonb_build_object('id', top.id, 'slug', top.slug, 'name', top.name) AS company, top.count
FROM (SELECT c.id, c.slug, c.name, sum(moves)::bigint AS count
      FROM (SELECT from_company_id AS src, to_company_id AS dst, moves FROM move_flow_pairs WHERE moves <> 0
            AND (from_company_id = ANY(ARRAY[:cid::uuid]) OR to_company_id = ANY(ARRAY[:cid::uuid]))) counted
      JOIN companies c ON c.id = counted.src
      WHERE counted.dst = :cid::uuid AND counted.src <> counted.dst GROUP BY c.id HAVING sum(moves) > 0
      ORDER BY count DESC, c.name LIMIT 50) top ORDER BY top.count DESC, top.name;
SELECT jsonb_build_object('id', top.id, 'slug', top.slug, 'name', top.name) AS company, top.count
FROM (SELECT c.id, c.slug, c.name, sum(moves)::bigint AS count
      FROM (SELECT from_company_id AS src, to_company_id AS dst, moves FROM move_flow_pairs WHERE moves <> 0
            AND (from_company_id = ANY(ARRAY[:cid::uuid]) OR to_company_id = ANY(ARRAY[:cid::uuid]))) counted
      JOIN companies c ON c.id = counted.dst
      WHERE counted.src = :cid::uuid AND counted.src <> counted.dst GROUP BY c.id HAVING sum(moves) > 0
      ORDER BY count DESC, c.name LIMIT 50) top ORDER BY top.count DESC, top.name;
COMMIT;
