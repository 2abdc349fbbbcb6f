//! The handlers' one sequence for every resource at `/v1/<collection>/{id}`. A read names the
//! record by its path and answers it with its `ETag` (or 304). A write names it, locks it,
//! validates the body (a PATCH exactly like a create), checks `If-Match`, writes through
//! `db::record`, commits and answers. Each handler is a one-line call with its own
//! `#[utoipa::path]`.

use axum::{http::StatusCode, response::Response};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};
use sqlx::PgPool;
use uuid::Uuid;

use super::support::{conditional_get, created, current_etag, patched, tagged};
use crate::{
    app::AppState,
    db::record::{self, Record},
    domain::{form::Form, key::Actor},
    error::{ApiError, ApiResult},
    extract::Preconditions,
};

/// A record type the API creates, changes and deletes at its own collection.
pub trait Resource: Record {
    /// The form a POST sends and a PATCH merges into.
    type Input: Form<Draft = Self::Draft>
        + Serialize
        + DeserializeOwned
        + for<'a> From<&'a Self>
        + Send;
    /// Where the collection is (`/v1/companies`): a new record's `Location` is below it.
    const COLLECTION_URL: &'static str;
}

/// GET: the record with its `ETag`, or 304 when `If-None-Match` names it.
pub async fn read<R: Record>(
    db: &PgPool,
    key: &str,
    preconditions: &Preconditions,
) -> ApiResult<Response> {
    let key = super::path_key::<R>(key)?;
    let mut conn = db.acquire().await?;
    let record = record::get::<R>(&mut conn, &key)
        .await?
        .ok_or_else(|| ApiError::not_found(R::TABLE.what, &key))?;
    conditional_get(&record, preconditions)
}

/// POST: 201 with `Location`, `ETag` and the record.
pub async fn create<R: Resource>(
    state: &AppState,
    actor: &Actor,
    input: R::Input,
) -> ApiResult<Response> {
    let draft = input.validate()?;
    let mut tx = state.pool.begin().await?;
    let record = record::create::<R>(&mut tx, actor, Uuid::now_v7(), draft).await?;
    tx.commit().await?;
    created(format!("{}/{}", R::COLLECTION_URL, record.id()), &record)
}

/// PATCH with a JSON merge patch: 200 with the changed record and its `ETag`.
pub async fn update<R: Resource>(
    state: &AppState,
    actor: &Actor,
    key: &str,
    preconditions: &Preconditions,
    patch: &Map<String, Value>,
) -> ApiResult<Response> {
    let key = super::path_key::<R>(key)?;
    let mut tx = state.pool.begin().await?;
    let before = record::lock::<R>(&mut tx, &key).await?;
    // A bad patch is the client's mistake whatever version it was written against.
    let draft = patched(&R::Input::from(&before), patch)?.validate()?;
    preconditions.check_if_match(&current_etag(&before)?)?;
    let after = record::update(&mut tx, actor, &before, draft).await?;
    tx.commit().await?;
    tagged(StatusCode::OK, &after)
}

/// DELETE (soft): 204.
pub async fn delete<R: Resource>(
    state: &AppState,
    actor: &Actor,
    key: &str,
    preconditions: &Preconditions,
) -> ApiResult<StatusCode> {
    let key = super::path_key::<R>(key)?;
    let mut tx = state.pool.begin().await?;
    let before = record::lock::<R>(&mut tx, &key).await?;
    preconditions.check_if_match(&current_etag(&before)?)?;
    record::delete(&mut tx, actor, &before).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The handlers of a resource's own record at `/v1/<collection>` and `/v1/<collection>/{id}`:
/// POST, GET, PATCH and DELETE, each one call into this module's sequence with its own
/// `#[utoipa::path]`. Resources differ only in names and in what the spec says of them, so
/// that is all a resource module writes (its lists and nested routes stay plain functions).
/// Callers import the extractors and error sets the handlers name.
macro_rules! record_handlers {
    (
        record: $record:ident,
        input: $input:ident,
        tag: $tag:tt,
        collection: $collection:tt,
        item: $item:tt,
        key: ($key_type:ident, $key_description:tt),
        create: ($create:ident, $create_doc:tt, location: $location:tt),
        read: ($read:ident, $read_doc:tt, body: $one:tt),
        update: ($update:ident, $update_doc:tt, body: $changed:tt),
        delete: ($delete:ident, $delete_doc:tt) $(,)?
    ) => {
        #[doc = $create_doc]
        #[utoipa::path(post, path = $collection, tag = $tag, request_body = $input,
            security(("api_key" = [])),
            responses((status = 201, description = "Created", body = $record,
                headers(("Location" = String, description = $location),
                    ("ETag" = String, description = "Entity tag of the new record"))), CreateErrors))]
        async fn $create(
            State(state): State<AppState>,
            Editor(actor): Editor,
            ApiJson(input): ApiJson<$input>,
        ) -> ApiResult<Response> {
            resource::create::<$record>(&state, &actor, input).await
        }

        #[doc = $read_doc]
        #[utoipa::path(get, path = $item, tag = $tag,
            params(("id" = $key_type, Path, description = $key_description), IfNoneMatch),
            responses((status = 200, description = $one, body = $record,
                headers(("ETag" = String, description = "Entity tag of this representation, for If-None-Match and If-Match"))),
                (status = 304, description = "Not modified: `If-None-Match` names the current representation"), ReadErrors))]
        async fn $read(
            $crate::replicas::routing::ReadDb(db): $crate::replicas::routing::ReadDb,
            Path(key): Path<String>,
            preconditions: Preconditions,
        ) -> ApiResult<Response> {
            resource::read::<$record>(&db, &key, &preconditions).await
        }

        #[doc = $update_doc]
        #[utoipa::path(patch, path = $item, tag = $tag,
            params(("id" = $key_type, Path, description = $key_description), IfMatch),
            request_body(content = $input, content_type = "application/merge-patch+json"),
            security(("api_key" = [])),
            responses((status = 200, description = $changed, body = $record,
                headers(("ETag" = String, description = "Entity tag of this representation, for If-None-Match and If-Match"))), UpdateErrors))]
        async fn $update(
            State(state): State<AppState>,
            Editor(actor): Editor,
            Path(key): Path<String>,
            preconditions: Preconditions,
            ApiJson(patch): ApiJson<serde_json::Map<String, serde_json::Value>>,
        ) -> ApiResult<Response> {
            resource::update::<$record>(&state, &actor, &key, &preconditions, &patch).await
        }

        #[doc = $delete_doc]
        #[utoipa::path(delete, path = $item, tag = $tag,
            params(("id" = $key_type, Path, description = $key_description), IfMatch),
            security(("api_key" = [])),
            responses((status = 204, description = "Deleted"), DeleteErrors))]
        async fn $delete(
            State(state): State<AppState>,
            Editor(actor): Editor,
            Path(key): Path<String>,
            preconditions: Preconditions,
        ) -> ApiResult<StatusCode> {
            resource::delete::<$record>(&state, &actor, &key, &preconditions).await
        }
    };
}
pub(crate) use record_handlers;
