//! A company's balance from its count rows: buckets of an interval, years beside the series,
//! moves that only may lie in the period apart, empty periods as zero.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Months, NaiveDate};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{BalancePoint, Totals, UnplacedPoint};
use crate::domain::partial_date::Precision;

#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    #[default]
    Month,
    Quarter,
    Year,
}

impl Interval {
    pub fn months(self) -> u32 {
        match self {
            Self::Month => 1,
            Self::Quarter => 3,
            Self::Year => 12,
        }
    }

    /// Whether a bucket of this interval can hold a date known to `precision`: a month lies
    /// in its quarter and year, a year in no month or quarter.
    pub fn holds(self, precision: Precision) -> bool {
        match precision {
            Precision::Day | Precision::Month => true,
            Precision::Year => matches!(self, Self::Year),
        }
    }

    pub fn start_of(self, date: NaiveDate) -> NaiveDate {
        let month0 = match self {
            Self::Month => date.month0(),
            Self::Quarter => date.month0() / 3 * 3,
            Self::Year => 0,
        };
        NaiveDate::from_ymd_opt(date.year(), month0 + 1, 1).unwrap_or(date)
    }
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

/// A company's balance summed from its count rows.
#[derive(Debug)]
pub struct BalanceTally {
    /// Every period from `since` (or the first with moves) to `until` (or the last), empty
    /// ones as zero.
    pub series: Vec<BalancePoint>,
    /// Moves that lie in the period but are known only to a year, which no bucket of the
    /// interval holds, by year.
    pub unplaced: Vec<UnplacedPoint>,
    /// Series and unplaced together.
    pub totals: Totals,
    /// Moves that only may lie in the period.
    pub uncertain: Totals,
}

impl BalanceTally {
    /// At most this many periods in a series (a thousand years of quarters and then some).
    const MAX_PERIODS: usize = 10_000;

    pub fn of(
        rows: &[MonthCount],
        interval: Interval,
        since: Option<NaiveDate>,
        until: Option<NaiveDate>,
    ) -> Self {
        // Each move that lies in the period goes in its bucket, or beside the series when its
        // date is coarser than a bucket; one that only may lie in the period is counted apart.
        let mut buckets: HashMap<NaiveDate, (i64, i64)> = HashMap::new();
        let mut unplaced: BTreeMap<i32, (i64, i64)> = BTreeMap::new();
        let mut uncertain = (0, 0);
        for row in rows {
            let add = |sums: &mut (i64, i64)| {
                sums.0 += row.inflow;
                sums.1 += row.outflow;
            };
            if !row.certain {
                add(&mut uncertain);
            } else if interval.holds(row.precision) {
                add(buckets.entry(interval.start_of(row.month)).or_default());
            } else {
                add(unplaced.entry(row.month.year()).or_default());
            }
        }

        // A bucket (or year) whose moves all cancel out, or were deleted, is not there at all:
        // it must not stretch the series.
        buckets.retain(|_, (inflow, outflow)| *inflow != 0 || *outflow != 0);
        unplaced.retain(|_, (inflow, outflow)| *inflow != 0 || *outflow != 0);

        let mut series = Vec::new();
        let first = since
            .map(|d| interval.start_of(d))
            .or(buckets.keys().min().copied());
        let last = until
            .map(|d| interval.start_of(d))
            .or(buckets.keys().max().copied());
        if let (Some(first), Some(last)) = (first, last) {
            let mut period = first;
            while period <= last && series.len() < Self::MAX_PERIODS {
                let (inflow, outflow) = buckets.get(&period).copied().unwrap_or((0, 0));
                series.push(BalancePoint {
                    period_start: period,
                    inflow,
                    outflow,
                    net: inflow - outflow,
                });
                period = period
                    .checked_add_months(Months::new(interval.months()))
                    .unwrap_or(NaiveDate::MAX);
            }
        }
        let placed = buckets.values().chain(unplaced.values());
        let totals = placed.fold((0, 0), |(i, o), (bi, bo)| (i + bi, o + bo));
        Self {
            series,
            unplaced: unplaced
                .into_iter()
                .map(|(year, (inflow, outflow))| UnplacedPoint {
                    period: year.to_string(),
                    inflow,
                    outflow,
                    net: inflow - outflow,
                })
                .collect(),
            totals: Totals::of(totals),
            uncertain: Totals::of(uncertain),
        }
    }
}

impl Totals {
    fn of((inflow, outflow): (i64, i64)) -> Self {
        Self {
            inflow,
            outflow,
            net: inflow - outflow,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn periods_start_on_their_first_day() {
        let date = NaiveDate::from_ymd_opt(2024, 8, 17).unwrap();
        assert_eq!(
            Interval::Month.start_of(date),
            NaiveDate::from_ymd_opt(2024, 8, 1).unwrap()
        );
        assert_eq!(
            Interval::Quarter.start_of(date),
            NaiveDate::from_ymd_opt(2024, 7, 1).unwrap()
        );
        assert_eq!(
            Interval::Year.start_of(date),
            NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()
        );
    }

    #[test]
    fn balance_fills_empty_periods_and_keeps_coarse_and_uncertain_moves_apart() {
        let row = |month: &str, precision, inflow, outflow, certain| MonthCount {
            month: day(month),
            precision,
            inflow,
            outflow,
            certain,
        };
        let rows = [
            row("2024-01-01", Precision::Day, 2, 0, true),
            row("2024-03-01", Precision::Month, 0, 1, true),
            row("2024-01-01", Precision::Year, 1, 0, true),
            row("2024-02-01", Precision::Month, 5, 5, true),
            row("2024-02-01", Precision::Month, -5, -5, true),
            row("2024-04-01", Precision::Month, 0, 3, false),
        ];
        let tally = BalanceTally::of(&rows, Interval::Month, None, None);
        let series: Vec<_> = tally
            .series
            .iter()
            .map(|p| (p.period_start.to_string(), p.inflow, p.outflow))
            .collect();
        assert_eq!(
            series,
            [
                ("2024-01-01".to_owned(), 2, 0),
                ("2024-02-01".to_owned(), 0, 0),
                ("2024-03-01".to_owned(), 0, 1),
            ]
        );
        assert_eq!(tally.unplaced.len(), 1);
        assert_eq!(tally.unplaced[0].period, "2024");
        assert_eq!(
            (tally.totals.inflow, tally.totals.outflow, tally.totals.net),
            (3, 1, 2)
        );
        assert_eq!((tally.uncertain.inflow, tally.uncertain.outflow), (0, 3));

        // A year holds the year rows; the period's ends stretch the series.
        let yearly = BalanceTally::of(&rows, Interval::Year, Some(day("2023-06-01")), None);
        let periods: Vec<_> = yearly
            .series
            .iter()
            .map(|p| (p.period_start.year(), p.inflow))
            .collect();
        assert_eq!(periods, [(2023, 0), (2024, 3)]);
        assert!(yearly.unplaced.is_empty());
    }
}
