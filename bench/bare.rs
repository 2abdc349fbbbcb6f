//! The ceiling for E1 in `bench/run.sh`: a bare axum + sqlx server that answers
//! `GET /v1/researchers/{id}` and nothing else, with no middleware, on a pool of the same size
//! and session settings as the service's. It reads the record through the service's own
//! `db::record::get::<Researcher>` (the same statement, text and binds, and the same decoding)
//! and answers the same JSON, so the difference to `talentflow serve` is everything else a
//! request goes through: the middleware, routing, extractors, ETags, metrics and the accept loop.
//!
//!   cargo build --release --example bare
//!   DATABASE_URL=postgres://… BIND=127.0.0.1:8090 CONNECTIONS=16 target/release/examples/bare

use std::net::SocketAddr;

use axum::{
    Router,
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use sqlx::PgPool;
use talentflow::{
    db,
    domain::{id_or_slug::IdOrSlug, researcher::Researcher},
};
use uuid::Uuid;

async fn researcher(State(pool): State<PgPool>, Path(id): Path<Uuid>) -> Response {
    let found = match pool.acquire().await {
        Ok(mut conn) => db::record::get::<Researcher>(&mut conn, &IdOrSlug::Id(id)).await,
        Err(err) => return (StatusCode::SERVICE_UNAVAILABLE, err.to_string()).into_response(),
    };
    match found {
        Ok(Some(record)) => match serde_json::to_vec(&record) {
            Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
            Err(err) => (StatusCode::INTERNAL_SERVER_ERROR, err.to_string()).into_response(),
        },
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(err) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{err:?}")).into_response(),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DATABASE_URL")?;
    let bind: SocketAddr = std::env::var("BIND")
        .unwrap_or_else(|_| "127.0.0.1:8090".into())
        .parse()?;
    let connections: u32 = std::env::var("CONNECTIONS")
        .unwrap_or_else(|_| "16".into())
        .parse()?;
    let pool = db::connect(&url, connections).await?;
    let app = Router::new()
        .route("/v1/researchers/{id}", get(researcher))
        .with_state(pool);
    let listener = tokio::net::TcpListener::bind(bind).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
