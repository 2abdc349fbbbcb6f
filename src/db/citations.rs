//! Citations (`[{source, quote}]`) of moves, deals and signals: checked and replaced the same way.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::{domain::moves::CitationDraft, error::FieldError};

/// Tables that hold citations, each with the column naming the citing record.
#[derive(Debug, Clone, Copy)]
pub enum Cited {
    Moves,
    Deals,
    Signals,
}

impl Cited {
    fn table_and_column(self) -> (&'static str, &'static str) {
        match self {
            Self::Moves => ("move_sources", "move_id"),
            Self::Deals => ("deal_sources", "deal_id"),
            Self::Signals => ("signal_sources", "signal_id"),
        }
    }
}

/// An error for each citation whose source is not a live source (share-locked while it is used).
pub async fn unknown_sources(
    conn: &mut PgConnection,
    citations: &[CitationDraft],
) -> Result<Vec<FieldError>, sqlx::Error> {
    let ids: Vec<Uuid> = citations.iter().map(|c| c.source).collect();
    let existing = super::sources::existing(conn, &ids).await?;
    Ok(citations
        .iter()
        .enumerate()
        .filter(|(_, c)| !existing.contains(&c.source))
        .map(|(i, c)| {
            FieldError::new(
                format!("sources[{i}].source"),
                format!("no source `{}`", c.source),
            )
        })
        .collect())
}

pub async fn replace(
    conn: &mut PgConnection,
    cited: Cited,
    owner: Uuid,
    citations: &[CitationDraft],
) -> Result<(), sqlx::Error> {
    let (table, column) = cited.table_and_column();
    sqlx::QueryBuilder::new(format!("DELETE FROM {table} WHERE {column} = "))
        .push_bind(owner)
        .build()
        .execute(&mut *conn)
        .await?;
    for (position, citation) in citations.iter().enumerate() {
        sqlx::QueryBuilder::new(format!(
            "INSERT INTO {table} ({column}, source_id, position, quote) VALUES ("
        ))
        .push_bind(owner)
        .push(", ")
        .push_bind(citation.source)
        .push(", ")
        .push_bind(position as i32)
        .push(", ")
        .push_bind(citation.quote.clone())
        .push(")")
        .build()
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The citations of many new records with one statement, as [`replace`] writes one's.
pub async fn insert_many(
    conn: &mut PgConnection,
    cited: Cited,
    owners: &[(Uuid, &[CitationDraft])],
) -> Result<(), sqlx::Error> {
    let (table, column) = cited.table_and_column();
    let (mut owner_ids, mut sources, mut positions, mut quotes) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (owner, citations) in owners {
        for (position, citation) in citations.iter().enumerate() {
            owner_ids.push(*owner);
            sources.push(citation.source);
            positions.push(position as i32);
            quotes.push(citation.quote.clone());
        }
    }
    if owner_ids.is_empty() {
        return Ok(());
    }
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO {table} ({column}, source_id, position, quote)
         SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::int[], $4::text[])"
    )))
    .bind(owner_ids)
    .bind(sources)
    .bind(positions)
    .bind(quotes)
    .execute(conn)
    .await?;
    Ok(())
}
