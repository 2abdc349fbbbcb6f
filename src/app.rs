//! The application: shared state, the router (pure, no I/O) and the server with graceful shutdown.

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    extract::{DefaultBodyLimit, Request, State},
    http::{HeaderName, HeaderValue, Method, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
use sqlx::PgPool;
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::CompressionLayer,
    cors::{AllowOrigin, CorsLayer},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};

use crate::{
    config::{Config, ReadAuth},
    error::{self, ApiError},
    rate_limit::RateLimits,
};

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub config: Arc<Config>,
    pub rate_limits: Option<Arc<RateLimits>>,
    /// Wakes the live streams of this process when moves change anywhere.
    pub changes: crate::live::Changes,
}

impl AppState {
    pub fn new(pool: PgPool, config: Config) -> Self {
        let rate_limits = RateLimits::new(config.rate_limit, config.rate_burst).map(Arc::new);
        Self {
            pool,
            config: Arc::new(config),
            rate_limits,
            changes: crate::live::Changes::default(),
        }
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn router(state: AppState) -> Router {
    let (api, spec) = crate::api::router().split_for_parts();
    let spec = crate::openapi::finish(spec);
    let config = state.config.clone();

    let app = Router::new()
        .merge(api)
        .merge(crate::openapi::docs(spec))
        .merge(crate::dashboard::router())
        .fallback(error::unknown_route)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::idempotency::idempotent_posts,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            require_read_key,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::rate_limit::limit,
        ))
        .layer(middleware::from_fn(crate::metrics::record))
        .with_state(state);

    let middleware = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
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
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn(error::problem_for_bare_errors))
        .layer(CatchPanicLayer::new())
        .layer(middleware::from_fn_with_state(config.clone(), request_timeout))
        .layer(cors(&config.cors_origins))
        .layer(CompressionLayer::new())
        .layer(DefaultBodyLimit::max(config.body_limit));
    app.layer(middleware)
}

/// Headers for an API that browsers may also reach: no content sniffing, no framing, no
/// referrer leaks, and for everything but the HTML pages (docs) a policy that lets the
/// response load nothing at all.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !is_html {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
    }
    response
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
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            REQUEST_ID,
            crate::idempotency::REPLAYED,
            crate::rate_limit::LIMIT,
            crate::rate_limit::REMAINING,
            crate::rate_limit::RESET,
        ])
        .max_age(Duration::from_secs(600))
}

/// Answers 503 when a request takes longer than the configured time. Imports (they last as long
/// as their body takes to stream and write) and the change stream are exempt.
async fn request_timeout(
    State(config): State<Arc<Config>>,
    request: Request,
    next: Next,
) -> Response {
    // The import is bounded by its size instead; the change stream never ends by design.
    if matches!(request.uri().path(), "/v1/import" | "/v1/moves/stream") {
        return next.run(request).await;
    }
    match tokio::time::timeout(config.request_timeout(), next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::ServiceUnavailable(format!(
            "the request took longer than {} s; try again, or narrow it",
            config.request_timeout_secs
        ))
        .into_response(),
    }
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
            limits.forget_idle();
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
