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
    pub acquirer: CompanyRef,
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

/// A deal as written: by POST, as the document a PATCH merges into, and by import.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DealInput {
    #[schema(required = true, value_type = DealKind)]
    pub kind: Option<String>,
    /// Id or slug of the company that took the people.
    #[schema(required = true, value_type = String, example = "microsoft", format = "id-or-slug")]
    pub acquirer: Option<String>,
    /// Id or slug of the company they came from (it may go on existing).
    #[schema(required = true, value_type = String, example = "inflection-ai", format = "id-or-slug")]
    pub target: Option<String>,
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    #[schema(example = "2024-03", format = "partial-date")]
    pub announced_on: Option<String>,
    #[serde(default, deserialize_with = "super::form::integer")]
    #[schema(minimum = 0, maximum = 2147483647)]
    pub people_moved: Option<i64>,
    #[serde(default, deserialize_with = "super::form::integer")]
    #[schema(minimum = 0, maximum = 9223372036854775807_i64)]
    pub value_usd: Option<i64>,
    pub sources: Option<Vec<CitationInput>>,
    #[schema(format = "prose:10000")]
    pub notes: Option<String>,
}

impl Form for DealInput {
    type Draft = DealDraft;

    fn validate(self) -> Result<DealDraft, Invalid> {
        let mut check = Check::default();
        let kind = check.require("kind", self.kind, |k| DealKind::parse(&k));
        let acquirer = check.require("acquirer", self.acquirer, |a| IdOrSlug::parse(&a));
        let target = check.require("target", self.target, |t| IdOrSlug::parse(&t));
        let announced = check.optional("announced_on", self.announced_on, |d| {
            PartialDate::parse(&d)
        });
        let people_moved = check.optional("people_moved", self.people_moved, |n| {
            i32::try_from(n)
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| "must be between 0 and 2147483647".to_owned())
        });
        let value_usd = check.optional("value_usd", self.value_usd, |v| {
            if v >= 0 {
                Ok(v)
            } else {
                Err("must not be negative".to_owned())
            }
        });
        let notes = check.optional("notes", self.notes, |n| text::prose(&n, 10_000));
        let sources = check_citations(&mut check, self.sources);
        if let (Some(a), Some(t)) = (&acquirer, &target)
            && a == t
        {
            check.error("target", "must differ from `acquirer`");
        }
        check.finish()?;
        Ok(DealDraft {
            kind: checked(kind),
            acquirer: checked(acquirer),
            target: checked(target),
            announced,
            people_moved,
            value_usd,
            sources,
            notes,
        })
    }
}

impl From<&Deal> for DealInput {
    fn from(d: &Deal) -> Self {
        Self {
            kind: Some(d.kind.as_str().to_owned()),
            acquirer: Some(d.acquirer.id.to_string()),
            target: Some(d.target.id.to_string()),
            announced_on: PartialDate::from_stored(d.announced_on, d.announced_precision)
                .map(|p| p.to_string()),
            people_moved: d.people_moved.map(i64::from),
            value_usd: d.value_usd,
            sources: Some(citation_inputs(&d.sources)),
            notes: d.notes.clone(),
        }
    }
}
