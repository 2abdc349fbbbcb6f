//! Embedded summaries of referenced records: `"to": {"id": "…", "slug": "meta", "name": "Meta"}`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::partial_date::Precision;

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
