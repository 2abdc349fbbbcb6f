use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::form::{Check, Form, Invalid, checked};
use super::text;
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

/// A project as written: by POST, as the document a PATCH merges into, and by import.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectInput {
    #[schema(required = true, value_type = String, example = "Llama", format = "name:200")]
    pub name: Option<String>,
    /// Generated from the name when absent.
    #[schema(format = "slug")]
    pub slug: Option<String>,
    /// Id or slug of the company behind it.
    #[schema(example = "meta", format = "id-or-slug")]
    pub company: Option<String>,
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    #[schema(example = "2023-02", format = "partial-date")]
    pub released_on: Option<String>,
    #[schema(format = "http-url")]
    pub url: Option<String>,
}

impl Form for ProjectInput {
    type Draft = ProjectDraft;

    fn validate(self) -> Result<ProjectDraft, Invalid> {
        let mut check = Check::default();
        let name = check.require("name", self.name, |n| text::name(&n, 200));
        let slug = check.optional("slug", self.slug, |s| Slug::parse(&s));
        let company = check.optional("company", self.company, |c| IdOrSlug::parse(&c));
        let released = check.optional("released_on", self.released_on, |d| PartialDate::parse(&d));
        let url = check.optional("url", self.url, |u| text::http_url(&u));
        check.finish()?;
        Ok(ProjectDraft {
            slug,
            name: checked(name),
            company,
            released,
            url,
        })
    }
}

impl From<&Project> for ProjectInput {
    fn from(p: &Project) -> Self {
        Self {
            name: Some(p.name.clone()),
            slug: Some(p.slug.clone()),
            company: p.company.as_ref().map(|c| c.id.to_string()),
            released_on: PartialDate::from_stored(p.released_on, p.released_precision)
                .map(|d| d.to_string()),
            url: p.url.clone(),
        }
    }
}

/// One place on a roster as written.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContributorInput {
    /// Id or slug of the researcher.
    #[schema(required = true, value_type = String, example = "guillaume-lample", format = "id-or-slug")]
    pub researcher: Option<String>,
    #[schema(example = "author", format = "name:100")]
    pub role: Option<String>,
}

/// Checks a roster; field names are `[i].researcher` (the body is the list itself).
pub fn validate_roster(roster: Vec<ContributorInput>) -> Result<Vec<ContributorDraft>, Invalid> {
    let mut check = Check::default();
    if roster.len() > 5000 {
        check.error("body", "a roster has at most 5000 places");
    }
    let mut drafts = Vec::with_capacity(roster.len());
    for (i, place) in roster.into_iter().enumerate() {
        let researcher = check.require(&format!("[{i}].researcher"), place.researcher, |r| {
            IdOrSlug::parse(&r)
        });
        let role = check.optional(&format!("[{i}].role"), place.role, |r| text::name(&r, 100));
        if let Some(researcher) = researcher {
            drafts.push(ContributorDraft { researcher, role });
        }
    }
    check.finish()?;
    Ok(drafts)
}

pub fn roster_inputs(roster: &[Contributor]) -> Vec<ContributorInput> {
    roster
        .iter()
        .map(|c| ContributorInput {
            researcher: Some(c.researcher.slug.clone()),
            role: c.role.clone(),
        })
        .collect()
}

/// A press figure about a project as written.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportInput {
    /// The roster size the report counts from ("of 14"), when it gives one.
    #[serde(default, deserialize_with = "super::form::integer")]
    #[schema(example = 14, minimum = 1, maximum = 2147483647)]
    pub roster_size: Option<i64>,
    #[serde(default, deserialize_with = "super::form::integer")]
    #[schema(required = true, value_type = i64, example = 7, minimum = 0, maximum = 2147483647)]
    pub departed: Option<i64>,
    /// `exactly` (default), `at_least` or `about`.
    #[schema(value_type = Option<Qualifier>)]
    pub qualifier: Option<String>,
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    #[schema(required = true, value_type = String, example = "2024-03", format = "partial-date")]
    pub reported_on: Option<String>,
    /// Id of the source.
    pub source: Option<Uuid>,
    #[schema(format = "prose:10000")]
    pub notes: Option<String>,
}

impl Form for ReportInput {
    type Draft = ReportDraft;

    fn validate(self) -> Result<ReportDraft, Invalid> {
        let mut check = Check::default();
        let count = |n: i64| {
            i32::try_from(n)
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| "must be between 0 and 2147483647".to_owned())
        };
        let roster_size = check.optional("roster_size", self.roster_size, |n| {
            count(n).and_then(|n| {
                if n == 0 {
                    Err("must be at least 1".to_owned())
                } else {
                    Ok(n)
                }
            })
        });
        let departed = check.require("departed", self.departed, count);
        let qualifier = check.optional("qualifier", self.qualifier, |q| Qualifier::parse(&q));
        let reported = check.require("reported_on", self.reported_on, |d| PartialDate::parse(&d));
        let notes = check.optional("notes", self.notes, |n| text::prose(&n, 10_000));
        if let (Some(size), Some(departed)) = (roster_size, departed)
            && departed > size
        {
            check.error("departed", "must not exceed `roster_size`");
        }
        check.finish()?;
        Ok(ReportDraft {
            roster_size,
            departed: checked(departed),
            qualifier: qualifier.unwrap_or(Qualifier::Exactly),
            reported: checked(reported),
            source: self.source,
            notes,
        })
    }
}

impl From<&ProjectReport> for ReportInput {
    fn from(r: &ProjectReport) -> Self {
        Self {
            roster_size: r.roster_size.map(i64::from),
            departed: Some(i64::from(r.departed)),
            qualifier: Some(r.qualifier.as_str().to_owned()),
            reported_on: Some(
                PartialDate {
                    start: r.reported_on,
                    precision: r.reported_precision,
                }
                .to_string(),
            ),
            source: r.source.as_ref().map(|s| s.id),
            notes: r.notes.clone(),
        }
    }
}
