//! Shapes of the analytics answers.

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    compensation::CompensationReport,
    moves::Move,
    partial_date::Precision,
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
    pub count: i64,
}

/// Sankey-ready flows between companies.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Flows {
    pub nodes: Vec<CompanyRef>,
    /// Largest first.
    pub links: Vec<FlowLink>,
    /// Moves between two companies matching the filters (before `min_count` and `top`).
    pub total_moves: i64,
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

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Balance {
    pub company: CompanyRef,
    /// Every period from the first to the last, empty ones included.
    pub series: Vec<BalancePoint>,
    /// Where arrivals came from (arrivals from nowhere known are in the totals only).
    pub gained_from: Vec<CompanyCount>,
    /// Where departures went (departures to nowhere known are in the totals only).
    pub lost_to: Vec<CompanyCount>,
    pub totals: Totals,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Departure {
    pub researcher: ResearcherRef,
    /// The move that took them away from the project's company.
    pub r#move: Move,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Attrition {
    pub project: ProjectRef,
    pub as_of: NaiveDate,
    /// Contributors on the roster.
    pub roster_size: i64,
    pub departed: i64,
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
