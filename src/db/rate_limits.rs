//! The shared token buckets of the rate limits (migration 0014), on the primary.

use sqlx::PgPool;

/// What a take from a bucket gave.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Taken {
    /// Whole tokens taken (0: the bucket had less than one).
    pub granted: u32,
    /// Tokens left in the bucket after the take (fractions included).
    pub left_over: f64,
}

/// Refills `bucket` (at `rate` a second, up to `burst`) and takes up to `wanted` tokens.
pub async fn take(
    pool: &PgPool,
    bucket: &str,
    burst: u32,
    rate: u32,
    wanted: u32,
) -> Result<Taken, sqlx::Error> {
    let (granted, left_over): (i32, f64) =
        sqlx::query_as("SELECT granted, left_over FROM tf_take_rate_tokens($1, $2, $3, $4)")
            .bind(bucket)
            .bind(f64::from(burst))
            .bind(f64::from(rate))
            .bind(i32::try_from(wanted).unwrap_or(i32::MAX))
            .fetch_one(pool)
            .await?;
    Ok(Taken {
        granted: u32::try_from(granted).unwrap_or(0),
        left_over,
    })
}

/// Forgets the buckets that have refilled to full: a missing bucket starts full, so nothing
/// changes for their clients.
pub async fn forget_full(pool: &PgPool, burst: u32, rate: u32) -> Result<u64, sqlx::Error> {
    let deleted = sqlx::query(
        "DELETE FROM rate_limit_buckets
         WHERE tokens + $2 * extract(epoch FROM clock_timestamp() - refilled_at)::double precision >= $1",
    )
    .bind(f64::from(burst))
    .bind(f64::from(rate))
    .execute(pool)
    .await?;
    Ok(deleted.rows_affected())
}
