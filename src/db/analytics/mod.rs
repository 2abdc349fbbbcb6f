//! Analytics over the moves. Flows, balance and leaderboard read the counts that triggers
//! keep in step with `moves` (migration 0005) plus the moves of partial months at a
//! period's ends, so they are exact and current without scanning every move.

use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

mod period;

use period::{all_time, push_confidences, push_counted, push_days_range, push_rank, split_period};

use super::error::DbResult;
use crate::domain::{
    analytics::{CompanyCount, LeaderboardRow, MonthCount},
    moves::Confidence,
    partial_date::Precision,
    refs::CompanyRef,
};

/// `roots(id, root)`: every company with its top-level parent (itself when it has none).
const ROOTS: &str = "WITH RECURSIVE roots AS (
        SELECT id, id AS root FROM companies WHERE parent_id IS NULL
        UNION ALL
        SELECT c.id, r.root FROM companies c JOIN roots r ON c.parent_id = r.id
    )";

/// Which moves an analytic counts.
#[derive(Debug, Clone)]
pub struct MoveScope {
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    pub kind: Option<String>,
    /// Moves of this confidence or a stronger one (`Inferred`: all of them).
    pub min_confidence: Confidence,
    /// Count companies under their top-level parent.
    pub roll_up: bool,
}

/// A link of a flow: `(source, target, moves that lie in the period, moves that may)`.
pub type LinkCount = (Uuid, Uuid, i64, i64);

/// The moves between two different companies in scope (those that lie in its period, and
/// apart those that only may), and the largest links among them by the moves that lie in the
/// period (at least `min_count` of them, at most `top` links), largest first.
pub async fn flows(
    pool: &PgPool,
    scope: &MoveScope,
    min_count: i64,
    top: i64,
) -> DbResult<(i64, i64, Vec<LinkCount>)> {
    let mut query = QueryBuilder::new("");
    let (total, uncertain) = if all_time(scope) && scope.kind.is_none() && !scope.roll_up {
        // Each pair is one row already, and the total is one row per company.
        query.push(
            // `n` stays the indexed column, so the largest links are read off the index.
            "WITH links AS (SELECT from_company_id AS src, to_company_id AS dst, moves AS n, 0 AS u
             FROM move_flow_pairs
             WHERE from_company_id IS NOT NULL AND to_company_id IS NOT NULL AND moves > 0",
        );
        push_rank(&mut query, scope);
        query.push(") ");
        (
            format!(
                "(SELECT sum(outflow_to_company) FROM company_flow_totals WHERE min_confidence = {})",
                scope.min_confidence.rank()
            ),
            "0".to_owned(),
        )
    } else {
        let maybe = push_counted(&mut query, scope, None);
        query.push(
            ", certain_links AS (SELECT src, dst, sum(moves) AS n FROM counted
                WHERE src IS NOT NULL AND dst IS NOT NULL AND src <> dst GROUP BY src, dst)",
        );
        if !maybe {
            // Nothing only may lie in the period (all time, or whole years).
            query.push(
                ", links AS (SELECT src, dst, n::bigint AS n, 0::bigint AS u
                   FROM certain_links WHERE n > 0) ",
            );
        } else {
            query.push(
                ", maybe_links AS (SELECT src, dst, sum(moves) AS n FROM maybe_counted
                    WHERE src IS NOT NULL AND dst IS NOT NULL AND src <> dst GROUP BY src, dst),
                 links AS (SELECT src, dst, coalesce(c.n, 0)::bigint AS n, coalesce(m.n, 0)::bigint AS u
                    FROM certain_links c FULL JOIN maybe_links m USING (src, dst)
                    WHERE coalesce(c.n, 0) + coalesce(m.n, 0) > 0) ",
            );
        }
        (
            "(SELECT sum(n) FROM links)".to_owned(),
            "(SELECT sum(u) FROM links)".to_owned(),
        )
    };
    // The totals, joined to the top links: one row with no link when there are none. The links
    // come as rows and are put in rank order here, which costs less than the four sorts of
    // aggregating them into ordered arrays in Postgres.
    query.push(format!(
        "SELECT totals.total, totals.uncertain, top.src, top.dst, top.n::bigint, top.u::bigint
         FROM (SELECT coalesce({total}, 0)::bigint AS total, coalesce({uncertain}, 0)::bigint AS uncertain) totals
         LEFT JOIN LATERAL (SELECT src, dst, n, u FROM links WHERE n >= "
    ));
    query.push_bind(min_count);
    // Ordered by `n` itself, not a cast of it, so that the largest links are read off the index.
    query.push(" ORDER BY n DESC, src, dst LIMIT ");
    query.push_bind(top);
    query.push(") top ON true");
    let rows: Vec<FlowRow> = query.build_query_as().fetch_all(pool).await?;
    let (total, uncertain) = rows.first().map_or((0, 0), |row| (row.0, row.1));
    let mut links: Vec<LinkCount> = rows
        .into_iter()
        .filter_map(|(_, _, source, target, count, uncertain)| {
            Some((source?, target?, count?, uncertain?))
        })
        .collect();
    // Postgres's order: the most moves first, ties by source then target (a uuid sorts by its
    // bytes there as here).
    links.sort_unstable_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1)));
    Ok((total, uncertain, links))
}

/// The totals, then one link (none when there are no links).
type FlowRow = (
    i64,
    i64,
    Option<Uuid>,
    Option<Uuid>,
    Option<i64>,
    Option<i64>,
);

/// The company a roll-up counts this one under.
pub async fn root_of(conn: &mut PgConnection, company: Uuid) -> DbResult<Uuid> {
    let mut query = QueryBuilder::new(ROOTS);
    query
        .push(" SELECT root FROM roots WHERE id = ")
        .push_bind(company);
    Ok(query
        .build_query_scalar::<Uuid>()
        .fetch_optional(conn)
        .await?
        .unwrap_or(company))
}

/// A company and every company under it, at any depth.
pub async fn group_of(conn: &mut PgConnection, company: Uuid) -> DbResult<Vec<Uuid>> {
    let mut query = QueryBuilder::new("");
    push_group(&mut query, company);
    query.push(" SELECT id FROM grp");
    Ok(query.build_query_scalar().fetch_all(conn).await?)
}

/// `grp(id)`: the company and every company under it, at any depth.
fn push_group(query: &mut QueryBuilder<Postgres>, company: Uuid) {
    query.push("WITH RECURSIVE grp AS (SELECT id FROM companies WHERE id = ");
    query.push_bind(company);
    query.push(" UNION SELECT c.id FROM companies c JOIN grp g ON c.parent_id = g.id)");
}

/// Arrivals to and departures from `group` (one company, or a parent with everything under
/// it), as rows per first month and precision of the moves to be summed; moves inside the
/// group are neither. Moves
/// known to the day are counted when they fall in the scope's period; moves known to a month or
/// a year when their interval overlaps it, `certain` telling whether it lies in it.
pub async fn balance_counts(
    conn: &mut PgConnection,
    group: &[Uuid],
    scope: &MoveScope,
) -> DbResult<Vec<MonthCount>> {
    // Not summed here: the caller sums the rows into its buckets anyway, and a GROUP BY cost
    // more than the rest of the statement.
    let mut query = QueryBuilder::new(
        "SELECT month, precision, inflow::bigint AS inflow, outflow::bigint AS outflow, certain FROM (",
    );
    let split = split_period(scope.since, scope.until);
    // The group's own count rows, less the moves between two members (each counted an arrival
    // and a departure): `certain` is a constant of each part.
    let company_rows = |query: &mut QueryBuilder<Postgres>, certain: bool| {
        query.push(format!(
            "SELECT month, precision, inflow, outflow, {certain} AS certain
             FROM company_flow_months WHERE company_id = ANY("
        ));
        query.push_bind(group.to_vec()).push(")");
        push_rank(query, scope);
    };
    let internal_rows = |query: &mut QueryBuilder<Postgres>, certain: bool| {
        query.push(format!(
            "SELECT month, precision, -moves, -moves, {certain}
             FROM move_flow_months WHERE from_company_id = ANY("
        ));
        query.push_bind(group.to_vec());
        query.push(") AND to_company_id = ANY(");
        query.push_bind(group.to_vec()).push(")");
        push_rank(query, scope);
    };
    company_rows(&mut query, true);
    split.push_inside_rows(&mut query);
    split.push_maybe_rows(&mut query, " UNION ALL ", |query| {
        company_rows(query, false)
    });
    if group.len() > 1 {
        query.push(" UNION ALL ");
        internal_rows(&mut query, true);
        split.push_inside_rows(&mut query);
        split.push_maybe_rows(&mut query, " UNION ALL ", |query| {
            internal_rows(query, false)
        });
    }
    // The day-precision moves of the days at the period's ends.
    split.push_days(&mut query, |query, days| {
        // `member(side)`: whether that side of the move is in the group (NULL is not).
        let member = |query: &mut QueryBuilder<Postgres>, side: &str| {
            query.push(format!("coalesce({side}_company_id = ANY("));
            query.push_bind(group.to_vec()).push("), false)");
        };
        query.push(
            "SELECT date_trunc('month', effective_on)::date AS month, effective_precision AS precision, (",
        );
        member(query, "to");
        query.push(" AND NOT ");
        member(query, "from");
        query.push(")::int AS inflow, (");
        member(query, "from");
        query.push(" AND NOT ");
        member(query, "to");
        query.push(
            ")::int AS outflow, true AS certain FROM moves
             WHERE deleted_at IS NULL AND effective_precision = 'day' AND (from_company_id = ANY(",
        );
        query.push_bind(group.to_vec());
        query.push(") OR to_company_id = ANY(");
        query.push_bind(group.to_vec()).push("))");
        push_days_range(query, days);
        push_confidences(query, scope);
    });
    query.push(") parts");
    Ok(query.build_query_as().fetch_all(conn).await?)
}

/// Which of a company's moves a ranking of the companies on their other side counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Arrivals: the companies they came from.
    Arrivals,
    /// Departures: the companies they went to.
    Departures,
}

impl Side {
    /// (this company's end, the other end) of a move, as `from`/`to`.
    fn ends(self) -> (&'static str, &'static str) {
        match self {
            Self::Arrivals => ("to", "from"),
            Self::Departures => ("from", "to"),
        }
    }
}

/// The companies on the other side of `company`'s arrivals or departures, largest first;
/// `group` is the company and, rolled up, everything under it.
pub async fn counterparts(
    conn: &mut PgConnection,
    company: Uuid,
    group: &[Uuid],
    scope: &MoveScope,
    side: Side,
) -> DbResult<Vec<CompanyCount>> {
    let (this_end, other_end) = side.ends();
    let (this, other) = match side {
        Side::Arrivals => ("dst", "src"),
        Side::Departures => ("src", "dst"),
    };
    let mut query = QueryBuilder::new("");
    if !scope.roll_up && all_time(scope) && scope.kind.is_none() {
        // One row per counterpart already: the top 50 (and any tied with the 50th, so the
        // name can break ties) come straight off the ranked index.
        query.push(format!(
            concat!(
                "SELECT ",
                crate::ref_sql!("c"),
                " AS company, top.moves::bigint AS count
             FROM (SELECT {other}_company_id AS other, moves FROM move_flow_pairs
                   WHERE {this}_company_id = "
            ),
            this = this_end,
            other = other_end,
        ));
        query.push_bind(company);
        push_rank(&mut query, scope);
        query.push(format!(
            " AND {other_end}_company_id IS NOT NULL AND moves > 0
              ORDER BY moves DESC FETCH FIRST 50 ROWS WITH TIES) top
             JOIN companies c ON c.id = top.other ORDER BY top.moves DESC, c.name LIMIT 50"
        ));
        return Ok(query.build_query_as().fetch_all(conn).await?);
    }
    push_counted(&mut query, scope, Some(group));
    // Ranked on plain columns, and only the 50 kept become references.
    query.push(format!(
        concat!(
            "SELECT ",
            crate::ref_sql!("top"),
            " AS company, top.count
         FROM (SELECT c.id, c.slug, c.name, sum(moves)::bigint AS count
               FROM counted JOIN companies c ON c.id = counted.{other}
               WHERE counted.{this} = "
        ),
        other = other,
        this = this,
    ));
    query.push_bind(company);
    query.push(format!(
        " AND counted.{other} <> counted.{this} GROUP BY c.id HAVING sum(moves) > 0
          ORDER BY count DESC, c.name LIMIT 50) top ORDER BY top.count DESC, top.name"
    ));
    Ok(query.build_query_as().fetch_all(conn).await?)
}

/// Companies ranked by `metric` (`net`, `inflow` or `outflow`).
pub async fn leaderboard(
    pool: &PgPool,
    scope: &MoveScope,
    metric: &str,
    limit: i64,
) -> DbResult<Vec<LeaderboardRow>> {
    let order = match metric {
        "inflow" => "inflow",
        "outflow" => "outflow",
        _ => "net",
    };
    let mut query = QueryBuilder::new("");
    // `certain_sides` and `maybe_sides`: `(company, inflow, outflow)` rows of the moves that
    // lie in the period and of those that only may.
    let maybe = if scope.roll_up {
        // Who is inside which parent is only known now: count from the pairs.
        let maybe = push_counted(&mut query, scope, None);
        let sides = [
            ("certain_sides", "counted"),
            ("maybe_sides", "maybe_counted"),
        ];
        for (sides, counted) in &sides[..if maybe { 2 } else { 1 }] {
            query.push(format!(
                ", {sides} AS (
                    SELECT dst AS company, moves AS inflow, 0 AS outflow FROM {counted}
                    WHERE dst IS NOT NULL AND src IS DISTINCT FROM dst
                    UNION ALL
                    SELECT src, 0, moves FROM {counted} WHERE src IS NOT NULL AND src IS DISTINCT FROM dst
                 )"
            ));
        }
        maybe
    } else {
        let split = split_period(scope.since, scope.until);
        query.push("WITH certain_sides AS (");
        if all_time(scope) {
            query.push(
                "SELECT company_id AS company, inflow, outflow FROM company_flow_totals WHERE true",
            );
            push_rank(&mut query, scope);
        } else {
            // As in `push_counted`: the count rows that lie in the period, then the
            // day-precision moves of the days at its ends.
            query.push(
                "SELECT company_id AS company, inflow, outflow FROM company_flow_months WHERE true",
            );
            push_rank(&mut query, scope);
            split.push_inside_rows(&mut query);
            split.push_days(&mut query, |query, days| {
                query.push(
                    "SELECT to_company_id AS company, 1 AS inflow, 0 AS outflow
                     FROM moves WHERE deleted_at IS NULL AND effective_precision = 'day'
                     AND to_company_id IS NOT NULL",
                );
                push_days_range(query, days);
                push_confidences(query, scope);
                query.push(
                    " UNION ALL SELECT from_company_id, 0, 1 FROM moves
                     WHERE deleted_at IS NULL AND effective_precision = 'day'
                     AND from_company_id IS NOT NULL",
                );
                push_days_range(query, days);
                push_confidences(query, scope);
            });
        }
        query.push(")");
        if split.has_maybe_rows() {
            query.push(", maybe_sides AS (");
            split.push_maybe_rows(&mut query, "", |query| {
                query.push(
                    "SELECT company_id AS company, inflow, outflow FROM company_flow_months WHERE true",
                );
                push_rank(query, scope);
            });
            query.push(")");
        }
        split.has_maybe_rows()
    };
    // Ranked by the moves that lie in the period; those that only may are reported beside
    // (when there can be none, the sums stand alone).
    if !maybe {
        query.push(
            ", by_company AS (
                SELECT company, sum(inflow)::bigint AS inflow, sum(outflow)::bigint AS outflow,
                       0::bigint AS uncertain_inflow, 0::bigint AS uncertain_outflow
                FROM certain_sides GROUP BY company
             )",
        );
    } else {
        query.push(
            ", certain AS (SELECT company, sum(inflow) AS inflow, sum(outflow) AS outflow
                           FROM certain_sides GROUP BY company),
               maybe AS (SELECT company, sum(inflow) AS inflow, sum(outflow) AS outflow
                         FROM maybe_sides GROUP BY company),
               by_company AS (
                SELECT company,
                       coalesce(certain.inflow, 0)::bigint AS inflow,
                       coalesce(certain.outflow, 0)::bigint AS outflow,
                       coalesce(maybe.inflow, 0)::bigint AS uncertain_inflow,
                       coalesce(maybe.outflow, 0)::bigint AS uncertain_outflow
                FROM certain FULL JOIN maybe USING (company)
             )",
        );
    }
    query.push(format!(
        concat!(
            "
         SELECT ",
            crate::ref_sql!("c"),
            " AS company,
                by_company.inflow, by_company.outflow, by_company.inflow - by_company.outflow AS net,
                by_company.uncertain_inflow, by_company.uncertain_outflow
         FROM by_company JOIN companies c ON c.id = by_company.company
         WHERE by_company.inflow <> 0 OR by_company.outflow <> 0
            OR by_company.uncertain_inflow <> 0 OR by_company.uncertain_outflow <> 0
         ORDER BY {order} DESC, c.name, c.id LIMIT "
        ),
        order = order,
    ));
    query.push_bind(limit);
    Ok(query.build_query_as().fetch_all(pool).await?)
}

/// The moves of the project's roster away from `company` and everything under it, that may
/// have come by `as_of` (their first day is not after it), earliest first per researcher. Which
/// of them are departures from the roster is `domain::analytics::departure_certainty`'s call.
pub async fn moves_away(
    pool: &PgPool,
    project: Uuid,
    company: Uuid,
    as_of: NaiveDate,
    min_confidence: Confidence,
) -> DbResult<Vec<(Uuid, Uuid, NaiveDate, Precision)>> {
    let mut query = QueryBuilder::new("");
    push_group(&mut query, company);
    query.push(
        " SELECT m.researcher_id, m.id, m.effective_on, m.effective_precision
         FROM moves m
         JOIN project_contributors pc ON pc.researcher_id = m.researcher_id AND pc.project_id = ",
    );
    query.push_bind(project);
    query.push(
        " WHERE m.deleted_at IS NULL
           AND m.from_company_id IN (SELECT id FROM grp)
           AND (m.to_company_id IS NULL OR m.to_company_id NOT IN (SELECT id FROM grp))
           AND m.confidence = ANY(",
    );
    query.push_bind(min_confidence.at_least());
    query.push(") AND m.effective_on <= ");
    query.push_bind(as_of);
    query.push(" ORDER BY m.researcher_id, m.effective_on, m.id");
    Ok(query.build_query_as().fetch_all(pool).await?)
}

pub async fn roster_size(pool: &PgPool, project: Uuid) -> DbResult<i64> {
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
) -> DbResult<Vec<(Uuid, String, i64, Option<i64>, Option<i64>, Uuid)>> {
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

pub async fn company_refs(pool: &PgPool, ids: &[Uuid]) -> DbResult<Vec<CompanyRef>> {
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
