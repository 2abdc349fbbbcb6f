//! API keys and who is acting.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

super::text_enum! {
    /// `reader` only reads (where reads need a key); `editor` also writes records; `admin`
    /// also manages keys.
    Role { Reader => "reader", Editor => "editor", Admin => "admin" }
}

impl Role {
    fn rank(self) -> u8 {
        match self {
            Role::Reader => 0,
            Role::Editor => 1,
            Role::Admin => 2,
        }
    }

    /// Each role can do everything the roles below it can.
    pub fn allows(self, needed: Role) -> bool {
        self.rank() >= needed.rank()
    }
}

/// Who made a change: a key, or the command line (seed, import) with no key.
#[derive(Debug, Clone)]
pub struct Actor {
    pub key_id: Option<Uuid>,
    pub name: String,
    pub role: Role,
}

impl Actor {
    pub fn system(name: &str) -> Self {
        Self {
            key_id: None,
            name: name.to_owned(),
            role: Role::Admin,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    /// The first characters of the secret, to recognise a key without revealing it.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Secrets are 192 random bits, so a fast hash is enough: there is nothing to brute-force
/// that a slow hash would protect, and every request can afford to hash its key.
pub fn hash_secret(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

pub fn new_secret() -> String {
    use rand::{Rng, distributions::Alphanumeric};
    let random: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(32)
        .map(char::from)
        .collect();
    format!("tf_{random}")
}

pub fn secret_prefix(secret: &str) -> String {
    secret.chars().take(7).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admins_may_do_what_editors_may_but_not_the_reverse() {
        assert!(Role::Admin.allows(Role::Editor));
        assert!(Role::Admin.allows(Role::Admin));
        assert!(Role::Editor.allows(Role::Editor));
        assert!(!Role::Editor.allows(Role::Admin));
        assert!(Role::Editor.allows(Role::Reader));
        assert!(!Role::Reader.allows(Role::Editor));
        assert!(!Role::Reader.allows(Role::Admin));
    }

    #[test]
    fn secrets_are_unique_and_hashed_deterministically() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert!(a.starts_with("tf_") && a.len() == 35);
        assert_eq!(hash_secret(&a), hash_secret(&a));
        assert_ne!(hash_secret(&a), hash_secret(&b));
    }
}
