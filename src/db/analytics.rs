//! Analytics over the moves, computed exactly from the current rows on every request.

use chrono::NaiveDate;
use sqlx::{PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use crate::{
    domain::{
        analytics::{CompanyCount, LeaderboardRow, SearchHit},
        refs::CompanyRef,
    },
    error::ApiResult,
};

/// `roots(id, root)`: every company with its top-level parent (itself when it has none).
const ROOTS: &str = "WITH RECURSIVE roots AS (
        SELECT id, id AS root FROM companies WHERE parent_id IS NULL
        UNION ALL
        SELECT c.id, r.root FROM companies c JOIN roots r ON c.parent_id = r.id
    )";

/// Which moves an analytic counts.
#[derive(Debug, Clone, Default)]
pub struct MoveScope {
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    pub kind: Option<String>,
    /// Count companies under their top-level parent.
    pub roll_up: bool,
}

/// `sided(effective_on, src, dst)`: the moves in scope with each side rolled up or not.
fn push_sided(query: &mut QueryBuilder<Postgres>, scope: &MoveScope) {
    query.push(ROOTS);
    query.push(
        ", sided AS (SELECT m.effective_on,
            CASE WHEN ",
    );
    query.push_bind(scope.roll_up);
    query.push(" THEN rf.root ELSE m.from_company_id END AS src, CASE WHEN ");
    query.push_bind(scope.roll_up);
    query.push(
        " THEN rt.root ELSE m.to_company_id END AS dst
        FROM moves m
        LEFT JOIN roots rf ON rf.id = m.from_company_id
        LEFT JOIN roots rt ON rt.id = m.to_company_id
        WHERE m.deleted_at IS NULL",
    );
    if let Some(since) = scope.since {
        query.push(" AND m.effective_on >= ").push_bind(since);
    }
    if let Some(until) = scope.until {
        query.push(" AND m.effective_on <= ").push_bind(until);
    }
    if let Some(kind) = &scope.kind {
        query.push(" AND m.kind = ").push_bind(kind.clone());
    }
    query.push(") ");
}

/// Links between two different companies, largest first.
pub async fn flows(pool: &PgPool, scope: &MoveScope) -> ApiResult<Vec<(Uuid, Uuid, i64)>> {
    let mut query = QueryBuilder::new("");
    push_sided(&mut query, scope);
    query.push(
        "SELECT src, dst, count(*) FROM sided
         WHERE src IS NOT NULL AND dst IS NOT NULL AND src <> dst
         GROUP BY src, dst ORDER BY count(*) DESC, src, dst",
    );
    Ok(query.build_query_as().fetch_all(pool).await?)
}

/// The company a roll-up counts this one under.
pub async fn root_of(pool: &PgPool, company: Uuid) -> ApiResult<Uuid> {
    let mut query = QueryBuilder::new(ROOTS);
    query
        .push(" SELECT root FROM roots WHERE id = ")
        .push_bind(company);
    Ok(query
        .build_query_scalar::<Uuid>()
        .fetch_optional(pool)
        .await?
        .unwrap_or(company))
}

/// Inflow and outflow of one company per period (`month`, `quarter` or `year`).
pub async fn balance_series(
    pool: &PgPool,
    company: Uuid,
    scope: &MoveScope,
    interval: &str,
) -> ApiResult<Vec<(NaiveDate, i64, i64)>> {
    let mut query = QueryBuilder::new("");
    push_sided(&mut query, scope);
    query
        .push("SELECT date_trunc(")
        .push_bind(interval.to_owned())
        .push(", effective_on)::date AS period, count(*) FILTER (WHERE dst = ");
    query
        .push_bind(company)
        .push(" AND src IS DISTINCT FROM dst), count(*) FILTER (WHERE src = ");
    query
        .push_bind(company)
        .push(" AND src IS DISTINCT FROM dst) FROM sided WHERE (src = ");
    query
        .push_bind(company)
        .push(" OR dst = ")
        .push_bind(company)
        .push(") GROUP BY 1 ORDER BY 1");
    Ok(query.build_query_as().fetch_all(pool).await?)
}

/// The other side of a company's arrivals (`incoming`) or departures, largest first.
pub async fn counterparts(
    pool: &PgPool,
    company: Uuid,
    scope: &MoveScope,
    incoming: bool,
) -> ApiResult<Vec<CompanyCount>> {
    let (this, other) = if incoming {
        ("dst", "src")
    } else {
        ("src", "dst")
    };
    let mut query = QueryBuilder::new("");
    push_sided(&mut query, scope);
    query.push(format!(
        "SELECT jsonb_build_object('id', c.id, 'slug', c.slug, 'name', c.name) AS company, count(*) AS count
         FROM sided JOIN companies c ON c.id = sided.{other}
         WHERE sided.{this} = "
    ));
    query.push_bind(company);
    query.push(format!(
        " AND sided.{other} <> sided.{this} GROUP BY c.id ORDER BY count(*) DESC, c.name LIMIT 50"
    ));
    Ok(query.build_query_as().fetch_all(pool).await?)
}

/// Companies ranked by `metric` (`net`, `inflow` or `outflow`).
pub async fn leaderboard(
    pool: &PgPool,
    scope: &MoveScope,
    metric: &str,
    limit: i64,
) -> ApiResult<Vec<LeaderboardRow>> {
    let order = match metric {
        "inflow" => "inflow",
        "outflow" => "outflow",
        _ => "net",
    };
    let mut query = QueryBuilder::new("");
    push_sided(&mut query, scope);
    query.push(format!(
        ", counted AS (
            SELECT company, sum(arrived)::bigint AS inflow, sum(left_)::bigint AS outflow FROM (
                SELECT dst AS company, 1 AS arrived, 0 AS left_ FROM sided WHERE dst IS NOT NULL AND src IS DISTINCT FROM dst
                UNION ALL
                SELECT src, 0, 1 FROM sided WHERE src IS NOT NULL AND src IS DISTINCT FROM dst
            ) sides GROUP BY company
         )
         SELECT jsonb_build_object('id', c.id, 'slug', c.slug, 'name', c.name) AS company,
                counted.inflow, counted.outflow, counted.inflow - counted.outflow AS net
         FROM counted JOIN companies c ON c.id = counted.company
         ORDER BY {order} DESC, c.name, c.id LIMIT "
    ));
    query.push_bind(limit);
    Ok(query.build_query_as().fetch_all(pool).await?)
}

/// The first move of each contributor that took them from the project's company (or one of
/// its subsidiaries) to elsewhere, on or after `from` and on or before `as_of`.
pub async fn departures(
    pool: &PgPool,
    project: Uuid,
    company: Uuid,
    from: Option<NaiveDate>,
    as_of: NaiveDate,
) -> ApiResult<Vec<Uuid>> {
    let mut query = QueryBuilder::new(
        "WITH RECURSIVE grp AS (
             SELECT id FROM companies WHERE id = ",
    );
    query.push_bind(company);
    query.push(
        " UNION SELECT c.id FROM companies c JOIN grp g ON c.parent_id = g.id
         )
         SELECT DISTINCT ON (m.researcher_id) m.id
         FROM moves m
         JOIN project_contributors pc ON pc.researcher_id = m.researcher_id AND pc.project_id = ",
    );
    query.push_bind(project);
    query.push(
        " WHERE m.deleted_at IS NULL
           AND m.from_company_id IN (SELECT id FROM grp)
           AND (m.to_company_id IS NULL OR m.to_company_id NOT IN (SELECT id FROM grp))
           AND m.effective_on <= ",
    );
    query.push_bind(as_of);
    if let Some(from) = from {
        query.push(" AND m.effective_on >= ").push_bind(from);
    }
    query.push(" ORDER BY m.researcher_id, m.effective_on, m.id");
    Ok(query.build_query_scalar().fetch_all(pool).await?)
}

pub async fn roster_size(pool: &PgPool, project: Uuid) -> ApiResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT count(*) FROM project_contributors WHERE project_id = $1")
            .bind(project)
            .fetch_one(pool)
            .await?,
    )
}

/// Per company and currency: number of reports, lowest and highest figure, latest report id.
pub async fn compensation_summary(
    pool: &PgPool,
    role: Option<&str>,
    since: Option<NaiveDate>,
) -> ApiResult<Vec<(Uuid, String, i64, Option<i64>, Option<i64>, Uuid)>> {
    let mut query = QueryBuilder::new(
        "SELECT company_id, currency, count(*), min(coalesce(annual_min, annual_max)), max(coalesce(annual_max, annual_min)),
                (array_agg(id ORDER BY reported_on DESC, id DESC))[1]
         FROM compensation_reports WHERE deleted_at IS NULL",
    );
    if let Some(role) = role {
        query
            .push(" AND lower(role) = lower(")
            .push_bind(role.to_owned())
            .push(")");
    }
    if let Some(since) = since {
        query.push(" AND reported_on >= ").push_bind(since);
    }
    query.push(" GROUP BY company_id, currency ORDER BY max(coalesce(annual_max, annual_min)) DESC NULLS LAST, company_id");
    Ok(query.build_query_as().fetch_all(pool).await?)
}

pub async fn company_refs(pool: &PgPool, ids: &[Uuid]) -> ApiResult<Vec<CompanyRef>> {
    let rows: Vec<(Uuid, String, String)> =
        sqlx::query_as("SELECT id, slug, name FROM companies WHERE id = ANY($1)")
            .bind(ids)
            .fetch_all(pool)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(id, slug, name)| CompanyRef { id, slug, name })
        .collect())
}

/// Typo-tolerant search: trigram word similarity of the folded query to names and aliases.
pub async fn search(
    pool: &PgPool,
    q: &str,
    types: &[&str],
    limit: i64,
) -> ApiResult<Vec<SearchHit>> {
    let mut tx = pool.begin().await?;
    // Lower than the default 0.6, so that "deepmnd" and "lama" still find what they mean; set
    // for this transaction so the trigram index can answer `<%`.
    sqlx::query("SET LOCAL pg_trgm.word_similarity_threshold = 0.45")
        .execute(&mut *tx)
        .await?;
    let mut query = QueryBuilder::new("SELECT * FROM (");
    let mut first = true;
    for (kind, table) in [
        ("researcher", "researchers"),
        ("company", "companies"),
        ("project", "projects"),
    ] {
        if !types.contains(&kind) {
            continue;
        }
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
