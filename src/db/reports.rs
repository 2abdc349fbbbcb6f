//! Press figures about a project's roster.

use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use super::{
    audit,
    list::{self, KeyKind, Keyed, Page, PageRequest, Sort},
};
use crate::{
    domain::{
        key::Actor,
        project::{ProjectReport, ReportDraft},
    },
    error::{ApiError, ApiResult, FieldError},
};

const SELECT: &str = concat!(
    "SELECT rep.id, jsonb_build_object('id', p.id, 'slug', p.slug, 'name', p.name) AS project,
    rep.roster_size, rep.departed, rep.qualifier, rep.reported_on, rep.reported_precision, ",
    crate::source_ref_sql!("s"),
    " AS source, rep.notes, rep.version, rep.created_at, rep.updated_at
    FROM project_reports rep
    JOIN projects p ON p.id = rep.project_id
    LEFT JOIN sources s ON s.id = rep.source_id
    WHERE rep.deleted_at IS NULL"
);
const COUNT: &str = "SELECT count(*) FROM project_reports rep WHERE rep.deleted_at IS NULL";

pub static SORTS: [Sort; 4] = [
    Sort {
        name: "-reported_on",
        expr: "rep.reported_on",
        kind: KeyKind::Date,
        descending: true,
    },
    Sort {
        name: "reported_on",
        expr: "rep.reported_on",
        kind: KeyKind::Date,
        descending: false,
    },
    list::by_created("rep.created_at", true),
    list::by_created("rep.created_at", false),
];

impl Keyed for ProjectReport {
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

pub async fn list(
    pool: &PgPool,
    project: Uuid,
    page: &PageRequest,
) -> ApiResult<Page<ProjectReport>> {
    let filters = |query: &mut QueryBuilder<Postgres>| {
        query.push(" AND rep.project_id = ").push_bind(project);
    };
    list::fetch_page(pool, SELECT, COUNT, "rep.id", &filters, page).await
}

/// Every live report of a project, newest first (for attrition).
pub async fn all_of(conn: &mut PgConnection, project: Uuid) -> ApiResult<Vec<ProjectReport>> {
    let mut query = QueryBuilder::new(SELECT);
    query
        .push(" AND rep.project_id = ")
        .push_bind(project)
        .push(" ORDER BY rep.reported_on DESC, rep.id DESC");
    Ok(query.build_query_as().fetch_all(conn).await?)
}

pub async fn get(conn: &mut PgConnection, id: Uuid) -> ApiResult<Option<ProjectReport>> {
    let mut query = QueryBuilder::new(SELECT);
    query.push(" AND rep.id = ").push_bind(id);
    Ok(query.build_query_as().fetch_optional(conn).await?)
}

pub async fn get_for_update(conn: &mut PgConnection, id: Uuid) -> ApiResult<ProjectReport> {
    super::lock_live(conn, super::REPORTS, id).await?;
    get(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found("report", id))
}

pub async fn create(
    conn: &mut PgConnection,
    actor: &Actor,
    project: Uuid,
    draft: ReportDraft,
) -> ApiResult<ProjectReport> {
    create_with_id(conn, actor, Uuid::now_v7(), project, draft).await
}

pub async fn create_with_id(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    project: Uuid,
    draft: ReportDraft,
) -> ApiResult<ProjectReport> {
    write(conn, id, project, draft, true).await?;
    let report = get(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found("report", id))?;
    audit::record(
        conn,
        actor,
        audit::AuditAction::Create,
        "reports",
        id,
        None,
        Some(&report),
    )
    .await?;
    Ok(report)
}

/// `project` may differ from the report's current one (an import that moves it).
pub async fn update(
    conn: &mut PgConnection,
    actor: &Actor,
    before: &ProjectReport,
    project: Uuid,
    draft: ReportDraft,
) -> ApiResult<ProjectReport> {
    write(conn, before.id, project, draft, false).await?;
    let after = get(conn, before.id)
        .await?
        .ok_or_else(|| ApiError::not_found("report", before.id))?;
    audit::record(
        conn,
        actor,
        audit::AuditAction::Update,
        "reports",
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
    before: &ProjectReport,
) -> ApiResult<()> {
    super::soft_delete(conn, actor, super::REPORTS, before.id, before).await
}

async fn write(
    conn: &mut PgConnection,
    id: Uuid,
    project: Uuid,
    draft: ReportDraft,
    insert: bool,
) -> ApiResult<()> {
    if let Some(source) = draft.source
        && super::sources::existing(conn, &[source]).await?.is_empty()
    {
        return Err(ApiError::invalid(vec![FieldError::new(
            "source",
            format!("no source `{source}`"),
        )]));
    }
    let sql = if insert {
        "INSERT INTO project_reports (id, project_id, roster_size, departed, qualifier, reported_on, reported_precision, source_id, notes)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    } else {
        "UPDATE project_reports SET project_id = $2, roster_size = $3, departed = $4, qualifier = $5, reported_on = $6,
             reported_precision = $7, source_id = $8, notes = $9, version = version + 1, updated_at = now()
         WHERE id = $1 AND deleted_at IS NULL"
    };
    sqlx::query(sql)
        .bind(id)
        .bind(project)
        .bind(draft.roster_size)
        .bind(draft.departed)
        .bind(draft.qualifier.as_str())
        .bind(draft.reported.start)
        .bind(draft.reported.precision.as_str())
        .bind(draft.source)
        .bind(&draft.notes)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn by_ids(conn: &mut PgConnection, ids: &[Uuid]) -> ApiResult<Vec<ProjectReport>> {
    let mut query = QueryBuilder::new(SELECT);
    query
        .push(" AND rep.id = ANY(")
        .push_bind(ids.to_vec())
        .push(")");
    Ok(query.build_query_as().fetch_all(conn).await?)
}
