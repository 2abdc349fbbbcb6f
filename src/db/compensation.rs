use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use super::error::{DbError, DbResult};
use super::{
    Sluggable, Table,
    list::{self, Filter, KeyKind, Keyed, Page, PageRequest, Sort},
    record::{Record, WriteMode},
    resolve_field,
};
use crate::{
    domain::compensation::{CompensationDraft, CompensationReport},
    error::FieldError,
};

const SELECT: &str = concat!(
    "SELECT cr.id, ",
    crate::ref_sql!("c"),
    " AS company, cr.role, cr.currency, cr.annual_min, cr.annual_max, cr.basis, cr.reported_on, cr.reported_precision, ",
    crate::source_ref_sql!("s"),
    " AS source, cr.notes, cr.version, cr.created_at, cr.updated_at
    FROM compensation_reports cr
    JOIN companies c ON c.id = cr.company_id
    LEFT JOIN sources s ON s.id = cr.source_id
    WHERE cr.deleted_at IS NULL"
);
const COUNT: &str = "SELECT count(*) FROM compensation_reports cr WHERE cr.deleted_at IS NULL";

pub static SORTS: [Sort; 4] = [
    list::sort("-reported_on", "cr.reported_on", KeyKind::Date),
    list::sort("reported_on", "cr.reported_on", KeyKind::Date),
    list::sort("-created_at", "cr.created_at", KeyKind::Timestamp),
    list::sort("created_at", "cr.created_at", KeyKind::Timestamp),
];

impl Keyed for CompensationReport {
    const SORTS: &'static [Sort] = &SORTS;

    fn id(&self) -> Uuid {
        self.id
    }
    fn sort_key(&self, sort: &Sort) -> String {
        match sort.kind {
            KeyKind::Timestamp => list::timestamp_key(self.created_at),
            _ => list::date_key(self.reported_on),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct CompensationFilter {
    pub company: Option<Uuid>,
    /// Case-insensitive, whole role.
    pub role: Option<String>,
    pub currency: Option<String>,
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
}

impl Filter for CompensationFilter {
    type Row = CompensationReport;

    async fn list(&self, pool: &PgPool, page: &PageRequest) -> DbResult<Page<CompensationReport>> {
        let filter = self;
        let filters = |query: &mut QueryBuilder<Postgres>| {
            if let Some(company) = filter.company {
                query.push(" AND cr.company_id = ").push_bind(company);
            }
            if let Some(role) = &filter.role {
                query
                    .push(" AND lower(cr.role) = lower(")
                    .push_bind(role.clone())
                    .push(")");
            }
            if let Some(currency) = &filter.currency {
                query
                    .push(" AND cr.currency = ")
                    .push_bind(currency.clone());
            }
            super::list::push_period_overlap(
                query,
                "cr.reported_on",
                "cr.reported_precision",
                filter.since,
                filter.until,
            );
        };
        list::fetch_page(pool, SELECT, COUNT, "cr.id", &filters, page).await
    }
}

impl Record for CompensationReport {
    type Draft = CompensationDraft;
    const TABLE: Table = super::COMPENSATION;
    const SLUGGED: bool = false;
    const SELECT: &'static str = SELECT;
    const ALIAS: &'static str = "cr";

    async fn write(
        conn: &mut PgConnection,
        id: Uuid,
        draft: CompensationDraft,
        mode: WriteMode,
    ) -> DbResult<()> {
        let insert = mode == WriteMode::Insert;
        let mut errors = Vec::new();
        let company = resolve_field(
            conn,
            Sluggable::Companies,
            "company",
            &draft.company,
            &mut errors,
        )
        .await?;
        if let Some(source) = draft.source
            && super::sources::existing(conn, &[source]).await?.is_empty()
        {
            errors.push(FieldError::new("source", format!("no source `{source}`")));
        }
        if !errors.is_empty() {
            return Err(DbError::Invalid(errors));
        }
        let sql = if insert {
            "INSERT INTO compensation_reports (id, company_id, role, currency, annual_min, annual_max, basis, reported_on,
                 reported_precision, source_id, notes)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        } else {
            "UPDATE compensation_reports SET company_id = $2, role = $3, currency = $4, annual_min = $5, annual_max = $6,
                 basis = $7, reported_on = $8, reported_precision = $9, source_id = $10, notes = $11,
                 version = version + 1, updated_at = now()
             WHERE id = $1 AND deleted_at IS NULL"
        };
        sqlx::query(sql)
            .bind(id)
            .bind(company)
            .bind(&draft.role)
            .bind(&draft.currency)
            .bind(draft.annual_min)
            .bind(draft.annual_max)
            .bind(draft.basis.map(|b| b.as_str()))
            .bind(draft.reported.start)
            .bind(draft.reported.precision.as_str())
            .bind(draft.source)
            .bind(&draft.notes)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }
}
