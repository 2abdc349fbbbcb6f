use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use super::error::{DbError, DbResult, OnUnique};
use super::{
    Table,
    list::{self, Filter, KeyKind, Keyed, Page, PageRequest, Sort},
    record::{Record, WriteMode},
};
use crate::domain::source::{Source, SourceDraft};

const SELECT: &str =
    "SELECT s.id, s.url, s.publisher, s.title, s.published_on, s.published_precision, s.language,
    s.version, s.created_at, s.updated_at
    FROM sources s WHERE s.deleted_at IS NULL";
const COUNT: &str = "SELECT count(*) FROM sources s WHERE s.deleted_at IS NULL";

pub static SORTS: [Sort; 2] = [
    list::sort("-created_at", "s.created_at", KeyKind::Timestamp),
    list::sort("created_at", "s.created_at", KeyKind::Timestamp),
];

impl Keyed for Source {
    const SORTS: &'static [Sort] = &SORTS;

    fn id(&self) -> Uuid {
        self.id
    }
    fn sort_key(&self, _sort: &Sort) -> String {
        list::timestamp_key(self.created_at)
    }
}

#[derive(Debug, Clone, Default)]
pub struct SourceFilter {
    pub q: Option<String>,
    pub publisher: Option<String>,
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
}

impl Filter for SourceFilter {
    type Row = Source;

    async fn list(&self, pool: &PgPool, page: &PageRequest) -> DbResult<Page<Source>> {
        let filter = self;
        let filters = |query: &mut QueryBuilder<Postgres>| {
            if let Some(q) = &filter.q {
                query
                    .push(" AND s.search_text LIKE '% ' || tf_fold(")
                    .push_bind(q.clone())
                    .push(") || '%'");
            }
            if let Some(publisher) = &filter.publisher {
                query
                    .push(" AND lower(s.publisher) = lower(")
                    .push_bind(publisher.clone())
                    .push(")");
            }
            super::list::push_period_overlap(
                query,
                "s.published_on",
                "s.published_precision",
                filter.since,
                filter.until,
            );
        };
        list::fetch_page(pool, SELECT, COUNT, "s.id", &filters, page).await
    }
}

impl Record for Source {
    type Draft = SourceDraft;
    const TABLE: Table = super::SOURCES;
    const SLUGGED: bool = false;
    const SELECT: &'static str = SELECT;
    const ALIAS: &'static str = "s";

    async fn write(
        conn: &mut PgConnection,
        id: Uuid,
        draft: SourceDraft,
        mode: WriteMode,
    ) -> DbResult<()> {
        let insert = mode == WriteMode::Insert;
        let sql = if insert {
            "INSERT INTO sources (id, url, publisher, title, published_on, published_precision, language)
             VALUES ($1, $2, $3, $4, $5, $6, $7)"
        } else {
            "UPDATE sources SET url = $2, publisher = $3, title = $4, published_on = $5, published_precision = $6,
                 language = $7, version = version + 1, updated_at = now()
             WHERE id = $1 AND deleted_at IS NULL"
        };
        sqlx::query(sql)
            .bind(id)
            .bind(&draft.url)
            .bind(&draft.publisher)
            .bind(&draft.title)
            .bind(draft.published.map(|d| d.start))
            .bind(draft.published.map(|d| d.precision.as_str()))
            .bind(&draft.language)
            .execute(&mut *conn)
            .await
            .on_unique(&[(
                "sources_url_key",
                "url",
                "another source has this URL".to_owned(),
            )])?;
        Ok(())
    }

    async fn check_unreferenced(&self, conn: &mut PgConnection) -> DbResult<()> {
        let citing: i64 = sqlx::query_scalar(
            "SELECT (SELECT count(*) FROM move_sources ms JOIN moves m ON m.id = ms.move_id
                     WHERE ms.source_id = $1 AND m.deleted_at IS NULL)
                  + (SELECT count(*) FROM deal_sources ds JOIN deals d ON d.id = ds.deal_id
                     WHERE ds.source_id = $1 AND d.deleted_at IS NULL)
                  + (SELECT count(*) FROM signal_sources ss JOIN signals sg ON sg.id = ss.signal_id
                     WHERE ss.source_id = $1 AND sg.deleted_at IS NULL)
                  + (SELECT count(*) FROM project_reports WHERE source_id = $1 AND deleted_at IS NULL)
                  + (SELECT count(*) FROM compensation_reports WHERE source_id = $1 AND deleted_at IS NULL)",
        )
        .bind(self.id)
        .fetch_one(&mut *conn)
        .await?;
        if citing > 0 {
            return Err(DbError::Conflict {
                detail: format!(
                    "source `{}` is still cited by {citing} record(s); change those first",
                    self.id
                ),
                errors: vec![],
            });
        }
        Ok(())
    }
}

/// Which of these ids are live sources (for citations).
pub async fn existing(conn: &mut PgConnection, ids: &[Uuid]) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM sources WHERE id = ANY($1) AND deleted_at IS NULL FOR KEY SHARE",
    )
    .bind(ids)
    .fetch_all(conn)
    .await
}

/// The live source with this URL (normalised as stored).
pub async fn get_by_url(conn: &mut PgConnection, url: &str) -> DbResult<Option<Source>> {
    let mut query = QueryBuilder::new(SELECT);
    query.push(" AND s.url = ").push_bind(url.to_owned());
    Ok(query.build_query_as().fetch_optional(conn).await?)
}

/// Inserts many sources with one statement, as [`Record::write`] inserts one.
pub async fn insert_many(
    conn: &mut PgConnection,
    rows: &[(Uuid, &SourceDraft)],
) -> sqlx::Result<()> {
    let mut columns = (
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
        columns.1.push(draft.url.clone());
        columns.2.push(draft.publisher.clone());
        columns.3.push(draft.title.clone());
        columns.4.push(draft.published.map(|d| d.start));
        columns
            .5
            .push(draft.published.map(|d| d.precision.as_str()));
        columns.6.push(draft.language.clone());
    }
    sqlx::query(
        "INSERT INTO sources (id, url, publisher, title, published_on, published_precision, language)
         SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::date[], $6::text[], $7::text[])",
    )
    .bind(columns.0)
    .bind(columns.1)
    .bind(columns.2)
    .bind(columns.3)
    .bind(columns.4)
    .bind(columns.5)
    .bind(columns.6)
    .execute(conn)
    .await?;
    Ok(())
}
