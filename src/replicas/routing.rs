//! Where a read goes. [`ReadRouting`] wraps every route: on a GET or HEAD it reads the
//! client's consistency token (400 when it is not one this service gives out), lets the
//! handler's [`ReadDb`] pick a database, marks a replica's answer with its lag, and when a read
//! on a replica failed (the replica went down, or cancelled the query to replay), takes the
//! replica out of rotation and answers the same request from the primary instead.

use std::{
    convert::Infallible,
    future::{Ready, ready},
    sync::{Arc, Mutex},
    task::{Context, Poll},
};

use axum::{
    body::Body,
    extract::{FromRequestParts, Request},
    http::{HeaderName, HeaderValue, Method, StatusCode, request::Parts},
    response::{IntoResponse, Response},
};
use futures::future::{BoxFuture, Either};
use sqlx::PgPool;
use tower::{Layer, Service, ServiceExt};

use super::{Replicas, Target};
use crate::{app::AppState, consistency::CONSISTENCY, db::replication::Lsn, error::ApiError};

/// On an answer from a replica: how far behind the primary it was at its last check, in
/// seconds.
pub const REPLICA_LAG: HeaderName = HeaderName::from_static("talentflow-replica-lag");

/// A GET's routing, carried in its extensions from [`ReadRouting`] to [`ReadDb`].
#[derive(Clone)]
struct ReadRoute {
    token: Option<Lsn>,
    primary_only: bool,
    answered: Arc<Mutex<Option<Target>>>,
}

impl ReadRoute {
    fn new(token: Option<Lsn>, primary_only: bool) -> Self {
        Self {
            token,
            primary_only,
            answered: Arc::new(Mutex::new(None)),
        }
    }

    fn answered(&self) -> Option<Target> {
        self.answered.lock().ok().and_then(|answered| *answered)
    }
}

/// The database a read-only handler reads from: a replica when `DATABASE_READ_URL` names any
/// and one can answer (see [`super::Replicas::choose`]), else the primary.
pub struct ReadDb(pub PgPool);

impl FromRequestParts<AppState> for ReadDb {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let (Some(replicas), Some(route)) = (&state.replicas, parts.extensions.get::<ReadRoute>())
        else {
            return Ok(Self(state.pool.clone()));
        };
        let target = if route.primary_only {
            Target::Primary
        } else {
            replicas.choose(route.token).await
        };
        if let Ok(mut answered) = route.answered.lock() {
            *answered = Some(target);
        }
        let (name, pool) = match target {
            Target::Primary => ("primary", &state.pool),
            Target::Replica { index, .. } => {
                let replica = &replicas.all()[index];
                (replica.name.as_str(), &replica.pool)
            }
        };
        metrics::counter!("talentflow_db_reads_total", "target" => name.to_owned()).increment(1);
        Ok(Self(pool.clone()))
    }
}

/// The consistency token a read sends back, if any.
fn token(request: &Request) -> Result<Option<Lsn>, ApiError> {
    let Some(value) = request.headers().get(CONSISTENCY) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|text| Lsn::from_token(text.trim()))
        .map(Some)
        .ok_or_else(|| {
            ApiError::bad_request(
                "`Talentflow-Consistency` must be a token a write answered (16 hexadecimal digits, such as `00000000016B3748`), sent back unchanged",
            )
        })
}

/// A read that failed on a replica is answered again from the primary: the replica's own
/// failures are a 503 (down, or no connection in time), a 409 (a query cancelled because it
/// conflicted with replay; a read never otherwise answers 409) or a 500.
fn failed_there(status: StatusCode) -> bool {
    status.is_server_error() || status == StatusCode::CONFLICT
}

/// Only a replica that could not be reached leaves the rotation: a cancelled query or a
/// server error says nothing about the next read there.
fn unreachable(status: StatusCode) -> bool {
    status == StatusCode::SERVICE_UNAVAILABLE
}

#[derive(Clone)]
pub struct ReadRouting {
    state: AppState,
}

impl ReadRouting {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

impl<S> Layer<S> for ReadRouting {
    type Service = ReadRoutingService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ReadRoutingService {
            inner,
            state: self.state.clone(),
        }
    }
}

#[derive(Clone)]
pub struct ReadRoutingService<S> {
    inner: S,
    state: AppState,
}

impl<S> Service<Request> for ReadRoutingService<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    /// Straight to the route, or the token's 400, when there is nothing to choose between (no
    /// replicas, or not a read); a boxed future only when a replica may answer.
    type Future = Either<
        Either<S::Future, Ready<Result<Response, Infallible>>>,
        BoxFuture<'static, Result<Response, Infallible>>,
    >;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        if !matches!(*request.method(), Method::GET | Method::HEAD) {
            return Either::Left(Either::Left(self.inner.call(request)));
        }
        let token = match token(&request) {
            Ok(token) => token,
            Err(err) => return Either::Left(Either::Right(ready(Ok(err.into_response())))),
        };
        let Some(replicas) = self.state.replicas.clone() else {
            return Either::Left(Either::Left(self.inner.call(request)));
        };
        // The clone that was made ready is the one to call; keep a fresh clone for next time.
        let fresh = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, fresh);
        Either::Right(Box::pin(async move {
            Ok(route(inner, replicas, token, request).await)
        }))
    }
}

/// A read that a replica may answer: marks the answer with the replica's lag, or sends the read
/// again to the primary when it failed there.
async fn route<S>(
    mut inner: S,
    replicas: Arc<Replicas>,
    token: Option<Lsn>,
    mut request: Request,
) -> Response
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    // What it takes to send the same read again (a GET's body means nothing to this API).
    let again = {
        let mut again = Request::new(Body::empty());
        *again.method_mut() = request.method().clone();
        *again.uri_mut() = request.uri().clone();
        *again.version_mut() = request.version();
        *again.headers_mut() = request.headers().clone();
        *again.extensions_mut() = request.extensions().clone();
        again
    };
    let route = ReadRoute::new(token, false);
    request.extensions_mut().insert(route.clone());
    let response = answer(inner.call(request).await);
    let Some(Target::Replica { index, lag }) = route.answered() else {
        return response;
    };
    if failed_there(response.status()) {
        let name = &replicas.all()[index].name;
        if unreachable(response.status()) {
            replicas.mark_failed(index, "a read there found no connection");
        }
        tracing::info!(replica = %name, status = %response.status(), "a read failed on a replica; answering it from the primary");
        metrics::counter!("talentflow_replica_fallbacks_total", "replica" => name.clone())
            .increment(1);
        let mut again = again;
        again.extensions_mut().insert(ReadRoute::new(token, true));
        return match inner.ready().await {
            Ok(ready) => answer(ready.call(again).await),
            Err(never) => match never {},
        };
    }
    let mut response = response;
    if let Ok(value) = HeaderValue::from_str(&format!("{:.3}", lag.map_or(0.0, |lag| lag.seconds)))
    {
        response.headers_mut().insert(REPLICA_LAG, value);
    }
    response
}

fn answer(result: Result<Response, Infallible>) -> Response {
    match result {
        Ok(response) => response,
        Err(never) => match never {},
    }
}
