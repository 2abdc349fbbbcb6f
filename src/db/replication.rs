//! What talentflow reads of Postgres's own replication: the primary's WAL position, which a
//! write answers as its consistency token (issue 15).

use sqlx::PgPool;

/// The primary's current WAL write position (`pg_lsn` text such as `0/16B3748`). Read after a
/// commit has returned, it is at or past that commit's record: a replica that has replayed up
/// to it has the commit.
pub async fn write_position(pool: &PgPool) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("SELECT pg_current_wal_lsn()::text")
        .fetch_one(pool)
        .await
}
