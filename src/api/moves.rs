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
use uuid::Uuid;

use super::paging::{ListQuery, Paging};
use super::resource::{self, Resource};
use crate::{
    app::AppState,
    db::{Sluggable, list::Page, moves::MoveFilter},
    domain::{
        id_or_slug::IdOrSlug,
        moves::{Confidence, Move, MoveInput, MoveKind},
    },
    error::ApiResult,
    extract::{ApiJson, Editor, Preconditions},
    openapi::{
        CreateErrors, DeleteErrors, IfMatch, IfNoneMatch, ListErrors, ReadErrors, UpdateErrors,
    },
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_moves, create_move))
        .routes(routes!(get_move, update_move, delete_move))
}

impl Resource for Move {
    type Input = MoveInput;
    const COLLECTION_URL: &'static str = "/v1/moves";
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MoveListParams {
    /// Id or slug of the researcher.
    #[param(format = "id-or-slug")]
    researcher: Option<String>,
    /// Id or slug of a company on either side of the move.
    #[param(format = "id-or-slug")]
    company: Option<String>,
    /// Id or slug of the company left.
    #[param(format = "id-or-slug")]
    from: Option<String>,
    /// Id or slug of the company joined.
    #[param(format = "id-or-slug")]
    to: Option<String>,
    #[param(value_type = Option<MoveKind>)]
    kind: Option<String>,
    #[param(value_type = Option<Confidence>)]
    confidence: Option<String>,
    /// Only moves of this confidence or a stronger one (`inferred` < `rumored` < `reported`
    /// < `confirmed`).
    #[param(value_type = Option<Confidence>)]
    min_confidence: Option<String>,
    /// Effective on or after (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`). A date known to a month or a
    /// year matches when it may be (`2023` matches `since=2023-06`).
    #[param(format = "partial-date")]
    since: Option<String>,
    /// Effective on or before, inclusive of the whole period (`2024-03` = until 2024-03-31). A
    /// date known to a month or a year matches when it may be. Sorting is by the first day.
    #[param(format = "partial-date")]
    until: Option<String>,
    /// Id of a deal: the moves that were part of it.
    deal: Option<Uuid>,
    /// Id or slug of a project: moves of its contributors.
    #[param(format = "id-or-slug")]
    project: Option<String>,
}

/// Lists moves, newest first.
#[utoipa::path(get, path = "/v1/moves", tag = "moves", params(MoveListParams, Paging<Move>),
    responses((status = 200, description = "One page of moves", body = Page<Move>), ListErrors))]
async fn list_moves(
    ReadDb(db): ReadDb,
    headers: HeaderMap,
    ListQuery(params, page): ListQuery<MoveListParams, Move>,
) -> ApiResult<Response> {
    let mut check = Check::default();
    let researcher = check.optional("researcher", params.researcher, |r| IdOrSlug::parse(&r));
    let company = check.optional("company", params.company, |c| IdOrSlug::parse(&c));
    let from = check.optional("from", params.from, |f| IdOrSlug::parse(&f));
    let to = check.optional("to", params.to, |t| IdOrSlug::parse(&t));
    let kind = check.optional("kind", params.kind, |k| MoveKind::parse(&k));
    let confidence = check.optional("confidence", params.confidence, |c| Confidence::parse(&c));
    let min_confidence = super::min_confidence(&mut check, params.min_confidence);
    let (since, until) = super::period(&mut check, params.since, params.until);
    let project = check.optional("project", params.project, |p| IdOrSlug::parse(&p));
    check.finish_query()?;

    let mut filter = MoveFilter {
        kind: kind.map(|k| k.as_str().to_owned()),
        confidence: confidence.map(|c| c.as_str().to_owned()),
        min_confidence,
        since: since.map(|d| d.start),
        until: until.map(|d| d.end()),
        ..MoveFilter::default()
    };
    if let Some(key) = researcher {
        filter.researcher =
            Some(super::resolve_filter(&db, Sluggable::Researchers, "researcher", &key).await?);
    }
    if let Some(key) = project {
        filter.project =
            Some(super::resolve_filter(&db, Sluggable::Projects, "project", &key).await?);
    }
    if let Some(deal) = params.deal {
        filter.deal = Some(super::resolve_deal_filter(&db, deal).await?);
    }
    for (field, key, slot) in [
        ("company", company, &mut filter.company),
        ("from", from, &mut filter.from),
        ("to", to, &mut filter.to),
    ] {
        if let Some(key) = key {
            *slot = Some(super::resolve_filter(&db, Sluggable::Companies, field, &key).await?);
        }
    }
    super::csv::list_response(&headers, page, &db, filter).await
}

resource::record_handlers! {
    record: Move,
    input: MoveInput,
    tag: "moves",
    collection: "/v1/moves",
    item: "/v1/moves/{id}",
    key: (Uuid, "Id"),
    create: (create_move, "Records a move.", location: "URL of the new move"),
    read: (get_move, "One move, with its researcher, companies and sources embedded.", body: "The move"),
    update: (update_move, "Changes a move with a JSON merge patch (RFC 7396). `sources`, when given, replaces the list.", body: "The changed move"),
    delete: (delete_move, "Deletes a move (softly: it leaves lists, its history stays)."),
}
