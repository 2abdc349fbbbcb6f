//! The application: shared state, the router (pure, no I/O) and the server with graceful shutdown.

use std::{
    convert::Infallible,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    Router,
    extract::{DefaultBodyLimit, Request, State},
    http::{HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
use sqlx::PgPool;
use tower::{Service, ServiceBuilder, util::MapResponseLayer};
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::{
        CompressionLayer, CompressionLevel,
        predicate::{NotForContentType, Predicate, SizeAbove},
    },
    cors::{AllowOrigin, CorsLayer},
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

use crate::{
    config::{Config, ReadAuth},
    envelope::{EnvelopeLayer, REQUEST_ID},
    error::{self, ApiError},
    rate_limit::RateLimits,
    replicas::{Replicas, routing::ReadRouting},
};

/// What every handler and middleware layer shares. It is one pointer: axum clones the state for
/// every layer of every request (and the route's whole layered service with it), and cloning the
/// fields one by one (a cancellation token takes a lock) cost a hot read more than its query.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

#[derive(Clone)]
pub struct Shared {
    pub pool: PgPool,
    pub config: Arc<Config>,
    pub rate_limits: Option<Arc<RateLimits>>,
    /// Wakes the live streams of this process when moves change anywhere.
    pub changes: crate::live::Changes,
    /// The streaming replicas reads may go to (`DATABASE_READ_URL`); None: all go to `pool`.
    pub replicas: Option<Arc<Replicas>>,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    pub fn new(pool: PgPool, config: Config) -> Self {
        let rate_limits = RateLimits::new(config.rate_limit, config.rate_burst).map(Arc::new);
        Self(Arc::new(Shared {
            pool,
            config: Arc::new(config),
            rate_limits,
            changes: crate::live::Changes::default(),
            replicas: None,
        }))
    }

    /// Adds the replicas `DATABASE_READ_URL` names (an error when one is not a URL).
    pub fn with_read_replicas(mut self) -> anyhow::Result<Self> {
        let replicas = Replicas::from_config(&self.config)?.map(Arc::new);
        Arc::make_mut(&mut self.0).replicas = replicas;
        Ok(self)
    }
}

pub fn router(state: AppState) -> Router {
    let crate::api::Routes { timed, open_ended } = crate::api::routes();
    let (timed, mut spec) = timed.split_for_parts();
    let (open_ended, open_ended_spec) = open_ended.split_for_parts();
    spec.merge(open_ended_spec);
    let spec = crate::openapi::finish(spec);
    let config = state.config.clone();

    // The request timeout bounds the timed routes alone (the import, the ingest and the change
    // stream are not among them), outside their route layers so that it bounds the rate
    // limiter's, the read key's and idempotency's database work too.
    let timed = Router::new()
        .merge(timed)
        .merge(crate::openapi::docs(spec))
        .merge(crate::dashboard::router())
        .fallback(error::unknown_route);
    let reads = route_layers(timed.clone(), &state, Requests::Reads, Timeout::Bounded)
        .merge(route_layers(
            open_ended.clone(),
            &state,
            Requests::Reads,
            Timeout::None,
        ))
        .with_state(state.clone());
    let writes = route_layers(timed, &state, Requests::Writes, Timeout::Bounded)
        .merge(route_layers(
            open_ended,
            &state,
            Requests::Writes,
            Timeout::None,
        ))
        .with_state(state);

    // The layers every request passes, outermost first. They wrap the pair of routers once:
    // `Router::layer` would wrap every route apart, one boxed level per call.
    let service_wide = ServiceBuilder::new()
        .layer(EnvelopeLayer)
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request| {
                    let request_id = request
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", method = %request.method(), uri = %request.uri(), request_id)
                })
                .on_response(
                    tower_http::trace::DefaultOnResponse::new()
                        .level(tracing::Level::INFO)
                        .latency_unit(tower_http::LatencyUnit::Micros),
                ),
        )
        .layer(CatchPanicLayer::new())
        .layer(cors(&config.cors_origins))
        .layer(compression())
        .layer(DefaultBodyLimit::max(config.body_limit));
    Router::new().fallback_service(service_wide.service(ReadsAndWrites { reads, writes }))
}

/// Whether a group of routes is bounded by `TALENTFLOW_REQUEST_TIMEOUT`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Timeout {
    Bounded,
    None,
}

/// The methods that change nothing, served by the read routes' layers.
fn changes_nothing(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The routes twice, each copy under the layers of its kind of request: a GET, HEAD or OPTIONS
/// goes to `reads`, any other method to `writes`. Both hold every route, so a method a path
/// does not have still gets its 405 with `Allow`.
#[derive(Clone)]
struct ReadsAndWrites {
    reads: Router,
    writes: Router,
}

impl Service<Request> for ReadsAndWrites {
    type Response = Response;
    type Error = Infallible;
    type Future = axum::routing::future::RouteFuture<Infallible>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // A `Router` is always ready.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        if changes_nothing(request.method()) {
            self.reads.call(request)
        } else {
            self.writes.call(request)
        }
    }
}

/// The requests a copy of the routes serves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Requests {
    Reads,
    Writes,
}

/// The layers a route runs after matching, outermost first, as one layer so that each route is
/// wrapped once. A layer that does not concern the copy's requests (a write's consistency token
/// and idempotency on reads; the read key, replica routing and merged redirects on writes) or
/// that is off (the rate limiter, the read key) is left out, so a read pays only for what it
/// uses.
fn route_layers(
    routes: Router<AppState>,
    state: &AppState,
    requests: Requests,
    timeout: Timeout,
) -> Router<AppState> {
    let config = &state.config;
    let (reads, writes) = (requests == Requests::Reads, requests == Requests::Writes);
    let bounded = timeout == Timeout::Bounded;
    let timeout_secs = config.request_timeout_secs;
    routes.layer(
        ServiceBuilder::new()
            .option_layer(bounded.then(|| {
                MapResponseLayer::new(move |response| explain_timeout(timeout_secs, response))
            }))
            .option_layer(bounded.then(|| {
                TimeoutLayer::with_status_code(
                    StatusCode::SERVICE_UNAVAILABLE,
                    config.request_timeout(),
                )
            }))
            .layer(crate::metrics::RecordLayer)
            .option_layer(
                state.rate_limits.is_some().then(|| {
                    middleware::from_fn_with_state(state.clone(), crate::rate_limit::limit)
                }),
            )
            .option_layer(
                (reads && config.read_auth == ReadAuth::Key)
                    .then(|| middleware::from_fn_with_state(state.clone(), require_read_key)),
            )
            .option_layer(reads.then(|| ReadRouting::new(state.clone())))
            .option_layer(writes.then(|| {
                middleware::from_fn_with_state(
                    state.clone(),
                    crate::consistency::token_after_writes,
                )
            }))
            .option_layer(writes.then(|| {
                middleware::from_fn_with_state(state.clone(), crate::idempotency::idempotent_posts)
            }))
            .option_layer(
                reads.then(|| crate::api::merge::RedirectMergedLayer::new(state.clone())),
            ),
    )
}

/// gzip for a client that asks, at the fastest level, and only for bodies of 1 KiB or more (or
/// of unknown length: the streamed exports). At the default level, compressing a 140 KB flows
/// answer took 60 % of the server's CPU under load for a third fewer bytes than the fastest level
/// sends; and a body under 1 KiB (a single record) saves a few hundred bytes at most, for a
/// compressor set up and torn down per response. Images and the change stream (SSE, which must
/// reach the client event by event) are never compressed.
fn compression() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new()
        .quality(CompressionLevel::Fastest)
        .compress_when(
            SizeAbove::new(1024)
                .and(NotForContentType::GRPC)
                .and(NotForContentType::IMAGES)
                .and(NotForContentType::SSE),
        )
}

/// Only the configured origins; `*` allows any origin but then never with credentials.
fn cors(origins: &[String]) -> CorsLayer {
    let origins: Vec<&str> = origins
        .iter()
        .map(|o| o.trim())
        .filter(|o| !o.is_empty())
        .collect();
    let allow_origin = if origins.contains(&"*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            crate::idempotency::IDEMPOTENCY_KEY,
            crate::consistency::CONSISTENCY,
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            REQUEST_ID,
            crate::idempotency::REPLAYED,
            crate::consistency::CONSISTENCY,
            crate::replicas::routing::REPLICA_LAG,
            crate::rate_limit::LIMIT,
            crate::rate_limit::REMAINING,
            crate::rate_limit::RESET,
        ])
        .max_age(Duration::from_secs(600))
}

/// Gives `TimeoutLayer`'s bare 503 (no body, no content type) the problem that says what
/// happened. Everything inside it answers its own 503s as problem+json, so a bare one can only
/// be the timeout's.
fn explain_timeout(timeout_secs: u64, response: Response) -> Response {
    let timed_out = response.status() == StatusCode::SERVICE_UNAVAILABLE
        && !response.headers().contains_key(header::CONTENT_TYPE);
    if !timed_out {
        return response;
    }
    ApiError::ServiceUnavailable(format!(
        "the request took longer than {} s; try again, or narrow it",
        timeout_secs
    ))
    .into_response()
}

/// With `TALENTFLOW_READ_AUTH=key`, reads of the API need a key of any role.
async fn require_read_key(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let is_read = matches!(*request.method(), Method::GET | Method::HEAD);
    if state.config.read_auth == ReadAuth::Key
        && is_read
        && request.uri().path().starts_with("/v1/")
    {
        let (parts, body) = request.into_parts();
        match crate::extract::authenticate(&parts, &state).await {
            Ok(Some(_)) => return next.run(Request::from_parts(parts, body)).await,
            Ok(None) => {
                return ApiError::Unauthorized(
                    "reads need an API key on this server: `Authorization: Bearer <api key>`"
                        .to_owned(),
                )
                .into_response();
            }
            Err(err) => return err.into_response(),
        }
    }
    next.run(request).await
}

/// Serves until SIGTERM or Ctrl-C, then stops accepting and lets in-flight requests finish
/// within the grace period.
///
/// The accept loop is hyper's own rather than `axum::serve`, which installs no timer and so
/// leaves hyper's header-read timeout inert: a client dribbling its headers could hold a
/// connection forever.
pub async fn serve(state: AppState) -> anyhow::Result<()> {
    use hyper_util::{
        rt::{TokioExecutor, TokioIo, TokioTimer},
        server::{conn::auto, graceful::GracefulShutdown},
        service::TowerToHyperService,
    };

    let config = state.config.clone();
    let listener = tokio::net::TcpListener::bind(config.bind).await?;
    let housekeeping = tokio::spawn(housekeeping(state.clone()));
    // Replicas are checked once before the first request, so reads go to them from the start.
    let replica_checks = match state.replicas.clone() {
        Some(replicas) => {
            crate::replicas::monitor::check(&replicas, &state.pool).await;
            Some(tokio::spawn(crate::replicas::monitor::run(
                replicas,
                state.pool.clone(),
            )))
        }
        None => None,
    };
    let changes = state.changes.clone();
    tokio::spawn(changes.clone().listen(state.pool.clone()));
    tracing::info!(address = %listener.local_addr()?, "listening; docs at /docs");
    let app = router(state);
    let mut connections = auto::Builder::new(TokioExecutor::new());
    connections
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout());
    connections.http2().timer(TokioTimer::new());
    let graceful = GracefulShutdown::new();

    let stop = shutdown_signal();
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %err, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let service = tower::ServiceExt::map_request(
            app.clone(),
            move |mut request: Request<hyper::body::Incoming>| {
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                request
            },
        );
        let connection = connections
            .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service))
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(error = %err, %peer, "connection ended with an error");
            }
        });
    }

    // New connections are refused from here on; open ones finish their request and close,
    // and change streams end.
    drop(listener);
    changes.shutdown.cancel();
    housekeeping.abort();
    if let Some(checks) = replica_checks {
        checks.abort();
    }
    tracing::info!(
        grace_secs = config.shutdown_grace_secs,
        "shutting down: finishing in-flight requests"
    );
    if tokio::time::timeout(config.shutdown_grace(), graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "in-flight requests did not finish within the grace period; stopping anyway"
        );
    }
    Ok(())
}

/// Periodic chores: forgetting idle rate-limit buckets and idempotency keys past retention.
async fn housekeeping(state: AppState) {
    let mut every_minute = tokio::time::interval(Duration::from_secs(60));
    for minute in 0u64.. {
        every_minute.tick().await;
        if let Some(limits) = &state.rate_limits {
            limits.forget_idle(&state.pool).await;
        }
        if minute % 15 != 0 {
            continue;
        }
        match crate::db::idempotency::prune(&state.pool).await {
            Ok(0) => {}
            Ok(pruned) => tracing::info!(pruned, "expired idempotency keys pruned"),
            Err(err) => tracing::warn!(error = %err, "pruning idempotency keys failed"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use axum::body::Body;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;

    /// A database that accepts connections and never answers: every query waits until the
    /// pool gives up (after 3 s).
    async fn silent_database() -> PgPool {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                held.push(stream);
            }
        });
        sqlx::postgres::PgPoolOptions::new()
            .acquire_timeout(Duration::from_secs(3))
            .connect_lazy(&format!(
                "postgres://talentflow@127.0.0.1:{port}/talentflow"
            ))
            .unwrap()
    }

    async fn answer(
        app: &Router,
        request: http::request::Builder,
    ) -> (StatusCode, String, Duration) {
        let started = Instant::now();
        let response = app
            .clone()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let took = started.elapsed();
        let status = response.status();
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            error::PROBLEM_JSON,
            "{status}"
        );
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
        (status, problem["detail"].as_str().unwrap().to_owned(), took)
    }

    #[tokio::test]
    async fn the_request_timeout_answers_timed_routes_and_leaves_the_open_ended_ones_alone() {
        let mut config = Config::for_tests();
        config.request_timeout_secs = 1;
        let app = router(AppState::new(silent_database().await, config));

        let (timed, import, stream) = tokio::join!(
            answer(&app, Request::get("/v1/companies")),
            answer(
                &app,
                Request::post("/v1/import").header(header::AUTHORIZATION, "Bearer some-key")
            ),
            answer(&app, Request::get("/v1/moves/stream")),
        );

        let (status, detail, took) = timed;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            detail,
            "the request took longer than 1 s; try again, or narrow it"
        );
        assert!(took < Duration::from_millis(2500), "{took:?}");
        // The import and the stream wait for the database as long as the pool does.
        for (status, detail, took) in [import, stream] {
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(detail, "the database is unavailable; retry shortly");
            assert!(took >= Duration::from_millis(2500), "{took:?}");
        }
    }
}
