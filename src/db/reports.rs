//! Press figures about a project's roster.

use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use super::error::{DbError, DbResult};
use super::{
    Table,
    list::{self, Filter, KeyKind, Keyed, Page, PageRequest, Sort},
    record::{Record, WriteMode},
};
use crate::{
    domain::project::{ProjectReport, ReportDraft},
    error::FieldError,
};

const SELECT: &str = concat!(
    "SELECT rep.id, ",
    crate::ref_sql!("p"),
    " AS project, rep.roster_size, rep.departed, rep.qualifier, rep.reported_on, rep.reported_precision, ",
    crate::source_ref_sql!("s"),
    " AS source, rep.notes, rep.version, rep.created_at, rep.updated_at
    FROM project_reports rep
    JOIN projects p ON p.id = rep.project_id
    LEFT JOIN sources s ON s.id = rep.source_id
    WHERE rep.deleted_at IS NULL"
);
const COUNT: &str = "SELECT count(*) FROM project_reports rep WHERE rep.deleted_at IS NULL";

pub static SORTS: [Sort; 4] = [
    list::sort("-reported_on", "rep.reported_on", KeyKind::Date),
    list::sort("reported_on", "rep.reported_on", KeyKind::Date),
    list::sort("-created_at", "rep.created_at", KeyKind::Timestamp),
    list::sort("created_at", "rep.created_at", KeyKind::Timestamp),
];

impl Keyed for ProjectReport {
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

/// The reports of one project.
#[derive(Debug, Clone)]
pub struct ReportFilter {
    pub project: Uuid,
}

impl Filter for ReportFilter {
    type Row = ProjectReport;

    async fn list(&self, pool: &PgPool, page: &PageRequest) -> DbResult<Page<ProjectReport>> {
        let project = self.project;
        let filters = |query: &mut QueryBuilder<Postgres>| {
            query.push(" AND rep.project_id = ").push_bind(project);
        };
        list::fetch_page(pool, SELECT, COUNT, "rep.id", &filters, page).await
    }
}

/// Every live report of a project, newest first (for attrition).
pub async fn all_of(conn: &mut PgConnection, project: Uuid) -> DbResult<Vec<ProjectReport>> {
    let mut query = QueryBuilder::new(SELECT);
    query
        .push(" AND rep.project_id = ")
        .push_bind(project)
        .push(" ORDER BY rep.reported_on DESC, rep.id DESC");
    Ok(query.build_query_as().fetch_all(conn).await?)
}

/// A report as written: its form and the project it belongs to (the path's, or an import
/// line's, which may move it to another project).
#[derive(Debug)]
pub struct ReportWrite {
    pub project: Uuid,
    pub report: ReportDraft,
}

impl Record for ProjectReport {
    type Draft = ReportWrite;
    const TABLE: Table = super::REPORTS;
    const SLUGGED: bool = false;
    const SELECT: &'static str = SELECT;
    const ALIAS: &'static str = "rep";

    async fn write(
        conn: &mut PgConnection,
        id: Uuid,
        ReportWrite {
            project,
            report: draft,
        }: ReportWrite,
        mode: WriteMode,
    ) -> DbResult<()> {
        let insert = mode == WriteMode::Insert;
        if let Some(source) = draft.source
            && super::sources::existing(conn, &[source]).await?.is_empty()
        {
            return Err(DbError::Invalid(vec![FieldError::new(
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
}
