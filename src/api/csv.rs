//! `Accept: text/csv` on a list: every matching row (all pages, not one), streamed as RFC 4180
//! CSV with a header row. Embedded references are flattened to readable columns.

use std::future::Future;

use axum::{
    body::Bytes,
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
};

use crate::{
    api::paging::Paging,
    db::list::{Keyed, Page, PageRequest},
    domain::{
        company::Company,
        compensation::CompensationReport,
        deal::Deal,
        moves::Move,
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

/// A record as one CSV row.
pub trait CsvRow {
    const HEADER: &'static [&'static str];
    fn cells(&self) -> Vec<String>;
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
        let mut header = Some(T::HEADER);
        loop {
            let Ok(chunk) = render(header.take(), &page.data) else {
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

fn render<T: CsvRow>(header: Option<&[&str]>, rows: &[T]) -> Result<Bytes, std::io::Error> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    if let Some(header) = header {
        writer.write_record(header)?;
    }
    for row in rows {
        writer.write_record(row.cells())?;
    }
    writer
        .into_inner()
        .map(Bytes::from)
        .map_err(|err| std::io::Error::other(err.to_string()))
}

fn text(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

fn display<T: ToString>(value: &Option<T>) -> String {
    value.as_ref().map(ToString::to_string).unwrap_or_default()
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

fn company_cells(company: &Option<CompanyRef>) -> [String; 2] {
    match company {
        Some(c) => [c.slug.clone(), c.name.clone()],
        None => [String::new(), String::new()],
    }
}

impl CsvRow for Company {
    const HEADER: &'static [&'static str] = &[
        "id",
        "slug",
        "name",
        "kind",
        "parent_slug",
        "parent_name",
        "aliases",
        "country",
        "website",
        "founded_on",
        "founded_precision",
        "version",
        "created_at",
        "updated_at",
    ];
    fn cells(&self) -> Vec<String> {
        let [parent_slug, parent_name] = company_cells(&self.parent);
        vec![
            self.id.to_string(),
            self.slug.clone(),
            self.name.clone(),
            self.kind.to_string(),
            parent_slug,
            parent_name,
            joined(&self.aliases),
            text(&self.country),
            text(&self.website),
            display(&self.founded_on),
            display(&self.founded_precision),
            self.version.to_string(),
            self.created_at.to_rfc3339(),
            self.updated_at.to_rfc3339(),
        ]
    }
}

impl CsvRow for Researcher {
    const HEADER: &'static [&'static str] = &[
        "id",
        "slug",
        "name",
        "aliases",
        "orcid",
        "openalex_id",
        "homepage",
        "topics",
        "current_company_slug",
        "current_company_name",
        "version",
        "created_at",
        "updated_at",
    ];
    fn cells(&self) -> Vec<String> {
        let [company_slug, company_name] = company_cells(&self.current_company);
        vec![
            self.id.to_string(),
            self.slug.clone(),
            self.name.clone(),
            joined(&self.aliases),
            text(&self.orcid),
            text(&self.openalex_id),
            text(&self.homepage),
            joined(&self.topics),
            company_slug,
            company_name,
            self.version.to_string(),
            self.created_at.to_rfc3339(),
            self.updated_at.to_rfc3339(),
        ]
    }
}

impl CsvRow for Move {
    const HEADER: &'static [&'static str] = &[
        "id",
        "researcher_slug",
        "researcher_name",
        "from_slug",
        "from_name",
        "to_slug",
        "to_name",
        "kind",
        "title",
        "effective_on",
        "effective_precision",
        "announced_on",
        "announced_precision",
        "confidence",
        "sources",
        "notes",
        "version",
        "created_at",
        "updated_at",
    ];
    fn cells(&self) -> Vec<String> {
        let [from_slug, from_name] = company_cells(&self.from);
        let [to_slug, to_name] = company_cells(&self.to);
        vec![
            self.id.to_string(),
            self.researcher.slug.clone(),
            self.researcher.name.clone(),
            from_slug,
            from_name,
            to_slug,
            to_name,
            self.kind.to_string(),
            text(&self.title),
            self.effective_on.to_string(),
            self.effective_precision.to_string(),
            display(&self.announced_on),
            display(&self.announced_precision),
            self.confidence.to_string(),
            sources_cell(&self.sources),
            text(&self.notes),
            self.version.to_string(),
            self.created_at.to_rfc3339(),
            self.updated_at.to_rfc3339(),
        ]
    }
}

impl CsvRow for Source {
    const HEADER: &'static [&'static str] = &[
        "id",
        "url",
        "publisher",
        "title",
        "published_on",
        "published_precision",
        "language",
        "version",
        "created_at",
        "updated_at",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            text(&self.url),
            text(&self.publisher),
            text(&self.title),
            display(&self.published_on),
            display(&self.published_precision),
            text(&self.language),
            self.version.to_string(),
            self.created_at.to_rfc3339(),
            self.updated_at.to_rfc3339(),
        ]
    }
}

impl CsvRow for Project {
    const HEADER: &'static [&'static str] = &[
        "id",
        "slug",
        "name",
        "company_slug",
        "company_name",
        "released_on",
        "released_precision",
        "url",
        "contributor_count",
        "version",
        "created_at",
        "updated_at",
    ];
    fn cells(&self) -> Vec<String> {
        let [company_slug, company_name] = company_cells(&self.company);
        vec![
            self.id.to_string(),
            self.slug.clone(),
            self.name.clone(),
            company_slug,
            company_name,
            display(&self.released_on),
            display(&self.released_precision),
            text(&self.url),
            self.contributor_count.to_string(),
            self.version.to_string(),
            self.created_at.to_rfc3339(),
            self.updated_at.to_rfc3339(),
        ]
    }
}

impl CsvRow for ProjectReport {
    const HEADER: &'static [&'static str] = &[
        "id",
        "project_slug",
        "project_name",
        "roster_size",
        "departed",
        "qualifier",
        "reported_on",
        "reported_precision",
        "source",
        "notes",
        "version",
        "created_at",
        "updated_at",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.project.slug.clone(),
            self.project.name.clone(),
            display(&self.roster_size),
            self.departed.to_string(),
            self.qualifier.to_string(),
            self.reported_on.to_string(),
            self.reported_precision.to_string(),
            self.source.as_ref().map(source_cell).unwrap_or_default(),
            text(&self.notes),
            self.version.to_string(),
            self.created_at.to_rfc3339(),
            self.updated_at.to_rfc3339(),
        ]
    }
}

impl CsvRow for Deal {
    const HEADER: &'static [&'static str] = &[
        "id",
        "kind",
        "acquirer_slug",
        "acquirer_name",
        "target_slug",
        "target_name",
        "announced_on",
        "announced_precision",
        "people_moved",
        "value_usd",
        "move_count",
        "sources",
        "notes",
        "version",
        "created_at",
        "updated_at",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.kind.to_string(),
            self.acquirer.slug.clone(),
            self.acquirer.name.clone(),
            self.target.slug.clone(),
            self.target.name.clone(),
            display(&self.announced_on),
            display(&self.announced_precision),
            display(&self.people_moved),
            display(&self.value_usd),
            self.move_count.to_string(),
            sources_cell(&self.sources),
            text(&self.notes),
            self.version.to_string(),
            self.created_at.to_rfc3339(),
            self.updated_at.to_rfc3339(),
        ]
    }
}

impl CsvRow for CompensationReport {
    const HEADER: &'static [&'static str] = &[
        "id",
        "company_slug",
        "company_name",
        "role",
        "currency",
        "annual_min",
        "annual_max",
        "basis",
        "reported_on",
        "reported_precision",
        "source",
        "notes",
        "version",
        "created_at",
        "updated_at",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.company.slug.clone(),
            self.company.name.clone(),
            self.role.clone(),
            self.currency.clone(),
            display(&self.annual_min),
            display(&self.annual_max),
            display(&self.basis),
            self.reported_on.to_string(),
            self.reported_precision.to_string(),
            self.source.as_ref().map(source_cell).unwrap_or_default(),
            text(&self.notes),
            self.version.to_string(),
            self.created_at.to_rfc3339(),
            self.updated_at.to_rfc3339(),
        ]
    }
}

impl CsvRow for Signal {
    const HEADER: &'static [&'static str] = &[
        "id",
        "kind",
        "company_slug",
        "company_name",
        "description",
        "reported_on",
        "reported_precision",
        "sources",
        "version",
        "created_at",
        "updated_at",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.kind.to_string(),
            self.company.slug.clone(),
            self.company.name.clone(),
            self.description.clone(),
            self.reported_on.to_string(),
            self.reported_precision.to_string(),
            sources_cell(&self.sources),
            self.version.to_string(),
            self.created_at.to_rfc3339(),
            self.updated_at.to_rfc3339(),
        ]
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
    Fut: Future<Output = ApiResult<Page<T>>> + Send + 'static,
{
    if !wanted(headers) {
        return Ok(axum::Json(fetch(page.request).await?).into_response());
    }
    let sort = page.request.sort;
    let first = fetch(page.request.for_export()).await?;
    Ok(stream_all(first, move |cursor| {
        let next = Paging::<T>::after(sort, &cursor).map(|next| fetch(next.request));
        async move { next?.await }
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
}
