//! Shapes of the analytics answers, and the algorithms that build them from rows: the balance
//! tally (`balance`) and a career's stints (`career`).

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

mod balance;
mod career;

pub use balance::{BalanceTally, Interval, MonthCount};
pub use career::stints;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
