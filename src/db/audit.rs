//! The audit trail: every write records who did what to which record, before and after,
//! in the same transaction as the write itself.

use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::key::Actor;

#[derive(Debug, Clone, Copy)]
pub enum Action {
    Create,
    Update,
    Delete,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
        }
    }
}

pub async fn record<T: Serialize>(
    conn: &mut PgConnection,
    actor: &Actor,
    action: Action,
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
