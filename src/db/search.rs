//! Typo-tolerant search across the named records.

use sqlx::{PgPool, QueryBuilder};

use super::error::DbResult;
use crate::domain::analytics::{SearchHit, SearchType};

/// Typo-tolerant search: trigram word similarity of the folded query to names and aliases.
pub async fn search(
    pool: &PgPool,
    q: &str,
    types: &[SearchType],
    limit: i64,
) -> DbResult<Vec<SearchHit>> {
    let mut tx = pool.begin().await?;
    // Lower than the default 0.6, so that "deepmnd" and "lama" still find what they mean; set
    // for this transaction so the trigram index can answer `<%`.
    sqlx::query("SET LOCAL pg_trgm.word_similarity_threshold = 0.45")
        .execute(&mut *tx)
        .await?;
    let mut query = QueryBuilder::new("SELECT * FROM (");
    let mut first = true;
    for kind in types {
        let table = kind.table();
        if !first {
            query.push(" UNION ALL ");
        }
        first = false;
        // Ranked by similarity to whole words ("lama" is nearer "llama" than "lample"); found
        // by similarity to any part of the text, which the trigram index answers.
        query.push(format!(
            "SELECT '{kind}' AS type, id, slug, name, strict_word_similarity(tf_fold("
        ));
        query.push_bind(q.to_owned());
        query.push(format!(
            "), search_text) AS score FROM {table} WHERE deleted_at IS NULL AND tf_fold("
        ));
        query.push_bind(q.to_owned());
        query.push(") <% search_text");
    }
    query
        .push(") hits ORDER BY score DESC, name, id LIMIT ")
        .push_bind(limit);
    let hits = query.build_query_as().fetch_all(&mut *tx).await?;
    tx.commit().await?;
    Ok(hits)
}
