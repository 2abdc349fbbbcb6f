use super::support::FinishQuery;
use crate::domain::form::Check;
use crate::replicas::routing::ReadDb;
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
    db::{list::Page, sources::SourceFilter},
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
#[utoipa::path(get, path = "/v1/sources", tag = "sources", params(SourceListParams, Paging<Source>),
    responses((status = 200, description = "One page of sources", body = Page<Source>), ListErrors))]
async fn list_sources(
    ReadDb(db): ReadDb,
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
    super::csv::list_response(&headers, page, &db, filter).await
}

resource::record_handlers! {
    record: Source,
    input: SourceInput,
    tag: "sources",
    collection: "/v1/sources",
    item: "/v1/sources/{id}",
    key: (Uuid, "Id"),
    create: (create_source, "Creates a source.", location: "URL of the new source"),
    read: (get_source, "One source.", body: "The source"),
    update: (update_source, "Changes a source with a JSON merge patch (RFC 7396).", body: "The changed source"),
    delete: (delete_source, "Deletes a source (softly); refused while moves cite it."),
}
