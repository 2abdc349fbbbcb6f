//! Error responses and header parameters shared by the operations, so each documents every
//! status it can answer.

use utoipa::{IntoParams, IntoResponses};

use crate::error::Problem;

#[derive(IntoResponses)]
pub enum ListErrors {
    #[response(
        status = 400,
        description = "A query parameter is malformed (bad limit, cursor or sort)",
        content_type = "application/problem+json"
    )]
    BadRequest(Problem),
    #[response(
        status = 401,
        description = "Reads need a key on this server and none or a bad one was given",
        content_type = "application/problem+json"
    )]
    Unauthorized(Problem),
    #[response(
        status = 422,
        description = "A filter names a record that does not exist",
        content_type = "application/problem+json"
    )]
    Unprocessable(Problem),
    #[response(
        status = 503,
        description = "The database is unavailable",
        content_type = "application/problem+json"
    )]
    Unavailable(Problem),
}

#[derive(IntoResponses)]
pub enum ReadErrors {
    #[response(
        status = 401,
        description = "Reads need a key on this server and none or a bad one was given",
        content_type = "application/problem+json"
    )]
    Unauthorized(Problem),
    #[response(
        status = 404,
        description = "No live record with this id or slug",
        content_type = "application/problem+json"
    )]
    NotFound(Problem),
    #[response(
        status = 503,
        description = "The database is unavailable",
        content_type = "application/problem+json"
    )]
    Unavailable(Problem),
}

#[derive(IntoResponses)]
pub enum CreateErrors {
    #[response(
        status = 400,
        description = "Malformed JSON, a field of the wrong type, or an unknown field",
        content_type = "application/problem+json"
    )]
    BadRequest(Problem),
    #[response(
        status = 401,
        description = "No API key, or a bad or revoked one",
        content_type = "application/problem+json"
    )]
    Unauthorized(Problem),
    #[response(
        status = 403,
        description = "The key's role may not do this",
        content_type = "application/problem+json"
    )]
    Forbidden(Problem),
    #[response(
        status = 409,
        description = "A unique field (slug, url, orcid) is taken",
        content_type = "application/problem+json"
    )]
    Conflict(Problem),
    #[response(
        status = 413,
        description = "The body is larger than the server accepts",
        content_type = "application/problem+json"
    )]
    PayloadTooLarge(Problem),
    #[response(
        status = 415,
        description = "The body is not JSON",
        content_type = "application/problem+json"
    )]
    UnsupportedMediaType(Problem),
    #[response(
        status = 422,
        description = "Well-formed but invalid: each bad field is listed in `errors`",
        content_type = "application/problem+json"
    )]
    Unprocessable(Problem),
    #[response(
        status = 503,
        description = "The database is unavailable",
        content_type = "application/problem+json"
    )]
    Unavailable(Problem),
}

#[derive(IntoResponses)]
pub enum UpdateErrors {
    #[response(
        status = 400,
        description = "Malformed JSON, a field of the wrong type, or an unknown field",
        content_type = "application/problem+json"
    )]
    BadRequest(Problem),
    #[response(
        status = 401,
        description = "No API key, or a bad or revoked one",
        content_type = "application/problem+json"
    )]
    Unauthorized(Problem),
    #[response(
        status = 403,
        description = "The key's role may not do this",
        content_type = "application/problem+json"
    )]
    Forbidden(Problem),
    #[response(
        status = 404,
        description = "No live record with this id or slug",
        content_type = "application/problem+json"
    )]
    NotFound(Problem),
    #[response(
        status = 409,
        description = "A unique field (slug, url, orcid) is taken",
        content_type = "application/problem+json"
    )]
    Conflict(Problem),
    #[response(
        status = 413,
        description = "The body is larger than the server accepts",
        content_type = "application/problem+json"
    )]
    PayloadTooLarge(Problem),
    #[response(
        status = 415,
        description = "The body is not JSON",
        content_type = "application/problem+json"
    )]
    UnsupportedMediaType(Problem),
    #[response(
        status = 422,
        description = "Well-formed but invalid: each bad field is listed in `errors`",
        content_type = "application/problem+json"
    )]
    Unprocessable(Problem),
    #[response(
        status = 412,
        description = "`If-Match` names a version the record no longer has; nothing changed",
        content_type = "application/problem+json"
    )]
    PreconditionFailed(Problem),
    #[response(
        status = 503,
        description = "The database is unavailable",
        content_type = "application/problem+json"
    )]
    Unavailable(Problem),
}

#[derive(IntoResponses)]
pub enum AdminReadErrors {
    #[response(
        status = 401,
        description = "No API key, or a bad or revoked one",
        content_type = "application/problem+json"
    )]
    Unauthorized(Problem),
    #[response(
        status = 403,
        description = "The key's role may not do this",
        content_type = "application/problem+json"
    )]
    Forbidden(Problem),
    #[response(
        status = 503,
        description = "The database is unavailable",
        content_type = "application/problem+json"
    )]
    Unavailable(Problem),
}

#[derive(IntoResponses)]
pub enum DeleteErrors {
    #[response(
        status = 401,
        description = "No API key, or a bad or revoked one",
        content_type = "application/problem+json"
    )]
    Unauthorized(Problem),
    #[response(
        status = 403,
        description = "The key's role may not do this",
        content_type = "application/problem+json"
    )]
    Forbidden(Problem),
    #[response(
        status = 404,
        description = "No live record with this id or slug",
        content_type = "application/problem+json"
    )]
    NotFound(Problem),
    #[response(
        status = 409,
        description = "Live records still refer to this one",
        content_type = "application/problem+json"
    )]
    Conflict(Problem),
    #[response(
        status = 412,
        description = "`If-Match` names a version the record no longer has; nothing changed",
        content_type = "application/problem+json"
    )]
    PreconditionFailed(Problem),
    #[response(
        status = 503,
        description = "The database is unavailable",
        content_type = "application/problem+json"
    )]
    Unavailable(Problem),
}

/// `If-None-Match` on reads of one record.
#[derive(serde::Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IfNoneMatch {
    /// An `ETag` from an earlier read: answered with 304 and no body while it is still current.
    #[serde(rename = "If-None-Match")]
    pub if_none_match: Option<String>,
}

/// `If-Match` on writes to one record.
#[derive(serde::Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IfMatch {
    /// The `ETag` read before the change: the write happens only if the record still has it,
    /// otherwise 412 and nothing changes. `*` matches any current record.
    #[serde(rename = "If-Match")]
    pub if_match: Option<String>,
}

#[derive(IntoResponses)]
pub enum RevokeErrors {
    #[response(
        status = 401,
        description = "No API key, or a bad or revoked one",
        content_type = "application/problem+json"
    )]
    Unauthorized(Problem),
    #[response(
        status = 403,
        description = "The key's role may not do this",
        content_type = "application/problem+json"
    )]
    Forbidden(Problem),
    #[response(
        status = 404,
        description = "No live key with this id",
        content_type = "application/problem+json"
    )]
    NotFound(Problem),
    #[response(
        status = 503,
        description = "The database is unavailable",
        content_type = "application/problem+json"
    )]
    Unavailable(Problem),
}

/// `POST /v1/ingest/{source}`.
#[derive(IntoResponses)]
pub enum IngestErrors {
    #[response(
        status = 400,
        description = "An unknown query parameter, or a bad value of one",
        content_type = "application/problem+json"
    )]
    BadRequest(Problem),
    #[response(
        status = 401,
        description = "No API key, or a bad or revoked one",
        content_type = "application/problem+json"
    )]
    Unauthorized(Problem),
    #[response(
        status = 403,
        description = "The key's role may not do this (admins only)",
        content_type = "application/problem+json"
    )]
    Forbidden(Problem),
    #[response(
        status = 404,
        description = "No such source",
        content_type = "application/problem+json"
    )]
    NotFound(Problem),
    #[response(
        status = 413,
        description = "The body is larger than the server accepts",
        content_type = "application/problem+json"
    )]
    PayloadTooLarge(Problem),
    #[response(
        status = 422,
        description = "Records that cannot be read (each named in `errors`), a missing or unknown project, or a record the ingest cannot write; nothing was written",
        content_type = "application/problem+json"
    )]
    Unprocessable(Problem),
    #[response(
        status = 503,
        description = "The database is unavailable",
        content_type = "application/problem+json"
    )]
    Unavailable(Problem),
}
