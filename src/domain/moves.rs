use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    id_or_slug::IdOrSlug,
    partial_date::{PartialDate, Precision},
    refs::{Citation, CompanyRef, DealRef, ResearcherRef},
};

super::text_enum! {
    /// `hire` joins `to`; `departure` leaves `from` for an unknown destination; `acquihire` moved as
    /// part of a deal; `founding` leaves to found `to`; `return` goes back to an earlier employer.
    MoveKind {
        Hire => "hire",
        Departure => "departure",
        Acquihire => "acquihire",
        Founding => "founding",
        Return => "return",
    }
}

super::text_enum! {
    Confidence { Confirmed => "confirmed", Reported => "reported", Rumored => "rumored" }
}

/// A researcher going from one company to another (or from/to nowhere known).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Move {
    pub id: Uuid,
    #[sqlx(json)]
    pub researcher: ResearcherRef,
    #[sqlx(json(nullable))]
    pub from: Option<CompanyRef>,
    #[sqlx(json(nullable))]
    pub to: Option<CompanyRef>,
    pub kind: MoveKind,
    /// The role at the destination.
    #[schema(example = "Chief Engineer, Llama")]
    pub title: Option<String>,
    /// First day of the period the move is known to: `2024-03-01` with `month` precision.
    pub effective_on: NaiveDate,
    pub effective_precision: Precision,
    pub announced_on: Option<NaiveDate>,
    pub announced_precision: Option<Precision>,
    pub confidence: Confidence,
    /// The deal the move was part of (the Inflection AI staff who joined Microsoft).
    #[sqlx(json(nullable))]
    pub deal: Option<DealRef>,
    #[sqlx(json)]
    pub sources: Vec<Citation>,
    pub notes: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct MoveDraft {
    pub researcher: IdOrSlug,
    pub from: Option<IdOrSlug>,
    pub to: Option<IdOrSlug>,
    pub kind: MoveKind,
    pub title: Option<String>,
    pub effective: PartialDate,
    pub announced: Option<PartialDate>,
    pub confidence: Confidence,
    pub deal: Option<Uuid>,
    pub sources: Vec<CitationDraft>,
    pub notes: Option<String>,
}

#[derive(Debug, Clone)]
pub struct CitationDraft {
    pub source: Uuid,
    pub quote: Option<String>,
}

impl MoveKind {
    /// Whether this kind of move names a destination: only a departure leaves it unknown.
    pub fn has_destination(self) -> bool {
        self != Self::Departure
    }
}
