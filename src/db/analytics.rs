//! Analytics over the moves. Flows, balance and leaderboard read the counts that triggers
//! keep in step with `moves` (migration 0005) plus the moves of partial months at a
//! period's ends, so they are exact and current without scanning every move.

use chrono::{Datelike, Months, NaiveDate};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use super::error::DbResult;
use crate::domain::{
    analytics::{CompanyCount, LeaderboardRow, SearchHit, SearchType},
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
#[derive(Debug, Clone, Default)]
pub struct MoveScope {
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    pub kind: Option<String>,
    /// Count companies under their top-level parent.
    pub roll_up: bool,
}

/// A period cut into what the maintained counts answer and what only `moves` can. Each range
/// is `[start, end)`, `None` unbounded on that side, and empty when `start >= end`.
#[derive(Debug, PartialEq, Eq)]
struct PeriodSplit {
    /// The whole months inside the period: their count rows of day precision, and the
    /// month-precision moves that lie in the period.
    months: Range,
    /// The whole years inside the period: the year-precision moves that lie in it.
    years: Range,
    /// The days outside the whole months, whose day-precision moves are read from `moves`.
    days: Vec<(NaiveDate, NaiveDate)>,
    /// Where month- and year-precision count rows overlapping the period begin and end: a
    /// month overlaps `since..` when it begins no earlier than the month holding `since`, a
    /// year when it begins no earlier than that year; both overlap `..until` when they begin
    /// by `until`.
    overlap_months: Range,
    overlap_years: Range,
}

fn first_of_month(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

fn first_of_year(date: NaiveDate) -> NaiveDate {
    date.with_ordinal(1).unwrap_or(date)
}

/// The first day of a unit (month or year) that begins on or after `date`.
fn unit_start_from(
    date: NaiveDate,
    first_of: fn(NaiveDate) -> NaiveDate,
    unit: Months,
) -> NaiveDate {
    let first = first_of(date);
    if first == date { date } else { first + unit }
}

fn split_period(since: Option<NaiveDate>, until: Option<NaiveDate>) -> PeriodSplit {
    // The day after the period, so that every range is half-open.
    let after = until.map(|u| u.succ_opt().unwrap_or(u));
    let months = (
        since.map(|s| unit_start_from(s, first_of_month, Months::new(1))),
        after.map(first_of_month),
    );
    let years = (
        since.map(|s| unit_start_from(s, first_of_year, Months::new(12))),
        after.map(first_of_year),
    );
    let mut days = Vec::new();
    match (since, after, months) {
        (Some(s), Some(a), (Some(ms), Some(me))) if ms >= me => {
            // Not one whole month inside: all of it is days.
            if s < a {
                days.push((s, a));
            }
        }
        _ => {
            if let (Some(s), Some(ms)) = (since, months.0)
                && s < ms
            {
                days.push((s, ms));
            }
            if let (Some(a), Some(me)) = (after, months.1)
                && me < a
            {
                days.push((me, a));
            }
        }
    }
    PeriodSplit {
        months,
        years,
        days,
        overlap_months: (since.map(first_of_month), after),
        overlap_years: (since.map(first_of_year), after),
    }
}

/// A range of first days `[start, end)`; `None` is unbounded on that side.
type Range = (Option<NaiveDate>, Option<NaiveDate>);

fn is_empty((start, end): Range) -> bool {
    matches!((start, end), (Some(start), Some(end)) if start >= end)
}

/// `outer` less `inner`, for an `inner` inside `outer`: the pieces before and after it.
fn minus(outer: Range, inner: Range) -> Vec<Range> {
    if is_empty(inner) {
        return if is_empty(outer) { vec![] } else { vec![outer] };
    }
    let before = inner.0.map(|start| (outer.0, Some(start)));
    let after = inner.1.map(|end| (Some(end), outer.1));
    [before, after]
        .into_iter()
        .flatten()
        .filter(|piece| !is_empty(*piece))
        .collect()
}

/// ` AND <column> >= start AND <column> < end`, each side when bounded.
fn push_range(query: &mut QueryBuilder<Postgres>, column: &str, (start, end): Range) {
    if let Some(start) = start {
        query.push(format!(" AND {column} >= ")).push_bind(start);
    }
    if let Some(end) = end {
        query.push(format!(" AND {column} < ")).push_bind(end);
    }
}

impl PeriodSplit {
    /// ` AND …` keeping the count rows (`month`, `precision`) whose moves lie in the period:
    /// those of day and month precision in its whole months (the days at its ends come from
    /// `moves`), those of year precision in its whole years. A row's `month` and `precision`
    /// are its whole interval (`PartialDate::placement`'s `Inside`). One range of `month`, so
    /// the `(month, precision)` indexes answer it.
    fn push_inside_rows(&self, query: &mut QueryBuilder<Postgres>) {
        push_range(query, "month", self.months);
        query.push(" AND (precision <> 'year' OR (true");
        push_range(query, "month", self.years);
        query.push("))");
    }

    /// The runs of count rows whose moves only may lie in the period (`Maybe`): month- and
    /// year-precision rows that overlap it outside its whole months and years, at most two
    /// short runs of each (none over all time, nor for a period of whole years).
    fn maybe_runs(&self) -> Vec<(&'static str, Range)> {
        let months = minus(self.overlap_months, self.months);
        let years = minus(self.overlap_years, self.years);
        let runs = months.into_iter().map(|run| ("month", run));
        runs.chain(years.into_iter().map(|run| ("year", run)))
            .collect()
    }

    fn has_maybe_rows(&self) -> bool {
        !self.maybe_runs().is_empty()
    }

    /// `<lead><select> AND …` for the first of `maybe_runs`, ` UNION ALL <select> AND …` for
    /// each next one; nothing when there are none. `select` ends in a WHERE clause.
    fn push_maybe_rows(
        &self,
        query: &mut QueryBuilder<Postgres>,
        lead: &str,
        select: impl Fn(&mut QueryBuilder<Postgres>),
    ) {
        for (n, (precision, run)) in self.maybe_runs().into_iter().enumerate() {
            query.push(if n == 0 { lead } else { " UNION ALL " });
            select(query);
            query.push(format!(" AND precision = '{precision}'"));
            push_range(query, "month", run);
        }
    }

    /// ` UNION ALL <part(from, to)>` for each run of days `[from, to)` read from `moves`.
    fn push_days(
        &self,
        query: &mut QueryBuilder<Postgres>,
        mut part: impl FnMut(&mut QueryBuilder<Postgres>, (NaiveDate, NaiveDate)),
    ) {
        for &days in &self.days {
            query.push(" UNION ALL ");
            part(query, days);
        }
    }
}

/// ` AND effective_on >= from AND effective_on < to`.
fn push_days_range(query: &mut QueryBuilder<Postgres>, (from, to): (NaiveDate, NaiveDate)) {
    push_range(query, "effective_on", (Some(from), Some(to)));
}

fn all_time(scope: &MoveScope) -> bool {
    scope.since.is_none() && scope.until.is_none()
}

/// `counted(src, dst, moves)`: the moves in scope that lie in its period, per pair, each side
/// rolled up when the scope says so; `maybe_counted(src, dst, moves)` likewise for the moves
/// whose date only overlaps the period, when there can be any (the answer says whether). `touching` keeps only moves from or to one of those
/// companies. Apart, so that the many rows that lie in the period are summed as plainly as
/// possible and only the few that may are summed a second time.
fn push_counted(
    query: &mut QueryBuilder<Postgres>,
    scope: &MoveScope,
    touching: Option<&[Uuid]>,
) -> bool {
    let restrict = |query: &mut QueryBuilder<Postgres>| {
        if let Some(kind) = &scope.kind {
            query.push(" AND kind = ").push_bind(kind.clone());
        }
        if let Some(ids) = touching {
            query.push(" AND (from_company_id = ANY(");
            query.push_bind(ids.to_vec());
            query.push(") OR to_company_id = ANY(");
            query.push_bind(ids.to_vec());
            query.push("))");
        }
    };
    // `SELECT src, dst, moves FROM (<rows>) x`, the rows' companies rolled up or not.
    let by_pair = |query: &mut QueryBuilder<Postgres>,
                   rows: &dyn Fn(&mut QueryBuilder<Postgres>)| {
        if scope.roll_up {
            query.push("SELECT rf.root AS src, rt.root AS dst, x.moves FROM (");
        } else {
            query.push("SELECT x.from_company_id AS src, x.to_company_id AS dst, x.moves FROM (");
        }
        rows(query);
        query.push(") x");
        if scope.roll_up {
            query.push(
                " LEFT JOIN roots rf ON rf.id = x.from_company_id
                  LEFT JOIN roots rt ON rt.id = x.to_company_id",
            );
        }
    };
    let split = split_period(scope.since, scope.until);
    query.push(ROOTS);
    query.push(", counted AS (");
    by_pair(query, &|query| {
        if all_time(scope) && scope.kind.is_none() {
            query.push(
                "SELECT from_company_id, to_company_id, moves FROM move_flow_pairs WHERE moves <> 0",
            );
            restrict(query);
            return;
        }
        query.push(
            "SELECT from_company_id, to_company_id, moves FROM move_flow_months WHERE moves <> 0",
        );
        split.push_inside_rows(query);
        restrict(query);
        split.push_days(query, |query, days| {
            query.push(
                "SELECT from_company_id, to_company_id, 1 AS moves
                 FROM moves WHERE deleted_at IS NULL AND effective_precision = 'day'",
            );
            push_days_range(query, days);
            restrict(query);
        });
    });
    query.push(")");
    if split.has_maybe_rows() {
        query.push(", maybe_counted AS (");
        by_pair(query, &|query| {
            split.push_maybe_rows(query, "", |query| {
                query.push(
                    "SELECT from_company_id, to_company_id, moves FROM move_flow_months WHERE moves <> 0",
                );
                restrict(query);
            });
        });
        query.push(")");
    }
    query.push(" ");
    split.has_maybe_rows()
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
             WHERE from_company_id IS NOT NULL AND to_company_id IS NOT NULL AND moves > 0) ",
        );
        (
            "(SELECT sum(outflow_to_company) FROM company_flow_totals)",
            "0",
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
        ("(SELECT sum(n) FROM links)", "(SELECT sum(u) FROM links)")
    };
    // The top links as four arrays (binary on the wire, no JSON to build or parse).
    let by_rank = "ORDER BY n DESC, src, dst";
    query.push(format!(
        "SELECT coalesce({total}, 0)::bigint, coalesce({uncertain}, 0)::bigint,
                coalesce(array_agg(src {by_rank}), '{{}}'), coalesce(array_agg(dst {by_rank}), '{{}}'),
                coalesce(array_agg(n::bigint {by_rank}), '{{}}'), coalesce(array_agg(u::bigint {by_rank}), '{{}}')
         FROM (SELECT src, dst, n, u FROM links WHERE n >= "
    ));
    query.push_bind(min_count);
    query.push(format!(" {by_rank} LIMIT "));
    query.push_bind(top);
    query.push(") top");
    let (total, uncertain, sources, targets, counts, uncertains): FlowRows =
        query.build_query_as().fetch_one(pool).await?;
    let links = sources
        .into_iter()
        .zip(targets)
        .zip(counts.into_iter().zip(uncertains))
        .map(|((source, target), (count, uncertain))| (source, target, count, uncertain))
        .collect();
    Ok((total, uncertain, links))
}

/// Totals, then the top links column by column.
type FlowRows = (i64, i64, Vec<Uuid>, Vec<Uuid>, Vec<i64>, Vec<i64>);

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

/// What a count row says of moves of one first month and precision: whether they lie in the
/// scope's period (`certain`) or only may (their interval overlaps it without lying in it).
/// Several rows may share a month and precision (a member's count, a move inside the group
/// taken back, days read from `moves`); their sums are the answer.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MonthCount {
    pub month: NaiveDate,
    pub precision: Precision,
    pub inflow: i64,
    pub outflow: i64,
    pub certain: bool,
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
    };
    let internal_rows = |query: &mut QueryBuilder<Postgres>, certain: bool| {
        query.push(format!(
            "SELECT month, precision, -moves, -moves, {certain}
             FROM move_flow_months WHERE from_company_id = ANY("
        ));
        query.push_bind(group.to_vec());
        query.push(") AND to_company_id = ANY(");
        query.push_bind(group.to_vec()).push(")");
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
    });
    query.push(") parts");
    Ok(query.build_query_as().fetch_all(conn).await?)
}

/// The other side of arrivals to `company` (`incoming`) or departures from it, largest first;
/// `group` is the company and, rolled up, everything under it.
pub async fn counterparts(
    conn: &mut PgConnection,
    company: Uuid,
    group: &[Uuid],
    scope: &MoveScope,
    incoming: bool,
) -> DbResult<Vec<CompanyCount>> {
    let (this, other) = if incoming {
        ("dst", "src")
    } else {
        ("src", "dst")
    };
    let mut query = QueryBuilder::new("");
    if !scope.roll_up && all_time(scope) && scope.kind.is_none() {
        // One row per counterpart already: the top 50 (and any tied with the 50th, so the
        // name can break ties) come straight off the ranked index.
        query.push(format!(
            "SELECT jsonb_build_object('id', c.id, 'slug', c.slug, 'name', c.name) AS company, top.moves::bigint AS count
             FROM (SELECT {other}_company_id AS other, moves FROM move_flow_pairs
                   WHERE {this}_company_id = ",
            this = if incoming { "to" } else { "from" },
            other = if incoming { "from" } else { "to" },
        ));
        query.push_bind(company);
        query.push(format!(
            " AND {}_company_id IS NOT NULL AND moves > 0
              ORDER BY moves DESC FETCH FIRST 50 ROWS WITH TIES) top
             JOIN companies c ON c.id = top.other ORDER BY top.moves DESC, c.name LIMIT 50",
            if incoming { "from" } else { "to" },
        ));
        return Ok(query.build_query_as().fetch_all(conn).await?);
    }
    push_counted(&mut query, scope, Some(group));
    // Ranked on plain columns, and only the 50 kept are turned into JSON.
    query.push(format!(
        "SELECT jsonb_build_object('id', top.id, 'slug', top.slug, 'name', top.name) AS company, top.count
         FROM (SELECT c.id, c.slug, c.name, sum(moves)::bigint AS count
               FROM counted JOIN companies c ON c.id = counted.{other}
               WHERE counted.{this} = "
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
            query.push("SELECT company_id AS company, inflow, outflow FROM company_flow_totals");
        } else {
            // As in `push_counted`: the count rows that lie in the period, then the
            // day-precision moves of the days at its ends.
            query.push(
                "SELECT company_id AS company, inflow, outflow FROM company_flow_months WHERE true",
            );
            split.push_inside_rows(&mut query);
            split.push_days(&mut query, |query, days| {
                query.push(
                    "SELECT to_company_id AS company, 1 AS inflow, 0 AS outflow
                     FROM moves WHERE deleted_at IS NULL AND effective_precision = 'day'
                     AND to_company_id IS NOT NULL",
                );
                push_days_range(query, days);
                query.push(
                    " UNION ALL SELECT from_company_id, 0, 1 FROM moves
                     WHERE deleted_at IS NULL AND effective_precision = 'day'
                     AND from_company_id IS NOT NULL",
                );
                push_days_range(query, days);
            });
        }
        query.push(")");
        if split.has_maybe_rows() {
            query.push(", maybe_sides AS (");
            split.push_maybe_rows(&mut query, "", |query| {
                query.push(
                    "SELECT company_id AS company, inflow, outflow FROM company_flow_months WHERE true",
                );
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
        "
         SELECT jsonb_build_object('id', c.id, 'slug', c.slug, 'name', c.name) AS company,
                by_company.inflow, by_company.outflow, by_company.inflow - by_company.outflow AS net,
                by_company.uncertain_inflow, by_company.uncertain_outflow
         FROM by_company JOIN companies c ON c.id = by_company.company
         WHERE by_company.inflow <> 0 OR by_company.outflow <> 0
            OR by_company.uncertain_inflow <> 0 OR by_company.uncertain_outflow <> 0
         ORDER BY {order} DESC, c.name, c.id LIMIT "
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
           AND m.effective_on <= ",
    );
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

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn whole_months_come_from_the_counts_and_partial_ones_from_the_moves() {
        let split = split_period(Some(day("2024-01-15")), Some(day("2024-04-10")));
        assert_eq!(
            split,
            PeriodSplit {
                months: (Some(day("2024-02-01")), Some(day("2024-04-01"))),
                years: (Some(day("2025-01-01")), Some(day("2024-01-01"))),
                days: vec![
                    (day("2024-01-15"), day("2024-02-01")),
                    (day("2024-04-01"), day("2024-04-11"))
                ],
                overlap_months: (Some(day("2024-01-01")), Some(day("2024-04-11"))),
                overlap_years: (Some(day("2024-01-01")), Some(day("2024-04-11"))),
            }
        );
    }

    #[test]
    fn a_period_of_whole_months_needs_no_days() {
        let split = split_period(Some(day("2024-01-01")), Some(day("2024-12-31")));
        assert_eq!(
            split.months,
            (Some(day("2024-01-01")), Some(day("2025-01-01")))
        );
        assert_eq!(
            split.years,
            (Some(day("2024-01-01")), Some(day("2025-01-01")))
        );
        assert!(split.days.is_empty());
        let open = split_period(None, Some(day("2024-02-29")));
        assert_eq!(open.months, (None, Some(day("2024-03-01"))));
        assert_eq!(open.years, (None, Some(day("2024-01-01"))));
        assert!(open.days.is_empty());
        let from = split_period(Some(day("2024-03-02")), None);
        assert_eq!(from.months, (Some(day("2024-04-01")), None));
        assert_eq!(from.years, (Some(day("2025-01-01")), None));
        assert_eq!(from.days, vec![(day("2024-03-02"), day("2024-04-01"))]);
        assert_eq!(from.overlap_months, (Some(day("2024-03-01")), None));
        assert_eq!(from.overlap_years, (Some(day("2024-01-01")), None));
    }

    #[test]
    fn all_time_is_unbounded_and_has_no_days() {
        let split = split_period(None, None);
        assert_eq!(split.months, (None, None));
        assert_eq!(split.years, (None, None));
        assert!(split.days.is_empty());
    }

    #[test]
    fn a_range_less_an_inner_one_leaves_what_is_before_and_after() {
        let range = |start: &str, end: &str| (Some(day(start)), Some(day(end)));
        let outer = range("2024-01-01", "2024-04-11");
        assert_eq!(
            minus(outer, range("2024-02-01", "2024-04-01")),
            vec![
                range("2024-01-01", "2024-02-01"),
                range("2024-04-01", "2024-04-11")
            ]
        );
        // Nothing inside: all of it; all of it inside: nothing.
        assert_eq!(minus(outer, range("2024-02-01", "2024-01-01")), vec![outer]);
        assert_eq!(minus(outer, outer), vec![]);
        // Unbounded sides.
        assert_eq!(
            minus(
                (None, Some(day("2024-04-11"))),
                (None, Some(day("2024-04-01")))
            ),
            vec![range("2024-04-01", "2024-04-11")]
        );
        assert_eq!(minus((None, None), (None, None)), vec![]);
    }

    #[test]
    fn a_period_inside_one_month_is_all_days() {
        let split = split_period(Some(day("2024-01-10")), Some(day("2024-01-20")));
        assert_eq!(
            split.months,
            (Some(day("2024-02-01")), Some(day("2024-01-01")))
        );
        assert_eq!(split.days, vec![(day("2024-01-10"), day("2024-01-21"))]);
        // Up to the month's end, still not a whole month.
        let split = split_period(Some(day("2024-01-10")), Some(day("2024-01-31")));
        assert_eq!(split.days, vec![(day("2024-01-10"), day("2024-02-01"))]);
        // Two partial months, no whole one between.
        let split = split_period(Some(day("2024-01-10")), Some(day("2024-02-05")));
        assert_eq!(
            split.months,
            (Some(day("2024-02-01")), Some(day("2024-02-01")))
        );
        assert_eq!(split.days, vec![(day("2024-01-10"), day("2024-02-06"))]);
    }
}
