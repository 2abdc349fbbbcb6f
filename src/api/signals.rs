//! Recruiting and retention practices reported of companies.

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
    db::{self, Sluggable, signals::SignalFilter},
    domain::{
        id_or_slug::IdOrSlug,
        signal::{Signal, SignalInput, SignalKind},
    },
    error::ApiResult,
    extract::{ApiJson, Editor, Preconditions},
    openapi::{
        CreateErrors, DeleteErrors, IfMatch, IfNoneMatch, ListErrors, ReadErrors, UpdateErrors,
    },
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_signals, create_signal))
        .routes(routes!(get_signal, update_signal, delete_signal))
}

impl Resource for Signal {
    type Input = SignalInput;
    const COLLECTION_URL: &'static str = "/v1/signals";
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SignalListParams {
    /// Id or slug of the company.
    #[param(format = "id-or-slug")]
    company: Option<String>,
    #[param(value_type = Option<SignalKind>)]
    kind: Option<String>,
    /// Reported on or after (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`). A date known to a month or a
    /// year matches when it may be (`2023` matches `since=2023-06`).
    #[param(format = "partial-date")]
    since: Option<String>,
    /// Reported on or before, inclusive of the whole period (`2024-03` = until 2024-03-31). A
    /// date known to a month or a year matches when it may be. Sorting is by the first day.
    #[param(format = "partial-date")]
    until: Option<String>,
}

/// Lists signals, newest first.
#[utoipa::path(get, path = "/v1/signals", tag = "signals", params(SignalListParams, Paging<Signal>),
    responses((status = 200, description = "One page of signals", body = db::list::Page<Signal>), ListErrors))]
async fn list_signals(
    ReadDb(db): ReadDb,
    headers: HeaderMap,
    ListQuery(params, page): ListQuery<SignalListParams, Signal>,
) -> ApiResult<Response> {
    let mut check = Check::default();
    let company = check.optional("company", params.company, |c| IdOrSlug::parse(&c));
    let kind = check.optional("kind", params.kind, |k| SignalKind::parse(&k));
    let (since, until) = super::period(&mut check, params.since, params.until);
    check.finish_query()?;
    let mut filter = SignalFilter {
        kind: kind.map(|k| k.as_str().to_owned()),
        since: since.map(|d| d.start),
        until: until.map(|d| d.end()),
        ..SignalFilter::default()
    };
    if let Some(key) = company {
        filter.company =
            Some(super::resolve_filter(&db, Sluggable::Companies, "company", &key).await?);
    }
    super::csv::list_response(&headers, page, &db, filter).await
}

resource::record_handlers! {
    record: Signal,
    input: SignalInput,
    tag: "signals",
    collection: "/v1/signals",
    item: "/v1/signals/{id}",
    key: (Uuid, "Id"),
    create: (create_signal, "Records a signal.", location: "URL of the new signal"),
    read: (get_signal, "One signal.", body: "The signal"),
    update: (update_signal, "Changes a signal with a JSON merge patch (RFC 7396).", body: "The changed signal"),
    delete: (delete_signal, "Deletes a signal (softly)."),
}
