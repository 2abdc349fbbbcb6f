use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::form::{Check, Form, Invalid, checked};
use super::refs::{CitationInput, check_citations, citation_inputs};
use super::text;
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

/// A signal as written: by POST, as the document a PATCH merges into, and by import.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignalInput {
    #[schema(required = true, value_type = SignalKind)]
    pub kind: Option<String>,
    /// Id or slug of the company.
    #[schema(required = true, value_type = String, example = "meta", format = "id-or-slug")]
    pub company: Option<String>,
    #[schema(required = true, value_type = String, format = "non-blank-prose:5000")]
    pub description: Option<String>,
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    #[schema(required = true, value_type = String, example = "2024-03", format = "partial-date")]
    pub reported_on: Option<String>,
    pub sources: Option<Vec<CitationInput>>,
}

impl Form for SignalInput {
    type Draft = SignalDraft;

    fn validate(self) -> Result<SignalDraft, Invalid> {
        let mut check = Check::default();
        let kind = check.require("kind", self.kind, |k| SignalKind::parse(&k));
        let company = check.require("company", self.company, |c| IdOrSlug::parse(&c));
        let description = check.require("description", self.description, |d| {
            let d = text::prose(d.trim(), 5_000)?;
            if d.is_empty() {
                Err("must not be empty".to_owned())
            } else {
                Ok(d)
            }
        });
        let reported = check.require("reported_on", self.reported_on, |d| PartialDate::parse(&d));
        let sources = check_citations(&mut check, self.sources);
        check.finish()?;
        Ok(SignalDraft {
            kind: checked(kind),
            company: checked(company),
            description: checked(description),
            reported: checked(reported),
            sources,
        })
    }
}

impl From<&Signal> for SignalInput {
    fn from(s: &Signal) -> Self {
        Self {
            kind: Some(s.kind.as_str().to_owned()),
            company: Some(s.company.id.to_string()),
            description: Some(s.description.clone()),
            reported_on: Some(
                PartialDate {
                    start: s.reported_on,
                    precision: s.reported_precision,
                }
                .to_string(),
            ),
            sources: Some(citation_inputs(&s.sources)),
        }
    }
}
