//! The HTTP API: each resource owns its routes and types; this module only merges them.

pub mod analytics;
pub mod bulk;
pub mod companies;
pub mod compensation;
pub mod csv;
pub mod deals;
pub mod health;
pub mod history;
pub mod ingest;
pub mod keys;
pub mod live;
pub mod merge;
pub mod moves;
pub mod paging;
pub mod projects;
pub mod researchers;
pub mod resource;
pub mod signals;
pub mod sources;
pub mod support;

use sqlx::PgPool;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use crate::{
    app::AppState,
    db::{self, Sluggable, record::Record},
    domain::id_or_slug::IdOrSlug,
    error::{ApiError, ApiResult, FieldError},
    openapi::ApiDoc,
};

/// The API's routes in two groups, which differ only in whether the request timeout applies
/// (`app::router` layers it on `timed` alone).
pub struct Routes {
    /// Everything answered within `TALENTFLOW_REQUEST_TIMEOUT`.
    pub timed: OpenApiRouter<AppState>,
    /// Routes that last as long as they must: the import is bounded by its size instead, and
    /// the change stream never ends by design.
    pub open_ended: OpenApiRouter<AppState>,
}

/// Every path spells out its `/v1` rather than being nested under it: axum's `nest` wraps each
/// nested route in a layer that rebuilds the request's URI without the prefix, a cost every
/// request paid for nothing (no handler reads its URI).
pub fn routes() -> Routes {
    let v1 = OpenApiRouter::new()
        .merge(companies::router())
        .merge(researchers::router())
        .merge(moves::router())
        .merge(sources::router())
        .merge(projects::router())
        .merge(deals::router())
        .merge(compensation::router())
        .merge(signals::router())
        .merge(analytics::router())
        .merge(merge::router())
        .merge(keys::router());
    let timed = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(v1)
        .merge(history::router())
        .merge(bulk::router())
        .merge(health::router());
    let open_ended = OpenApiRouter::new()
        .merge(live::router())
        .merge(bulk::import_router())
        .merge(ingest::router());
    Routes { timed, open_ended }
}

/// Every route in one router, for the spec.
pub fn router() -> OpenApiRouter<AppState> {
    let Routes { timed, open_ended } = routes();
    timed.merge(open_ended)
}

/// `since` and `until` filters: partial dates, both inclusive, `since` not after `until`.
pub fn period(
    check: &mut crate::domain::form::Check,
    since: Option<String>,
    until: Option<String>,
) -> (
    Option<crate::domain::partial_date::PartialDate>,
    Option<crate::domain::partial_date::PartialDate>,
) {
    use crate::domain::partial_date::PartialDate;
    let since = check.optional("since", since, |d| PartialDate::parse(&d));
    let until = check.optional("until", until, |d| PartialDate::parse(&d));
    if let (Some(since), Some(until)) = (since, until)
        && since.start > until.end()
    {
        check.error("since", "must not be after `until`");
    }
    (since, until)
}

/// The `min_confidence` filter of move lists and analytics: which moves count, by the order
/// of `Confidence` (`inferred` < `rumored` < `reported` < `confirmed`). Absent, all of them.
pub fn min_confidence(
    check: &mut crate::domain::form::Check,
    min_confidence: Option<String>,
) -> Option<crate::domain::moves::Confidence> {
    check.optional("min_confidence", min_confidence, |c| {
        crate::domain::moves::Confidence::parse(&c)
    })
}

/// A deal filter naming no live deal is a 422, like the other filters.
pub async fn resolve_deal_filter(db: &PgPool, deal: Uuid) -> ApiResult<Uuid> {
    let live = db::deals::is_live(db, deal).await?;
    live.then_some(deal).ok_or_else(|| {
        ApiError::invalid(vec![FieldError::new("deal", format!("no deal `{deal}`"))])
    })
}

/// The record a path segment names: an id, or for records with slugs a slug too. A segment
/// that cannot name one is a 404, like a name of nothing.
pub fn path_key<R: Record>(text: &str) -> ApiResult<IdOrSlug> {
    if R::SLUGGED {
        IdOrSlug::parse(text).map_err(|_| ApiError::not_found(R::TABLE.what, text))
    } else {
        path_id::<R>(text).map(IdOrSlug::Id)
    }
}

/// The id a path segment names (records named by id only); 404 when it is not one.
pub fn path_id<R: Record>(text: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(text).map_err(|_| ApiError::not_found(R::TABLE.what, text))
}

/// A filter naming a company or researcher that does not exist is the client's mistake (422),
/// not an empty list that hides a typo.
pub async fn resolve_filter(
    db: &PgPool,
    table: Sluggable,
    field: &str,
    key: &IdOrSlug,
) -> ApiResult<Uuid> {
    let what = table.what();
    db::resolve(db, table, key).await?.ok_or_else(|| {
        ApiError::invalid(vec![FieldError::new(field, format!("no {what} `{key}`"))])
    })
}
