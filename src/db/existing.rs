//! What a batch of imported records finds already in the database, read with one statement
//! per table instead of one per line: which ids and slugs are taken, which unique values are
//! in use. The import plans its writes from these answers (`bulk::import::batch`).

use std::collections::{HashMap, HashSet};

use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::refs::SourceRef;

/// Records of one table named by a batch, by id or by slug.
#[derive(Debug, Default)]
pub struct Found {
    /// Every row with one of the ids asked for: `true` when live, `false` when deleted.
    pub ids: HashMap<Uuid, bool>,
    /// The live rows with one of the slugs asked for.
    pub slugs: HashMap<String, Uuid>,
    /// The slug and name of every live row found (tables with slugs), as references show them.
    pub names: HashMap<Uuid, (String, String)>,
}

impl Found {
    pub fn live_id(&self, id: Uuid) -> bool {
        self.ids.get(&id) == Some(&true)
    }
}

/// Rows of `table` (one with ids, and slugs if `slugged`) with any of these ids or live slugs.
pub async fn find(
    conn: &mut PgConnection,
    table: &'static str,
    slugged: bool,
    ids: &[Uuid],
    slugs: &[String],
) -> Result<Found, sqlx::Error> {
    let mut found = Found::default();
    if ids.is_empty() && slugs.is_empty() {
        return Ok(found);
    }
    // Joined to the distinct keys rather than `= ANY(...)`: a batch names the same few records
    // thousands of times, and Postgres probes such an array one element after another.
    let sql = if slugged {
        format!(
            "SELECT t.id, t.slug, t.name, t.deleted_at IS NULL
             FROM (SELECT DISTINCT unnest($1::uuid[]) AS id) wanted JOIN {table} t ON t.id = wanted.id
             UNION
             SELECT t.id, t.slug, t.name, true
             FROM (SELECT DISTINCT unnest($2::text[]) AS slug) wanted
             JOIN {table} t ON t.slug = wanted.slug AND t.deleted_at IS NULL"
        )
    } else {
        format!(
            "SELECT t.id, NULL::text, NULL::text, t.deleted_at IS NULL
             FROM (SELECT DISTINCT unnest($1::uuid[]) AS id) wanted JOIN {table} t ON t.id = wanted.id"
        )
    };
    let rows: Vec<(Uuid, Option<String>, Option<String>, bool)> =
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(ids)
            .bind(slugs)
            .fetch_all(conn)
            .await?;
    for (id, slug, name, live) in rows {
        found.ids.insert(id, live);
        if let (Some(slug), Some(name), true) = (slug, name, live) {
            found.slugs.insert(slug.clone(), id);
            found.names.insert(id, (slug, name));
        }
    }
    Ok(found)
}

/// The live sources among `ids`, as citations show them.
pub async fn source_refs(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, SourceRef>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<SourceRefRow> = sqlx::query_as(
        "SELECT s.id, s.url, s.publisher, s.title, s.published_on, s.published_precision
         FROM (SELECT DISTINCT unnest($1::uuid[]) AS id) wanted
         JOIN sources s ON s.id = wanted.id AND s.deleted_at IS NULL",
    )
    .bind(ids)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            (
                row.id,
                SourceRef {
                    id: row.id,
                    url: row.url,
                    publisher: row.publisher,
                    title: row.title,
                    published_on: row.published_on,
                    published_precision: row.published_precision,
                },
            )
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct SourceRefRow {
    id: Uuid,
    url: Option<String>,
    publisher: Option<String>,
    title: Option<String>,
    published_on: Option<chrono::NaiveDate>,
    published_precision: Option<crate::domain::partial_date::Precision>,
}

/// Which of `values` a live row of `table` already holds in `column` (a unique one).
pub async fn taken(
    conn: &mut PgConnection,
    table: &'static str,
    column: &'static str,
    values: &[String],
) -> Result<HashSet<String>, sqlx::Error> {
    if values.is_empty() {
        return Ok(HashSet::new());
    }
    let sql = format!(
        "SELECT t.{column} FROM (SELECT DISTINCT unnest($1::text[]) AS value) wanted
         JOIN {table} t ON t.{column} = wanted.value AND t.deleted_at IS NULL"
    );
    let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(values)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}
