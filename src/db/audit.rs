//! The audit trail: every write records who did what to which record, before and after,
//! in the same transaction as the write itself.

use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::key::Actor;

crate::domain::text_enum! {
    /// What a change did to a record.
    AuditAction { Create => "create", Update => "update", Delete => "delete", Merge => "merge" }
}

pub async fn record<T: Serialize>(
    conn: &mut PgConnection,
    actor: &Actor,
    action: AuditAction,
    collection: &str,
    record_id: Uuid,
    before: Option<&T>,
    after: Option<&T>,
) -> Result<(), sqlx::Error> {
    let to_json = |value: Option<&T>| value.and_then(|v| serde_json::to_value(v).ok());
    sqlx::query(
        "INSERT INTO audit_log (actor_key_id, actor_name, action, collection, record_id, before, after)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(actor.key_id)
    .bind(&actor.name)
    .bind(action.as_str())
    .bind(collection)
    .bind(record_id)
    .bind(to_json(before))
    .bind(to_json(after))
    .execute(conn)
    .await?;
    Ok(())
}

/// The creation of many records with one statement, as [`record`] audits one: `created` holds
/// each record's id and the record as the API shows it, as JSON text.
pub async fn record_created(
    conn: &mut PgConnection,
    actor: &Actor,
    collection: &str,
    created: Vec<(Uuid, String)>,
) -> Result<(), sqlx::Error> {
    if created.is_empty() {
        return Ok(());
    }
    let (ids, afters): (Vec<Uuid>, Vec<String>) = created.into_iter().unzip();
    sqlx::query(
        "INSERT INTO audit_log (actor_key_id, actor_name, action, collection, record_id, after)
         SELECT $1, $2, 'create', $3, id, after::jsonb FROM UNNEST($4::uuid[], $5::text[]) AS c (id, after)",
    )
    .bind(actor.key_id)
    .bind(&actor.name)
    .bind(collection)
    .bind(ids)
    .bind(afters)
    .execute(conn)
    .await?;
    Ok(())
}

/// One change to a record, as the history endpoint shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct HistoryEntry {
    /// Increases with every change in the database: later changes have larger ids.
    pub id: i64,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    pub action: AuditAction,
    #[sqlx(json)]
    pub actor: HistoryActor,
    /// The record before the change; null for a create.
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The record after the change; null for a delete.
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    /// The import that made the change (its report's `import_id`); null for other writes.
    pub import_id: Option<i64>,
}

/// Who made a change: an API key (its id and name), or a command-line tool (no key).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct HistoryActor {
    pub key_id: Option<Uuid>,
    #[schema(example = "news pipeline")]
    pub name: String,
}

/// Newest first; `before_id` continues after the last entry of the previous page.
pub async fn history(
    pool: &sqlx::PgPool,
    collection: &str,
    record_id: Uuid,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<HistoryEntry>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, occurred_at, action, jsonb_build_object('key_id', actor_key_id, 'name', actor_name) AS actor, before, after, import_id
         FROM audit_log
         WHERE collection = $1 AND record_id = $2 AND ($3::bigint IS NULL OR id < $3)
         ORDER BY id DESC
         LIMIT $4",
    )
    .bind(collection)
    .bind(record_id)
    .bind(before_id)
    .bind(limit)
    .fetch_all(pool)
    .await
}

pub async fn history_count(
    pool: &sqlx::PgPool,
    collection: &str,
    record_id: Uuid,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE collection = $1 AND record_id = $2")
        .bind(collection)
        .bind(record_id)
        .fetch_one(pool)
        .await
}

/// The id of a record in `collection`, deleted or not: a deleted record keeps its history.
/// Slugs are looked up among live records only, since a deleted record gives its slug back.
pub async fn record_id(
    pool: &sqlx::PgPool,
    collection: &str,
    key: &crate::domain::id_or_slug::IdOrSlug,
) -> Result<Option<Uuid>, sqlx::Error> {
    use crate::domain::id_or_slug::IdOrSlug;
    let sql = match (collection, key) {
        ("companies", IdOrSlug::Id(_)) => "SELECT id FROM companies WHERE id = $1",
        ("companies", IdOrSlug::Slug(_)) => {
            "SELECT id FROM companies WHERE slug = $2 AND deleted_at IS NULL"
        }
        ("researchers", IdOrSlug::Id(_)) => "SELECT id FROM researchers WHERE id = $1",
        ("researchers", IdOrSlug::Slug(_)) => {
            "SELECT id FROM researchers WHERE slug = $2 AND deleted_at IS NULL"
        }
        ("moves", IdOrSlug::Id(_)) => "SELECT id FROM moves WHERE id = $1",
        ("sources", IdOrSlug::Id(_)) => "SELECT id FROM sources WHERE id = $1",
        ("projects", IdOrSlug::Id(_)) => "SELECT id FROM projects WHERE id = $1",
        ("projects", IdOrSlug::Slug(_)) => {
            "SELECT id FROM projects WHERE slug = $2 AND deleted_at IS NULL"
        }
        ("reports", IdOrSlug::Id(_)) => "SELECT id FROM project_reports WHERE id = $1",
        ("deals", IdOrSlug::Id(_)) => "SELECT id FROM deals WHERE id = $1",
        ("compensation", IdOrSlug::Id(_)) => "SELECT id FROM compensation_reports WHERE id = $1",
        ("signals", IdOrSlug::Id(_)) => "SELECT id FROM signals WHERE id = $1",
        _ => return Ok(None),
    };
    let (id, slug) = key.as_parts();
    sqlx::query_scalar(sql)
        .bind(id)
        .bind(slug)
        .fetch_optional(pool)
        .await
}
