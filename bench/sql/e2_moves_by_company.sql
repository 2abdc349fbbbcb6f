-- E2: GET /v1/moves?company={slug}&limit=50. The two statements the handler runs (resolve the
-- slug, then one page: a page from each side in index order, merged) as in src/api/mod.rs and
-- src/db/moves.rs; keep them in step.
SELECT id FROM companies WHERE deleted_at IS NULL AND slug = :company;
SELECT m.id, jsonb_build_object('id', r.id, 'slug', r.slug, 'name', r.name) AS researcher,
    CASE WHEN f.id IS NULL THEN NULL ELSE jsonb_build_object('id', f.id, 'slug', f.slug, 'name', f.name) END AS "from",
    CASE WHEN t.id IS NULL THEN NULL ELSE jsonb_build_object('id', t.id, 'slug', t.slug, 'name', t.name) END AS "to",
    m.kind, m.title, m.effective_on, m.effective_precision, m.announced_on, m.announced_precision, m.confidence,
    CASE WHEN d.id IS NULL THEN NULL ELSE jsonb_build_object('id', d.id, 'kind', d.kind,
        'acquirer', jsonb_build_object('id', da.id, 'slug', da.slug, 'name', da.name),
        'target', jsonb_build_object('id', dt.id, 'slug', dt.slug, 'name', dt.name)) END AS deal,
    COALESCE((SELECT jsonb_agg(jsonb_build_object('source', CASE WHEN s.id IS NULL THEN NULL ELSE jsonb_build_object('id', s.id, 'url', s.url,
        'publisher', s.publisher, 'title', s.title, 'published_on', to_char(s.published_on, 'YYYY-MM-DD'), 'published_precision',
        s.published_precision) END, 'quote', cited.quote) ORDER BY cited.position) FROM move_sources cited JOIN sources s ON s.id = cited.source_id
        WHERE cited.move_id = m.id), '[]'::jsonb) AS sources,
    m.notes, m.version, m.created_at, m.updated_at
    FROM (
        (SELECT * FROM moves m WHERE m.deleted_at IS NULL AND m.from_company_id = (SELECT id FROM companies WHERE deleted_at IS NULL AND slug = :company)
         ORDER BY m.effective_on DESC, m.id DESC LIMIT 51)
        UNION ALL
        (SELECT * FROM moves m WHERE m.deleted_at IS NULL AND m.to_company_id = (SELECT id FROM companies WHERE deleted_at IS NULL AND slug = :company)
         ORDER BY m.effective_on DESC, m.id DESC LIMIT 51)
    ) m
    JOIN researchers r ON r.id = m.researcher_id
    LEFT JOIN companies f ON f.id = m.from_company_id
    LEFT JOIN companies t ON t.id = m.to_company_id
    LEFT JOIN deals d ON d.id = m.deal_id
    LEFT JOIN companies da ON da.id = d.acquirer_id
    LEFT JOIN companies dt ON dt.id = d.target_id
    WHERE m.deleted_at IS NULL
      AND (m.from_company_id = (SELECT id FROM companies WHERE slug = :company) OR m.to_company_id = (SELECT id FROM companies WHERE slug = :company))
    ORDER BY m.effective_on DESC, m.id DESC LIMIT 51;
