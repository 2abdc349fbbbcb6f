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

use super::paging::{ListQuery, Paging};
use super::resource::{self, Resource};
use crate::{
    app::AppState,
    db::{self, list::Page, sources::SourceFilter},
    domain::{
        source::{Source, SourceInput},
        text,
    },
    error::ApiResult,
    extract::{ApiJson, Editor, Preconditions},
    openapi::{
        CreateErrors, DeleteErrors, IfMatch, IfNoneMatch, ListErrors, ReadErrors, UpdateErrors,
    },
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sources, create_source))
        .routes(routes!(get_source, update_source, delete_source))
}

impl Resource for Source {
    type Input = SourceInput;
    const COLLECTION_URL: &'static str = "/v1/sources";
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SourceListParams {
    /// Prefix of a word of the title or publisher; case- and accent-insensitive.
    #[param(format = "search-text")]
    q: Option<String>,
    /// Publisher, case-insensitive.
    #[param(format = "search-text")]
    publisher: Option<String>,
    /// Published on or after (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`). A date known to a month or a
    /// year matches when it may be (`2023` matches `since=2023-06`).
    #[param(format = "partial-date")]
    since: Option<String>,
    /// Published on or before, inclusive of the whole period (`2024-03` = until 2024-03-31). A
    /// date known to a month or a year matches when it may be. Sorting is by the first day.
    #[param(format = "partial-date")]
    until: Option<String>,
}

/// Lists live sources.
#[utoipa::path(get, path = "/sources", tag = "sources", params(SourceListParams, Paging<Source>),
    responses((status = 200, description = "One page of sources", body = Page<Source>), ListErrors))]
async fn list_sources(
    State(state): State<AppState>,
    headers: HeaderMap,
    ListQuery(params, page): ListQuery<SourceListParams, Source>,
) -> ApiResult<Response> {
    let mut check = Check::default();
    let (since, until) = super::period(&mut check, params.since, params.until);
    let q = check.optional("q", params.q, |t| text::query(&t));
    let publisher = check.optional("publisher", params.publisher, |t| text::query(&t));
    check.finish_query()?;
    let filter = SourceFilter {
        q,
        publisher,
        since: since.map(|d| d.start),
        until: until.map(|d| d.end()),
    };
    let pool = state.pool.clone();
    super::csv::list_response(&headers, page, move |page| {
        let (pool, filter) = (pool.clone(), filter.clone());
        async move { db::sources::list(&pool, &filter, &page).await }
    })
    .await
}

/// Creates a source.
#[utoipa::path(post, path = "/sources", tag = "sources", request_body = SourceInput,
    security(("api_key" = [])),
    responses((status = 201, description = "Created", body = Source,
        headers(("Location" = String, description = "URL of the new source"), ("ETag" = String, description = "Entity tag of the new record"))), CreateErrors))]
async fn create_source(
    State(state): State<AppState>,
    Editor(actor): Editor,
    ApiJson(input): ApiJson<SourceInput>,
) -> ApiResult<Response> {
    resource::create::<Source>(&state, &actor, input).await
}

/// One source.
#[utoipa::path(get, path = "/sources/{id}", tag = "sources",
    params(("id" = Uuid, Path, description = "Id"), IfNoneMatch),
    responses((status = 200, description = "The source", body = Source,
        headers(("ETag" = String, description = "Entity tag of this representation, for If-None-Match and If-Match"))),
        (status = 304, description = "Not modified: `If-None-Match` names the current representation"), ReadErrors))]
async fn get_source(
    State(state): State<AppState>,
    Path(id): Path<String>,
    preconditions: Preconditions,
) -> ApiResult<Response> {
    resource::read::<Source>(&state, &id, &preconditions).await
}

/// Changes a source with a JSON merge patch (RFC 7396).
#[utoipa::path(patch, path = "/sources/{id}", tag = "sources",
    params(("id" = Uuid, Path, description = "Id"), IfMatch),
    request_body(content = SourceInput, content_type = "application/merge-patch+json"),
    security(("api_key" = [])),
    responses((status = 200, description = "The changed source", body = Source,
        headers(("ETag" = String, description = "Entity tag of this representation, for If-None-Match and If-Match"))), UpdateErrors))]
async fn update_source(
    State(state): State<AppState>,
    Editor(actor): Editor,
    Path(id): Path<String>,
    preconditions: Preconditions,
    ApiJson(patch): ApiJson<serde_json::Map<String, serde_json::Value>>,
) -> ApiResult<Response> {
    resource::update::<Source>(&state, &actor, &id, &preconditions, &patch).await
}

/// Deletes a source (softly); refused while moves cite it.
#[utoipa::path(delete, path = "/sources/{id}", tag = "sources",
    params(("id" = Uuid, Path, description = "Id"), IfMatch),
    security(("api_key" = [])),
    responses((status = 204, description = "Deleted"), DeleteErrors))]
async fn delete_source(
    State(state): State<AppState>,
    Editor(actor): Editor,
    Path(id): Path<String>,
    preconditions: Preconditions,
) -> ApiResult<StatusCode> {
    resource::delete::<Source>(&state, &actor, &id, &preconditions).await
}
