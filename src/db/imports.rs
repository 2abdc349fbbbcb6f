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

/// Records written by one import (or ingest) past which its tables' statistics are refreshed.
const LARGE: u64 = 10_000;

/// After a large import has committed, brings the planner's statistics of the tables imports
/// write up to date. Until autovacuum gets to them (a minute or more later), the planner knows
/// nothing of the new rows: reading 500 moves right after a 100,000-author ingest scanned every
/// source once per move (8.9 s instead of 16 ms), and a plan cached then stays bad. A failure
/// only leaves that to autovacuum, so it is logged, not returned.
pub async fn refresh_statistics(pool: &sqlx::PgPool, written: u64) {
    if written < LARGE {
        return;
    }
    let analyzed = sqlx::query(
        "ANALYZE companies, researchers, sources, moves, move_sources, projects,
                 project_contributors, known_ids, move_flow_months, move_flow_pairs,
                 company_flow_months, company_flow_totals",
    )
    .execute(pool)
    .await;
    if let Err(err) = analyzed {
        tracing::warn!(error = %err, "statistics not refreshed after a large import; autovacuum will");
    }
}
