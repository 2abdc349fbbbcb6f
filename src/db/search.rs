//! Typo-tolerant search across the named records.
//!
//! Scored as it always was: `strict_word_similarity` of the folded query to a record's
//! `search_text`, kept when the query is `<%` it, best first, then by name and id. What changed
//! (issue 17) is how the records to score are found. The trigram index on `search_text` finds
//! every record sharing enough trigrams with the query, and on a crowded name ("Wang" among
//! 100,000 researchers) that is tens of thousands of rows, each rechecked and scored to keep 20:
//! 47 ms of SQL. Migration 0018 keeps posting lists instead (`search_postings`: each record's
//! words and pairs of nearby words, read in (name, id) order), and a search scores only the
//! first few records of each key like the query: about a millisecond, whatever the crowd.

use sqlx::{PgConnection, PgPool, QueryBuilder};

use super::error::DbResult;
use crate::domain::analytics::{SearchHit, SearchType};

/// Records that hold the same word, or the same pair of words, score the same, and among
/// equals the first by (name, id) rank first. So the best `limit` records are among the first
/// `limit` of the postings of the keys they match by, and reading those few is enough:
///
/// - `q`: the query's own keys, by the same `tf_search_keys` the postings are made with (its
///   words; its pairs of adjacent words and of words one apart, sorted).
/// - `word_likes`: for a query of several words, the dictionary words like each of them, and
///   each one's initial, because a middle initial ("Max N. Chen") scores for "Max Chen".
/// - `keys`: the words like the whole query, those words, and for every pair in the query
///   every pair of words like its two, both adjacent and one apart ("Lin Wang" for "Wang Li").
/// - `candidates`: the first `limit` postings of each key, of each asked-for kind.
///
/// The candidates are then filtered and scored against the records themselves exactly as the
/// full scan does, so a stale or missing posting can only leave a record out, never put a
/// deleted or unlike one in. What this misses are matches that only appear across a word
/// boundary (a query "emilyzhu" for "Emily Zhu") or between words that are not alike by
/// themselves: [`search`] answers those by the full scan when it matters (see there).
const FROM_POSTINGS: &str = "
WITH q AS MATERIALIZED (
    SELECT qf,
           array(SELECT k FROM unnest(keys) k WHERE k NOT LIKE '% %') AS words,
           array(SELECT k FROM unnest(keys) k WHERE k LIKE '% %') AS pairs
    FROM (SELECT tf_fold($1) AS qf) f CROSS JOIN LATERAL tf_search_keys(' ' || f.qf || ' ') AS keys
), kinds AS MATERIALIZED (
    SELECT unnest($2::text[]) AS kind
), word_likes AS MATERIALIZED (
    SELECT qw, d.word FROM q, unnest(q.words) qw, search_words d
    WHERE cardinality(q.words) > 1 AND qw <% d.word
    UNION
    SELECT qw, left(qw, 1) FROM q, unnest(q.words) qw
    WHERE cardinality(q.words) > 1 AND length(qw) > 1
), keys AS (
    SELECT d.word AS key FROM q, search_words d WHERE q.qf <% d.word
    UNION
    SELECT word FROM word_likes
    UNION
    SELECT least(x.word, y.word) || sep || greatest(x.word, y.word)
    FROM q, unnest(q.pairs) pair
    JOIN word_likes x ON x.qw = split_part(pair, ' ', 1)
    JOIN word_likes y ON y.qw = reverse(split_part(reverse(pair), ' ', 1))
    CROSS JOIN (VALUES (' '), (' _ ')) s(sep)
), candidates AS (
    SELECT DISTINCT p.kind, p.id FROM keys, kinds CROSS JOIN LATERAL (
        SELECT p.kind, p.id FROM search_postings p
        WHERE p.kind = kinds.kind AND p.word = keys.key ORDER BY p.name, p.id LIMIT $3
    ) p
)
SELECT hits.* FROM q CROSS JOIN LATERAL (
    SELECT 'researcher' AS type, r.id, r.slug, r.name,
           strict_word_similarity(q.qf, r.search_text) AS score
    FROM candidates c JOIN researchers r ON r.id = c.id
    WHERE c.kind = 'researcher' AND r.deleted_at IS NULL AND q.qf <% r.search_text
    UNION ALL
    SELECT 'company', co.id, co.slug, co.name, strict_word_similarity(q.qf, co.search_text)
    FROM candidates c JOIN companies co ON co.id = c.id
    WHERE c.kind = 'company' AND co.deleted_at IS NULL AND q.qf <% co.search_text
    UNION ALL
    SELECT 'project', p.id, p.slug, p.name, strict_word_similarity(q.qf, p.search_text)
    FROM candidates c JOIN projects p ON p.id = c.id
    WHERE c.kind = 'project' AND p.deleted_at IS NULL AND q.qf <% p.search_text
) hits
ORDER BY score DESC, name, id
LIMIT $3";

/// Typo-tolerant search: trigram word similarity of the folded query to names and aliases.
pub async fn search(
    pool: &PgPool,
    q: &str,
    types: &[SearchType],
    limit: i64,
) -> DbResult<Vec<SearchHit>> {
    let mut tx = pool.begin().await?;
    // Lower than the default 0.6, so that "deepmnd" and "lama" still find what they mean; set
    // for this transaction so the trigram indexes can answer `<%`. The same round trip counts
    // the query's words as the database folds them, for the choice below.
    let words: i32 = sqlx::query_scalar(
        "SELECT cardinality(string_to_array(tf_fold($1), ' '))
         FROM set_config('pg_trgm.word_similarity_threshold', '0.45', true)",
    )
    .bind(q)
    .fetch_one(&mut *tx)
    .await?;
    let kinds: Vec<&str> = types.iter().map(|kind| kind.as_str()).collect();
    let mut hits: Vec<SearchHit> = sqlx::query_as(FROM_POSTINGS)
        .bind(q)
        .bind(&kinds)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
    // A name typed with a slip in each word ("Wililam Kim") can be like a record as a whole
    // while neither word is like one of its words, so the postings find fewer than asked for,
    // often none. Only then, and only for several words, pay for the full scan; a single word
    // that finds few records is a rare word, and the postings found all there is.
    if hits.len() < limit as usize && words > 1 {
        hits = full_scan(&mut tx, q, types, limit).await?;
    }
    tx.commit().await?;
    Ok(hits)
}

/// Every record the trigram indexes on `search_text` find, scored: exact, and slow on a
/// crowded word.
async fn full_scan(
    conn: &mut PgConnection,
    q: &str,
    types: &[SearchType],
    limit: i64,
) -> DbResult<Vec<SearchHit>> {
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
    Ok(query.build_query_as().fetch_all(conn).await?)
}
