//! Compensation reports: pay for a role at a company, as reported.

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
    db::{self, Sluggable, compensation::CompensationFilter},
    domain::{
        compensation::{CompensationInput, CompensationReport, parse_currency},
        id_or_slug::IdOrSlug,
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
        .routes(routes!(list_compensation, create_compensation))
        .routes(routes!(
            get_compensation,
            update_compensation,
            delete_compensation
        ))
}

impl Resource for CompensationReport {
    type Input = CompensationInput;
    const COLLECTION_URL: &'static str = "/v1/compensation";
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CompensationListParams {
    /// Id or slug of the company.
    #[param(format = "id-or-slug")]
    company: Option<String>,
    /// The role, case-insensitive.
    #[param(format = "search-text")]
    role: Option<String>,
    /// ISO 4217 code.
    #[param(format = "currency")]
    currency: Option<String>,
    /// Reported on or after (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`). A date known to a month or a
    /// year matches when it may be (`2023` matches `since=2023-06`).
    #[param(format = "partial-date")]
    since: Option<String>,
    /// Reported on or before, inclusive of the whole period (`2024-03` = until 2024-03-31). A
    /// date known to a month or a year matches when it may be. Sorting is by the first day.
    #[param(format = "partial-date")]
    until: Option<String>,
}

/// Lists compensation reports, newest first.
#[utoipa::path(get, path = "/v1/compensation", tag = "compensation", params(CompensationListParams, Paging<CompensationReport>),
    responses((status = 200, description = "One page of reports", body = db::list::Page<CompensationReport>), ListErrors))]
async fn list_compensation(
    ReadDb(db): ReadDb,
    headers: HeaderMap,
    ListQuery(params, page): ListQuery<CompensationListParams, CompensationReport>,
) -> ApiResult<Response> {
    let mut check = Check::default();
    let company = check.optional("company", params.company, |c| IdOrSlug::parse(&c));
    let currency = check.optional("currency", params.currency, |c| parse_currency(&c));
    let (since, until) = super::period(&mut check, params.since, params.until);
    let role = check.optional("role", params.role, |t| text::query(&t));
    check.finish_query()?;
    let mut filter = CompensationFilter {
        role,
        currency,
        since: since.map(|d| d.start),
        until: until.map(|d| d.end()),
        ..CompensationFilter::default()
    };
    if let Some(key) = company {
        filter.company =
            Some(super::resolve_filter(&db, Sluggable::Companies, "company", &key).await?);
    }
    super::csv::list_response(&headers, page, &db, filter).await
}

resource::record_handlers! {
    record: CompensationReport,
    input: CompensationInput,
    tag: "compensation",
    collection: "/v1/compensation",
    item: "/v1/compensation/{id}",
    key: (Uuid, "Id"),
    create: (create_compensation, "Records a compensation report.", location: "URL of the new report"),
    read: (get_compensation, "One compensation report.", body: "The report"),
    update: (update_compensation, "Changes a compensation report with a JSON merge patch (RFC 7396).", body: "The changed report"),
    delete: (delete_compensation, "Deletes a compensation report (softly)."),
}
