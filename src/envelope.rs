//! [`Envelope`]: what every request and response gets on its way in and out, in one layer, the
//! outermost: the request id (`X-Request-Id`: the client's, or a new UUID v4, put on the request
//! before the trace span reads it and echoed on the response), the security headers, and
//! problem+json for the bare errors that axum and tower-http answer themselves.
//!
//! These were seven tower-http and tower layers (set and propagate the request id, four
//! `SetResponseHeader`s, a `MapResponse`), each with its own future to poll and the content
//! type looked up for each; on `GET /v1/researchers/{id}`, a read whose query takes a fraction of
//! a millisecond, the layers cost more than the work they did.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll, ready},
};

use axum::{
    body::{Bytes, HttpBody},
    extract::Request,
    http::{HeaderName, HeaderValue, header},
    response::Response,
};
use tower::{BoxError, Layer, Service};

use crate::error;

/// The header that carries a request's id in and out.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Clone, Copy, Default)]
pub struct EnvelopeLayer;

impl<S> Layer<S> for EnvelopeLayer {
    type Service = Envelope<S>;

    fn layer(&self, inner: S) -> Envelope<S> {
        Envelope { inner }
    }
}

#[derive(Clone)]
pub struct Envelope<S> {
    inner: S,
}

impl<S, B> Service<Request> for Envelope<S>
where
    S: Service<Request, Response = http::Response<B>>,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Enveloping<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let request_id = match request.headers().get(&REQUEST_ID) {
            Some(id) => id.clone(),
            None => {
                let id = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
                    .expect("a UUID is a valid header value");
                request.headers_mut().insert(REQUEST_ID, id.clone());
                id
            }
        };
        Enveloping {
            inner: self.inner.call(request),
            request_id: Some(request_id),
        }
    }
}

pin_project_lite::pin_project! {
    pub struct Enveloping<F> {
        #[pin]
        inner: F,
        request_id: Option<HeaderValue>,
    }
}

impl<F, B, E> Future for Enveloping<F>
where
    F: Future<Output = Result<http::Response<B>, E>>,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response = ready!(this.inner.poll(cx))?;
        let mut response = error::problem_for_bare_errors(response);
        let headers = response.headers_mut();
        if let Some(id) = this.request_id.take() {
            // A handler that set its own id keeps it.
            headers.entry(REQUEST_ID).or_insert(id);
        }
        // Headers for an API that browsers may also reach: no content sniffing, no framing, no
        // referrer leaks, and for everything but the HTML pages (the dashboard's page sets its
        // own policy; the docs page needs its scripts) a policy that lets the response load
        // nothing at all.
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        let is_html = headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
        if !is_html {
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
            );
        }
        Poll::Ready(Ok(response))
    }
}
