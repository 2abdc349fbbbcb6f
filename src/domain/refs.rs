//! Embedded summaries of referenced records: `"to": {"id": "…", "slug": "meta", "name": "Meta"}`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::form::Check;
use super::moves::CitationDraft;
use super::partial_date::Precision;
use super::text;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CompanyRef {
    pub id: Uuid,
    #[schema(example = "meta")]
    pub slug: String,
    #[schema(example = "Meta")]
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ResearcherRef {
    pub id: Uuid,
    #[schema(example = "michal-valko")]
    pub slug: String,
    #[schema(example = "Michal Valko")]
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SourceRef {
    pub id: Uuid,
    pub url: Option<String>,
    #[schema(example = "The Information")]
    pub publisher: Option<String>,
    pub title: Option<String>,
    pub published_on: Option<NaiveDate>,
    pub published_precision: Option<Precision>,
}

/// One piece of provenance for a fact: the source and, where there is one, the sentence quoted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Citation {
    pub source: SourceRef,
    pub quote: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProjectRef {
    pub id: Uuid,
    #[schema(example = "llama")]
    pub slug: String,
    #[schema(example = "Llama")]
    pub name: String,
}

/// The deal a move was part of: `{id, kind, acquirer, target}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DealRef {
    pub id: Uuid,
    pub kind: crate::domain::deal::DealKind,
    pub acquirer: CompanyRef,
    pub target: CompanyRef,
}

/// A citation as written: the source's id and, optionally, the sentence quoted from it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CitationInput {
    #[schema(required = true, value_type = Uuid)]
    pub source: Option<Uuid>,
    #[schema(format = "prose:5000")]
    pub quote: Option<String>,
}

/// Checks a list of citations (moves, deals and signals cite sources the same way).
pub fn check_citations(
    check: &mut Check,
    citations: Option<Vec<CitationInput>>,
) -> Vec<CitationDraft> {
    let citations = citations.unwrap_or_default();
    if citations.len() > 50 {
        check.error("sources", "must have at most 50 entries");
    }
    let mut sources: Vec<CitationDraft> = Vec::with_capacity(citations.len());
    for (i, citation) in citations.into_iter().enumerate() {
        let source = check.required(&format!("sources[{i}].source"), citation.source);
        let quote = check.optional(&format!("sources[{i}].quote"), citation.quote, |q| {
            text::prose(&q, 5_000)
        });
        if let Some(source) = source {
            if sources.iter().any(|s| s.source == source) {
                check.error(&format!("sources[{i}].source"), "is cited twice");
            }
            sources.push(CitationDraft { source, quote });
        }
    }
    sources
}

/// A record's citations as written again (merge patches and exports).
pub fn citation_inputs(citations: &[crate::domain::refs::Citation]) -> Vec<CitationInput> {
    citations
        .iter()
        .map(|c| CitationInput {
            source: Some(c.source.id),
            quote: c.quote.clone(),
        })
        .collect()
}
