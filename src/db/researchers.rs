use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use super::error::{DbError, DbResult, OnUnique};
use super::{
    Sluggable, Table,
    list::{self, Filter, KeyKind, Keyed, Page, PageRequest, Sort},
    record::{Record, WriteMode},
    unique_slug,
};
use crate::domain::{
    researcher::{Researcher, ResearcherDraft},
    slug::Slug,
};

/// `current_company` is the destination of the latest live move (null after a departure).
const SELECT: &str = concat!(
    "SELECT r.id, r.slug, r.name, r.aliases, r.orcid, r.openalex_id, r.wikidata_id, r.homepage, r.topics,
    cur.company AS current_company, r.version, r.created_at, r.updated_at
    FROM researchers r
    LEFT JOIN LATERAL (
        SELECT m.to_company_id,
               ", crate::ref_sql!("c"), " AS company
        FROM moves m LEFT JOIN companies c ON c.id = m.to_company_id
        WHERE m.researcher_id = r.id AND m.deleted_at IS NULL
        ORDER BY m.effective_on DESC, m.id DESC
        LIMIT 1
    ) cur ON true
    WHERE r.deleted_at IS NULL"
);
const COUNT: &str = "SELECT count(*) FROM researchers r
    LEFT JOIN LATERAL (
        SELECT m.to_company_id FROM moves m
        WHERE m.researcher_id = r.id AND m.deleted_at IS NULL
        ORDER BY m.effective_on DESC, m.id DESC LIMIT 1
    ) cur ON true
    WHERE r.deleted_at IS NULL";

pub static SORTS: [Sort; 4] = [
    list::sort("name", "r.name", KeyKind::Text),
    list::sort("-name", "r.name", KeyKind::Text),
    list::sort("created_at", "r.created_at", KeyKind::Timestamp),
    list::sort("-created_at", "r.created_at", KeyKind::Timestamp),
];

impl Keyed for Researcher {
    const SORTS: &'static [Sort] = &SORTS;

    fn id(&self) -> Uuid {
        self.id
    }
    fn sort_key(&self, sort: &Sort) -> String {
        match sort.kind {
            KeyKind::Timestamp => list::timestamp_key(self.created_at),
            _ => self.name.clone(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ResearcherFilter {
    pub q: Option<String>,
    pub topic: Option<String>,
    /// Researchers whose current company this is.
    pub company: Option<Uuid>,
    pub orcid: Option<String>,
    pub openalex_id: Option<String>,
    pub wikidata_id: Option<String>,
}

impl Filter for ResearcherFilter {
    type Row = Researcher;

    async fn list(&self, pool: &PgPool, page: &PageRequest) -> DbResult<Page<Researcher>> {
        let filter = self;
        let filters = |query: &mut QueryBuilder<Postgres>| {
            if let Some(q) = &filter.q {
                query
                    .push(" AND r.search_text LIKE '% ' || tf_fold(")
                    .push_bind(q.clone())
                    .push(") || '%'");
            }
            if let Some(topic) = &filter.topic {
                query
                    .push(" AND r.topics @> ARRAY[")
                    .push_bind(topic.clone())
                    .push("]");
            }
            if let Some(company) = filter.company {
                query.push(" AND cur.to_company_id = ").push_bind(company);
            }
            for (scheme, column, value) in [
                ("orcid", "orcid", &filter.orcid),
                ("openalex", "openalex_id", &filter.openalex_id),
                ("wikidata", "wikidata_id", &filter.wikidata_id),
            ] {
                if let Some(value) = value {
                    super::push_known_id_filter(query, "r", "researchers", scheme, column, value);
                }
            }
        };
        list::fetch_page(pool, SELECT, COUNT, "r.id", &filters, page).await
    }
}

impl Record for Researcher {
    type Draft = ResearcherDraft;
    const TABLE: Table = super::RESEARCHERS;
    const SLUGGED: bool = true;
    const SELECT: &'static str = SELECT;
    const ALIAS: &'static str = "r";

    async fn write(
        conn: &mut PgConnection,
        id: Uuid,
        draft: ResearcherDraft,
        mode: WriteMode,
    ) -> DbResult<()> {
        let insert = mode == WriteMode::Insert;
        let slug = match draft.slug {
            Some(slug) => slug,
            None => {
                unique_slug(
                    conn,
                    Sluggable::Researchers,
                    Slug::from_name(&draft.name),
                    (!insert).then_some(id),
                )
                .await?
            }
        };
        let sql = if insert {
            "INSERT INTO researchers (id, slug, name, aliases, orcid, openalex_id, homepage, topics, wikidata_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        } else {
            "UPDATE researchers SET slug = $2, name = $3, aliases = $4, orcid = $5, openalex_id = $6, homepage = $7,
                 topics = $8, wikidata_id = $9, version = version + 1, updated_at = now()
             WHERE id = $1 AND deleted_at IS NULL"
        };
        sqlx::query(sql)
            .bind(id)
            .bind(slug.as_str())
            .bind(&draft.name)
            .bind(&draft.aliases)
            .bind(&draft.orcid)
            .bind(&draft.openalex_id)
            .bind(&draft.homepage)
            .bind(&draft.topics)
            .bind(&draft.wikidata_id)
            .execute(&mut *conn)
            .await
            .on_unique(&[
                (
                    "researchers_slug_key",
                    "slug",
                    format!("`{slug}` is taken by another researcher"),
                ),
                (
                    "researchers_orcid_key",
                    "orcid",
                    "belongs to another researcher".to_owned(),
                ),
                (
                    "researchers_openalex_key",
                    "openalex_id",
                    "belongs to another researcher".to_owned(),
                ),
                (
                    "researchers_wikidata_key",
                    "wikidata_id",
                    "belongs to another researcher".to_owned(),
                ),
            ])?;
        Ok(())
    }

    async fn check_unreferenced(&self, conn: &mut PgConnection) -> DbResult<()> {
        let moves: i64 = sqlx::query_scalar(
            "SELECT (SELECT count(*) FROM moves WHERE deleted_at IS NULL AND researcher_id = $1)
                  + (SELECT count(*) FROM project_contributors pc JOIN projects p ON p.id = pc.project_id
                     WHERE p.deleted_at IS NULL AND pc.researcher_id = $1)",
        )
        .bind(self.id)
        .fetch_one(&mut *conn)
        .await?;
        if moves > 0 {
            return Err(DbError::Conflict {
                detail: format!(
                    "researcher `{}` still has {moves} move(s) or roster place(s); delete or change those first",
                    self.slug
                ),
                errors: vec![],
            });
        }
        Ok(())
    }
}

/// Inserts many researchers with one statement, as [`Record::write`] inserts one; each
/// draft's slug is set (a generated slug needs the one-at-a-time write).
pub async fn insert_many(
    conn: &mut PgConnection,
    rows: &[(Uuid, &ResearcherDraft)],
) -> sqlx::Result<()> {
    let mut columns = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for (id, draft) in rows {
        columns.0.push(*id);
        columns
            .1
            .push(draft.slug.as_ref().map(|s| s.as_str().to_owned()));
        columns.2.push(draft.name.clone());
        columns.3.push(super::array_literal(&draft.aliases));
        columns.4.push(draft.orcid.clone());
        columns.5.push(draft.openalex_id.clone());
        columns.6.push(draft.homepage.clone());
        columns.7.push(super::array_literal(&draft.topics));
        columns.8.push(draft.wikidata_id.clone());
    }
    sqlx::query(
        "INSERT INTO researchers (id, slug, name, aliases, orcid, openalex_id, homepage, topics, wikidata_id)
         SELECT id, slug, name, aliases::text[], orcid, openalex_id, homepage, topics::text[], wikidata_id
         FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                     $9::text[])
              AS r (id, slug, name, aliases, orcid, openalex_id, homepage, topics, wikidata_id)",
    )
    .bind(columns.0)
    .bind(columns.1)
    .bind(columns.2)
    .bind(columns.3)
    .bind(columns.4)
    .bind(columns.5)
    .bind(columns.6)
    .bind(columns.7)
    .bind(columns.8)
    .execute(conn)
    .await?;
    Ok(())
}
