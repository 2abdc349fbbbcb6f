-- E1: GET /v1/researchers/{id}. The statement of src/db/researchers.rs (SELECT + id filter);
-- keep the two in step. The researcher id is set by bench/run.sh (pgbench -D rid=...).
SELECT r.id, r.slug, r.name, r.aliases, r.orcid, r.openalex_id, r.homepage, r.topics,
    cur.company AS current_company, r.version, r.created_at, r.updated_at
    FROM researchers r
    LEFT JOIN LATERAL (
        SELECT m.to_company_id,
               CASE WHEN c.id IS NULL THEN NULL ELSE jsonb_build_object('id', c.id, 'slug', c.slug, 'name', c.name) END AS company
        FROM moves m LEFT JOIN companies c ON c.id = m.to_company_id
        WHERE m.researcher_id = r.id AND m.deleted_at IS NULL
        ORDER BY m.effective_on DESC, m.id DESC
        LIMIT 1
    ) cur ON true
    WHERE r.deleted_at IS NULL AND r.id = :rid::uuid;
