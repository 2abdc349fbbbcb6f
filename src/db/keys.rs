use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::key::{Actor, ApiKey, Role, hash_secret, new_secret, secret_prefix};

/// Creates a key and returns it with its secret, which is not stored and cannot be shown again.
pub async fn create(
    conn: &mut PgConnection,
    name: &str,
    role: Role,
) -> Result<(ApiKey, String), sqlx::Error> {
    let secret = new_secret();
    let key = sqlx::query_as::<_, ApiKey>(
        "INSERT INTO api_keys (id, name, role, secret_hash, prefix) VALUES ($1, $2, $3, $4, $5)
         RETURNING id, name, role, prefix, created_at, last_used_at, revoked_at",
    )
    .bind(Uuid::now_v7())
    .bind(name)
    .bind(role.as_str())
    .bind(hash_secret(&secret))
    .bind(secret_prefix(&secret))
    .fetch_one(conn)
    .await?;
    Ok((key, secret))
}

/// The live key with this secret, noting its use (at most once a minute, to keep reads cheap).
pub async fn authenticate(pool: &PgPool, secret: &str) -> Result<Option<Actor>, sqlx::Error> {
    let row: Option<(Uuid, String, Role)> = sqlx::query_as(
        "SELECT id, name, role FROM api_keys WHERE secret_hash = $1 AND revoked_at IS NULL",
    )
    .bind(hash_secret(secret))
    .fetch_optional(pool)
    .await?;
    let Some((id, name, role)) = row else {
        return Ok(None);
    };
    sqlx::query(
        "UPDATE api_keys SET last_used_at = now()
         WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
    )
    .bind(id)
    .execute(pool)
    .await?;
    Ok(Some(Actor {
        key_id: Some(id),
        name,
        role,
    }))
}

pub async fn list(pool: &PgPool) -> Result<Vec<ApiKey>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, name, role, prefix, created_at, last_used_at, revoked_at FROM api_keys ORDER BY created_at DESC, id DESC",
    )
    .fetch_all(pool)
    .await
}

/// Revokes a key at once: the next request with it is refused. Returns the key as it was.
pub async fn revoke(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<(ApiKey, ApiKey)>, sqlx::Error> {
    let before: Option<ApiKey> = sqlx::query_as(
        "SELECT id, name, role, prefix, created_at, last_used_at, revoked_at FROM api_keys
         WHERE id = $1 AND revoked_at IS NULL FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(before) = before else {
        return Ok(None);
    };
    let after: ApiKey = sqlx::query_as(
        "UPDATE api_keys SET revoked_at = now() WHERE id = $1
         RETURNING id, name, role, prefix, created_at, last_used_at, revoked_at",
    )
    .bind(id)
    .fetch_one(conn)
    .await?;
    Ok(Some((before, after)))
}

pub async fn get(pool: &PgPool, id: Uuid) -> Result<Option<ApiKey>, sqlx::Error> {
    sqlx::query_as("SELECT id, name, role, prefix, created_at, last_used_at, revoked_at FROM api_keys WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
}
