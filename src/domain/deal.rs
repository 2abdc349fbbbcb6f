use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    id_or_slug::IdOrSlug,
    moves::CitationDraft,
    partial_date::{PartialDate, Precision},
    refs::{Citation, CompanyRef},
};

super::text_enum! {
    /// `acquisition` buys the company; `acquihire` buys it for its people; `license_and_hire`
    /// licenses its technology and hires its staff while it keeps existing (Microsoft and
    /// Inflection AI).
    DealKind { Acquisition => "acquisition", Acquihire => "acquihire", LicenseAndHire => "license_and_hire" }
}

/// A deal that moved people between companies. Its moves refer to it (`/v1/deals/{id}/moves`).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Deal {
    pub id: Uuid,
    pub kind: DealKind,
    #[sqlx(json)]
    pub acquirer: CompanyRef,
    #[sqlx(json)]
    pub target: CompanyRef,
    pub announced_on: Option<NaiveDate>,
    pub announced_precision: Option<Precision>,
    /// People the deal moved, as reported (moves recorded for it may be fewer).
    pub people_moved: Option<i32>,
    pub value_usd: Option<i64>,
    #[sqlx(json)]
    pub sources: Vec<Citation>,
    /// Moves recorded as part of this deal.
    pub move_count: i64,
    pub notes: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct DealDraft {
    pub kind: DealKind,
    pub acquirer: IdOrSlug,
    pub target: IdOrSlug,
    pub announced: Option<PartialDate>,
    pub people_moved: Option<i32>,
    pub value_usd: Option<i64>,
    pub sources: Vec<CitationDraft>,
    pub notes: Option<String>,
}
