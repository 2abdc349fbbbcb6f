-- E3: the statement behind GET /v1/flows (src/db/analytics.rs, no filters, no roll-up).
WITH RECURSIVE roots AS (
        SELECT id, id AS root FROM companies WHERE parent_id IS NULL
        UNION ALL
        SELECT c.id, r.root FROM companies c JOIN roots r ON c.parent_id = r.id
    ), sided AS (SELECT m.effective_on,
        CASE WHEN false THEN rf.root ELSE m.from_company_id END AS src,
        CASE WHEN false THEN rt.root ELSE m.to_company_id END AS dst
        FROM moves m
        LEFT JOIN roots rf ON rf.id = m.from_company_id
        LEFT JOIN roots rt ON rt.id = m.to_company_id
        WHERE m.deleted_at IS NULL)
SELECT src, dst, count(*) FROM sided
 WHERE src IS NOT NULL AND dst IS NOT NULL AND src <> dst
 GROUP BY src, dst ORDER BY count(*) DESC, src, dst;
