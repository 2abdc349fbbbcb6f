//! Projects (models, products) with their author rosters and the press figures about them.

use super::support::FinishQuery;
use crate::domain::form::Check;
use crate::replicas::routing::ReadDb;
use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::paging::{ListQuery, NoFilters, Paging};
use super::resource::{self, Resource};
use super::support::{conditional_get, created, current_etag, patched, tagged};
use crate::{
    app::AppState,
    db::{self, Sluggable, projects::ProjectFilter, record, reports::ReportWrite},
    domain::{
        form::Form,
        id_or_slug::IdOrSlug,
        project::{
            Contributor, ContributorInput, Project, ProjectInput, ProjectReport, ReportInput,
            validate_roster,
        },
        text,
    },
    error::{ApiError, ApiResult},
    extract::{ApiJson, Editor, Preconditions},
    openapi::{
        CreateErrors, DeleteErrors, IfMatch, IfNoneMatch, ListErrors, ReadErrors, UpdateErrors,
    },
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_projects, create_project))
        .routes(routes!(get_project, update_project, delete_project))
        .routes(routes!(get_contributors, replace_contributors))
        .routes(routes!(list_reports, create_report))
        .routes(routes!(get_report, update_report, delete_report))
}

impl Resource for Project {
    type Input = ProjectInput;
    const COLLECTION_URL: &'static str = "/v1/projects";
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Roster {
    /// In the order printed.
    pub data: Vec<Contributor>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProjectListParams {
    /// Prefix of a word of the name; case- and accent-insensitive.
    #[param(format = "search-text")]
    q: Option<String>,
    /// Id or slug of the company behind the project.
    #[param(format = "id-or-slug")]
    company: Option<String>,
    /// Id or slug of a researcher: the projects on whose roster they are.
    #[param(format = "id-or-slug")]
    researcher: Option<String>,
}

/// Lists live projects.
#[utoipa::path(get, path = "/v1/projects", tag = "projects", params(ProjectListParams, Paging<Project>),
    responses((status = 200, description = "One page of projects", body = db::list::Page<Project>), ListErrors))]
async fn list_projects(
    ReadDb(db): ReadDb,
    headers: HeaderMap,
    ListQuery(params, page): ListQuery<ProjectListParams, Project>,
) -> ApiResult<Response> {
    let mut check = Check::default();
    let company = check.optional("company", params.company, |c| IdOrSlug::parse(&c));
    let researcher = check.optional("researcher", params.researcher, |r| IdOrSlug::parse(&r));
    let q = check.optional("q", params.q, |t| text::query(&t));
    check.finish_query()?;
    let mut filter = ProjectFilter {
        q,
        ..ProjectFilter::default()
    };
    if let Some(key) = company {
        filter.company =
            Some(super::resolve_filter(&db, Sluggable::Companies, "company", &key).await?);
    }
    if let Some(key) = researcher {
        filter.researcher =
            Some(super::resolve_filter(&db, Sluggable::Researchers, "researcher", &key).await?);
    }
    super::csv::list_response(&headers, page, &db, filter).await
}

resource::record_handlers! {
    record: Project,
    input: ProjectInput,
    tag: "projects",
    collection: "/v1/projects",
    item: "/v1/projects/{id}",
    key: (String, "Id or slug"),
    create: (create_project, "Creates a project.", location: "URL of the new project"),
    read: (get_project, "One project, by id or slug.", body: "The project"),
    update: (update_project, "Changes a project with a JSON merge patch (RFC 7396).", body: "The changed project"),
    delete: (delete_project, "Deletes a project (softly); refused while press reports are about it."),
}

/// The author roster, in the order printed.
#[utoipa::path(get, path = "/v1/projects/{id}/contributors", tag = "projects",
    params(("id" = String, Path, description = "Id or slug"), IfNoneMatch),
    responses((status = 200, description = "The roster", body = Roster,
        headers(("ETag" = String, description = "Entity tag of the roster, for If-Match on PUT"))),
        (status = 304, description = "Not modified"), ReadErrors))]
async fn get_contributors(
    ReadDb(db): ReadDb,
    Path(key): Path<String>,
    preconditions: Preconditions,
) -> ApiResult<Response> {
    let key = super::path_key::<Project>(&key)?;
    let mut conn = db.acquire().await?;
    let project = db::record::get::<Project>(&mut conn, &key)
        .await?
        .ok_or_else(|| ApiError::not_found("project", &key))?;
    let roster = Roster {
        data: db::projects::contributors(&mut conn, project.id).await?,
    };
    conditional_get(&roster, &preconditions)
}

/// Replaces the roster as a whole: `[{researcher, role}]`. If any researcher is unknown (or
/// listed twice), every such place is named and nothing changes.
#[utoipa::path(put, path = "/v1/projects/{id}/contributors", tag = "projects",
    params(("id" = String, Path, description = "Id or slug"), IfMatch),
    request_body = Vec<ContributorInput>, security(("api_key" = [])),
    responses((status = 200, description = "The new roster", body = Roster,
        headers(("ETag" = String, description = "Entity tag of the roster"))), UpdateErrors))]
async fn replace_contributors(
    State(state): State<AppState>,
    Editor(actor): Editor,
    Path(key): Path<String>,
    preconditions: Preconditions,
    ApiJson(roster): ApiJson<Vec<ContributorInput>>,
) -> ApiResult<Response> {
    let key = super::path_key::<Project>(&key)?;
    let roster = validate_roster(roster)?;
    let mut tx = state.pool.begin().await?;
    let project = record::lock::<Project>(&mut tx, &key).await?;
    let current = Roster {
        data: db::projects::contributors(&mut tx, project.id).await?,
    };
    preconditions.check_if_match(&current_etag(&current)?)?;
    let data = db::projects::replace_contributors(&mut tx, &actor, &project, &roster).await?;
    tx.commit().await?;
    tagged(StatusCode::OK, &Roster { data })
}

async fn live_project(db: &PgPool, key: &str) -> ApiResult<Uuid> {
    let key = super::path_key::<Project>(key)?;
    db::resolve(db, Sluggable::Projects, &key)
        .await?
        .ok_or_else(|| ApiError::not_found("project", &key))
}

/// Figures reported by the press about the project's roster, newest first.
#[utoipa::path(get, path = "/v1/projects/{id}/reports", tag = "projects",
    params(("id" = String, Path, description = "Id or slug"), Paging<ProjectReport>),
    responses((status = 200, description = "One page of reports", body = db::list::Page<ProjectReport>), ListErrors, ReadErrors))]
async fn list_reports(
    ReadDb(db): ReadDb,
    headers: HeaderMap,
    Path(key): Path<String>,
    ListQuery(NoFilters {}, page): ListQuery<NoFilters, ProjectReport>,
) -> ApiResult<Response> {
    let project = live_project(&db, &key).await?;
    let filter = db::reports::ReportFilter { project };
    super::csv::list_response(&headers, page, &db, filter).await
}

/// Records a figure the press reported ("7 of the 14 have left").
#[utoipa::path(post, path = "/v1/projects/{id}/reports", tag = "projects",
    params(("id" = String, Path, description = "Id or slug")),
    request_body = ReportInput, security(("api_key" = [])),
    responses((status = 201, description = "Created", body = ProjectReport,
        headers(("Location" = String, description = "URL of the new report"), ("ETag" = String, description = "Entity tag of the new record"))),
        (status = 404, description = "No such project", body = crate::error::Problem, content_type = "application/problem+json"),
        CreateErrors))]
async fn create_report(
    State(state): State<AppState>,
    Editor(actor): Editor,
    Path(key): Path<String>,
    ApiJson(input): ApiJson<ReportInput>,
) -> ApiResult<Response> {
    let draft = input.validate()?;
    let key = super::path_key::<Project>(&key)?;
    let mut tx = state.pool.begin().await?;
    let project = record::lock::<Project>(&mut tx, &key).await?;
    let write = ReportWrite {
        project: project.id,
        report: draft,
    };
    let report = record::create::<ProjectReport>(&mut tx, &actor, Uuid::now_v7(), write).await?;
    tx.commit().await?;
    created(
        format!("/v1/projects/{}/reports/{}", project.slug, report.id),
        &report,
    )
}

/// The report, when it belongs to this project.
async fn report_of(
    conn: &mut sqlx::PgConnection,
    project: &str,
    report: &str,
    lock: bool,
) -> ApiResult<ProjectReport> {
    let key = super::path_key::<Project>(project)?;
    let id = super::path_id::<ProjectReport>(report)?;
    let found = if lock {
        Some(record::lock::<ProjectReport>(conn, &IdOrSlug::Id(id)).await?)
    } else {
        db::record::get::<ProjectReport>(conn, &IdOrSlug::Id(id)).await?
    };
    found
        .filter(|r| match &key {
            IdOrSlug::Id(id) => r.project.id == *id,
            IdOrSlug::Slug(slug) => r.project.slug == slug.as_str(),
        })
        .ok_or_else(|| ApiError::not_found("report", id))
}

/// One report.
#[utoipa::path(get, path = "/v1/projects/{id}/reports/{report_id}", tag = "projects",
    params(("id" = String, Path, description = "Project id or slug"), ("report_id" = Uuid, Path, description = "Report id"), IfNoneMatch),
    responses((status = 200, description = "The report", body = ProjectReport,
        headers(("ETag" = String, description = "Entity tag of this representation"))),
        (status = 304, description = "Not modified"), ReadErrors))]
async fn get_report(
    ReadDb(db): ReadDb,
    Path((project, report)): Path<(String, String)>,
    preconditions: Preconditions,
) -> ApiResult<Response> {
    let mut conn = db.acquire().await?;
    let report = report_of(&mut conn, &project, &report, false).await?;
    conditional_get(&report, &preconditions)
}

/// Changes a report with a JSON merge patch (RFC 7396).
#[utoipa::path(patch, path = "/v1/projects/{id}/reports/{report_id}", tag = "projects",
    params(("id" = String, Path, description = "Project id or slug"), ("report_id" = Uuid, Path, description = "Report id"), IfMatch),
    request_body(content = ReportInput, content_type = "application/merge-patch+json"),
    security(("api_key" = [])),
    responses((status = 200, description = "The changed report", body = ProjectReport,
        headers(("ETag" = String, description = "Entity tag of this representation"))), UpdateErrors))]
async fn update_report(
    State(state): State<AppState>,
    Editor(actor): Editor,
    Path((project, report)): Path<(String, String)>,
    preconditions: Preconditions,
    ApiJson(patch): ApiJson<serde_json::Map<String, serde_json::Value>>,
) -> ApiResult<Response> {
    let mut tx = state.pool.begin().await?;
    let before = report_of(&mut tx, &project, &report, true).await?;
    // A bad patch is the client's mistake whatever version it was written against.
    let draft = patched(&ReportInput::from(&before), &patch)?.validate()?;
    preconditions.check_if_match(&current_etag(&before)?)?;
    let write = ReportWrite {
        project: before.project.id,
        report: draft,
    };
    let after = record::update(&mut tx, &actor, &before, write).await?;
    tx.commit().await?;
    tagged(StatusCode::OK, &after)
}

/// Deletes a report (softly).
#[utoipa::path(delete, path = "/v1/projects/{id}/reports/{report_id}", tag = "projects",
    params(("id" = String, Path, description = "Project id or slug"), ("report_id" = Uuid, Path, description = "Report id"), IfMatch),
    security(("api_key" = [])),
    responses((status = 204, description = "Deleted"), DeleteErrors))]
async fn delete_report(
    State(state): State<AppState>,
    Editor(actor): Editor,
    Path((project, report)): Path<(String, String)>,
    preconditions: Preconditions,
) -> ApiResult<StatusCode> {
    let mut tx = state.pool.begin().await?;
    let before = report_of(&mut tx, &project, &report, true).await?;
    preconditions.check_if_match(&current_etag(&before)?)?;
    record::delete(&mut tx, &actor, &before).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
