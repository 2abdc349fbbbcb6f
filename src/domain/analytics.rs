//! Shapes of the analytics answers.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    compensation::CompensationReport,
    moves::Move,
    partial_date::{Order, PartialDate, Placement, Precision},
    project::ProjectReport,
    refs::{CompanyRef, ProjectRef, ResearcherRef},
};

/// A time at one company, built from the moves. Unknown ends stay unknown: a start or an end
/// that no move records is null (and `current` tells an open stint from one whose end is
/// simply not known).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Stint {
    pub company: CompanyRef,
    pub started_on: Option<NaiveDate>,
    pub started_precision: Option<Precision>,
    pub ended_on: Option<NaiveDate>,
    pub ended_precision: Option<Precision>,
    /// The title given by the move that began the stint.
    pub title: Option<String>,
    /// The latest stint, not ended by any move.
    pub current: bool,
    /// False when the moves that start and end the stint are dated to overlapping periods
    /// (joined in "2024", left in "2024-03"), so their order is not certain: they are listed in
    /// order of their first days, and the stint may not have happened as shown.
    pub order_certain: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Timeline {
    pub researcher: ResearcherRef,
    /// Oldest first.
    pub stints: Vec<Stint>,
    /// Oldest first.
    pub moves: Vec<Move>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FlowLink {
    /// Company id (see `nodes`).
    pub source: Uuid,
    pub target: Uuid,
    /// Moves that lie in the period (all of them without `since`/`until`).
    pub count: i64,
    /// Moves whose date overlaps `since`..`until` without lying in it (a move known to "2023"
    /// against `since=2023-06`): they may belong to the link and are not in `count`.
    pub uncertain: i64,
}

/// Sankey-ready flows between companies.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Flows {
    pub nodes: Vec<CompanyRef>,
    /// Largest first.
    pub links: Vec<FlowLink>,
    /// Moves between two companies matching the filters that lie in the period (before
    /// `min_count` and `top`).
    pub total_moves: i64,
    /// Moves between two companies whose date only overlaps the period, counted apart.
    pub uncertain_moves: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BalancePoint {
    /// First day of the period.
    pub period_start: NaiveDate,
    pub inflow: i64,
    pub outflow: i64,
    pub net: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct CompanyCount {
    #[sqlx(json)]
    pub company: CompanyRef,
    pub count: i64,
}

#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema)]
pub struct Totals {
    pub inflow: i64,
    pub outflow: i64,
    pub net: i64,
}

/// Moves that lie in a year but are known to no finer period than it (a year-precision move
/// in a month or quarter series): counted in the totals, in no bucket of the series.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnplacedPoint {
    /// The year they are known to (`2023`).
    #[schema(example = "2023")]
    pub period: String,
    pub inflow: i64,
    pub outflow: i64,
    pub net: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Balance {
    pub company: CompanyRef,
    /// Every period from the first to the last, empty ones included. A move is in a period's
    /// bucket only when its whole date lies in it.
    pub series: Vec<BalancePoint>,
    /// Moves known only to a period coarser than the series' interval, per year: they are in
    /// `totals` but in no bucket, so series and unplaced add up to the totals.
    pub unplaced: Vec<UnplacedPoint>,
    /// Where arrivals came from (arrivals from nowhere known are in the totals only).
    pub gained_from: Vec<CompanyCount>,
    /// Where departures went (departures to nowhere known are in the totals only).
    pub lost_to: Vec<CompanyCount>,
    /// The moves that lie in the period (all of them without `since`/`until`).
    pub totals: Totals,
    /// Moves whose date overlaps `since`..`until` without lying in it (a move known to "2023"
    /// against `since=2023-06`): they may belong to the period and are counted here only, not in
    /// the series, `unplaced` or `totals`. Zero without `since`/`until`.
    pub uncertain: Totals,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Departure {
    pub researcher: ResearcherRef,
    /// The move that took them away from the project's company.
    pub r#move: Move,
    /// True when the move's date is certainly after the release and certainly by `as_of`;
    /// false when it is known only to a period that overlaps either (a move known to "2023"
    /// against a release in "2023-02").
    pub date_certain: bool,
}

/// Whether a move away from a project's company, dated `date`, is a departure from the
/// project's roster by the end of `as_of`, and whether that is certain: `None` when the move
/// certainly came before the release or after `as_of`, `Some(true)` when it certainly came
/// after the release and by `as_of`, `Some(false)` when its date overlaps either. A project
/// without a release date is left whenever a move is.
pub fn departure_certainty(
    date: PartialDate,
    released: Option<PartialDate>,
    as_of: NaiveDate,
) -> Option<bool> {
    let against_release = released.map_or(Order::After, |released| date.order(&released));
    match (against_release, date.placement(None, Some(as_of))) {
        (Order::Before, _) | (_, Placement::Outside) => None,
        (Order::After, Placement::Inside) => Some(true),
        _ => Some(false),
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Attrition {
    pub project: ProjectRef,
    pub as_of: NaiveDate,
    /// Contributors on the roster.
    pub roster_size: i64,
    /// Contributors with a move away from the project's company (or group) that is not
    /// certainly before the release nor certainly after `as_of`.
    pub departed: i64,
    /// How many of `departed` have a date whose order against the release or `as_of` is
    /// uncertain (`date_certain: false`).
    pub departed_uncertain: i64,
    pub remaining: i64,
    /// `departed / roster_size`, 0 for an empty roster.
    pub departure_rate: f64,
    pub departures: Vec<Departure>,
    pub destinations: Vec<CompanyCount>,
    /// What the press reported, beside the computed figures.
    pub reported: Vec<ProjectReport>,
}

#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct LeaderboardRow {
    #[sqlx(json)]
    pub company: CompanyRef,
    pub inflow: i64,
    pub outflow: i64,
    pub net: i64,
    /// Arrivals whose date overlaps `since`..`until` without lying in it: they may belong to
    /// the period and are not in `inflow`. Zero without `since`/`until`.
    pub uncertain_inflow: i64,
    /// Departures likewise, not in `outflow`.
    pub uncertain_outflow: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CompensationSummary {
    pub company: CompanyRef,
    pub currency: String,
    pub reports: i64,
    /// The lowest figure reported (a minimum, or a maximum where no minimum was given).
    pub min: Option<i64>,
    /// The highest figure reported.
    pub max: Option<i64>,
    pub latest: CompensationReport,
}

super::text_enum! {
    /// The kinds of record search looks through.
    SearchType { Researcher => "researcher", Company => "company", Project => "project" }
}

impl SearchType {
    /// The table the records of this kind live in.
    pub fn table(self) -> &'static str {
        match self {
            Self::Researcher => "researchers",
            Self::Company => "companies",
            Self::Project => "projects",
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct SearchHit {
    pub r#type: SearchType,
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    /// Trigram similarity of the query to the best-matching whole words of a name or alias, 0–1.
    pub score: f32,
}

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

/// Stints from moves in date order. A move from the company of the open stint ends it; a move
/// from another company means the open stint ended at an unknown time and the person was at
/// that other company from an unknown time until the move.
pub fn stints(moves: &[Move]) -> Vec<Stint> {
    let mut stints: Vec<Stint> = Vec::new();
    let mut open: Option<Stint> = None;
    for m in moves {
        if let Some(from) = &m.from {
            match open.take() {
                Some(mut stint) if stint.company.id == from.id => {
                    stint.ended_on = Some(m.effective_on);
                    stint.ended_precision = Some(m.effective_precision);
                    // Joined in "2024" and left in "2024-03": either could have come first.
                    let started =
                        PartialDate::from_stored(stint.started_on, stint.started_precision);
                    let ended = PartialDate {
                        start: m.effective_on,
                        precision: m.effective_precision,
                    };
                    stint.order_certain = started.is_none_or(|s| s.order(&ended) == Order::Before);
                    stints.push(stint);
                }
                other => {
                    stints.extend(other); // its end is not known
                    stints.push(Stint {
                        company: from.clone(),
                        started_on: None,
                        started_precision: None,
                        ended_on: Some(m.effective_on),
                        ended_precision: Some(m.effective_precision),
                        title: None,
                        current: false,
                        order_certain: true,
                    });
                }
            }
        }
        if let Some(to) = &m.to {
            stints.extend(open.take()); // a second arrival without a departure: the end is unknown
            open = Some(Stint {
                company: to.clone(),
                started_on: Some(m.effective_on),
                started_precision: Some(m.effective_precision),
                ended_on: None,
                ended_precision: None,
                title: m.title.clone(),
                current: false,
                order_certain: true,
            });
        }
    }
    if let Some(mut stint) = open {
        stint.current = true;
        stints.push(stint);
    }
    stints
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::moves::{Confidence, MoveKind};

    fn at(text: &str) -> PartialDate {
        PartialDate::parse(text).unwrap()
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn a_departure_known_to_the_year_of_the_release_counts_but_is_uncertain() {
        // Llama (2023-02); Lample and Lacroix left Meta for Mistral AI in 2023.
        let llama = Some(at("2023-02"));
        let today = day("2026-12-03");
        assert_eq!(departure_certainty(at("2023"), llama, today), Some(false));
        assert_eq!(departure_certainty(at("2023-03"), llama, today), Some(true));
        assert_eq!(
            departure_certainty(at("2023-02-15"), llama, today),
            Some(false)
        );
        assert_eq!(departure_certainty(at("2023-01"), llama, today), None);
        assert_eq!(departure_certainty(at("2022"), llama, today), None);
        assert_eq!(departure_certainty(at("2019"), None, today), Some(true));
    }

    #[test]
    fn as_of_counts_moves_up_to_its_day_and_those_that_may_be_before_it() {
        let llama = Some(at("2023-02"));
        assert_eq!(
            departure_certainty(at("2024-03"), llama, day("2024-03-31")),
            Some(true)
        );
        assert_eq!(
            departure_certainty(at("2024-03"), llama, day("2024-03-15")),
            Some(false)
        );
        assert_eq!(
            departure_certainty(at("2024-03-16"), llama, day("2024-03-15")),
            None
        );
        assert_eq!(
            departure_certainty(at("2024"), llama, day("2023-12-31")),
            None
        );
        assert_eq!(
            departure_certainty(at("2023"), llama, day("2023-06-30")),
            Some(false)
        );
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
    fn stints_follow_the_moves_and_leave_unknown_ends_unknown() {
        let meta = company("meta");
        let deepmind = company("google-deepmind");
        let mistral = company("mistral-ai");
        let moves = [
            move_of(None, Some(&deepmind), "2019-05"),
            move_of(Some(&deepmind), Some(&meta), "2024"),
            // Left Mistral AI, which no move took them to: the stint there has no known start,
            // and the one at Meta ended at a time no move records.
            move_of(Some(&mistral), None, "2024-06"),
        ];
        let stints = stints(&moves);
        let at = |s: &Stint| {
            (
                s.company.slug.clone(),
                s.started_on.map(|d| d.to_string()),
                s.ended_on.map(|d| d.to_string()),
                s.current,
                s.order_certain,
            )
        };
        assert_eq!(
            stints.iter().map(at).collect::<Vec<_>>(),
            [
                (
                    "google-deepmind".into(),
                    Some("2019-05-01".into()),
                    Some("2024-01-01".into()),
                    false,
                    true
                ),
                ("meta".into(), Some("2024-01-01".into()), None, false, true),
                (
                    "mistral-ai".into(),
                    None,
                    Some("2024-06-01".into()),
                    false,
                    true
                ),
            ]
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

    fn move_of(from: Option<&CompanyRef>, to: Option<&CompanyRef>, date: &str) -> Move {
        let date = at(date);
        Move {
            id: Uuid::now_v7(),
            researcher: ResearcherRef {
                id: Uuid::now_v7(),
                slug: "guillaume-lample".to_owned(),
                name: "Guillaume Lample".to_owned(),
            },
            from: from.cloned(),
            to: to.cloned(),
            kind: if to.is_some() {
                MoveKind::Hire
            } else {
                MoveKind::Departure
            },
            title: None,
            effective_on: date.start,
            effective_precision: date.precision,
            announced_on: None,
            announced_precision: None,
            confidence: Confidence::Reported,
            deal: None,
            sources: Vec::new(),
            notes: None,
            version: 1,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        }
    }

    fn company(slug: &str) -> CompanyRef {
        CompanyRef {
            id: Uuid::now_v7(),
            slug: slug.to_owned(),
            name: slug.to_owned(),
        }
    }
}
