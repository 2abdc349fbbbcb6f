use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::support::{Check, checked, conditional_get};
use super::write::{self, Resource};
use crate::{
    app::AppState,
    db::{
        self, Sluggable,
        list::{Page, PageRequest},
        moves::MoveFilter,
    },
    domain::{
        id_or_slug::IdOrSlug,
        moves::{CitationDraft, Confidence, Move, MoveDraft, MoveKind},
        partial_date::PartialDate,
        text,
    },
    error::{ApiError, ApiResult},
    extract::{ApiJson, ApiQuery, Editor, Preconditions},
    openapi::{
        CreateErrors, DeleteErrors, IfMatch, IfNoneMatch, ListErrors, ReadErrors, UpdateErrors,
    },
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_moves, create_move))
        .routes(routes!(get_move, update_move, delete_move))
}

/// A citation as written: the source's id and, optionally, the sentence quoted from it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CitationInput {
    #[schema(required = true, value_type = Uuid)]
    pub source: Option<Uuid>,
    #[schema(format = "prose:5000")]
    pub quote: Option<String>,
}

/// A move as written: by POST, as the document a PATCH merges into, and by import.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveInput {
    /// Id or slug of the researcher.
    #[schema(required = true, value_type = String, example = "michal-valko", format = "id-or-slug")]
    pub researcher: Option<String>,
    /// Id or slug of the company left; null when unknown or not applicable.
    #[schema(example = "google-deepmind", format = "id-or-slug")]
    pub from: Option<String>,
    /// Id or slug of the company joined; null for a departure.
    #[schema(example = "meta", format = "id-or-slug")]
    pub to: Option<String>,
    #[schema(required = true, value_type = MoveKind)]
    pub kind: Option<String>,
    /// The role at the destination.
    #[schema(example = "Chief Engineer, Llama", format = "name:200")]
    pub title: Option<String>,
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    #[schema(required = true, value_type = String, example = "2024-03", format = "partial-date")]
    pub effective_on: Option<String>,
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    #[schema(format = "partial-date")]
    pub announced_on: Option<String>,
    /// Default `reported`.
    #[schema(value_type = Option<Confidence>)]
    pub confidence: Option<String>,
    /// Id of the deal the move was part of.
    pub deal: Option<Uuid>,
    pub sources: Option<Vec<CitationInput>>,
    #[schema(format = "prose:10000")]
    pub notes: Option<String>,
}

/// Checks a list of citations (moves, deals and signals cite sources the same way).
pub fn check_citations(
    check: &mut Check,
    citations: Option<Vec<CitationInput>>,
) -> Vec<CitationDraft> {
    let citations = citations.unwrap_or_default();
    if citations.len() > 50 {
        check.error("sources", "must have at most 50 entries");
    }
    let mut sources: Vec<CitationDraft> = Vec::with_capacity(citations.len());
    for (i, citation) in citations.into_iter().enumerate() {
        let source = check.required(&format!("sources[{i}].source"), citation.source);
        let quote = check.optional(&format!("sources[{i}].quote"), citation.quote, |q| {
            text::prose(&q, 5_000)
        });
        if let Some(source) = source {
            if sources.iter().any(|s| s.source == source) {
                check.error(&format!("sources[{i}].source"), "is cited twice");
            }
            sources.push(CitationDraft { source, quote });
        }
    }
    sources
}

/// A record's citations as written again (merge patches and exports).
pub fn citation_inputs(citations: &[crate::domain::refs::Citation]) -> Vec<CitationInput> {
    citations
        .iter()
        .map(|c| CitationInput {
            source: Some(c.source.id),
            quote: c.quote.clone(),
        })
        .collect()
}

impl MoveInput {
    pub fn validate(self) -> ApiResult<MoveDraft> {
        let mut check = Check::default();
        let researcher = check.require("researcher", self.researcher, |r| IdOrSlug::parse(&r));
        let from = check.optional("from", self.from, |f| IdOrSlug::parse(&f));
        let to = check.optional("to", self.to, |t| IdOrSlug::parse(&t));
        let kind = check.require("kind", self.kind, |k| MoveKind::parse(&k));
        let title = check.optional("title", self.title, |t| text::name(&t, 200));
        let effective = check.require("effective_on", self.effective_on, |d| {
            PartialDate::parse(&d)
        });
        let announced = check.optional("announced_on", self.announced_on, |d| {
            PartialDate::parse(&d)
        });
        let confidence = check.optional("confidence", self.confidence, |c| Confidence::parse(&c));
        let notes = check.optional("notes", self.notes, |n| text::prose(&n, 10_000));
        let sources = check_citations(&mut check, self.sources);
        if from.is_none() && to.is_none() {
            check.error("to", "a move needs `from`, `to` or both");
        }
        if let (Some(from), Some(to)) = (&from, &to)
            && from == to
        {
            check.error("to", "must differ from `from`");
        }
        if let Some(kind) = kind {
            match (kind.has_destination(), to.is_some()) {
                (false, true) => check.error(
                    "to",
                    "a departure has no known destination; use kind `hire` or leave `to` out",
                ),
                (true, false) => {
                    check.error("to", format!("a move of kind `{kind}` needs a destination"))
                }
                _ => {}
            }
        }
        check.finish()?;
        Ok(MoveDraft {
            researcher: checked(researcher),
            from,
            to,
            kind: checked(kind),
            title,
            effective: checked(effective),
            announced,
            confidence: confidence.unwrap_or(Confidence::Reported),
            deal: self.deal,
            sources,
            notes,
        })
    }
}

impl From<&Move> for MoveInput {
    fn from(m: &Move) -> Self {
        Self {
            researcher: Some(m.researcher.id.to_string()),
            from: m.from.as_ref().map(|c| c.id.to_string()),
            to: m.to.as_ref().map(|c| c.id.to_string()),
            kind: Some(m.kind.as_str().to_owned()),
            title: m.title.clone(),
            effective_on: Some(
                PartialDate {
                    start: m.effective_on,
                    precision: m.effective_precision,
                }
                .to_string(),
            ),
            announced_on: PartialDate::from_stored(m.announced_on, m.announced_precision)
                .map(|d| d.to_string()),
            confidence: Some(m.confidence.as_str().to_owned()),
            deal: m.deal.as_ref().map(|d| d.id),
            sources: Some(
                m.sources
                    .iter()
                    .map(|c| CitationInput {
                        source: Some(c.source.id),
                        quote: c.quote.clone(),
                    })
                    .collect(),
            ),
            notes: m.notes.clone(),
        }
    }
}

impl Resource for Move {
    type Input = MoveInput;
    const COLLECTION_URL: &'static str = "/v1/moves";

    fn validate(input: MoveInput) -> ApiResult<Self::Draft> {
        input.validate()
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MoveListParams {
    /// Id or slug of the researcher.
    #[param(format = "id-or-slug")]
    researcher: Option<String>,
    /// Id or slug of a company on either side of the move.
    #[param(format = "id-or-slug")]
    company: Option<String>,
    /// Id or slug of the company left.
    #[param(format = "id-or-slug")]
    from: Option<String>,
    /// Id or slug of the company joined.
    #[param(format = "id-or-slug")]
    to: Option<String>,
    #[param(value_type = Option<MoveKind>)]
    kind: Option<String>,
    #[param(value_type = Option<Confidence>)]
    confidence: Option<String>,
    /// Effective on or after (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`). A date known to a month or a
    /// year matches when it may be (`2023` matches `since=2023-06`).
    #[param(format = "partial-date")]
    since: Option<String>,
    /// Effective on or before, inclusive of the whole period (`2024-03` = until 2024-03-31). A
    /// date known to a month or a year matches when it may be. Sorting is by the first day.
    #[param(format = "partial-date")]
    until: Option<String>,
    /// Id of a deal: the moves that were part of it.
    deal: Option<Uuid>,
    /// Id or slug of a project: moves of its contributors.
    #[param(format = "id-or-slug")]
    project: Option<String>,
    /// `-effective_on` (default: newest first), `effective_on`, `-created_at` or `created_at`.
    #[param(pattern = "^-?(effective_on|created_at)$")]
    sort: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    cursor: Option<String>,
    include_total: Option<bool>,
}

/// Lists moves, newest first.
#[utoipa::path(get, path = "/moves", tag = "moves", params(MoveListParams),
    responses((status = 200, description = "One page of moves", body = Page<Move>), ListErrors))]
async fn list_moves(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<MoveListParams>,
) -> ApiResult<Response> {
    let page = PageRequest::new(
        &db::moves::SORTS,
        params.sort.as_deref(),
        params.limit,
        params.cursor.as_deref(),
        params.include_total,
    )?;
    let mut check = Check::default();
    let researcher = check.optional("researcher", params.researcher, |r| IdOrSlug::parse(&r));
    let company = check.optional("company", params.company, |c| IdOrSlug::parse(&c));
    let from = check.optional("from", params.from, |f| IdOrSlug::parse(&f));
    let to = check.optional("to", params.to, |t| IdOrSlug::parse(&t));
    let kind = check.optional("kind", params.kind, |k| MoveKind::parse(&k));
    let confidence = check.optional("confidence", params.confidence, |c| Confidence::parse(&c));
    let (since, until) = super::period(&mut check, params.since, params.until);
    let project = check.optional("project", params.project, |p| IdOrSlug::parse(&p));
    check.finish_query()?;

    let mut filter = MoveFilter {
        kind: kind.map(|k| k.as_str().to_owned()),
        confidence: confidence.map(|c| c.as_str().to_owned()),
        since: since.map(|d| d.start),
        until: until.map(|d| d.end()),
        ..MoveFilter::default()
    };
    if let Some(key) = researcher {
        filter.researcher =
            Some(super::resolve_filter(&state, Sluggable::Researchers, "researcher", &key).await?);
    }
    if let Some(key) = project {
        filter.project =
            Some(super::resolve_filter(&state, Sluggable::Projects, "project", &key).await?);
    }
    if let Some(deal) = params.deal {
        filter.deal = Some(super::resolve_deal_filter(&state, deal).await?);
    }
    for (field, key, slot) in [
        ("company", company, &mut filter.company),
        ("from", from, &mut filter.from),
        ("to", to, &mut filter.to),
    ] {
        if let Some(key) = key {
            *slot = Some(super::resolve_filter(&state, Sluggable::Companies, field, &key).await?);
        }
    }
    let pool = state.pool.clone();
    super::csv::list_response(&headers, &db::moves::SORTS, page, move |page| {
        let (pool, filter) = (pool.clone(), filter.clone());
        async move { db::moves::list(&pool, &filter, &page).await }
    })
    .await
}

/// Records a move.
#[utoipa::path(post, path = "/moves", tag = "moves", request_body = MoveInput,
    security(("api_key" = [])),
    responses((status = 201, description = "Created", body = Move,
        headers(("Location" = String, description = "URL of the new move"), ("ETag" = String, description = "Entity tag of the new record"))), CreateErrors))]
async fn create_move(
    State(state): State<AppState>,
    Editor(actor): Editor,
    ApiJson(input): ApiJson<MoveInput>,
) -> ApiResult<Response> {
    write::create::<Move>(&state, &actor, input).await
}

/// One move, with its researcher, companies and sources embedded.
#[utoipa::path(get, path = "/moves/{id}", tag = "moves",
    params(("id" = Uuid, Path, description = "Id"), IfNoneMatch),
    responses((status = 200, description = "The move", body = Move,
        headers(("ETag" = String, description = "Entity tag of this representation, for If-None-Match and If-Match"))),
        (status = 304, description = "Not modified: `If-None-Match` names the current representation"), ReadErrors))]
async fn get_move(
    State(state): State<AppState>,
    Path(id): Path<String>,
    preconditions: Preconditions,
) -> ApiResult<Response> {
    let id = super::path_id::<Move>(&id)?;
    let mut conn = state.pool.acquire().await?;
    let found = db::moves::get(&mut conn, id).await?;
    let record = found.ok_or_else(|| ApiError::not_found("move", id))?;
    conditional_get(&record, &preconditions)
}

/// Changes a move with a JSON merge patch (RFC 7396). `sources`, when given, replaces the list.
#[utoipa::path(patch, path = "/moves/{id}", tag = "moves",
    params(("id" = Uuid, Path, description = "Id"), IfMatch),
    request_body(content = MoveInput, content_type = "application/merge-patch+json"),
    security(("api_key" = [])),
    responses((status = 200, description = "The changed move", body = Move,
        headers(("ETag" = String, description = "Entity tag of this representation, for If-None-Match and If-Match"))), UpdateErrors))]
async fn update_move(
    State(state): State<AppState>,
    Editor(actor): Editor,
    Path(id): Path<String>,
    preconditions: Preconditions,
    ApiJson(patch): ApiJson<serde_json::Map<String, serde_json::Value>>,
) -> ApiResult<Response> {
    write::update::<Move>(&state, &actor, &id, &preconditions, &patch).await
}

/// Deletes a move (softly: it leaves lists, its history stays).
#[utoipa::path(delete, path = "/moves/{id}", tag = "moves",
    params(("id" = Uuid, Path, description = "Id"), IfMatch),
    security(("api_key" = [])),
    responses((status = 204, description = "Deleted"), DeleteErrors))]
async fn delete_move(
    State(state): State<AppState>,
    Editor(actor): Editor,
    Path(id): Path<String>,
    preconditions: Preconditions,
) -> ApiResult<StatusCode> {
    write::delete::<Move>(&state, &actor, &id, &preconditions).await
}
