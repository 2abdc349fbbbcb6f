//! `POST /v1/import` and `GET /v1/export`: NDJSON in and out.

use crate::replicas::routing::ReadDb;
use axum::{
    Json,
    extract::{Request, State},
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use futures::TryStreamExt;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    app::AppState,
    bulk::{export, import},
    error::{ApiError, ApiResult},
    extract::{ApiQuery, Editor},
    openapi::CreateErrors,
};

pub const NDJSON: &str = "application/x-ndjson";

/// `GET /v1/export`: the request timeout applies, as to the rest of the API (until the answer
/// starts; the streamed body may take longer).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export_records))
}

/// `POST /v1/import`, which lasts as long as its body takes to stream and write: it is bounded
/// by its size (`TALENTFLOW_IMPORT_LIMIT`), not by the request timeout.
pub fn import_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(import_records))
}

/// Endpoints without query parameters still refuse unknown ones.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// Check every line, and report what would be written, without writing anything.
    dry_run: Option<bool>,
}

/// Upserts records from NDJSON, all or nothing. One record a line:
/// `{"type": "company" | "researcher" | "source" | "project" | "report" | "deal" | "move" |
/// "compensation" | "signal", "id": optional, …the fields of its POST body}`. Companies,
/// researchers and projects are matched by id, then slug; sources by id, then URL; the others
/// by id. A line may refer to records that exist or come earlier in the file. Any bad line: 422
/// naming every bad line (`errors[].line`), and nothing is written. The body is streamed.
#[utoipa::path(post, path = "/v1/import", tag = "bulk", params(ImportParams),
    request_body(content = String, content_type = "application/x-ndjson",
        description = "One JSON record a line, as `GET /v1/export` writes them"),
    security(("api_key" = [])),
    responses((status = 200, description = "Everything was imported (or, with dry_run, would be)", body = import::ImportReport),
        CreateErrors))]
async fn import_records(
    State(state): State<AppState>,
    Editor(actor): Editor,
    ApiQuery(params): ApiQuery<ImportParams>,
    request: Request,
) -> ApiResult<Json<import::ImportReport>> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if !matches!(
        mime.as_str(),
        NDJSON | "application/jsonl" | "application/x-jsonlines"
    ) {
        return Err(ApiError::UnsupportedMediaType(format!(
            "send one JSON record a line with `Content-Type: {NDJSON}` (got `{content_type}`)"
        )));
    }
    let stream = request
        .into_body()
        .into_data_stream()
        .map_err(std::io::Error::other);
    let reader =
        tokio::io::BufReader::with_capacity(64 * 1024, tokio_util::io::StreamReader::new(stream));
    let dry_run = params.dry_run.unwrap_or(false);
    let limit = state.config.import_body_limit as u64;
    let options = import::Options {
        dry_run,
        max_bytes: limit,
        insert_only: false,
    };
    let report = import::import(&state.pool, &actor, reader, options, &|_| {}).await?;
    tracing::info!(
        lines = report.lines,
        created = report.created,
        updated = report.updated,
        dry_run,
        "import finished"
    );
    Ok(Json(report))
}

/// Every live record as NDJSON, in an order `POST /v1/import` accepts, from one consistent
/// snapshot. Streamed.
#[utoipa::path(get, path = "/v1/export", tag = "bulk",
    responses((status = 200, description = "One record a line", body = String, content_type = "application/x-ndjson"),
        (status = 400, description = "A query parameter was given (there are none)", body = crate::error::Problem,
            content_type = "application/problem+json"),
        (status = 401, description = "Reads need a key on this server and none or a bad one was given",
            body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem,
            content_type = "application/problem+json")))]
async fn export_records(ReadDb(db): ReadDb, ApiQuery(_none): ApiQuery<NoParams>) -> Response {
    let (feed, drain) = crate::stream::channel();
    tokio::spawn(async move {
        if let Err(err) = export::export(&db, &feed).await {
            tracing::error!(error = %err, "export failed part-way");
            feed.fail();
        }
    });
    let mut response = drain.into_body().into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(NDJSON));
    response
}
