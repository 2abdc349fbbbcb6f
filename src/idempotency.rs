//! `Idempotency-Key` on POST: a retry with the same key and request replays the first
//! response and writes nothing new; the same key with another request is 422; a retry while
//! the first is still running is 409. Applies to every POST, as middleware.

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use futures::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use crate::{
    app::AppState,
    db::idempotency as store,
    error::{ApiError, ApiResult, FieldError},
};

pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// Bodies up to this size are hashed in memory; larger ones (imports) are spooled to a
/// temporary file so that memory stays flat.
const IN_MEMORY: usize = 1024 * 1024;
/// Responses kept for replay are JSON records or import reports.
const MAX_STORED_RESPONSE: usize = 16 * 1024 * 1024;
/// Response headers a replay repeats.
const REPLAYED_HEADERS: [HeaderName; 3] = [header::CONTENT_TYPE, header::LOCATION, header::ETAG];

pub async fn idempotent_posts(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::POST || !request.headers().contains_key(&IDEMPOTENCY_KEY) {
        return next.run(request).await;
    }
    match handle(state, request, next).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

async fn handle(state: AppState, request: Request, next: Next) -> ApiResult<Response> {
    let key = parse_key(request.headers())?;
    let (parts, body) = request.into_parts();
    // Without a valid key there is no holder; the handler answers 401.
    let Ok(Some(actor)) = crate::extract::authenticate(&parts, &state).await else {
        return Ok(next.run(Request::from_parts(parts, body)).await);
    };
    let Some(holder) = actor.key_id else {
        return Ok(next.run(Request::from_parts(parts, body)).await);
    };

    let mut hasher = Sha256::new();
    hasher.update(parts.method.as_str().as_bytes());
    hasher.update(b" ");
    hasher.update(
        parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("")
            .as_bytes(),
    );
    hasher.update(b"\n");
    let body = spool(body, &mut hasher, state.config.import_body_limit).await?;
    let request_hash = hasher.finalize().to_vec();

    for _ in 0..3 {
        if store::claim(&state.pool, holder, &key, &request_hash).await? {
            return run_and_store(
                &state,
                holder,
                &key,
                Request::from_parts(parts, body.into_body().await?),
                next,
            )
            .await;
        }
        let Some(stored) = store::find(&state.pool, holder, &key).await? else {
            continue; // expired and deleted in between: claim again
        };
        if stored.request_hash != request_hash {
            return Err(ApiError::Unprocessable {
                detail: "this Idempotency-Key was already used with a different request; use a new key for a new request".to_owned(),
                errors: vec![FieldError::new("Idempotency-Key", "was used with a different request")],
            });
        }
        match stored.status {
            Some(status) => {
                return Ok(replay(
                    status,
                    stored.headers.map(|h| h.0).unwrap_or_default(),
                    stored.body.unwrap_or_default(),
                ));
            }
            None if stored.abandoned && store::take_over(&state.pool, holder, &key).await? => {
                return run_and_store(
                    &state,
                    holder,
                    &key,
                    Request::from_parts(parts, body.into_body().await?),
                    next,
                )
                .await;
            }
            None => {
                return Err(ApiError::Conflict {
                    detail: "a request with this Idempotency-Key is still in progress; retry after it has finished".to_owned(),
                    errors: vec![],
                });
            }
        }
    }
    Err(ApiError::Conflict {
        detail: "the Idempotency-Key is contended; retry".to_owned(),
        errors: vec![],
    })
}

fn parse_key(headers: &HeaderMap) -> ApiResult<String> {
    let value = headers
        .get(&IDEMPOTENCY_KEY)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim();
    if value.is_empty()
        || value.len() > 255
        || !value.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
    {
        return Err(ApiError::bad_field(
            "Idempotency-Key",
            "must be 1 to 255 visible ASCII characters",
        ));
    }
    Ok(value.to_owned())
}

/// Runs the request in a task of its own, so that it finishes and its outcome is recorded (or
/// its claim given back) even when the client goes away or the request timeout answers first:
/// a retry then replays what was done instead of waiting on a claim nobody holds.
async fn run_and_store(
    state: &AppState,
    holder: Uuid,
    key: &str,
    request: Request,
    next: Next,
) -> ApiResult<Response> {
    let pool = state.pool.clone();
    let owned_key = key.to_owned();
    let task = tokio::spawn(async move {
        let response = next.run(request).await;
        store_outcome(&pool, holder, &owned_key, response).await
    });
    match task.await {
        Ok(result) => result,
        Err(failure) => {
            store::release(&state.pool, holder, key).await?;
            Err(ApiError::Internal(anyhow::anyhow!(
                "the request failed: {failure}"
            )))
        }
    }
}

async fn store_outcome(
    pool: &sqlx::PgPool,
    holder: Uuid,
    key: &str,
    response: Response,
) -> ApiResult<Response> {
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_STORED_RESPONSE).await {
        Ok(bytes) => bytes,
        Err(err) => {
            store::release(pool, holder, key).await?;
            return Err(ApiError::Internal(anyhow::anyhow!(
                "response too large to keep for replay: {err}"
            )));
        }
    };
    if parts.status.is_server_error() {
        // Nothing was written (or it was rolled back): let a retry try again.
        store::release(pool, holder, key).await?;
    } else {
        let headers: Vec<(String, String)> = REPLAYED_HEADERS
            .iter()
            .filter_map(|name| {
                Some((
                    name.to_string(),
                    parts.headers.get(name)?.to_str().ok()?.to_owned(),
                ))
            })
            .collect();
        store::complete(pool, holder, key, parts.status.as_u16(), &headers, &bytes).await?;
    }
    Ok(Response::from_parts(parts, Body::from(bytes)))
}

fn replay(status: i16, headers: Vec<(String, String)>, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::from_u16(status as u16).unwrap_or(StatusCode::OK);
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            response.headers_mut().insert(name, value);
        }
    }
    response
        .headers_mut()
        .insert(REPLAYED, HeaderValue::from_static("true"));
    response
}

/// A request body read once (to hash it) and handed on: in memory, or in an unlinked file.
enum Spooled {
    Memory(Bytes),
    File(tokio::fs::File),
}

impl Spooled {
    async fn into_body(self) -> ApiResult<Body> {
        Ok(match self {
            Self::Memory(bytes) => Body::from(bytes),
            Self::File(mut file) => {
                use tokio::io::AsyncSeekExt;
                file.seek(std::io::SeekFrom::Start(0)).await?;
                Body::from_stream(tokio_util::io::ReaderStream::new(file))
            }
        })
    }
}

async fn spool(body: Body, hasher: &mut Sha256, limit: usize) -> ApiResult<Spooled> {
    let too_large = || {
        ApiError::PayloadTooLarge("the request body is larger than the server accepts".to_owned())
    };
    let mut stream = body.into_data_stream();
    let mut memory: Vec<u8> = Vec::new();
    let mut file: Option<tokio::fs::File> = None;
    let mut total = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|err| {
            ApiError::bad_request(format!("the request body could not be read: {err}"))
        })?;
        total += chunk.len();
        if total > limit {
            return Err(too_large());
        }
        hasher.update(&chunk);
        if file.is_none() && memory.len() + chunk.len() > IN_MEMORY {
            let path =
                std::env::temp_dir().join(format!("talentflow-body-{}", Uuid::new_v4().simple()));
            let mut spill = tokio::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(&path)
                .await?;
            // Unlinked at once: the file lives only as long as this request holds it.
            tokio::fs::remove_file(&path).await?;
            spill.write_all(&memory).await?;
            memory = Vec::new();
            file = Some(spill);
        }
        match &mut file {
            Some(spill) => spill.write_all(&chunk).await?,
            None => memory.extend_from_slice(&chunk),
        }
    }
    Ok(match file {
        Some(mut spill) => {
            spill.flush().await?;
            Spooled::File(spill)
        }
        None => Spooled::Memory(Bytes::from(memory)),
    })
}
