use axum::{Json, extract::State, http::StatusCode};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    app::AppState,
    error::{ApiError, ApiResult},
    replicas::Lag,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: String,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Up", body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".to_owned(),
    })
}

/// One database the process uses, as `/readyz` reports it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DatabaseHealth {
    /// `primary`, or `replica-1`, `replica-2`, … in `DATABASE_READ_URL` order.
    #[schema(example = "replica-1")]
    pub name: String,
    /// `up` or `down` for the primary; for a replica whether reads go to it (`in_rotation`) or
    /// why not (`unknown`: not checked yet, `lagging`, `promoted`, `down`).
    #[schema(example = "in_rotation")]
    pub state: String,
    /// How far behind the primary a replica was at its last check (none for the primary, or
    /// for a replica that did not answer).
    pub lag: Option<Lag>,
    /// Why it is not up or in rotation.
    pub problem: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    #[schema(example = "ready")]
    pub status: String,
    /// The primary first, then each replica. A replica out of rotation does not make the
    /// process unready: its reads go to the primary.
    pub databases: Vec<DatabaseHealth>,
}

/// The process is up and its primary database answers; the state of every database it reads.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "The primary database is unavailable", body = crate::error::Problem,
            content_type = "application/problem+json")))]
async fn readyz(State(state): State<AppState>) -> ApiResult<(StatusCode, Json<Readiness>)> {
    let ping = tokio::time::timeout(
        std::time::Duration::from_secs(3),
        sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(&state.pool),
    )
    .await;
    match ping {
        Ok(Ok(_)) => {}
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness check failed");
            return Err(ApiError::ServiceUnavailable(
                "the database is unavailable".to_owned(),
            ));
        }
        Err(_) => {
            return Err(ApiError::ServiceUnavailable(
                "the database did not answer in time".to_owned(),
            ));
        }
    }
    let mut databases = vec![DatabaseHealth {
        name: "primary".to_owned(),
        state: "up".to_owned(),
        lag: None,
        problem: None,
    }];
    if let Some(replicas) = &state.replicas {
        databases.extend(replicas.all().iter().map(|replica| DatabaseHealth {
            name: replica.name.clone(),
            state: replica.state().as_str().to_owned(),
            lag: replica.lag(),
            problem: replica.problem(),
        }));
    }
    Ok((
        StatusCode::OK,
        Json(Readiness {
            status: "ready".to_owned(),
            databases,
        }),
    ))
}

/// Prometheus text format: `http_requests_total` and `http_request_duration_seconds` by route,
/// method and status.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Metrics in the Prometheus text format", body = String,
        content_type = "text/plain; version=0.0.4")))]
async fn metrics() -> ([(axum::http::HeaderName, &'static str); 1], String) {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::metrics::handle().render(),
    )
}
