//! One error type for the whole API, answered as RFC 9457 `application/problem+json`.

use axum::{
    BoxError,
    body::{Body, Bytes, HttpBody},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// What was wrong with one field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// Path of the field (`sources[0].source`), or the query parameter's or header's name.
    #[schema(example = "to")]
    pub field: String,
    #[schema(example = "must differ from `from`")]
    pub message: String,
    /// The line of an imported file the error is on (imports only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    // Left out rather than null: see `openapi::conventions`.
    #[schema(nullable = false)]
    pub line: Option<u64>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
            line: None,
        }
    }
}

/// RFC 9457 problem details.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the kind of problem (`/problems/validation`).
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// One entry per bad field; empty when the problem is not about fields.
    pub errors: Vec<FieldError>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{detail}")]
    BadRequest {
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{detail}")]
    Conflict {
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{detail}")]
    Unprocessable {
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("too many requests; retry in {retry_after} s")]
    TooManyRequests { retry_after: u64 },
    #[error("{0}")]
    ServiceUnavailable(String),
    /// Anything the client cannot fix. Logged in full, answered with a generic message.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::BadRequest {
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    pub fn bad_field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::BadRequest {
            detail: format!("`{field}` {message}"),
            errors: vec![FieldError::new(field, message)],
        }
    }

    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("`{}` {}", one.field, one.message),
            _ => format!("{} fields are invalid", errors.len()),
        };
        Self::Unprocessable { detail, errors }
    }

    pub fn conflict_on(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::Conflict {
            detail: format!("`{field}` {message}"),
            errors: vec![FieldError::new(field, message)],
        }
    }

    pub fn not_found(what: &str, key: impl std::fmt::Display) -> Self {
        Self::NotFound(format!("no {what} `{key}`"))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::ServiceUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn problem(&self) -> Problem {
        let status = self.status();
        let (kind, detail, errors) = match self {
            Self::BadRequest { detail, errors } => ("bad-request", detail.clone(), errors.clone()),
            Self::Unauthorized(d) => ("unauthorized", d.clone(), vec![]),
            Self::Forbidden(d) => ("forbidden", d.clone(), vec![]),
            Self::NotFound(d) => ("not-found", d.clone(), vec![]),
            Self::Conflict { detail, errors } => ("conflict", detail.clone(), errors.clone()),
            Self::PreconditionFailed(d) => ("precondition-failed", d.clone(), vec![]),
            Self::PayloadTooLarge(d) => ("payload-too-large", d.clone(), vec![]),
            Self::UnsupportedMediaType(d) => ("unsupported-media-type", d.clone(), vec![]),
            Self::Unprocessable { detail, errors } => ("validation", detail.clone(), errors.clone()),
            Self::TooManyRequests { retry_after } => (
                "rate-limited",
                format!("too many requests; retry in {retry_after} s (see Retry-After)"),
                vec![],
            ),
            Self::ServiceUnavailable(d) => ("unavailable", d.clone(), vec![]),
            Self::Internal(_) => (
                "internal",
                "the server failed to answer this request; the log has the cause under the response's x-request-id".to_owned(),
                vec![],
            ),
        };
        Problem::new(status, kind, detail, errors)
    }
}

impl Problem {
    pub fn new(status: StatusCode, kind: &str, detail: String, errors: Vec<FieldError>) -> Self {
        Self {
            kind: format!("/problems/{kind}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            errors,
        }
    }

    pub fn into_response_with(self, mut headers: http::HeaderMap) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        headers.remove(header::CONTENT_LENGTH);
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        response
    }
}

impl From<crate::domain::form::Invalid> for ApiError {
    fn from(crate::domain::form::Invalid(errors): crate::domain::form::Invalid) -> Self {
        Self::invalid(errors)
    }
}

/// Failures no client can cause (encoding a record, a header value built from one, the spill
/// file of a stored response) are 500s; `?` says so without a `map_err` at every use.
macro_rules! internal_from {
    ($($error:ty),+) => {$(
        impl From<$error> for ApiError {
            fn from(err: $error) -> Self {
                Self::Internal(err.into())
            }
        }
    )+};
}
internal_from!(
    serde_json::Error,
    http::header::InvalidHeaderValue,
    std::io::Error
);

impl From<crate::db::error::DbError> for ApiError {
    fn from(err: crate::db::error::DbError) -> Self {
        use crate::db::error::DbError;
        match err {
            DbError::NotFound(detail) => Self::NotFound(detail),
            DbError::Invalid(errors) => Self::invalid(errors),
            DbError::Conflict { detail, errors } => Self::Conflict { detail, errors },
            DbError::Sqlx(err) => err.into(),
            DbError::Internal(err) => Self::Internal(err),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_) => {
                tracing::warn!(error = %err, "database unavailable");
                Self::ServiceUnavailable("the database is unavailable; retry shortly".to_owned())
            }
            // The server is shutting down, crashed or still starting (class 57), or the
            // connection broke (class 08): the database is unavailable, not the request wrong.
            sqlx::Error::Database(db)
                if db
                    .code()
                    .is_some_and(|code| code.starts_with("57") || code.starts_with("08")) =>
            {
                tracing::warn!(error = %db, "database unavailable");
                Self::ServiceUnavailable("the database is unavailable; retry shortly".to_owned())
            }
            // Deadlock, serialization failure, lock not available: two writers met; nothing
            // was written, and the client's retry will go through.
            sqlx::Error::Database(db)
                if matches!(db.code().as_deref(), Some("40P01" | "40001" | "55P03")) =>
            {
                tracing::info!(error = %db, "concurrent writes collided");
                Self::Conflict {
                    detail: "a concurrent change to the same records got in the way; nothing was written, retry".to_owned(),
                    errors: vec![],
                }
            }
            other => Self::Internal(other.into()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(err) = &self {
            // Inside the request's span, so the log line carries the request id.
            tracing::error!(error = ?err, "request failed");
        }
        let mut headers = http::HeaderMap::new();
        if matches!(self, Self::Unauthorized(_)) {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        self.problem().into_response_with(headers)
    }
}

/// Turns the bare error responses that axum and tower-http produce themselves (405, 413, 408, a
/// panic's 500) into problem+json, keeping their headers (`Allow`, `Retry-After`).
/// A plain function over the response, called by [`crate::envelope::Envelope`] on every one, so
/// a request that is not an error pays only for the look at its status.
pub fn problem_for_bare_errors<B>(response: http::Response<B>) -> Response
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let response = response.map(Body::new);
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|ct| ct.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return response;
    }
    let detail = match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            "this path does not support that method; see the Allow header".to_owned()
        }
        StatusCode::PAYLOAD_TOO_LARGE => {
            "the request body is larger than this endpoint accepts".to_owned()
        }
        StatusCode::REQUEST_TIMEOUT => {
            "the request took longer than the server's time limit".to_owned()
        }
        StatusCode::NOT_FOUND => "no such resource".to_owned(),
        other => other.canonical_reason().unwrap_or("error").to_owned(),
    };
    let kind = status
        .canonical_reason()
        .unwrap_or("error")
        .to_ascii_lowercase()
        .replace(' ', "-");
    let (parts, _) = response.into_parts();
    Problem::new(status, &kind, detail, Vec::new()).into_response_with(parts.headers)
}

/// The fallback for paths no route matches.
pub async fn unknown_route() -> ApiError {
    ApiError::NotFound("no such endpoint; /docs lists them".to_owned())
}
