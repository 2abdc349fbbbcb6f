use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use super::error::{DbError, DbResult, OnUnique};
use super::{
    Sluggable, Table,
    list::{self, Filter, KeyKind, Keyed, Page, PageRequest, Sort},
    record::{Record, WriteMode},
    resolve_for_reference, unique_slug,
};
use crate::{
    domain::company::{Company, CompanyDraft},
    error::FieldError,
};

const SELECT: &str = concat!(
    "SELECT c.id, c.slug, c.name, c.kind, ",
    crate::ref_sql!("p"),
    " AS parent,
    c.aliases, c.country, c.website, c.founded_on, c.founded_precision, c.ror, c.openalex_id, c.wikidata_id,
    c.version, c.created_at, c.updated_at
    FROM companies c LEFT JOIN companies p ON p.id = c.parent_id
    WHERE c.deleted_at IS NULL"
);
const COUNT: &str = "SELECT count(*) FROM companies c WHERE c.deleted_at IS NULL";

pub static SORTS: [Sort; 4] = [
    list::sort("name", "c.name", KeyKind::Text),
    list::sort("-name", "c.name", KeyKind::Text),
    list::sort("created_at", "c.created_at", KeyKind::Timestamp),
    list::sort("-created_at", "c.created_at", KeyKind::Timestamp),
];

impl Keyed for Company {
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
pub struct CompanyFilter {
    pub q: Option<String>,
    pub kind: Option<String>,
    pub country: Option<String>,
    pub parent: Option<Uuid>,
    pub ror: Option<String>,
    pub openalex_id: Option<String>,
    pub wikidata_id: Option<String>,
}

impl Filter for CompanyFilter {
    type Row = Company;

    async fn list(&self, pool: &PgPool, page: &PageRequest) -> DbResult<Page<Company>> {
        let filter = self;
        let filters = |query: &mut QueryBuilder<Postgres>| {
            if let Some(q) = &filter.q {
                query
                    .push(" AND c.search_text LIKE '% ' || tf_fold(")
                    .push_bind(q.clone())
                    .push(") || '%'");
            }
            if let Some(kind) = &filter.kind {
                query.push(" AND c.kind = ").push_bind(kind.clone());
            }
            if let Some(country) = &filter.country {
                query.push(" AND c.country = ").push_bind(country.clone());
            }
            if let Some(parent) = filter.parent {
                query.push(" AND c.parent_id = ").push_bind(parent);
            }
            for (scheme, column, value) in [
                ("ror", "ror", &filter.ror),
                ("openalex", "openalex_id", &filter.openalex_id),
                ("wikidata", "wikidata_id", &filter.wikidata_id),
            ] {
                if let Some(value) = value {
                    super::push_known_id_filter(query, "c", "companies", scheme, column, value);
                }
            }
        };
        list::fetch_page(pool, SELECT, COUNT, "c.id", &filters, page).await
    }
}

impl Record for Company {
    type Draft = CompanyDraft;
    const TABLE: Table = super::COMPANIES;
    const SLUGGED: bool = true;
    const SELECT: &'static str = SELECT;
    const ALIAS: &'static str = "c";

    async fn write(
        conn: &mut PgConnection,
        id: Uuid,
        draft: CompanyDraft,
        mode: WriteMode,
    ) -> DbResult<()> {
        let insert = mode == WriteMode::Insert;
        let parent_id = match &draft.parent {
            None => None,
            Some(key) => {
                let parent = resolve_for_reference(conn, Sluggable::Companies, key).await?;
                let parent = parent.ok_or_else(|| {
                    DbError::Invalid(vec![FieldError::new(
                        "parent",
                        format!("no company `{key}`"),
                    )])
                })?;
                if !insert && creates_cycle(conn, id, parent).await? {
                    return Err(DbError::Invalid(vec![FieldError::new(
                        "parent",
                        "would make the company its own ancestor",
                    )]));
                }
                if parent == id {
                    return Err(DbError::Invalid(vec![FieldError::new(
                        "parent",
                        "must not be the company itself",
                    )]));
                }
                Some(parent)
            }
        };
        let slug = match draft.slug {
            Some(slug) => slug,
            None => {
                unique_slug(
                    conn,
                    Sluggable::Companies,
                    crate::domain::slug::Slug::from_name(&draft.name),
                    (!insert).then_some(id),
                )
                .await?
            }
        };
        let sql = if insert {
            "INSERT INTO companies (id, slug, name, kind, parent_id, aliases, country, website, founded_on, founded_precision,
                 ror, openalex_id, wikidata_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        } else {
            "UPDATE companies SET slug = $2, name = $3, kind = $4, parent_id = $5, aliases = $6, country = $7,
                 website = $8, founded_on = $9, founded_precision = $10, ror = $11, openalex_id = $12,
                 wikidata_id = $13, version = version + 1, updated_at = now()
             WHERE id = $1 AND deleted_at IS NULL"
        };
        sqlx::query(sql)
            .bind(id)
            .bind(slug.as_str())
            .bind(&draft.name)
            .bind(draft.kind.as_str())
            .bind(parent_id)
            .bind(&draft.aliases)
            .bind(&draft.country)
            .bind(&draft.website)
            .bind(draft.founded.map(|d| d.start))
            .bind(draft.founded.map(|d| d.precision.as_str()))
            .bind(&draft.ror)
            .bind(&draft.openalex_id)
            .bind(&draft.wikidata_id)
            .execute(&mut *conn)
            .await
            .on_unique(&[
                (
                    "companies_slug_key",
                    "slug",
                    format!("`{slug}` is taken by another company"),
                ),
                (
                    "companies_ror_key",
                    "ror",
                    "belongs to another company".to_owned(),
                ),
                (
                    "companies_openalex_key",
                    "openalex_id",
                    "belongs to another company".to_owned(),
                ),
                (
                    "companies_wikidata_key",
                    "wikidata_id",
                    "belongs to another company".to_owned(),
                ),
            ])?;
        Ok(())
    }

    async fn check_unreferenced(&self, conn: &mut PgConnection) -> DbResult<()> {
        let (moves, children): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM moves WHERE deleted_at IS NULL AND (from_company_id = $1 OR to_company_id = $1)),
                    (SELECT count(*) FROM companies WHERE deleted_at IS NULL AND parent_id = $1)
                  + (SELECT count(*) FROM projects WHERE deleted_at IS NULL AND company_id = $1)
                  + (SELECT count(*) FROM deals WHERE deleted_at IS NULL AND (acquirer_id = $1 OR target_id = $1))
                  + (SELECT count(*) FROM compensation_reports WHERE deleted_at IS NULL AND company_id = $1)
                  + (SELECT count(*) FROM signals WHERE deleted_at IS NULL AND company_id = $1)",
        )
        .bind(self.id)
        .fetch_one(&mut *conn)
        .await?;
        if moves > 0 || children > 0 {
            return Err(DbError::Conflict {
                detail: format!(
                    "company `{}` is still referred to by {moves} move(s) and {children} other record(s) (subsidiaries, projects, deals, compensation reports, signals); delete or change those first",
                    self.slug
                ),
                errors: vec![],
            });
        }
        Ok(())
    }
}

/// Whether making `parent` the parent of `id` would close a loop (parent is `id` or below it).
async fn creates_cycle(
    conn: &mut PgConnection,
    id: Uuid,
    parent: Uuid,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "WITH RECURSIVE ancestors AS (
             SELECT id, parent_id FROM companies WHERE id = $2
             UNION
             SELECT c.id, c.parent_id FROM companies c JOIN ancestors a ON c.id = a.parent_id
         )
         SELECT EXISTS (SELECT 1 FROM ancestors WHERE id = $1)",
    )
    .bind(id)
    .bind(parent)
    .fetch_one(conn)
    .await
}

/// A company the import creates in bulk, its parent already resolved.
pub struct NewCompany<'a> {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    /// Its slug is set (a generated slug needs the one-at-a-time write).
    pub draft: &'a CompanyDraft,
}

/// Inserts many companies with one statement, as [`Record::write`] inserts one.
pub async fn insert_many(conn: &mut PgConnection, rows: &[NewCompany<'_>]) -> sqlx::Result<()> {
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
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for row in rows {
        let draft = row.draft;
        columns.0.push(row.id);
        columns
            .1
            .push(draft.slug.as_ref().map(|s| s.as_str().to_owned()));
        columns.2.push(draft.name.clone());
        columns.3.push(draft.kind.as_str());
        columns.4.push(row.parent_id);
        columns.5.push(super::array_literal(&draft.aliases));
        columns.6.push(draft.country.clone());
        columns.7.push(draft.website.clone());
        columns.8.push(draft.founded.map(|d| d.start));
        columns.9.push(draft.founded.map(|d| d.precision.as_str()));
        columns.10.push(draft.ror.clone());
        columns.11.push(draft.openalex_id.clone());
        columns.12.push(draft.wikidata_id.clone());
    }
    sqlx::query(
        "INSERT INTO companies (id, slug, name, kind, parent_id, aliases, country, website, founded_on, founded_precision,
                 ror, openalex_id, wikidata_id)
         SELECT id, slug, name, kind, parent_id, aliases::text[], country, website, founded_on, founded_precision,
                ror, openalex_id, wikidata_id
         FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::text[], $7::text[], $8::text[],
                     $9::date[], $10::text[], $11::text[], $12::text[], $13::text[])
              AS r (id, slug, name, kind, parent_id, aliases, country, website, founded_on, founded_precision,
                    ror, openalex_id, wikidata_id)",
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
    .bind(columns.9)
    .bind(columns.10)
    .bind(columns.11)
    .bind(columns.12)
    .execute(conn)
    .await?;
    Ok(())
}
