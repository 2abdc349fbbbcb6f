//! The numbered change events of moves (migrations 0007 and 0012), read back for the live
//! stream: a move's own change, or an import that changed moves.

use sqlx::PgPool;

use super::error::DbResult;

#[derive(Debug, sqlx::FromRow)]
pub struct MoveEvent {
    pub seq: i64,
    /// `create`, `update` or `delete` (a move's change), or `import`.
    pub action: String,
    /// The move after the change (before it, for a delete), as the API shows it; for an
    /// import, its id, who ran it, when it ended and its report.
    pub record: serde_json::Value,
}

/// Events after `seq`, oldest first.
pub async fn after(pool: &PgPool, seq: i64, limit: i64) -> DbResult<Vec<MoveEvent>> {
    Ok(sqlx::query_as(
        "SELECT e.seq, coalesce(a.action, 'import') AS action,
                coalesce(a.after, a.before,
                         jsonb_build_object('import_id', i.id, 'actor', i.actor_name, 'finished_at', i.finished_at)
                         || coalesce(i.report, '{}')) AS record
         FROM move_events e
         LEFT JOIN audit_log a ON a.id = e.audit_id
         LEFT JOIN imports i ON i.id = e.import_id
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
