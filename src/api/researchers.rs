use super::support::FinishQuery;
use crate::domain::form::Check;
use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::support::conditional_get;
use super::write::{self, Resource};
use crate::{
    app::AppState,
    db::{
        self, Sluggable,
        list::{Page, PageRequest},
        researchers::ResearcherFilter,
    },
    domain::{
        id_or_slug::IdOrSlug,
        researcher::{Researcher, ResearcherInput},
        text,
    },
    error::{ApiError, ApiResult},
    extract::{ApiJson, ApiQuery, Editor, Preconditions},
    openapi::{
        CreateErrors, DeleteErrors, IfMatch, IfNoneMatch, ListErrors, ReadErrors, UpdateErrors,
    },
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_researchers, create_researcher))
        .routes(routes!(
            get_researcher,
            update_researcher,
            delete_researcher
        ))
}

impl Resource for Researcher {
    type Input = ResearcherInput;
    const COLLECTION_URL: &'static str = "/v1/researchers";
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ResearcherListParams {
    /// Prefix of a word of the name or an alias; case- and accent-insensitive (`balko`).
    #[param(format = "search-text")]
    q: Option<String>,
    /// Researchers with this topic.
    #[param(format = "search-text")]
    topic: Option<String>,
    /// Id or slug of a company: researchers whose current company it is.
    #[param(format = "id-or-slug")]
    company: Option<String>,
    /// `name` (default), `-name`, `created_at` or `-created_at`.
    #[param(pattern = "^-?(name|created_at)$")]
    sort: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    cursor: Option<String>,
    include_total: Option<bool>,
}

/// Lists live researchers.
#[utoipa::path(get, path = "/researchers", tag = "researchers", params(ResearcherListParams),
    responses((status = 200, description = "One page of researchers", body = Page<Researcher>), ListErrors))]
async fn list_researchers(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<ResearcherListParams>,
) -> ApiResult<Response> {
    let page = PageRequest::new(
        &db::researchers::SORTS,
        params.sort.as_deref(),
        params.limit,
        params.cursor.as_deref(),
        params.include_total,
    )?;
    let mut check = Check::default();
    let company = check.optional("company", params.company, |c| IdOrSlug::parse(&c));
    let q = check.optional("q", params.q, |t| text::query(&t));
    let topic = check.optional("topic", params.topic, |t| text::query(&t));
    check.finish_query()?;
    let company = match company {
        None => None,
        Some(key) => {
            Some(super::resolve_filter(&state, Sluggable::Companies, "company", &key).await?)
        }
    };
    let filter = ResearcherFilter { q, topic, company };
    let pool = state.pool.clone();
    super::csv::list_response(&headers, &db::researchers::SORTS, page, move |page| {
        let (pool, filter) = (pool.clone(), filter.clone());
        async move { db::researchers::list(&pool, &filter, &page).await }
    })
    .await
}

/// Creates a researcher.
#[utoipa::path(post, path = "/researchers", tag = "researchers", request_body = ResearcherInput,
    security(("api_key" = [])),
    responses((status = 201, description = "Created", body = Researcher,
        headers(("Location" = String, description = "URL of the new researcher"), ("ETag" = String, description = "Entity tag of the new record"))), CreateErrors))]
async fn create_researcher(
    State(state): State<AppState>,
    Editor(actor): Editor,
    ApiJson(input): ApiJson<ResearcherInput>,
) -> ApiResult<Response> {
    write::create::<Researcher>(&state, &actor, input).await
}

/// One researcher, by id or slug, with the current company.
#[utoipa::path(get, path = "/researchers/{id}", tag = "researchers",
    params(("id" = String, Path, description = "Id or slug"), IfNoneMatch),
    responses((status = 200, description = "The researcher", body = Researcher,
        headers(("ETag" = String, description = "Entity tag of this representation, for If-None-Match and If-Match"))),
        (status = 304, description = "Not modified: `If-None-Match` names the current representation"), ReadErrors))]
async fn get_researcher(
    State(state): State<AppState>,
    Path(key): Path<String>,
    preconditions: Preconditions,
) -> ApiResult<Response> {
    let key = super::path_key::<Researcher>(&key)?;
    let mut conn = state.pool.acquire().await?;
    let researcher = db::researchers::get(&mut conn, &key).await?;
    let record = researcher.ok_or_else(|| ApiError::not_found("researcher", &key))?;
    conditional_get(&record, &preconditions)
}

/// Changes a researcher with a JSON merge patch (RFC 7396).
#[utoipa::path(patch, path = "/researchers/{id}", tag = "researchers",
    params(("id" = String, Path, description = "Id or slug"), IfMatch),
    request_body(content = ResearcherInput, content_type = "application/merge-patch+json"),
    security(("api_key" = [])),
    responses((status = 200, description = "The changed researcher", body = Researcher,
        headers(("ETag" = String, description = "Entity tag of this representation, for If-None-Match and If-Match"))), UpdateErrors))]
async fn update_researcher(
    State(state): State<AppState>,
    Editor(actor): Editor,
    Path(key): Path<String>,
    preconditions: Preconditions,
    ApiJson(patch): ApiJson<serde_json::Map<String, serde_json::Value>>,
) -> ApiResult<Response> {
    write::update::<Researcher>(&state, &actor, &key, &preconditions, &patch).await
}

/// Deletes a researcher (softly); refused while the researcher has moves.
#[utoipa::path(delete, path = "/researchers/{id}", tag = "researchers",
    params(("id" = String, Path, description = "Id or slug"), IfMatch),
    security(("api_key" = [])),
    responses((status = 204, description = "Deleted"), DeleteErrors))]
async fn delete_researcher(
    State(state): State<AppState>,
    Editor(actor): Editor,
    Path(key): Path<String>,
    preconditions: Preconditions,
) -> ApiResult<StatusCode> {
    write::delete::<Researcher>(&state, &actor, &key, &preconditions).await
}
