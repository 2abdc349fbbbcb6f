//! Imports as records (migration 0012): one row per committed import, which its audit rows
//! refer to and whose `import.completed` event tells the move stream's followers to re-read.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::domain::key::Actor;

/// Records the import and marks the transaction as its own: every audit row written until
/// the transaction ends refers to it (the column's default reads the setting), and the moves
/// it writes are counted once, by [`finish`], instead of per statement (migration 0013).
/// Answers the import's id and when its transaction began (the `now()` of every row it writes).
pub async fn begin(
    conn: &mut PgConnection,
    actor: &Actor,
) -> Result<(i64, DateTime<Utc>), sqlx::Error> {
    let (id, began): (i64, DateTime<Utc>) = sqlx::query_as(
        "INSERT INTO imports (actor_key_id, actor_name) VALUES ($1, $2) RETURNING id, started_at",
    )
    .bind(actor.key_id)
    .bind(&actor.name)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("SELECT set_config('talentflow.import_id', $1, true), tf_count_moves_later()")
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok((id, began))
}

/// Counts the import's moves and stores its outcome; an import that changed moves gets its
/// event at commit. The last step before committing: until it ran, the flow counts lack the
/// import's moves.
pub async fn finish(
    conn: &mut PgConnection,
    id: i64,
    report: &serde_json::Value,
    moves_changed: u64,
) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT tf_count_uncounted_moves()")
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE imports SET finished_at = clock_timestamp(), report = $2, moves_changed = $3 WHERE id = $1",
    )
    .bind(id)
    .bind(report)
    .bind(moves_changed as i64)
    .execute(conn)
    .await?;
    Ok(())
}
