use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    id_or_slug::IdOrSlug,
    partial_date::{PartialDate, Precision},
    refs::{CompanyRef, ProjectRef, ResearcherRef, SourceRef},
    slug::Slug,
};

/// A model or product with an author roster (Llama, Llama 2).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Project {
    pub id: Uuid,
    #[schema(example = "llama")]
    pub slug: String,
    #[schema(example = "Llama")]
    pub name: String,
    #[sqlx(json(nullable))]
    pub company: Option<CompanyRef>,
    pub released_on: Option<NaiveDate>,
    pub released_precision: Option<Precision>,
    pub url: Option<String>,
    /// Researchers on the roster (`/contributors`).
    pub contributor_count: i64,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct ProjectDraft {
    pub slug: Option<Slug>,
    pub name: String,
    pub company: Option<IdOrSlug>,
    pub released: Option<PartialDate>,
    pub url: Option<String>,
}

/// One researcher on a project's roster, in the order printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema, sqlx::FromRow)]
pub struct Contributor {
    #[sqlx(json)]
    pub researcher: ResearcherRef,
    #[schema(example = "author")]
    pub role: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ContributorDraft {
    pub researcher: IdOrSlug,
    pub role: Option<String>,
}

super::text_enum! {
    /// How a reported figure was put: "7 of 14", "at least 10", "about 20".
    Qualifier { Exactly => "exactly", AtLeast => "at_least", About => "about" }
}

/// A figure reported by the press about a project's roster: "at least 10 of the 68 have left".
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct ProjectReport {
    pub id: Uuid,
    #[sqlx(json)]
    pub project: ProjectRef,
    /// The roster size the report counts from, when it gives one.
    pub roster_size: Option<i32>,
    pub departed: i32,
    /// Whether `departed` is exact, a lower bound, or approximate.
    pub qualifier: Qualifier,
    pub reported_on: NaiveDate,
    pub reported_precision: Precision,
    #[sqlx(json(nullable))]
    pub source: Option<SourceRef>,
    pub notes: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct ReportDraft {
    pub roster_size: Option<i32>,
    pub departed: i32,
    pub qualifier: Qualifier,
    pub reported: PartialDate,
    pub source: Option<Uuid>,
    pub notes: Option<String>,
}
