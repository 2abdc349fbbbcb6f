//! Compensation reports: pay for a role at a company, as reported.

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::support::{Check, checked, conditional_get};
use super::write::{self, Resource};
use crate::{
    app::AppState,
    db::{self, Sluggable, compensation::CompensationFilter, list::PageRequest},
    domain::{
        compensation::{Basis, CompensationDraft, CompensationReport, parse_currency},
        id_or_slug::IdOrSlug,
        partial_date::PartialDate,
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
        .routes(routes!(list_compensation, create_compensation))
        .routes(routes!(
            get_compensation,
            update_compensation,
            delete_compensation
        ))
}

/// A compensation report as written. Amounts are whole currency units a year; either bound may
/// be left open ("up to 2,000,000"), but not both, and the minimum may not exceed the maximum.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompensationInput {
    /// Id or slug of the company.
    #[schema(required = true, value_type = String, example = "meta", format = "id-or-slug")]
    pub company: Option<String>,
    #[schema(required = true, value_type = String, example = "AI researcher", format = "name:200")]
    pub role: Option<String>,
    /// ISO 4217 code.
    #[schema(required = true, value_type = String, example = "USD", format = "currency")]
    pub currency: Option<String>,
    #[serde(default, deserialize_with = "super::support::integer")]
    #[schema(minimum = 0, maximum = 9223372036854775807_i64)]
    pub annual_min: Option<i64>,
    #[serde(default, deserialize_with = "super::support::integer")]
    #[schema(example = 2000000, minimum = 0, maximum = 9223372036854775807_i64)]
    pub annual_max: Option<i64>,
    #[schema(value_type = Option<Basis>)]
    pub basis: Option<String>,
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    #[schema(required = true, value_type = String, example = "2024-03", format = "partial-date")]
    pub reported_on: Option<String>,
    /// Id of the source.
    pub source: Option<Uuid>,
    #[schema(format = "prose:10000")]
    pub notes: Option<String>,
}

impl CompensationInput {
    pub fn validate(self) -> ApiResult<CompensationDraft> {
        let mut check = Check::default();
        let amount = |v: i64| {
            if v >= 0 {
                Ok(v)
            } else {
                Err("must not be negative".to_owned())
            }
        };
        let company = check.require("company", self.company, |c| IdOrSlug::parse(&c));
        let role = check.require("role", self.role, |r| text::name(&r, 200));
        let currency = check.require("currency", self.currency, |c| parse_currency(&c));
        let annual_min = check.optional("annual_min", self.annual_min, amount);
        let annual_max = check.optional("annual_max", self.annual_max, amount);
        let basis = check.optional("basis", self.basis, |b| Basis::parse(&b));
        let reported = check.require("reported_on", self.reported_on, |d| PartialDate::parse(&d));
        let notes = check.optional("notes", self.notes, |n| text::prose(&n, 10_000));
        match (self.annual_min, self.annual_max) {
            (None, None) => check.error("annual_max", "give `annual_min`, `annual_max` or both"),
            (Some(min), Some(max)) if min > max => {
                check.error("annual_min", "must not exceed `annual_max`")
            }
            _ => {}
        }
        check.finish()?;
        Ok(CompensationDraft {
            company: checked(company),
            role: checked(role),
            currency: checked(currency),
            annual_min,
            annual_max,
            basis,
            reported: checked(reported),
            source: self.source,
            notes,
        })
    }
}

impl From<&CompensationReport> for CompensationInput {
    fn from(r: &CompensationReport) -> Self {
        Self {
            company: Some(r.company.id.to_string()),
            role: Some(r.role.clone()),
            currency: Some(r.currency.clone()),
            annual_min: r.annual_min,
            annual_max: r.annual_max,
            basis: r.basis.map(|b| b.as_str().to_owned()),
            reported_on: Some(
                PartialDate {
                    start: r.reported_on,
                    precision: r.reported_precision,
                }
                .to_string(),
            ),
            source: r.source.as_ref().map(|s| s.id),
            notes: r.notes.clone(),
        }
    }
}

impl Resource for CompensationReport {
    type Input = CompensationInput;
    const COLLECTION_URL: &'static str = "/v1/compensation";

    fn validate(input: CompensationInput) -> ApiResult<Self::Draft> {
        input.validate()
    }
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
    /// `-reported_on` (default), `reported_on`, `-created_at` or `created_at`.
    #[param(pattern = "^-?(reported_on|created_at)$")]
    sort: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    cursor: Option<String>,
    include_total: Option<bool>,
}

/// Lists compensation reports, newest first.
#[utoipa::path(get, path = "/compensation", tag = "compensation", params(CompensationListParams),
    responses((status = 200, description = "One page of reports", body = db::list::Page<CompensationReport>), ListErrors))]
async fn list_compensation(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<CompensationListParams>,
) -> ApiResult<Response> {
    let page = PageRequest::new(
        &db::compensation::SORTS,
        params.sort.as_deref(),
        params.limit,
        params.cursor.as_deref(),
        params.include_total,
    )?;
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
            Some(super::resolve_filter(&state, Sluggable::Companies, "company", &key).await?);
    }
    let pool = state.pool.clone();
    super::csv::list_response(&headers, &db::compensation::SORTS, page, move |page| {
        let (pool, filter) = (pool.clone(), filter.clone());
        async move { db::compensation::list(&pool, &filter, &page).await }
    })
    .await
}

/// Records a compensation report.
#[utoipa::path(post, path = "/compensation", tag = "compensation", request_body = CompensationInput, security(("api_key" = [])),
    responses((status = 201, description = "Created", body = CompensationReport,
        headers(("Location" = String, description = "URL of the new report"), ("ETag" = String, description = "Entity tag of the new record"))),
        CreateErrors))]
async fn create_compensation(
    State(state): State<AppState>,
    Editor(actor): Editor,
    ApiJson(input): ApiJson<CompensationInput>,
) -> ApiResult<Response> {
    write::create::<CompensationReport>(&state, &actor, input).await
}

/// One compensation report.
#[utoipa::path(get, path = "/compensation/{id}", tag = "compensation",
    params(("id" = Uuid, Path, description = "Id"), IfNoneMatch),
    responses((status = 200, description = "The report", body = CompensationReport,
        headers(("ETag" = String, description = "Entity tag of this representation"))),
        (status = 304, description = "Not modified"), ReadErrors))]
async fn get_compensation(
    State(state): State<AppState>,
    Path(id): Path<String>,
    preconditions: Preconditions,
) -> ApiResult<Response> {
    let id = super::path_id::<CompensationReport>(&id)?;
    let mut conn = state.pool.acquire().await?;
    let report = db::compensation::get(&mut conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found("compensation report", id))?;
    conditional_get(&report, &preconditions)
}

/// Changes a compensation report with a JSON merge patch (RFC 7396).
#[utoipa::path(patch, path = "/compensation/{id}", tag = "compensation",
    params(("id" = Uuid, Path, description = "Id"), IfMatch),
    request_body(content = CompensationInput, content_type = "application/merge-patch+json"),
    security(("api_key" = [])),
    responses((status = 200, description = "The changed report", body = CompensationReport,
        headers(("ETag" = String, description = "Entity tag of this representation"))), UpdateErrors))]
async fn update_compensation(
    State(state): State<AppState>,
    Editor(actor): Editor,
    Path(id): Path<String>,
    preconditions: Preconditions,
    ApiJson(patch): ApiJson<serde_json::Map<String, serde_json::Value>>,
) -> ApiResult<Response> {
    write::update::<CompensationReport>(&state, &actor, &id, &preconditions, &patch).await
}

/// Deletes a compensation report (softly).
#[utoipa::path(delete, path = "/compensation/{id}", tag = "compensation",
    params(("id" = Uuid, Path, description = "Id"), IfMatch), security(("api_key" = [])),
    responses((status = 204, description = "Deleted"), DeleteErrors))]
async fn delete_compensation(
    State(state): State<AppState>,
    Editor(actor): Editor,
    Path(id): Path<String>,
    preconditions: Preconditions,
) -> ApiResult<StatusCode> {
    write::delete::<CompensationReport>(&state, &actor, &id, &preconditions).await
}
