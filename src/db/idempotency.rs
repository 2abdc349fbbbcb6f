//! Stored first responses of idempotent POSTs.

use std::time::Duration;

use sqlx::PgPool;
use uuid::Uuid;

/// How long a stored response is kept (at least; pruning runs now and then).
pub const RETENTION: Duration = Duration::from_secs(24 * 60 * 60);

/// A claim whose request has not finished after this long was abandoned (the process died);
/// a retry may take it over. Longer than any request may run.
pub const ABANDONED_AFTER: Duration = Duration::from_secs(5 * 60);

#[derive(Debug, sqlx::FromRow)]
pub struct Stored {
    pub request_hash: Vec<u8>,
    pub status: Option<i16>,
    pub headers: Option<sqlx::types::Json<Vec<(String, String)>>>,
    pub body: Option<Vec<u8>>,
    /// Whether the claim is old enough to count as abandoned.
    pub abandoned: bool,
}

/// Claims the key for a new request; false when someone holds it already (expired entries
/// are forgotten first).
pub async fn claim(
    pool: &PgPool,
    holder: Uuid,
    key: &str,
    request_hash: &[u8],
) -> Result<bool, sqlx::Error> {
    sqlx::query("DELETE FROM idempotency_keys WHERE holder = $1 AND key = $2 AND created_at < now() - make_interval(secs => $3)")
        .bind(holder)
        .bind(key)
        .bind(RETENTION.as_secs_f64())
        .execute(pool)
        .await?;
    let claimed = sqlx::query(
        "INSERT INTO idempotency_keys (holder, key, request_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(holder)
    .bind(key)
    .bind(request_hash)
    .execute(pool)
    .await?;
    Ok(claimed.rows_affected() == 1)
}

pub async fn find(pool: &PgPool, holder: Uuid, key: &str) -> Result<Option<Stored>, sqlx::Error> {
    sqlx::query_as(
        "SELECT request_hash, status, headers, body,
                status IS NULL AND created_at < now() - make_interval(secs => $3) AS abandoned
         FROM idempotency_keys WHERE holder = $1 AND key = $2",
    )
    .bind(holder)
    .bind(key)
    .bind(ABANDONED_AFTER.as_secs_f64())
    .fetch_optional(pool)
    .await
}

/// Takes over an abandoned claim; false when another retry got there first.
pub async fn take_over(pool: &PgPool, holder: Uuid, key: &str) -> Result<bool, sqlx::Error> {
    let taken = sqlx::query(
        "UPDATE idempotency_keys SET created_at = now()
         WHERE holder = $1 AND key = $2 AND status IS NULL AND created_at < now() - make_interval(secs => $3)",
    )
    .bind(holder)
    .bind(key)
    .bind(ABANDONED_AFTER.as_secs_f64())
    .execute(pool)
    .await?;
    Ok(taken.rows_affected() == 1)
}

pub async fn complete(
    pool: &PgPool,
    holder: Uuid,
    key: &str,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE idempotency_keys SET status = $3, headers = $4, body = $5, completed_at = now()
         WHERE holder = $1 AND key = $2",
    )
    .bind(holder)
    .bind(key)
    .bind(status as i16)
    .bind(sqlx::types::Json(headers))
    .bind(body)
    .execute(pool)
    .await?;
    Ok(())
}

/// Gives the key back, so that a retry runs the request again (after a server-side failure).
pub async fn release(pool: &PgPool, holder: Uuid, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM idempotency_keys WHERE holder = $1 AND key = $2 AND status IS NULL")
        .bind(holder)
        .bind(key)
        .execute(pool)
        .await?;
    Ok(())
}

/// Forgets responses older than the retention period.
pub async fn prune(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let pruned = sqlx::query(
        "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1)",
    )
    .bind(RETENTION.as_secs_f64())
    .execute(pool)
    .await?;
    Ok(pruned.rows_affected())
}
