//! Deals that moved people: acquisitions, acqui-hires, license-and-hire agreements.

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
    db::{self, Sluggable, deals::DealFilter, moves::MoveFilter},
    domain::{
        deal::{Deal, DealInput, DealKind},
        id_or_slug::IdOrSlug,
        moves::{Confidence, Move},
    },
    error::{ApiError, ApiResult},
    extract::{ApiJson, Editor, Preconditions},
    openapi::{
        CreateErrors, DeleteErrors, IfMatch, IfNoneMatch, ListErrors, ReadErrors, UpdateErrors,
    },
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_deals, create_deal))
        .routes(routes!(get_deal, update_deal, delete_deal))
        .routes(routes!(deal_moves))
}

impl Resource for Deal {
    type Input = DealInput;
    const COLLECTION_URL: &'static str = "/v1/deals";
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DealListParams {
    /// Id or slug of a company on either side.
    #[param(format = "id-or-slug")]
    company: Option<String>,
    #[param(format = "id-or-slug")]
    acquirer: Option<String>,
    #[param(format = "id-or-slug")]
    target: Option<String>,
    #[param(value_type = Option<DealKind>)]
    kind: Option<String>,
    /// Announced on or after (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`). A date known to a month or a
    /// year matches when it may be (`2023` matches `since=2023-06`).
    #[param(format = "partial-date")]
    since: Option<String>,
    /// Announced on or before, inclusive of the whole period (`2024-03` = until 2024-03-31). A
    /// date known to a month or a year matches when it may be. Sorting is by the first day.
    #[param(format = "partial-date")]
    until: Option<String>,
}

/// Lists live deals.
#[utoipa::path(get, path = "/v1/deals", tag = "deals", params(DealListParams, Paging<Deal>),
    responses((status = 200, description = "One page of deals", body = db::list::Page<Deal>), ListErrors))]
async fn list_deals(
    ReadDb(db): ReadDb,
    headers: HeaderMap,
    ListQuery(params, page): ListQuery<DealListParams, Deal>,
) -> ApiResult<Response> {
    let mut check = Check::default();
    let company = check.optional("company", params.company, |c| IdOrSlug::parse(&c));
    let acquirer = check.optional("acquirer", params.acquirer, |c| IdOrSlug::parse(&c));
    let target = check.optional("target", params.target, |c| IdOrSlug::parse(&c));
    let kind = check.optional("kind", params.kind, |k| DealKind::parse(&k));
    let (since, until) = super::period(&mut check, params.since, params.until);
    check.finish_query()?;
    let mut filter = DealFilter {
        kind: kind.map(|k| k.as_str().to_owned()),
        since: since.map(|d| d.start),
        until: until.map(|d| d.end()),
        ..DealFilter::default()
    };
    for (field, key, slot) in [
        ("company", company, &mut filter.company),
        ("acquirer", acquirer, &mut filter.acquirer),
        ("target", target, &mut filter.target),
    ] {
        if let Some(key) = key {
            *slot = Some(super::resolve_filter(&db, Sluggable::Companies, field, &key).await?);
        }
    }
    super::csv::list_response(&headers, page, &db, filter).await
}

resource::record_handlers! {
    record: Deal,
    input: DealInput,
    tag: "deals",
    collection: "/v1/deals",
    item: "/v1/deals/{id}",
    key: (Uuid, "Id"),
    create: (create_deal, "Records a deal.", location: "URL of the new deal"),
    read: (get_deal, "One deal, with its sources and the number of moves recorded for it.", body: "The deal"),
    update: (update_deal, "Changes a deal with a JSON merge patch (RFC 7396). `sources`, when given, replaces the list.", body: "The changed deal"),
    delete: (delete_deal, "Deletes a deal (softly); refused while moves say they were part of it."),
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DealMovesParams {
    /// Only moves of this confidence or a stronger one (`inferred` < `rumored` < `reported`
    /// < `confirmed`).
    #[param(value_type = Option<Confidence>)]
    min_confidence: Option<String>,
}

/// The moves that were part of a deal.
#[utoipa::path(get, path = "/v1/deals/{id}/moves", tag = "deals",
    params(("id" = Uuid, Path, description = "Id"), DealMovesParams, Paging<Move>),
    responses((status = 200, description = "One page of moves", body = db::list::Page<Move>), ListErrors, ReadErrors))]
async fn deal_moves(
    ReadDb(db): ReadDb,
    headers: HeaderMap,
    Path(id): Path<String>,
    ListQuery(params, page): ListQuery<DealMovesParams, Move>,
) -> ApiResult<Response> {
    let id = super::path_id::<Deal>(&id)?;
    let mut check = Check::default();
    let min_confidence = super::min_confidence(&mut check, params.min_confidence);
    check.finish_query()?;
    let deal = match super::resolve_deal_filter(&db, id).await {
        Err(ApiError::Unprocessable { .. }) => return Err(ApiError::not_found("deal", id)),
        other => other?,
    };
    let filter = MoveFilter {
        deal: Some(deal),
        min_confidence,
        ..MoveFilter::default()
    };
    super::csv::list_response(&headers, page, &db, filter).await
}
