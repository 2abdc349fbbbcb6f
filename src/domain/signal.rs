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
    /// Recruiting and retention practices: a CEO writing to candidates himself, offers made
    /// without interviews, raises for people about to leave, a hiring freeze.
    SignalKind {
        CeoOutreach => "ceo_outreach",
        OffersWithoutInterview => "offers_without_interview",
        RetentionRaise => "retention_raise",
        HiringFreeze => "hiring_freeze",
        Other => "other",
    }
}

/// A recruiting or retention practice reported of a company.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Signal {
    pub id: Uuid,
    pub kind: SignalKind,
    #[sqlx(json)]
    pub company: CompanyRef,
    pub description: String,
    pub reported_on: NaiveDate,
    pub reported_precision: Precision,
    #[sqlx(json)]
    pub sources: Vec<Citation>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct SignalDraft {
    pub kind: SignalKind,
    pub company: IdOrSlug,
    pub description: String,
    pub reported: PartialDate,
    pub sources: Vec<CitationDraft>,
}
