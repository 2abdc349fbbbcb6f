//! Extractors whose rejections are `ApiError`s: JSON bodies, query strings, paths, API keys.

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Request},
    http::{StatusCode, header, request::Parts},
};
use serde::de::DeserializeOwned;

use crate::{
    app::AppState,
    domain::key::{Actor, Role},
    error::{ApiError, ApiResult, FieldError},
};

/// A JSON body: `application/json` or any `application/*+json` (merge-patch), read within the
/// body limit, deserialised with the path of the first bad field.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> ApiResult<Self> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let mime = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let is_json = mime == "application/json"
            || (mime.starts_with("application/") && mime.ends_with("+json"));
        if !is_json {
            return Err(ApiError::UnsupportedMediaType(format!(
                "send the body as JSON with `Content-Type: application/json` (got `{content_type}`)"
            )));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge(
                        "the request body is larger than this endpoint accepts".to_owned(),
                    )
                } else {
                    ApiError::bad_request(format!(
                        "the request body could not be read: {}",
                        rejection.body_text()
                    ))
                }
            })?;
        parse_json(&bytes).map(ApiJson)
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    let malformed = |field: String, message: String| ApiError::BadRequest {
        detail: format!("the JSON body is not acceptable: `{field}`: {message}"),
        errors: vec![FieldError::new(field, message)],
    };
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let field = if path == "." { "body".to_owned() } else { path };
        malformed(field, err.into_inner().to_string())
    })?;
    deserializer
        .end()
        .map_err(|err| malformed("body".to_owned(), err.to_string()))?;
    Ok(value)
}

/// Query parameters; unknown parameters are refused so that a typo does not silently widen a list.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> ApiResult<Self> {
        parse_query(parts.uri.query().unwrap_or("")).map(ApiQuery)
    }
}

/// An encoded query string read into `T` (unknown parameters refused when `T` says so), with
/// the path of the first bad one in a 400.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> ApiResult<T> {
    let deserializer =
        serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let path = err.path().to_string();
        let field = if path == "." {
            "query".to_owned()
        } else {
            path
        };
        let message = err.into_inner().to_string();
        ApiError::BadRequest {
            detail: format!("the query string is not acceptable: {message}"),
            errors: vec![FieldError::new(field, message)],
        }
    })
}

/// The secret of an `Authorization: Bearer <secret>` header (the scheme in any case).
pub fn bearer_secret(value: &axum::http::HeaderValue) -> Option<&str> {
    let value = value.to_str().ok()?;
    let (scheme, secret) = value.split_once(' ')?;
    let secret = secret.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !secret.is_empty() && secret.len() <= 256)
        .then_some(secret)
}

/// The caller's key, when the request carries one. A header that is present but wrong is a 401
/// even where no key is needed: a client that thinks it is authenticated should hear otherwise.
pub async fn authenticate(parts: &Parts, state: &AppState) -> ApiResult<Option<Actor>> {
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let secret = bearer_secret(value).ok_or_else(|| {
        ApiError::Unauthorized("the Authorization header must be `Bearer <api key>`".to_owned())
    })?;
    let actor = crate::db::keys::authenticate(&state.pool, secret).await?;
    actor.map(Some).ok_or_else(|| {
        ApiError::Unauthorized("the API key is not valid or has been revoked".to_owned())
    })
}

async fn authorize(parts: &Parts, state: &AppState, needed: Role) -> ApiResult<Actor> {
    let actor = authenticate(parts, state).await?.ok_or_else(|| {
        ApiError::Unauthorized(
            "this operation needs an API key: `Authorization: Bearer <api key>`".to_owned(),
        )
    })?;
    if !actor.role.allows(needed) {
        return Err(ApiError::Forbidden(format!(
            "this operation needs the `{needed}` role; key `{}` has `{}`",
            actor.name, actor.role
        )));
    }
    Ok(actor)
}

/// A key with the editor role (or higher): creates, updates, deletes.
pub struct Editor(pub Actor);

impl FromRequestParts<AppState> for Editor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        authorize(parts, state, Role::Editor).await.map(Editor)
    }
}

/// A key with the admin role: key management.
pub struct Admin(pub Actor);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        authorize(parts, state, Role::Admin).await.map(Admin)
    }
}

/// `If-Match` and `If-None-Match`: lists of entity tags, or `*`.
#[derive(Debug, Default)]
pub struct Preconditions {
    if_match: Option<Vec<String>>,
    if_none_match: Option<Vec<String>>,
}

fn entity_tags(parts: &Parts, name: header::HeaderName) -> Option<Vec<String>> {
    let values: Vec<String> = parts
        .headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().to_owned())
        .filter(|tag| !tag.is_empty())
        .collect();
    (!values.is_empty()).then_some(values)
}

/// Weak comparison for `If-None-Match` (RFC 9110 13.1.2): `W/"x"` matches `"x"`.
fn same_tag(given: &str, current: &str) -> bool {
    given == "*" || given.trim_start_matches("W/") == current.trim_start_matches("W/")
}

impl Preconditions {
    /// `If-None-Match` names the current tag: the client's copy is fresh.
    pub fn none_match(&self, current: &str) -> bool {
        self.if_none_match
            .as_ref()
            .is_some_and(|tags| tags.iter().any(|t| same_tag(t, current)))
    }

    /// A write with `If-Match` proceeds only while the record still has one of the tags given
    /// (strong comparison: a weak tag never matches).
    pub fn check_if_match(&self, current: &str) -> ApiResult<()> {
        let Some(tags) = &self.if_match else {
            return Ok(());
        };
        if tags.iter().any(|t| t == "*" || t == current) {
            return Ok(());
        }
        Err(ApiError::PreconditionFailed(format!(
            "the record has changed since you read it (its ETag is now {current}); read it again and retry"
        )))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Preconditions {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> ApiResult<Self> {
        Ok(Self {
            if_match: entity_tags(parts, header::IF_MATCH),
            if_none_match: entity_tags(parts, header::IF_NONE_MATCH),
        })
    }
}
