//! The HTTP API: each resource owns its routes and types; this module only nests them.

pub mod bulk;
pub mod companies;
pub mod csv;
pub mod health;
pub mod history;
pub mod keys;
pub mod moves;
pub mod researchers;
pub mod sources;
pub mod support;

use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use crate::{
    app::AppState,
    db::{self, Sluggable},
    domain::id_or_slug::IdOrSlug,
    error::{ApiError, ApiResult, FieldError},
    openapi::ApiDoc,
};

pub fn router() -> OpenApiRouter<AppState> {
    let v1 = OpenApiRouter::new()
        .merge(companies::router())
        .merge(researchers::router())
        .merge(moves::router())
        .merge(sources::router())
        .merge(keys::router());
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/v1", v1)
        .merge(history::router())
        .merge(bulk::router())
        .merge(health::router())
}

/// A path segment that cannot be an id or a slug names nothing: 404.
pub fn path_key(what: &str, text: &str) -> ApiResult<IdOrSlug> {
    IdOrSlug::parse(text).map_err(|_| ApiError::not_found(what, text))
}

/// A filter naming a company or researcher that does not exist is the client's mistake (422),
/// not an empty list that hides a typo.
pub async fn resolve_filter(
    state: &AppState,
    table: Sluggable,
    field: &str,
    key: &IdOrSlug,
) -> ApiResult<Uuid> {
    let what = match table {
        Sluggable::Companies => "company",
        Sluggable::Researchers => "researcher",
    };
    db::resolve(&state.pool, table, key).await?.ok_or_else(|| {
        ApiError::invalid(vec![FieldError::new(field, format!("no {what} `{key}`"))])
    })
}
