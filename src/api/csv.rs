//! `Accept: text/csv` on a list: every matching row (all pages, not one), streamed as RFC 4180
//! CSV with a header row. Embedded references are flattened to readable columns.

use std::future::Future;

use axum::{
    body::Bytes,
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
};
use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use crate::{
    api::paging::Paging,
    db::{
        error::DbResult,
        list::{Keyed, Page, PageRequest},
    },
    domain::{
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
    },
    error::ApiResult,
};

/// Whether the client asked for CSV (and prefers it to JSON, or did not mention JSON).
pub fn wanted(headers: &HeaderMap) -> bool {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    accept.split(',').any(|range| {
        let mut parts = range.split(';').map(str::trim);
        let is_csv = parts
            .next()
            .is_some_and(|m| m.eq_ignore_ascii_case("text/csv"));
        // `q=0` means "not acceptable".
        let refused = parts.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        is_csv && !refused
    })
}

/// A record as one CSV row. `Row` is the record flattened (embedded references as columns,
/// lists joined into one cell); its field names, in order, are the header, so the two cannot
/// drift apart. `Default` gives the header when there is no row to take it from.
pub trait CsvRow {
    type Row<'a>: Serialize + Default
    where
        Self: 'a;
    fn row(&self) -> Self::Row<'_>;
}

/// Streams every page `fetch` gives, starting with `first` (already fetched, so that a bad
/// request is still answered with a problem before any CSV is sent).
pub fn stream_all<T, F, Fut>(first: Page<T>, mut fetch: F) -> Response
where
    T: CsvRow + Send + 'static,
    F: FnMut(String) -> Fut + Send + 'static,
    Fut: Future<Output = ApiResult<Page<T>>> + Send,
{
    let (feed, drain) = crate::stream::channel();
    tokio::spawn(async move {
        let mut page = first;
        let mut header = true;
        loop {
            let Ok(chunk) = render(std::mem::take(&mut header), &page.data) else {
                feed.fail();
                return;
            };
            if !feed.send(chunk).await {
                return;
            }
            let Some(cursor) = page.next_cursor.take() else {
                return;
            };
            page = match fetch(cursor).await {
                Ok(next) => next,
                Err(err) => {
                    tracing::error!(error = %err, "CSV stream failed part-way");
                    feed.fail();
                    return;
                }
            };
        }
    });
    let mut response = drain.into_body().into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8; header=present"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline"),
    );
    response
}

/// One chunk of the stream: the rows, after the header if `header`.
fn render<T: CsvRow>(header: bool, records: &[T]) -> csv::Result<Bytes> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .has_headers(header)
        .from_writer(Vec::new());
    // The writer puts the header before the first row it serializes. With no row, a blank
    // one gives the header and is cut off again (field names hold no line break).
    let blank = header && records.is_empty();
    if blank {
        writer.serialize(T::Row::default())?;
    }
    for record in records {
        writer.serialize(record.row())?;
    }
    let mut bytes = writer
        .into_inner()
        .map_err(|err| csv::Error::from(err.into_error()))?;
    if blank {
        let end = bytes.iter().position(|&b| b == b'\n').map_or(0, |i| i + 1);
        bytes.truncate(end);
    }
    Ok(Bytes::from(bytes))
}

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

/// Answers a list request: one page as JSON, or with `Accept: text/csv` every matching row
/// from the requested position on, as CSV. `fetch` reads one page.
pub async fn list_response<T, F, Fut>(
    headers: &HeaderMap,
    page: Paging<T>,
    fetch: F,
) -> ApiResult<Response>
where
    T: serde::Serialize + CsvRow + Keyed + Send + 'static,
    F: Fn(PageRequest) -> Fut + Send + 'static,
    Fut: Future<Output = DbResult<Page<T>>> + Send + 'static,
{
    if !wanted(headers) {
        return Ok(axum::Json(fetch(page.request).await?).into_response());
    }
    let sort = page.request.sort;
    let first = fetch(page.request.for_export()).await?;
    Ok(stream_all(first, move |cursor| {
        let next = Paging::<T>::after(sort, &cursor).map(|next| fetch(next.request));
        async move { Ok(next?.await?) }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_negotiation_finds_text_csv_among_others() {
        let with = |accept: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::ACCEPT, HeaderValue::from_str(accept).unwrap());
            wanted(&headers)
        };
        assert!(with("text/csv"));
        assert!(with("application/json;q=0.5, text/csv"));
        assert!(with("TEXT/CSV; charset=utf-8"));
        assert!(!with("application/json"));
        assert!(!with("*/*"));
        assert!(!with("text/csv;q=0, application/json"));
        assert!(with("text/csv;q=0.5"));
        assert!(!wanted(&HeaderMap::new()));
    }

    fn moved(sources: Vec<Citation>) -> Move {
        use crate::domain::{
            moves::{Confidence, MoveKind},
            refs::ResearcherRef,
        };
        let at = chrono::DateTime::parse_from_rfc3339("2024-03-05T10:00:00.5Z")
            .unwrap()
            .to_utc();
        Move {
            id: Uuid::nil(),
            researcher: ResearcherRef {
                id: Uuid::nil(),
                slug: "ada".into(),
                name: "Ada".into(),
            },
            from: None,
            to: Some(CompanyRef {
                id: Uuid::nil(),
                slug: "acme".into(),
                name: "Acme, \"Q\" Labs".into(),
            }),
            kind: MoveKind::Hire,
            title: None,
            effective_on: NaiveDate::from_ymd_opt(2024, 3, 1).unwrap(),
            effective_precision: Precision::Month,
            announced_on: None,
            announced_precision: None,
            confidence: Confidence::Reported,
            deal: None,
            sources,
            notes: None,
            version: 1,
            created_at: at,
            updated_at: at,
        }
    }

    fn text(header: bool, records: &[Move]) -> String {
        String::from_utf8(render(header, records).unwrap().to_vec()).unwrap()
    }

    const MOVE_HEADER: &str = "id,researcher_slug,researcher_name,from_slug,from_name,to_slug,to_name,kind,\
        title,effective_on,effective_precision,announced_on,announced_precision,confidence,\
        sources,notes,version,created_at,updated_at\r\n";

    #[test]
    fn the_header_is_written_once_with_or_without_rows() {
        assert_eq!(text(true, &[]), MOVE_HEADER);
        assert_eq!(text(false, &[]), "");
        let with_row = text(true, &[moved(vec![])]);
        assert!(with_row.starts_with(MOVE_HEADER), "{with_row}");
        assert_eq!(with_row.matches("researcher_slug").count(), 1);
        assert!(!text(false, &[moved(vec![])]).contains("researcher_slug"));
    }

    #[test]
    fn a_row_with_nothing_optional_has_empty_cells() {
        assert_eq!(
            text(false, &[moved(vec![])]),
            "00000000-0000-0000-0000-000000000000,ada,Ada,,,acme,\"Acme, \"\"Q\"\" Labs\",hire,,\
             2024-03-01,month,,,reported,,,1,2024-03-05T10:00:00.500+00:00,\
             2024-03-05T10:00:00.500+00:00\r\n"
        );
    }

    #[test]
    fn sources_are_flattened_into_one_cell() {
        let source = |publisher: Option<&str>, title: Option<&str>, url: Option<&str>| Citation {
            source: SourceRef {
                id: Uuid::nil(),
                url: url.map(Into::into),
                publisher: publisher.map(Into::into),
                title: title.map(Into::into),
                published_on: NaiveDate::from_ymd_opt(2024, 2, 29),
                published_precision: None,
            },
            quote: None,
        };
        let row = text(
            false,
            &[moved(vec![
                source(Some("The Information"), Some("Moves"), Some("https://x")),
                source(None, None, None),
            ])],
        );
        assert!(
            row.contains(",reported,The Information: Moves (2024-02-29) https://x; (2024-02-29),,"),
            "{row}"
        );
    }
}
