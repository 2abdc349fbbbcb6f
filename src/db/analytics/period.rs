//! A period cut by what answers it: the count rows that lie in it (whole months, whole years),
//! the few that only may (at its edges), and the days at its ends that only `moves` can count.

use chrono::{Datelike, Months, NaiveDate};
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

use super::{MoveScope, ROOTS};
use crate::domain::moves::Confidence;

/// A period cut into what the maintained counts answer and what only `moves` can. Each range
/// is `[start, end)`, `None` unbounded on that side, and empty when `start >= end`.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct PeriodSplit {
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

pub(super) fn split_period(since: Option<NaiveDate>, until: Option<NaiveDate>) -> PeriodSplit {
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
    pub(super) fn push_inside_rows(&self, query: &mut QueryBuilder<Postgres>) {
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

    pub(super) fn has_maybe_rows(&self) -> bool {
        !self.maybe_runs().is_empty()
    }

    /// `<lead><select> AND …` for the first of `maybe_runs`, ` UNION ALL <select> AND …` for
    /// each next one; nothing when there are none. `select` ends in a WHERE clause.
    pub(super) fn push_maybe_rows(
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
    pub(super) fn push_days(
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
pub(super) fn push_days_range(
    query: &mut QueryBuilder<Postgres>,
    (from, to): (NaiveDate, NaiveDate),
) {
    push_range(query, "effective_on", (Some(from), Some(to)));
}

/// ` AND min_confidence = <rank>`: the count rows of the scope's `min_confidence` (migration
/// 0015 counts a move under every rank up to its own). The rank is a constant of the enum,
/// like a precision, never client text.
pub(super) fn push_rank(query: &mut QueryBuilder<Postgres>, scope: &MoveScope) {
    query.push(format!(
        " AND min_confidence = {}",
        scope.min_confidence.rank()
    ));
}

/// ` AND confidence = ANY(...)`: the moves of the scope's `min_confidence` or stronger, for
/// the parts read from `moves` itself.
pub(super) fn push_confidences(query: &mut QueryBuilder<Postgres>, scope: &MoveScope) {
    if scope.min_confidence != Confidence::Inferred {
        query
            .push(" AND confidence = ANY(")
            .push_bind(scope.min_confidence.at_least())
            .push(")");
    }
}

pub(super) fn all_time(scope: &MoveScope) -> bool {
    scope.since.is_none() && scope.until.is_none()
}

/// `counted(src, dst, moves)`: the moves in scope that lie in its period, per pair, each side
/// rolled up when the scope says so; `maybe_counted(src, dst, moves)` likewise for the moves
/// whose date only overlaps the period, when there can be any (the answer says whether). `touching` keeps only moves from or to one of those
/// companies. Apart, so that the many rows that lie in the period are summed as plainly as
/// possible and only the few that may are summed a second time.
pub(super) fn push_counted(
    query: &mut QueryBuilder<Postgres>,
    scope: &MoveScope,
    touching: Option<&[Uuid]>,
) -> bool {
    // The scope's conditions on count rows and on moves alike; each adds its confidence one.
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
            push_rank(query, scope);
            restrict(query);
            return;
        }
        query.push(
            "SELECT from_company_id, to_company_id, moves FROM move_flow_months WHERE moves <> 0",
        );
        push_rank(query, scope);
        split.push_inside_rows(query);
        restrict(query);
        split.push_days(query, |query, days| {
            query.push(
                "SELECT from_company_id, to_company_id, 1 AS moves
                 FROM moves WHERE deleted_at IS NULL AND effective_precision = 'day'",
            );
            push_days_range(query, days);
            push_confidences(query, scope);
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
                push_rank(query, scope);
                restrict(query);
            });
        });
        query.push(")");
    }
    query.push(" ");
    split.has_maybe_rows()
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
