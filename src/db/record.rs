//! The one write sequence every record type shares, whether a handler or the import writes:
//! lock the live row, write it (the type's own SQL), read the record back, audit the change.
//! A record type says only what differs: its table, how it is read, how its row is written and
//! what must not refer to it when it is deleted.

use std::future::Future;

use serde::Serialize;
use sqlx::{FromRow, PgConnection, Postgres, QueryBuilder, postgres::PgRow};
use uuid::Uuid;

use super::error::{DbError, DbResult};
use super::{Table, audit, list::Keyed, push_key_filter};
use crate::domain::{id_or_slug::IdOrSlug, key::Actor};

/// Whether a write makes a new row or overwrites a live one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    Insert,
    Update,
}

/// A record type written through [`create`], [`update`] and [`delete`]; its id is the one
/// its lists already know it by (`Keyed::id`).
pub trait Record:
    Keyed + Serialize + for<'r> FromRow<'r, PgRow> + Unpin + Sized + Send + Sync
{
    /// What a write carries: the validated form, and what the request adds to it.
    type Draft: Send;

    const TABLE: Table;
    /// Whether the table has a `slug` column (a record can be named by its slug).
    const SLUGGED: bool;

    /// The statement that reads live records as the API shows them (references embedded),
    /// ending in its `WHERE` so that filters can be appended with ` AND …`.
    const SELECT: &'static str;
    /// The record table's alias in [`Self::SELECT`].
    const ALIAS: &'static str;

    /// Inserts the row with this id, or overwrites the live one, with what hangs off it
    /// (citations, aliases); every reference the draft names must exist (422 otherwise).
    fn write(
        conn: &mut PgConnection,
        id: Uuid,
        draft: Self::Draft,
        mode: WriteMode,
    ) -> impl Future<Output = DbResult<()>> + Send;

    /// Refuses a delete while live records still refer to this one (409).
    fn check_unreferenced(
        &self,
        conn: &mut PgConnection,
    ) -> impl Future<Output = DbResult<()>> + Send {
        let _ = conn;
        async { Ok(()) }
    }
}

/// The live record named by `key`, as the API shows it.
pub async fn get<R: Record>(conn: &mut PgConnection, key: &IdOrSlug) -> DbResult<Option<R>> {
    if matches!(key, IdOrSlug::Slug(_)) && !R::SLUGGED {
        return Ok(None);
    }
    let mut query = QueryBuilder::<Postgres>::new(R::SELECT);
    push_key_filter(
        &mut query,
        &format!("{}.id", R::ALIAS),
        &format!("{}.slug", R::ALIAS),
        key,
    );
    Ok(query.build_query_as().fetch_optional(conn).await?)
}

/// The live records with these ids, in no particular order.
pub async fn by_ids<R: Record>(conn: &mut PgConnection, ids: &[Uuid]) -> DbResult<Vec<R>> {
    let mut query = QueryBuilder::<Postgres>::new(R::SELECT);
    query
        .push(format!(" AND {}.id = ANY(", R::ALIAS))
        .push_bind(ids.to_vec())
        .push(")");
    Ok(query.build_query_as().fetch_all(conn).await?)
}

/// The live record named by `key`, locked until the transaction ends (read-modify-write);
/// 404 when there is none.
pub async fn lock<R: Record>(conn: &mut PgConnection, key: &IdOrSlug) -> DbResult<R> {
    try_lock(conn, key)
        .await?
        .ok_or_else(|| DbError::not_found(R::TABLE.what, key))
}

/// As [`lock`], `None` when there is no such live record.
pub async fn try_lock<R: Record>(conn: &mut PgConnection, key: &IdOrSlug) -> DbResult<Option<R>> {
    if matches!(key, IdOrSlug::Slug(_)) && !R::SLUGGED {
        return Ok(None);
    }
    let mut query = QueryBuilder::<Postgres>::new(format!(
        "SELECT id FROM {} WHERE deleted_at IS NULL",
        R::TABLE.name
    ));
    push_key_filter(&mut query, "id", "slug", key);
    query.push(" FOR UPDATE");
    let id: Option<Uuid> = query
        .build_query_scalar()
        .fetch_optional(&mut *conn)
        .await?;
    match id {
        Some(id) => get(conn, &IdOrSlug::Id(id)).await,
        None => Ok(None),
    }
}

/// Whether a record with this id was ever written: `Some(true)` live, `Some(false)` deleted.
pub async fn id_state<R: Record>(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<bool>, sqlx::Error> {
    let sql = format!(
        "SELECT deleted_at IS NULL FROM {} WHERE id = $1",
        R::TABLE.name
    );
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Writes a new record with this id and audits it.
pub async fn create<R: Record>(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    draft: R::Draft,
) -> DbResult<R> {
    R::write(conn, id, draft, WriteMode::Insert).await?;
    let record = reread::<R>(conn, id).await?;
    audit::record(
        conn,
        actor,
        audit::AuditAction::Create,
        R::TABLE.collection,
        id,
        None,
        Some(&record),
    )
    .await?;
    Ok(record)
}

/// Overwrites a locked record (see [`lock`]) and audits the change.
pub async fn update<R: Record>(
    conn: &mut PgConnection,
    actor: &Actor,
    before: &R,
    draft: R::Draft,
) -> DbResult<R> {
    R::write(conn, before.id(), draft, WriteMode::Update).await?;
    let after = reread::<R>(conn, before.id()).await?;
    audit::record(
        conn,
        actor,
        audit::AuditAction::Update,
        R::TABLE.collection,
        before.id(),
        Some(before),
        Some(&after),
    )
    .await?;
    Ok(after)
}

/// Soft delete of a locked record: the row and its history stay; it leaves every read.
/// Refused while live records refer to it.
pub async fn delete<R: Record>(conn: &mut PgConnection, actor: &Actor, before: &R) -> DbResult<()> {
    before.check_unreferenced(conn).await?;
    super::soft_delete(conn, actor, R::TABLE, before.id(), before).await
}

async fn reread<R: Record>(conn: &mut PgConnection, id: Uuid) -> DbResult<R> {
    get(conn, &IdOrSlug::Id(id))
        .await?
        .ok_or_else(|| DbError::not_found(R::TABLE.what, id))
}
