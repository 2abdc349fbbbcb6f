//! What the database layer answers besides its rows: a record that is not there, a draft that
//! does not fit the live data (every bad field at once), a write the schema refuses, or the
//! database failing. The API maps it to a problem (`error::ApiError`);
//! the importer to a line's errors.

use crate::error::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No live record with this key (`no company \`meta\``).
    #[error("{0}")]
    NotFound(String),
    /// The draft does not fit the live data (records it names do not exist, or once resolved
    /// two of them are one): every such field at once.
    #[error("{} field(s) do not fit the data", .0.len())]
    Invalid(Vec<FieldError>),
    /// The write contradicts live data: a taken unique value (on a field), or a record still
    /// referred to (no field).
    #[error("{detail}")]
    Conflict {
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    /// A value the database handed back that this code cannot use (a bug, not the client's).
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type DbResult<T> = Result<T, DbError>;

impl DbError {
    pub fn not_found(what: &str, key: impl std::fmt::Display) -> Self {
        Self::NotFound(format!("no {what} `{key}`"))
    }

    pub fn conflict_on(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::Conflict {
            detail: format!("`{field}` {message}"),
            errors: vec![FieldError::new(field, message)],
        }
    }
}

/// A unique index refusing a write is the writer's mistake, reported on the field it guards;
/// mapped from the index's name after the fact rather than checked first, which would race.
pub trait OnUnique<T> {
    /// `taken` lists (index name, field, message) for the indexes this write can hit.
    fn on_unique(self, taken: &[(&str, &str, String)]) -> DbResult<T>;
}

impl<T> OnUnique<T> for Result<T, sqlx::Error> {
    fn on_unique(self, taken: &[(&str, &str, String)]) -> DbResult<T> {
        self.map_err(|err| {
            let hit = match &err {
                sqlx::Error::Database(db) if db.is_unique_violation() => db
                    .constraint()
                    .and_then(|name| taken.iter().find(|(index, _, _)| *index == name)),
                _ => None,
            };
            match hit {
                Some((_, field, message)) => DbError::conflict_on(field, message.clone()),
                None => err.into(),
            }
        })
    }
}
