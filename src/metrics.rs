//! Prometheus metrics: requests by route, method and status, and their durations, served as
//! text at `/metrics`.

use std::{
    cell::RefCell,
    collections::HashMap,
    future::Future,
    pin::Pin,
    sync::OnceLock,
    task::{Context, Poll},
    time::Instant,
};

use axum::{
    extract::{MatchedPath, Request},
    http::Method,
    response::Response,
};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tower::{Layer, Service};

/// The process-wide recorder (metrics macros record into one global recorder).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets(&[
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
            ])
            .unwrap_or_else(|_| PrometheusBuilder::new());
        match builder.install_recorder() {
            Ok(handle) => handle,
            // Another recorder is installed (a test harness of its own): render an empty one.
            Err(_) => PrometheusBuilder::new().build_recorder().handle(),
        }
    })
}

/// Counts every request under its route template (`/v1/companies/{id}`), not its raw path, so
/// the number of series stays bounded, and times it. A tower layer rather than an axum
/// `from_fn`, which would box a future, the route below and a `Next` on every request.
#[derive(Clone, Copy, Default)]
pub struct RecordLayer;

impl<S> Layer<S> for RecordLayer {
    type Service = Record<S>;

    fn layer(&self, inner: S) -> Record<S> {
        Record { inner }
    }
}

#[derive(Clone)]
pub struct Record<S> {
    inner: S,
}

impl<S> Service<Request> for Record<S>
where
    S: Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Recording<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let _ = handle();
        let route = request.extensions().get::<MatchedPath>().cloned();
        let method = request.method().clone();
        Recording {
            inner: self.inner.call(request),
            route,
            method,
            started: Instant::now(),
        }
    }
}

pin_project_lite::pin_project! {
    /// A request's response on its way, with what its metrics are labelled by.
    pub struct Recording<F> {
        #[pin]
        inner: F,
        route: Option<MatchedPath>,
        method: Method,
        started: Instant,
    }
}

impl<F, E> Future for Recording<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let output = std::task::ready!(this.inner.poll(cx));
        if let Ok(response) = &output {
            let route = this
                .route
                .as_ref()
                .map_or("unmatched", |path| path.as_str());
            let seconds = this.started.elapsed().as_secs_f64();
            record(this.method, route, response.status().as_u16(), seconds);
        }
        Poll::Ready(output)
    }
}

/// A request's counter and histogram, looked up once per thread for each method, route and
/// status: building the label strings and finding them in the registry on every request cost
/// more than recording.
struct Handles {
    requests: metrics::Counter,
    duration: metrics::Histogram,
}

type HandlesByRoute = HashMap<(Method, u16), HashMap<Box<str>, Handles>>;

thread_local! {
    static HANDLES: RefCell<HandlesByRoute> = RefCell::new(HashMap::new());
}

/// Counts a request and records how long it took.
fn record(method: &Method, route: &str, status: u16, seconds: f64) {
    HANDLES.with(|handles| {
        let mut handles = handles.borrow_mut();
        let by_route = handles.entry((method.clone(), status)).or_default();
        let found = match by_route.get(route) {
            Some(found) => found,
            None => {
                let (method, route_label) = (method.to_string(), route.to_owned());
                let made = Handles {
                    requests: metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route_label.clone(), "status" => status.to_string()),
                    duration: metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route_label),
                };
                by_route.entry(route.into()).or_insert(made)
            }
        };
        found.requests.increment(1);
        found.duration.record(seconds);
    });
}
