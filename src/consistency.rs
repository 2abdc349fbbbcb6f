//! Read-your-writes across processes: every successful write answers a consistency token, the
//! primary's WAL position after its commit, as `Talentflow-Consistency`. A read that sends the
//! token back may only be answered from a copy of the data that has replayed past it (issue
//! 15: read replicas). The token is opaque to clients; today it is the WAL position as 16 hex
//! digits (`Lsn::token`).

use axum::{
    extract::{Request, State},
    http::{HeaderName, HeaderValue, Method},
    middleware::Next,
    response::Response,
};

use crate::app::AppState;

pub const CONSISTENCY: HeaderName = HeaderName::from_static("talentflow-consistency");

/// Adds the token to every successful response of a method that writes (replays of an
/// idempotent POST included: their write is in the past, so the current position covers it).
pub async fn token_after_writes(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let writes = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let mut response = next.run(request).await;
    if writes && response.status().is_success() {
        // The write has committed: a failure to read the position costs the client its token,
        // not its answer.
        match crate::db::replication::write_position(&state.pool).await {
            Ok(position) => {
                if let Ok(value) = HeaderValue::from_str(&position.token()) {
                    response.headers_mut().insert(CONSISTENCY, value);
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "no consistency token: the WAL position could not be read")
            }
        }
    }
    response
}
