//! API key management, for admins.

use crate::domain::form::{Check, checked};
use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
    response::Response,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::support::created;
use crate::{
    app::AppState,
    db::{self, audit},
    domain::{
        key::{ApiKey, Role},
        text,
    },
    error::{ApiError, ApiResult},
    extract::{Admin, ApiJson},
    openapi::{AdminReadErrors, CreateErrors, RevokeErrors},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_keys, create_key))
        .routes(routes!(get_key, revoke_key))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyInput {
    #[schema(required = true, value_type = String, example = "news pipeline", format = "name:100")]
    pub name: Option<String>,
    #[schema(required = true, value_type = Role)]
    pub role: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedKey {
    pub key: ApiKey,
    /// The secret for `Authorization: Bearer …`. Shown only in this response; only its hash is kept.
    pub secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyList {
    /// Every key, newest first, revoked ones included.
    pub data: Vec<ApiKey>,
}

/// Lists API keys (never their secrets).
#[utoipa::path(get, path = "/v1/admin/keys", tag = "keys", security(("api_key" = [])),
    responses((status = 200, description = "All keys", body = KeyList), AdminReadErrors))]
async fn list_keys(
    State(state): State<AppState>,
    Admin(_admin): Admin,
) -> ApiResult<Json<KeyList>> {
    Ok(Json(KeyList {
        data: db::keys::list(&state.pool).await?,
    }))
}

/// Creates an API key and returns its secret once.
#[utoipa::path(post, path = "/v1/admin/keys", tag = "keys", request_body = KeyInput, security(("api_key" = [])),
    responses((status = 201, description = "Created; the secret is in the body",
        body = CreatedKey, headers(("Location" = String, description = "URL of the new key"))), CreateErrors))]
async fn create_key(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ApiJson(input): ApiJson<KeyInput>,
) -> ApiResult<Response> {
    let mut check = Check::default();
    let name = check.require("name", input.name, |n| text::name(&n, 100));
    let role = check.require("role", input.role, |r| Role::parse(&r));
    check.finish()?;
    let mut tx = state.pool.begin().await?;
    let (key, secret) = db::keys::create(&mut tx, &checked(name), checked(role)).await?;
    audit::record(
        &mut tx,
        &actor,
        audit::AuditAction::Create,
        "keys",
        key.id,
        None,
        Some(&key),
    )
    .await?;
    tx.commit().await?;
    created(
        format!("/v1/admin/keys/{}", key.id),
        &CreatedKey { key, secret },
    )
}

/// One API key (never its secret), revoked or not.
#[utoipa::path(get, path = "/v1/admin/keys/{id}", tag = "keys", params(("id" = Uuid, Path, description = "Key id")),
    security(("api_key" = [])),
    responses((status = 200, description = "The key", body = ApiKey),
        (status = 404, description = "No key with this id", body = crate::error::Problem, content_type = "application/problem+json"),
        AdminReadErrors))]
async fn get_key(
    State(state): State<AppState>,
    Admin(_admin): Admin,
    Path(id): Path<String>,
) -> ApiResult<Json<ApiKey>> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found("key", &id))?;
    db::keys::get(&state.pool, id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("key", id))
}

/// Revokes an API key; requests with it are refused from now on.
#[utoipa::path(delete, path = "/v1/admin/keys/{id}", tag = "keys", params(("id" = Uuid, Path, description = "Key id")),
    security(("api_key" = [])),
    responses((status = 204, description = "Revoked"), RevokeErrors))]
async fn revoke_key(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found("key", &id))?;
    let mut tx = state.pool.begin().await?;
    let (before, after) = db::keys::revoke(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("live key", id))?;
    audit::record(
        &mut tx,
        &actor,
        audit::AuditAction::Update,
        "keys",
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
