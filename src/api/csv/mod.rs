//! `Accept: text/csv` on a list: every matching row (all pages, not one), streamed as RFC 4180
//! CSV with a header row. Embedded references are flattened to readable columns.

use std::future::Future;

use axum::{
    body::Bytes,
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use sqlx::PgPool;

use crate::{
    api::paging::Paging,
    db::list::{Filter, Page},
    error::ApiResult,
};

mod rows;

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

/// Answers a list request: one page as JSON, or with `Accept: text/csv` every matching row
/// from the requested position on, as CSV.
pub async fn list_response<F>(
    headers: &HeaderMap,
    page: Paging<F::Row>,
    pool: &PgPool,
    filter: F,
) -> ApiResult<Response>
where
    F: Filter,
    F::Row: Serialize + CsvRow + 'static,
{
    if !wanted(headers) {
        return Ok(axum::Json(filter.list(pool, &page.request).await?).into_response());
    }
    let sort = page.request.sort;
    let first = filter.list(pool, &page.request.for_export()).await?;
    let pool = pool.clone();
    Ok(stream_all(first, move |cursor| {
        let (pool, filter) = (pool.clone(), filter.clone());
        async move {
            let next = Paging::<F::Row>::after(sort, &cursor)?;
            Ok(filter.list(&pool, &next.request).await?)
        }
    }))
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use uuid::Uuid;

    use super::*;
    use crate::domain::{
        moves::Move,
        partial_date::Precision,
        refs::{Citation, CompanyRef, SourceRef},
    };

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
