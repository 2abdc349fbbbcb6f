//! Each record as one flat CSV row: a `#[derive(Serialize)]` struct whose fields are the
//! columns, so the header cannot drift from the cells. Embedded references become readable
//! columns (slug and name), citations one cell.

use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use super::CsvRow;
use crate::domain::{
    company::Company,
    compensation::{Basis, CompensationReport},
    deal::Deal,
    moves::Move,
    partial_date::Precision,
    project::{Project, ProjectReport},
    refs::{Citation, CompanyRef, SourceRef},
    researcher::Researcher,
    signal::Signal,
    source::Source,
};

/// Lists inside one cell are joined with "; ".
fn joined(values: &[String]) -> String {
    values.join("; ")
}

/// A source as "publisher: title (date) url", the readable parts it has.
fn source_cell(source: &SourceRef) -> String {
    let mut parts = Vec::new();
    match (&source.publisher, &source.title) {
        (Some(p), Some(t)) => parts.push(format!("{p}: {t}")),
        (Some(p), None) => parts.push(p.clone()),
        (None, Some(t)) => parts.push(t.clone()),
        (None, None) => {}
    }
    if let Some(date) = source.published_on {
        parts.push(format!("({date})"));
    }
    if let Some(url) = &source.url {
        parts.push(url.clone());
    }
    parts.join(" ")
}

fn sources_cell(citations: &[Citation]) -> String {
    citations
        .iter()
        .map(|c| source_cell(&c.source))
        .collect::<Vec<_>>()
        .join("; ")
}

/// An optional company as its slug and name columns.
fn company_cells(company: &Option<CompanyRef>) -> (Option<&str>, Option<&str>) {
    match company {
        Some(c) => (Some(&c.slug), Some(&c.name)),
        None => (None, None),
    }
}

#[derive(Serialize, Default)]
pub struct CompanyRow<'a> {
    id: Uuid,
    slug: &'a str,
    name: &'a str,
    kind: &'static str,
    parent_slug: Option<&'a str>,
    parent_name: Option<&'a str>,
    aliases: String,
    country: Option<&'a str>,
    website: Option<&'a str>,
    founded_on: Option<NaiveDate>,
    founded_precision: Option<&'static str>,
    ror: Option<&'a str>,
    openalex_id: Option<&'a str>,
    wikidata_id: Option<&'a str>,
    version: i64,
    created_at: String,
    updated_at: String,
}

impl CsvRow for Company {
    type Row<'a> = CompanyRow<'a>;
    fn row(&self) -> CompanyRow<'_> {
        let (parent_slug, parent_name) = company_cells(&self.parent);
        CompanyRow {
            id: self.id,
            slug: &self.slug,
            name: &self.name,
            kind: self.kind.as_str(),
            parent_slug,
            parent_name,
            aliases: joined(&self.aliases),
            country: self.country.as_deref(),
            website: self.website.as_deref(),
            founded_on: self.founded_on,
            founded_precision: self.founded_precision.map(Precision::as_str),
            ror: self.ror.as_deref(),
            openalex_id: self.openalex_id.as_deref(),
            wikidata_id: self.wikidata_id.as_deref(),
            version: self.version,
            created_at: self.created_at.to_rfc3339(),
            updated_at: self.updated_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, Default)]
pub struct ResearcherRow<'a> {
    id: Uuid,
    slug: &'a str,
    name: &'a str,
    aliases: String,
    orcid: Option<&'a str>,
    openalex_id: Option<&'a str>,
    wikidata_id: Option<&'a str>,
    homepage: Option<&'a str>,
    topics: String,
    current_company_slug: Option<&'a str>,
    current_company_name: Option<&'a str>,
    version: i64,
    created_at: String,
    updated_at: String,
}

impl CsvRow for Researcher {
    type Row<'a> = ResearcherRow<'a>;
    fn row(&self) -> ResearcherRow<'_> {
        let (current_company_slug, current_company_name) = company_cells(&self.current_company);
        ResearcherRow {
            id: self.id,
            slug: &self.slug,
            name: &self.name,
            aliases: joined(&self.aliases),
            orcid: self.orcid.as_deref(),
            openalex_id: self.openalex_id.as_deref(),
            wikidata_id: self.wikidata_id.as_deref(),
            homepage: self.homepage.as_deref(),
            topics: joined(&self.topics),
            current_company_slug,
            current_company_name,
            version: self.version,
            created_at: self.created_at.to_rfc3339(),
            updated_at: self.updated_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, Default)]
pub struct MoveRow<'a> {
    id: Uuid,
    researcher_slug: &'a str,
    researcher_name: &'a str,
    from_slug: Option<&'a str>,
    from_name: Option<&'a str>,
    to_slug: Option<&'a str>,
    to_name: Option<&'a str>,
    kind: &'static str,
    title: Option<&'a str>,
    effective_on: NaiveDate,
    effective_precision: &'static str,
    announced_on: Option<NaiveDate>,
    announced_precision: Option<&'static str>,
    confidence: &'static str,
    sources: String,
    notes: Option<&'a str>,
    version: i64,
    created_at: String,
    updated_at: String,
}

impl CsvRow for Move {
    type Row<'a> = MoveRow<'a>;
    fn row(&self) -> MoveRow<'_> {
        let (from_slug, from_name) = company_cells(&self.from);
        let (to_slug, to_name) = company_cells(&self.to);
        MoveRow {
            id: self.id,
            researcher_slug: &self.researcher.slug,
            researcher_name: &self.researcher.name,
            from_slug,
            from_name,
            to_slug,
            to_name,
            kind: self.kind.as_str(),
            title: self.title.as_deref(),
            effective_on: self.effective_on,
            effective_precision: self.effective_precision.as_str(),
            announced_on: self.announced_on,
            announced_precision: self.announced_precision.map(Precision::as_str),
            confidence: self.confidence.as_str(),
            sources: sources_cell(&self.sources),
            notes: self.notes.as_deref(),
            version: self.version,
            created_at: self.created_at.to_rfc3339(),
            updated_at: self.updated_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, Default)]
pub struct SourceRow<'a> {
    id: Uuid,
    url: Option<&'a str>,
    publisher: Option<&'a str>,
    title: Option<&'a str>,
    published_on: Option<NaiveDate>,
    published_precision: Option<&'static str>,
    language: Option<&'a str>,
    version: i64,
    created_at: String,
    updated_at: String,
}

impl CsvRow for Source {
    type Row<'a> = SourceRow<'a>;
    fn row(&self) -> SourceRow<'_> {
        SourceRow {
            id: self.id,
            url: self.url.as_deref(),
            publisher: self.publisher.as_deref(),
            title: self.title.as_deref(),
            published_on: self.published_on,
            published_precision: self.published_precision.map(Precision::as_str),
            language: self.language.as_deref(),
            version: self.version,
            created_at: self.created_at.to_rfc3339(),
            updated_at: self.updated_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, Default)]
pub struct ProjectRow<'a> {
    id: Uuid,
    slug: &'a str,
    name: &'a str,
    company_slug: Option<&'a str>,
    company_name: Option<&'a str>,
    released_on: Option<NaiveDate>,
    released_precision: Option<&'static str>,
    url: Option<&'a str>,
    contributor_count: i64,
    version: i64,
    created_at: String,
    updated_at: String,
}

impl CsvRow for Project {
    type Row<'a> = ProjectRow<'a>;
    fn row(&self) -> ProjectRow<'_> {
        let (company_slug, company_name) = company_cells(&self.company);
        ProjectRow {
            id: self.id,
            slug: &self.slug,
            name: &self.name,
            company_slug,
            company_name,
            released_on: self.released_on,
            released_precision: self.released_precision.map(Precision::as_str),
            url: self.url.as_deref(),
            contributor_count: self.contributor_count,
            version: self.version,
            created_at: self.created_at.to_rfc3339(),
            updated_at: self.updated_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, Default)]
pub struct ProjectReportRow<'a> {
    id: Uuid,
    project_slug: &'a str,
    project_name: &'a str,
    roster_size: Option<i32>,
    departed: i32,
    qualifier: &'static str,
    reported_on: NaiveDate,
    reported_precision: &'static str,
    source: Option<String>,
    notes: Option<&'a str>,
    version: i64,
    created_at: String,
    updated_at: String,
}

impl CsvRow for ProjectReport {
    type Row<'a> = ProjectReportRow<'a>;
    fn row(&self) -> ProjectReportRow<'_> {
        ProjectReportRow {
            id: self.id,
            project_slug: &self.project.slug,
            project_name: &self.project.name,
            roster_size: self.roster_size,
            departed: self.departed,
            qualifier: self.qualifier.as_str(),
            reported_on: self.reported_on,
            reported_precision: self.reported_precision.as_str(),
            source: self.source.as_ref().map(source_cell),
            notes: self.notes.as_deref(),
            version: self.version,
            created_at: self.created_at.to_rfc3339(),
            updated_at: self.updated_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, Default)]
pub struct DealRow<'a> {
    id: Uuid,
    kind: &'static str,
    acquirer_slug: &'a str,
    acquirer_name: &'a str,
    target_slug: &'a str,
    target_name: &'a str,
    announced_on: Option<NaiveDate>,
    announced_precision: Option<&'static str>,
    people_moved: Option<i32>,
    value_usd: Option<i64>,
    move_count: i64,
    sources: String,
    notes: Option<&'a str>,
    version: i64,
    created_at: String,
    updated_at: String,
}

impl CsvRow for Deal {
    type Row<'a> = DealRow<'a>;
    fn row(&self) -> DealRow<'_> {
        DealRow {
            id: self.id,
            kind: self.kind.as_str(),
            acquirer_slug: &self.acquirer.slug,
            acquirer_name: &self.acquirer.name,
            target_slug: &self.target.slug,
            target_name: &self.target.name,
            announced_on: self.announced_on,
            announced_precision: self.announced_precision.map(Precision::as_str),
            people_moved: self.people_moved,
            value_usd: self.value_usd,
            move_count: self.move_count,
            sources: sources_cell(&self.sources),
            notes: self.notes.as_deref(),
            version: self.version,
            created_at: self.created_at.to_rfc3339(),
            updated_at: self.updated_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, Default)]
pub struct CompensationRow<'a> {
    id: Uuid,
    company_slug: &'a str,
    company_name: &'a str,
    role: &'a str,
    currency: &'a str,
    annual_min: Option<i64>,
    annual_max: Option<i64>,
    basis: Option<&'static str>,
    reported_on: NaiveDate,
    reported_precision: &'static str,
    source: Option<String>,
    notes: Option<&'a str>,
    version: i64,
    created_at: String,
    updated_at: String,
}

impl CsvRow for CompensationReport {
    type Row<'a> = CompensationRow<'a>;
    fn row(&self) -> CompensationRow<'_> {
        CompensationRow {
            id: self.id,
            company_slug: &self.company.slug,
            company_name: &self.company.name,
            role: &self.role,
            currency: &self.currency,
            annual_min: self.annual_min,
            annual_max: self.annual_max,
            basis: self.basis.map(Basis::as_str),
            reported_on: self.reported_on,
            reported_precision: self.reported_precision.as_str(),
            source: self.source.as_ref().map(source_cell),
            notes: self.notes.as_deref(),
            version: self.version,
            created_at: self.created_at.to_rfc3339(),
            updated_at: self.updated_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, Default)]
pub struct SignalRow<'a> {
    id: Uuid,
    kind: &'static str,
    company_slug: &'a str,
    company_name: &'a str,
    description: &'a str,
    reported_on: NaiveDate,
    reported_precision: &'static str,
    sources: String,
    version: i64,
    created_at: String,
    updated_at: String,
}

impl CsvRow for Signal {
    type Row<'a> = SignalRow<'a>;
    fn row(&self) -> SignalRow<'_> {
        SignalRow {
            id: self.id,
            kind: self.kind.as_str(),
            company_slug: &self.company.slug,
            company_name: &self.company.name,
            description: &self.description,
            reported_on: self.reported_on,
            reported_precision: self.reported_precision.as_str(),
            sources: sources_cell(&self.sources),
            version: self.version,
            created_at: self.created_at.to_rfc3339(),
            updated_at: self.updated_at.to_rfc3339(),
        }
    }
}
