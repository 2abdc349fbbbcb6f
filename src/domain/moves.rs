use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::form::{Check, Form, Invalid, checked};
use super::refs::{CitationInput, check_citations};
use super::text;
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
    /// How well a move is known, weakest first: `inferred` (derived from an open source's
    /// affiliations or employments, not reported by anyone), `rumored`, `reported` (by the
    /// press), `confirmed` (by the people or companies involved).
    Confidence { Inferred => "inferred", Rumored => "rumored", Reported => "reported", Confirmed => "confirmed" }
}

impl Confidence {
    /// The position in the order above, 0 for `inferred`: the database's
    /// `tf_confidence_rank` (migration 0015), which the maintained counts are kept by.
    pub fn rank(self) -> i16 {
        Self::ALL
            .iter()
            .position(|text| *text == self.as_str())
            .unwrap_or_default() as i16
    }

    /// This confidence and every stronger one, as stored.
    pub fn at_least(self) -> Vec<String> {
        Self::ALL[self.rank() as usize..]
            .iter()
            .map(|text| (*text).to_owned())
            .collect()
    }
}

/// A researcher going from one company to another (or from/to nowhere known).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Move {
    pub id: Uuid,
    pub researcher: ResearcherRef,
    pub from: Option<CompanyRef>,
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

/// A new move's references, resolved to what the API shows of them.
pub struct MoveRefs {
    pub researcher: ResearcherRef,
    pub from: Option<CompanyRef>,
    pub to: Option<CompanyRef>,
    pub deal: Option<DealRef>,
    /// The draft's citations' sources, in the draft's order.
    pub cited: Vec<super::refs::SourceRef>,
}

impl Move {
    /// The move a draft creates, as the API shows it, without reading it back: the bulk
    /// import audits its creates this way.
    pub fn created(id: Uuid, draft: &MoveDraft, refs: MoveRefs, at: DateTime<Utc>) -> Self {
        Self {
            id,
            researcher: refs.researcher,
            from: refs.from,
            to: refs.to,
            kind: draft.kind,
            title: draft.title.clone(),
            effective_on: draft.effective.start,
            effective_precision: draft.effective.precision,
            announced_on: draft.announced.map(|d| d.start),
            announced_precision: draft.announced.map(|d| d.precision),
            confidence: draft.confidence,
            deal: refs.deal,
            sources: refs
                .cited
                .into_iter()
                .zip(&draft.sources)
                .map(|(source, citation)| Citation {
                    source,
                    quote: citation.quote.clone(),
                })
                .collect(),
            notes: draft.notes.clone(),
            version: 1,
            created_at: at,
            updated_at: at,
        }
    }
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

/// A move as written: by POST, as the document a PATCH merges into, and by import.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveInput {
    /// Id or slug of the researcher.
    #[schema(required = true, value_type = String, example = "michal-valko", format = "id-or-slug")]
    pub researcher: Option<String>,
    /// Id or slug of the company left; null when unknown or not applicable.
    #[schema(example = "google-deepmind", format = "id-or-slug")]
    pub from: Option<String>,
    /// Id or slug of the company joined; null for a departure.
    #[schema(example = "meta", format = "id-or-slug")]
    pub to: Option<String>,
    #[schema(required = true, value_type = MoveKind)]
    pub kind: Option<String>,
    /// The role at the destination.
    #[schema(example = "Chief Engineer, Llama", format = "name:200")]
    pub title: Option<String>,
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    #[schema(required = true, value_type = String, example = "2024-03", format = "partial-date")]
    pub effective_on: Option<String>,
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    #[schema(format = "partial-date")]
    pub announced_on: Option<String>,
    /// Default `reported`.
    #[schema(value_type = Option<Confidence>)]
    pub confidence: Option<String>,
    /// Id of the deal the move was part of.
    pub deal: Option<Uuid>,
    pub sources: Option<Vec<CitationInput>>,
    #[schema(format = "prose:10000")]
    pub notes: Option<String>,
}

impl Form for MoveInput {
    type Draft = MoveDraft;

    fn validate(self) -> Result<MoveDraft, Invalid> {
        let mut check = Check::default();
        let researcher = check.require("researcher", self.researcher, |r| IdOrSlug::parse(&r));
        let from = check.optional("from", self.from, |f| IdOrSlug::parse(&f));
        let to = check.optional("to", self.to, |t| IdOrSlug::parse(&t));
        let kind = check.require("kind", self.kind, |k| MoveKind::parse(&k));
        let title = check.optional("title", self.title, |t| text::name(&t, 200));
        let effective = check.require("effective_on", self.effective_on, |d| {
            PartialDate::parse(&d)
        });
        let announced = check.optional("announced_on", self.announced_on, |d| {
            PartialDate::parse(&d)
        });
        let confidence = check.optional("confidence", self.confidence, |c| Confidence::parse(&c));
        let notes = check.optional("notes", self.notes, |n| text::prose(&n, 10_000));
        let sources = check_citations(&mut check, self.sources);
        if from.is_none() && to.is_none() {
            check.error("to", "a move needs `from`, `to` or both");
        }
        if let (Some(from), Some(to)) = (&from, &to)
            && from == to
        {
            check.error("to", "must differ from `from`");
        }
        if let Some(kind) = kind {
            match (kind.has_destination(), to.is_some()) {
                (false, true) => check.error(
                    "to",
                    "a departure has no known destination; use kind `hire` or leave `to` out",
                ),
                (true, false) => {
                    check.error("to", format!("a move of kind `{kind}` needs a destination"))
                }
                _ => {}
            }
        }
        check.finish()?;
        Ok(MoveDraft {
            researcher: checked(researcher),
            from,
            to,
            kind: checked(kind),
            title,
            effective: checked(effective),
            announced,
            confidence: confidence.unwrap_or(Confidence::Reported),
            deal: self.deal,
            sources,
            notes,
        })
    }
}

impl From<&Move> for MoveInput {
    fn from(m: &Move) -> Self {
        Self {
            researcher: Some(m.researcher.id.to_string()),
            from: m.from.as_ref().map(|c| c.id.to_string()),
            to: m.to.as_ref().map(|c| c.id.to_string()),
            kind: Some(m.kind.as_str().to_owned()),
            title: m.title.clone(),
            effective_on: Some(
                PartialDate {
                    start: m.effective_on,
                    precision: m.effective_precision,
                }
                .to_string(),
            ),
            announced_on: PartialDate::from_stored(m.announced_on, m.announced_precision)
                .map(|d| d.to_string()),
            confidence: Some(m.confidence.as_str().to_owned()),
            deal: m.deal.as_ref().map(|d| d.id),
            sources: Some(
                m.sources
                    .iter()
                    .map(|c| CitationInput {
                        source: Some(c.source.id),
                        quote: c.quote.clone(),
                    })
                    .collect(),
            ),
            notes: m.notes.clone(),
        }
    }
}
