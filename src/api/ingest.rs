//! `POST /v1/ingest/{source}`: a file of an open source, ingested as `talentflow ingest` does.

use axum::{
    Json,
    extract::{Path, Request, State},
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::support::FinishQuery;
use crate::{
    app::AppState,
    domain::{form::Check, id_or_slug::IdOrSlug},
    error::{ApiError, ApiResult},
    extract::{Admin, ApiQuery},
    ingest::{
        load::{self, Source},
        write::{self, IngestReport, Options},
    },
    openapi::IngestErrors,
};

/// Lasts as long as the file takes to arrive and be written: bounded by its size
/// (`TALENTFLOW_IMPORT_LIMIT`, as imports are), not by the request timeout.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(ingest))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IngestParams {
    /// For `openalex-works` (and only for it): id or slug of the project whose roster the
    /// works' authors become.
    #[param(format = "id-or-slug")]
    project: Option<String>,
    /// Match and check everything, and report what would be written, without writing.
    dry_run: Option<bool>,
}

/// Ingests one file of an open source in one transaction: the researchers and companies its
/// records name (matched by ORCID, OpenAlex, Wikidata and ROR ids, companies then by name or
/// alias; created otherwise), and the moves their affiliations imply, `inferred` and citing the
/// record; a move already recorded gains the record as a source instead. OpenAlex works set
/// a project's roster. The body is the file as the source publishes it: JSON Lines, one record,
/// or a saved API page, gzipped or not. Any unreadable record: 422 naming each, and nothing is
/// written. Re-ingesting a file changes nothing. docs/INGEST.md has the rules.
#[utoipa::path(post, path = "/v1/ingest/{source}", tag = "bulk",
    params(("source" = Source, Path, description = "Which open source the file comes from"), IngestParams),
    request_body(content = String, content_type = "application/octet-stream",
        description = "The file: JSON, JSON Lines or an API page, optionally gzipped"),
    security(("api_key" = [])),
    responses((status = 200, description = "The file was ingested (or, with dry_run, would be)", body = IngestReport),
        IngestErrors))]
async fn ingest(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path(source): Path<String>,
    ApiQuery(params): ApiQuery<IngestParams>,
    request: Request,
) -> ApiResult<Json<IngestReport>> {
    let source: Source = serde_json::from_value(serde_json::Value::String(source.clone()))
        .map_err(|_| {
            ApiError::NotFound(format!(
                "no source `{source}`: one of openalex-authors, openalex-works, orcid, wikidata"
            ))
        })?;
    let mut check = Check::default();
    let project = check.optional("project", params.project, |p| IdOrSlug::parse(&p));
    check.finish_query()?;
    let limit = state.config.import_body_limit;
    let body = axum::body::to_bytes(request.into_body(), limit)
        .await
        .map_err(|_| {
            ApiError::PayloadTooLarge(format!(
                "the file is larger than the server accepts ({limit} bytes)"
            ))
        })?;
    let name = format!("{} upload", source.as_str());
    let options = Options {
        project,
        dry_run: params.dry_run.unwrap_or(false),
        ..Options::default()
    };
    let chunks = load::read_in_background(source, name.clone(), std::io::Cursor::new(body));
    let report = write::ingest(&state.pool, &actor, source, &name, chunks, &options).await?;
    tracing::info!(
        source = source.as_str(),
        records = report.records,
        moves_created = report.moves.created,
        moves_merged = report.moves.merged,
        dry_run = report.dry_run,
        "ingest finished"
    );
    Ok(Json(report))
}
