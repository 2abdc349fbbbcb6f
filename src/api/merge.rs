//! `POST /v1/researchers/{id}/merge` and `POST /v1/companies/{id}/merge`, and the redirect
//! that keeps a merged record's old slug and id working.

use std::{
    convert::Infallible,
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

use axum::{
    extract::{Path, Request, State},
    http::{HeaderValue, Method, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use tower::{Layer, Service};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::support::tagged;
use crate::{
    app::AppState,
    db::{self, Sluggable, record},
    domain::{company::Company, form::Check, id_or_slug::IdOrSlug, researcher::Researcher},
    error::{ApiError, ApiResult, FieldError},
    extract::{ApiJson, Editor},
    openapi::UpdateErrors,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(merge_researcher))
        .routes(routes!(merge_company))
}

/// What to merge a record into.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeInput {
    /// Id or slug of the record that stays.
    #[schema(required = true, value_type = String, example = "michal-valko", format = "id-or-slug")]
    pub into: Option<String>,
}

fn target(input: MergeInput) -> ApiResult<IdOrSlug> {
    let mut check = Check::default();
    let into = check.require("into", input.into, |i| IdOrSlug::parse(&i));
    check.finish()?;
    Ok(into.expect("checked"))
}

/// Both records, locked in the order of their ids (so two merges of the same pair, either
/// way round, wait for each other instead of deadlocking): (merged, target).
async fn lock_pair<R: record::Record>(
    conn: &mut sqlx::PgConnection,
    table: Sluggable,
    source: &IdOrSlug,
    target: &IdOrSlug,
) -> ApiResult<(R, R)> {
    let what = R::TABLE.what;
    let source_id = db::resolve_for_reference(conn, table, source)
        .await?
        .ok_or_else(|| ApiError::not_found(what, source))?;
    let target_id = db::resolve_for_reference(conn, table, target)
        .await?
        .ok_or_else(|| {
            ApiError::invalid(vec![FieldError::new(
                "into",
                format!("no {what} `{target}`"),
            )])
        })?;
    let mut ids: Vec<Uuid> = vec![source_id, target_id];
    ids.sort();
    ids.dedup();
    for id in ids {
        record::lock::<R>(conn, &IdOrSlug::Id(id)).await?;
    }
    let source = record::lock::<R>(conn, &IdOrSlug::Id(source_id)).await?;
    let target = record::lock::<R>(conn, &IdOrSlug::Id(target_id)).await?;
    Ok((source, target))
}

/// Merges a researcher into another (a duplicate an ingest made, say): their moves, roster
/// places, names (as aliases) and identifiers go to the target; a move both had is kept once,
/// with the sources of both. The merged researcher is deleted; its slug and id answer `308` to
/// the target. Both histories record the merge. Answers the target as it is now.
#[utoipa::path(post, path = "/v1/researchers/{id}/merge", tag = "researchers",
    params(("id" = String, Path, description = "Id or slug of the researcher merged away")),
    request_body = MergeInput, security(("api_key" = [])),
    responses((status = 200, description = "The researcher merged into", body = Researcher,
        headers(("ETag" = String, description = "Entity tag of the target as it is now"))), UpdateErrors))]
async fn merge_researcher(
    State(state): State<AppState>,
    Editor(actor): Editor,
    Path(key): Path<String>,
    ApiJson(input): ApiJson<MergeInput>,
) -> ApiResult<Response> {
    let key = super::path_key::<Researcher>(&key)?;
    let into = target(input)?;
    let mut tx = state.pool.begin().await?;
    let (source, target) =
        lock_pair::<Researcher>(&mut tx, Sluggable::Researchers, &key, &into).await?;
    let merged = db::merge::researchers(&mut tx, &actor, &source, &target).await?;
    tx.commit().await?;
    tagged(StatusCode::OK, &merged)
}

/// Merges a company into another: moves from and to it, subsidiaries, projects, deals, pay
/// reports and signals, its names (as aliases) and identifiers go to the target; a move both
/// had is kept once. Refused (409, saying why) while a move or a deal goes between the two or
/// the target is under the merged company. The merged company is deleted; its slug and id
/// answer `308` to the target. Both histories record the merge. Analytics stay exact.
#[utoipa::path(post, path = "/v1/companies/{id}/merge", tag = "companies",
    params(("id" = String, Path, description = "Id or slug of the company merged away")),
    request_body = MergeInput, security(("api_key" = [])),
    responses((status = 200, description = "The company merged into", body = Company,
        headers(("ETag" = String, description = "Entity tag of the target as it is now"))), UpdateErrors))]
async fn merge_company(
    State(state): State<AppState>,
    Editor(actor): Editor,
    Path(key): Path<String>,
    ApiJson(input): ApiJson<MergeInput>,
) -> ApiResult<Response> {
    let key = super::path_key::<Company>(&key)?;
    let into = target(input)?;
    let mut tx = state.pool.begin().await?;
    let (source, target) = lock_pair::<Company>(&mut tx, Sluggable::Companies, &key, &into).await?;
    let merged = db::merge::companies(&mut tx, &actor, &source, &target).await?;
    tx.commit().await?;
    tagged(StatusCode::OK, &merged)
}

/// A GET that found no live researcher or company by the key in its path, where the key was a
/// record merged into another, is sent there: `308` with the same path (and query) on the
/// target's slug. Only misses pay for the lookup: a tower layer rather than an axum `from_fn`,
/// so that a hit costs nothing but a look at its status.
#[derive(Clone)]
pub struct RedirectMergedLayer {
    state: AppState,
}

impl RedirectMergedLayer {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

impl<S> Layer<S> for RedirectMergedLayer {
    type Service = RedirectMerged<S>;

    fn layer(&self, inner: S) -> RedirectMerged<S> {
        RedirectMerged {
            inner,
            state: self.state.clone(),
        }
    }
}

#[derive(Clone)]
pub struct RedirectMerged<S> {
    inner: S,
    state: AppState,
}

impl<S> Service<Request> for RedirectMerged<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Redirecting<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let is_read = matches!(*request.method(), Method::GET | Method::HEAD);
        let missed = is_read.then(|| (request.uri().clone(), self.state.clone()));
        Redirecting {
            answer: self.inner.call(request),
            missed,
            lookup: None,
        }
    }
}

pin_project_lite::pin_project! {
    /// The route's answer, and when it is a 404 of a read, the look for a merged record.
    pub struct Redirecting<F> {
        #[pin]
        answer: F,
        missed: Option<(Uri, AppState)>,
        lookup: Option<BoxFuture<'static, Response>>,
    }
}

impl<F> Future for Redirecting<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            if let Some(lookup) = this.lookup.as_mut() {
                return lookup.as_mut().poll(cx).map(Ok);
            }
            let response = std::task::ready!(this.answer.as_mut().poll(cx))?;
            match this.missed.take() {
                Some((uri, state)) if response.status() == StatusCode::NOT_FOUND => {
                    *this.lookup = Some(Box::pin(redirect_if_merged(state, uri, response)));
                }
                _ => return Poll::Ready(Ok(response)),
            }
        }
    }
}

/// `response` (a 404 of a read of `uri`), or the redirect to the record its key was merged into.
async fn redirect_if_merged(state: AppState, uri: Uri, response: Response) -> Response {
    let mut segments = uri.path().trim_start_matches('/').splitn(4, '/');
    let (Some("v1"), Some(collection), Some(key)) =
        (segments.next(), segments.next(), segments.next())
    else {
        return response;
    };
    let table = match collection {
        "researchers" => "researchers",
        "companies" => "companies",
        _ => return response,
    };
    let rest = segments.next();
    let Some(key) = as_key(key) else {
        return response;
    };
    let found = async {
        let mut conn = state.pool.acquire().await?;
        db::merge::merged_into(&mut conn, table, &key).await
    }
    .await;
    let Ok(Some(slug)) = found else {
        return response;
    };
    let mut location = format!("/v1/{collection}/{slug}");
    if let Some(rest) = rest {
        location.push('/');
        location.push_str(rest);
    }
    if let Some(query) = uri.query() {
        location.push('?');
        location.push_str(query);
    }
    let Ok(location) = HeaderValue::from_str(&location) else {
        return response;
    };
    let mut redirect = StatusCode::PERMANENT_REDIRECT.into_response();
    redirect.headers_mut().insert(header::LOCATION, location);
    redirect
}

/// A path segment that may be a slug or an id (both are letters, digits and hyphens).
fn as_key(segment: &str) -> Option<String> {
    (!segment.is_empty()
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    .then(|| segment.to_owned())
}
