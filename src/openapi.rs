//! The OpenAPI document (generated from the handlers' annotations) and the docs page.

use axum::Router;
use utoipa::{
    IntoParams, IntoResponses, Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};
use utoipa_swagger_ui::SwaggerUi;

use crate::{app::AppState, error::Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "talentflow",
        description = "Records and analyses how AI researchers move between companies and labs: \
            researchers, companies, moves and their sources.\n\n\
            Errors are RFC 9457 `application/problem+json`. Writes need `Authorization: Bearer <api key>` \
            (roles `editor` and `admin`); reads are public unless the server is configured otherwise.\n\n\
            Lists use keyset pagination: pass `next_cursor` back as `cursor` with the same filters and sort.",
        license(name = "MIT", identifier = "MIT")
    ),
    modifiers(&BearerKey),
    tags(
        (name = "companies", description = "Companies and labs, with their parent companies"),
        (name = "researchers", description = "Researchers, with aliases and their current company"),
        (name = "moves", description = "Who went from where to where, when, per which source"),
        (name = "sources", description = "Press reports, papers and announcements cited by facts"),
        (name = "history", description = "The audit trail of each record"),
        (name = "keys", description = "API keys (admin role)"),
        (name = "operations", description = "Health and readiness"),
    )
)]
pub struct ApiDoc;

struct BearerKey;

impl Modify for BearerKey {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key made by `talentflow keys create`"))
                    .build(),
            ),
        );
    }
}

/// The document the server serves and `talentflow openapi` prints.
pub fn spec() -> utoipa::openapi::OpenApi {
    let (_, spec) = crate::api::router().split_for_parts();
    finish(spec)
}

/// Pretty JSON with a trailing newline, as committed in `openapi/openapi.json`.
pub fn spec_json() -> String {
    let mut json = spec().to_pretty_json().unwrap_or_default();
    json.push('\n');
    json
}

pub fn finish(spec: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc.merge(spec);
    with_patch_schemas(doc)
}

/// A PATCH body is a JSON merge patch of the create body: every field is optional there. Rather
/// than keep a second struct per resource in step by hand, each `XInput` schema gets an `XPatch`
/// twin without `required`, and PATCH operations refer to the twin.
fn with_patch_schemas(doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use serde_json::Value;
    let Ok(mut json) = serde_json::to_value(&doc) else {
        return doc;
    };
    let mut patched_inputs = Vec::new();
    if let Some(paths) = json["paths"].as_object_mut() {
        for item in paths.values_mut() {
            let Some(content) = item.pointer_mut("/patch/requestBody/content") else {
                continue;
            };
            for media in content
                .as_object_mut()
                .into_iter()
                .flat_map(|c| c.values_mut())
            {
                let Some(reference) = media.pointer_mut("/schema/$ref") else {
                    continue;
                };
                let Some(input) = reference
                    .as_str()
                    .and_then(|r| r.strip_prefix("#/components/schemas/"))
                    .map(str::to_owned)
                else {
                    continue;
                };
                let Some(resource) = input.strip_suffix("Input") else {
                    continue;
                };
                let patch = format!("{resource}Patch");
                *reference = Value::String(format!("#/components/schemas/{patch}"));
                patched_inputs.push((input, patch));
            }
        }
    }
    if let Some(schemas) = json
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (input, patch) in patched_inputs {
            let Some(mut schema) = schemas.get(&input).cloned() else {
                continue;
            };
            if let Some(object) = schema.as_object_mut() {
                object.remove("required");
                object.insert(
                    "description".to_owned(),
                    Value::String(format!(
                        "A JSON merge patch (RFC 7396) of {input}: any subset of its fields; `null` clears an optional field."
                    )),
                );
            }
            schemas.insert(patch, schema);
        }
    }
    serde_json::from_value(json).unwrap_or(doc)
}

/// Swagger UI at `/docs` from files built into the binary (no CDN), and `/openapi.json`.
pub fn docs(spec: utoipa::openapi::OpenApi) -> Router<AppState> {
    SwaggerUi::new("/docs").url("/openapi.json", spec).into()
}

// Error responses shared by the operations, so each documents every status it can answer.

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
        description = "A filter names a record that does not exist, or a bad value",
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
        status = 404,
        description = "No live record with this id or slug (PATCH)",
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
