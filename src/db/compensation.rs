use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use super::{
    Sluggable, audit,
    list::{self, KeyKind, Keyed, Page, PageRequest, Sort},
    resolve_for_reference,
};
use crate::{
    domain::{
        compensation::{CompensationDraft, CompensationReport},
        key::Actor,
    },
    error::{ApiError, ApiResult, FieldError},
};

const SELECT: &str = concat!(
    "SELECT cr.id, jsonb_build_object('id', c.id, 'slug', c.slug, 'name', c.name) AS company,
    cr.role, cr.currency, cr.annual_min, cr.annual_max, cr.basis, cr.reported_on, cr.reported_precision, ",
    crate::source_ref_sql!("s"),
    " AS source, cr.notes, cr.version, cr.created_at, cr.updated_at
    FROM compensation_reports cr
    JOIN companies c ON c.id = cr.company_id
    LEFT JOIN sources s ON s.id = cr.source_id
    WHERE cr.deleted_at IS NULL"
);
const COUNT: &str = "SELECT count(*) FROM compensation_reports cr WHERE cr.deleted_at IS NULL";

pub static SORTS: [Sort; 4] = [
    Sort {
        name: "-reported_on",
        expr: "cr.reported_on",
        kind: KeyKind::Date,
        descending: true,
    },
    Sort {
        name: "reported_on",
        expr: "cr.reported_on",
        kind: KeyKind::Date,
        descending: false,
    },
    list::by_created("cr.created_at", true),
    list::by_created("cr.created_at", false),
];

impl Keyed for CompensationReport {
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

pub async fn list(
    pool: &PgPool,
    filter: &CompensationFilter,
    page: &PageRequest,
) -> ApiResult<Page<CompensationReport>> {
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

pub async fn get(conn: &mut PgConnection, id: Uuid) -> ApiResult<Option<CompensationReport>> {
    let mut query = QueryBuilder::new(SELECT);
    query.push(" AND cr.id = ").push_bind(id);
    Ok(query.build_query_as().fetch_optional(conn).await?)
}

pub async fn get_for_update(conn: &mut PgConnection, id: Uuid) -> ApiResult<CompensationReport> {
    super::lock_live(conn, super::COMPENSATION, id).await?;
    get(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found("compensation report", id))
}

pub async fn create(
    conn: &mut PgConnection,
    actor: &Actor,
    draft: CompensationDraft,
) -> ApiResult<CompensationReport> {
    create_with_id(conn, actor, Uuid::now_v7(), draft).await
}

pub async fn create_with_id(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    draft: CompensationDraft,
) -> ApiResult<CompensationReport> {
    write(conn, id, draft, true).await?;
    let report = get(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found("compensation report", id))?;
    audit::record(
        conn,
        actor,
        audit::AuditAction::Create,
        "compensation",
        id,
        None,
        Some(&report),
    )
    .await?;
    Ok(report)
}

pub async fn update(
    conn: &mut PgConnection,
    actor: &Actor,
    before: &CompensationReport,
    draft: CompensationDraft,
) -> ApiResult<CompensationReport> {
    write(conn, before.id, draft, false).await?;
    let after = get(conn, before.id)
        .await?
        .ok_or_else(|| ApiError::not_found("compensation report", before.id))?;
    audit::record(
        conn,
        actor,
        audit::AuditAction::Update,
        "compensation",
        before.id,
        Some(before),
        Some(&after),
    )
    .await?;
    Ok(after)
}

pub async fn delete(
    conn: &mut PgConnection,
    actor: &Actor,
    before: &CompensationReport,
) -> ApiResult<()> {
    super::soft_delete(conn, actor, super::COMPENSATION, before.id, before).await
}

async fn write(
    conn: &mut PgConnection,
    id: Uuid,
    draft: CompensationDraft,
    insert: bool,
) -> ApiResult<()> {
    let mut errors = Vec::new();
    let company = resolve_for_reference(conn, Sluggable::Companies, &draft.company).await?;
    if company.is_none() {
        errors.push(FieldError::new(
            "company",
            format!("no company `{}`", draft.company),
        ));
    }
    if let Some(source) = draft.source
        && super::sources::existing(conn, &[source]).await?.is_empty()
    {
        errors.push(FieldError::new("source", format!("no source `{source}`")));
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
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

pub async fn by_ids(conn: &mut PgConnection, ids: &[Uuid]) -> ApiResult<Vec<CompensationReport>> {
    let mut query = QueryBuilder::new(SELECT);
    query
        .push(" AND cr.id = ANY(")
        .push_bind(ids.to_vec())
        .push(")");
    Ok(query.build_query_as().fetch_all(conn).await?)
}
