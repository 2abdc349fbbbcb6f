//! The numbered change events of moves (migration 0007), read back for the live stream.

use sqlx::PgPool;

use super::error::DbResult;

#[derive(Debug, sqlx::FromRow)]
pub struct MoveEvent {
    pub seq: i64,
    /// `create`, `update` or `delete`.
    pub action: String,
    /// The move after the change (before it, for a delete), as the API shows it.
    pub record: serde_json::Value,
}

/// Events after `seq`, oldest first.
pub async fn after(pool: &PgPool, seq: i64, limit: i64) -> DbResult<Vec<MoveEvent>> {
    Ok(sqlx::query_as(
        "SELECT e.seq, a.action, coalesce(a.after, a.before) AS record
         FROM move_events e JOIN audit_log a ON a.id = e.audit_id
         WHERE e.seq > $1 ORDER BY e.seq LIMIT $2",
    )
    .bind(seq)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// The newest event's number (0 before the first).
pub async fn latest(pool: &PgPool) -> DbResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM move_events")
            .fetch_one(pool)
            .await?,
    )
}
