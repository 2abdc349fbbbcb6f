//! `POST /v1/import` and `talentflow import`: NDJSON in, one transaction, every bad line named.
//!
//! Lines are read as they arrive. Runs of companies, researchers, sources and moves go through
//! `batch` (checked with a query per table, written with a statement per table); every other
//! line, and every line the batch cannot take as a plain create, goes through `upsert`, one
//! line in its own savepoint. A record is named once in a file: a second line with the same
//! id, slug or source URL is a bad line.

mod batch;
mod upsert;

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::{Map, Value};
use sqlx::{PgConnection, PgPool};
use tokio::io::{AsyncBufRead, AsyncBufReadExt};
use utoipa::ToSchema;
use uuid::Uuid;

use self::{batch::Batch, upsert::upsert};
use super::RecordType;
use crate::{
    db,
    domain::key::Actor,
    error::{ApiError, FieldError},
};

/// A line longer than this is refused (one record is far smaller).
pub const MAX_LINE: usize = 1024 * 1024;
/// Errors listed at most (the count in `detail` covers all): enough for any real file, and a
/// bound on the size of the answer to a file of garbage.
const MAX_LISTED_ERRORS: usize = 100_000;

#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema)]
pub struct Counts {
    pub created: u64,
    pub updated: u64,
    /// Lines whose record already existed exactly as given (nothing written).
    pub unchanged: u64,
}

/// What an import did (or, with `dry_run`, would do).
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ImportReport {
    /// The import's number: the history of every record it wrote refers to it. Null for a
    /// dry run, which leaves nothing behind.
    pub import_id: Option<i64>,
    pub dry_run: bool,
    /// Lines read, blank ones included.
    pub lines: u64,
    pub records: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// The same counts per record type (`company`, `researcher`, `move`, …: the line's `type`).
    pub by_type: BTreeMap<String, Counts>,
}

#[derive(Debug)]
pub enum ImportFailure {
    /// Bad lines: nothing was written. `bad_lines` counts them all; `errors` lists the first.
    Invalid {
        errors: Vec<FieldError>,
        bad_lines: u64,
    },
    TooLarge,
    /// The server's fault or the database's (not the file's).
    Failed(ApiError),
}

impl From<ImportFailure> for ApiError {
    fn from(failure: ImportFailure) -> Self {
        match failure {
            ImportFailure::Invalid { errors, bad_lines } => ApiError::Unprocessable {
                detail: format!("{bad_lines} line(s) are invalid; nothing was imported"),
                errors,
            },
            ImportFailure::TooLarge => {
                ApiError::PayloadTooLarge("the import is larger than the server accepts".to_owned())
            }
            ImportFailure::Failed(err) => err,
        }
    }
}

impl From<sqlx::Error> for ImportFailure {
    fn from(err: sqlx::Error) -> Self {
        Self::Failed(err.into())
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Check everything, then roll back.
    pub dry_run: bool,
    /// The most bytes read before the import is refused as too large.
    pub max_bytes: u64,
    /// Only add what is missing: records that exist (or were deleted) are left as they are.
    /// Loading the demo data works this way.
    pub insert_only: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Created,
    Updated,
    Unchanged,
}

/// Reads NDJSON from `reader` and upserts every record in one transaction: either all lines
/// are valid and everything is written (or, with `dry_run`, rolled back), or nothing is.
/// `progress` is told how many bytes have been read so far.
pub async fn import<R: AsyncBufRead + Unpin>(
    pool: &PgPool,
    actor: &Actor,
    reader: R,
    options: Options,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ImportReport, ImportFailure> {
    let mut tx = pool.begin().await?;
    let (import_id, began) = db::imports::begin(&mut tx, actor).await?;
    let mut report = import_lines(&mut tx, actor, began, reader, options, progress).await?;
    if options.dry_run {
        tx.rollback().await?;
    } else {
        report.import_id = Some(import_id);
        let moves = report.by_type.get("move").copied().unwrap_or_default();
        let summary =
            serde_json::to_value(&report).map_err(|err| ImportFailure::Failed(err.into()))?;
        db::imports::finish(&mut tx, import_id, &summary, moves.created + moves.updated).await?;
        tx.commit().await?;
        db::imports::refresh_statistics(pool, report.created + report.updated).await;
    }
    Ok(report)
}

/// The lines of an import, written into a transaction that [`db::imports::begin`] marked
/// (`began` is when): the report, or every bad line. Committing, or rolling back after bad
/// lines, is the caller's: the ingest of an open source writes its own rows beside them.
pub async fn import_lines<R: AsyncBufRead + Unpin>(
    tx: &mut PgConnection,
    actor: &Actor,
    began: chrono::DateTime<chrono::Utc>,
    mut reader: R,
    options: Options,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ImportReport, ImportFailure> {
    let Options {
        dry_run,
        max_bytes,
        insert_only,
    } = options;
    let mut report = ImportReport {
        dry_run,
        ..ImportReport::default()
    };
    let mut outcomes = Outcomes::default();
    let mut named = Named::default();
    let mut batch = Batch::new(began);
    let mut bytes = 0u64;
    let mut buffer = Vec::new();

    loop {
        buffer.clear();
        let read = read_line(&mut reader, &mut buffer).await.map_err(|err| {
            ImportFailure::Failed(ApiError::bad_request(format!(
                "the import could not be read: {err}"
            )))
        })?;
        if read == 0 {
            break;
        }
        bytes += read as u64;
        if bytes > max_bytes {
            return Err(ImportFailure::TooLarge);
        }
        report.lines += 1;
        progress(bytes);
        let line_number = report.lines;
        let text = if buffer.len() > MAX_LINE {
            Err(vec![FieldError::new(
                "line",
                format!("is longer than {MAX_LINE} bytes"),
            )])
        } else {
            std::str::from_utf8(&buffer)
                .map_err(|_| vec![FieldError::new("line", "is not valid UTF-8")])
        };
        if text.as_ref().is_ok_and(|text| text.trim().is_empty()) {
            continue;
        }
        let parsed = text.and_then(|text| {
            let envelope = parse_envelope(text)?;
            Ok((text, named.first_time(line_number, envelope)?))
        });
        let (text, envelope) = match parsed {
            Ok(parsed) => parsed,
            Err(errors) => {
                outcomes.note(&mut report, line_number, None, Err(errors));
                continue;
            }
        };
        if Batch::takes(envelope.kind) {
            batch.push(line_number, text, envelope);
            if batch.is_full() {
                for (line, kind, result) in batch.flush(tx, actor, insert_only).await? {
                    outcomes.note(&mut report, line, Some(kind), result);
                }
            }
        } else {
            // Written in file order: what the batch holds comes first.
            for (line, kind, result) in batch.flush(tx, actor, insert_only).await? {
                outcomes.note(&mut report, line, Some(kind), result);
            }
            let kind = envelope.kind;
            let result = import_envelope(tx, actor, envelope, insert_only).await?;
            outcomes.note(&mut report, line_number, Some(kind), result);
        }
    }
    for (line, kind, result) in batch.flush(tx, actor, insert_only).await? {
        outcomes.note(&mut report, line, Some(kind), result);
    }

    if outcomes.bad_lines > 0 {
        let Outcomes {
            mut errors,
            bad_lines,
        } = outcomes;
        errors.sort_by_key(|error| error.line);
        errors.truncate(MAX_LISTED_ERRORS);
        return Err(ImportFailure::Invalid { errors, bad_lines });
    }
    Ok(report)
}

/// The lines' outcomes so far: the report's counts, and the bad lines' errors.
#[derive(Default)]
struct Outcomes {
    errors: Vec<FieldError>,
    bad_lines: u64,
}

impl Outcomes {
    fn note(
        &mut self,
        report: &mut ImportReport,
        line: u64,
        kind: Option<RecordType>,
        result: LineResult,
    ) {
        match (kind, result) {
            (Some(kind), Ok(outcome)) => {
                report.records += 1;
                let counts = report.by_type.entry(kind.as_str().to_owned()).or_default();
                match outcome {
                    Outcome::Created => (report.created += 1, counts.created += 1),
                    Outcome::Updated => (report.updated += 1, counts.updated += 1),
                    Outcome::Unchanged => (report.unchanged += 1, counts.unchanged += 1),
                };
            }
            (None, Ok(_)) => unreachable!("a line without a type has no outcome"),
            (_, Err(line_errors)) => {
                self.bad_lines += 1;
                for mut error in line_errors {
                    // Kept past the listed limit only until sorted: lines from the batch
                    // arrive out of order. Bounded by a batch's worth beyond the limit.
                    if self.errors.len() < MAX_LISTED_ERRORS + 2 * batch::BATCH_LINES {
                        error.line = Some(line);
                        self.errors.push(error);
                    }
                }
            }
        }
    }
}

/// The records the file has named so far, by id, slug and (sources) URL, with the line that
/// named each: a file names a record once.
#[derive(Default)]
struct Named {
    ids: HashMap<Uuid, u64>,
    slugs: HashMap<(RecordType, String), u64>,
    urls: HashMap<String, u64>,
}

impl Named {
    fn first_time(&mut self, line: u64, envelope: Envelope) -> Result<Envelope, Vec<FieldError>> {
        let twice = |field: &str, value: &str, first: u64| {
            FieldError::new(
                field,
                format!(
                    "`{value}` is already in this file at line {first}: a file names each record once"
                ),
            )
        };
        let mut errors = Vec::new();
        if let Some(id) = envelope.id
            && let Some(first) = self.ids.get(&id)
        {
            errors.push(twice("id", &id.to_string(), *first));
        }
        let slug = match envelope.kind {
            RecordType::Company | RecordType::Researcher | RecordType::Project => {
                envelope.fields.get("slug").and_then(Value::as_str)
            }
            _ => None,
        };
        if let Some(slug) = slug
            && let Some(first) = self.slugs.get(&(envelope.kind, slug.to_owned()))
        {
            errors.push(twice("slug", slug, *first));
        }
        let url = match envelope.kind {
            RecordType::Source => envelope.fields.get("url").and_then(Value::as_str),
            _ => None,
        };
        if let Some(url) = url
            && let Some(first) = self.urls.get(url)
        {
            errors.push(twice("url", url, *first));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        if let Some(id) = envelope.id {
            self.ids.insert(id, line);
        }
        if let Some(slug) = slug {
            self.slugs.insert((envelope.kind, slug.to_owned()), line);
        }
        if let Some(url) = url {
            self.urls.insert(url.to_owned(), line);
        }
        Ok(envelope)
    }
}

/// Reads up to and including the next newline; a line far over the limit is consumed but
/// not kept.
async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    buffer: &mut Vec<u8>,
) -> std::io::Result<usize> {
    let mut total = 0;
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(total);
        }
        let (chunk, done) = match available.iter().position(|b| *b == b'\n') {
            Some(end) => (&available[..=end], true),
            None => (available, false),
        };
        let used = chunk.len();
        if buffer.len() <= MAX_LINE {
            buffer.extend_from_slice(chunk);
        }
        total += used;
        reader.consume(used);
        if done {
            return Ok(total);
        }
    }
}

type LineResult = Result<Outcome, Vec<FieldError>>;

/// One line in its own savepoint, so that a bad line leaves the transaction usable for
/// checking the rest. Errors of the line are returned; errors of the server abort the import.
async fn import_envelope(
    conn: &mut PgConnection,
    actor: &Actor,
    line: Envelope,
    insert_only: bool,
) -> Result<LineResult, ImportFailure> {
    sqlx::query("SAVEPOINT import_line")
        .execute(&mut *conn)
        .await?;
    let written = upsert(conn, actor, line, insert_only).await;
    match written {
        Ok(Outcome::Unchanged) => {
            // The update wrote nothing new: undo its version bump and audit row.
            sqlx::query("ROLLBACK TO SAVEPOINT import_line")
                .execute(&mut *conn)
                .await?;
            Ok(Ok(Outcome::Unchanged))
        }
        Ok(outcome) => {
            sqlx::query("RELEASE SAVEPOINT import_line")
                .execute(&mut *conn)
                .await?;
            Ok(Ok(outcome))
        }
        Err(err) => {
            sqlx::query("ROLLBACK TO SAVEPOINT import_line")
                .execute(&mut *conn)
                .await?;
            line_errors(err).map(Err).map_err(ImportFailure::Failed)
        }
    }
}

/// The client's mistakes become line errors; anything else stops the import.
fn line_errors(err: ApiError) -> Result<Vec<FieldError>, ApiError> {
    match err {
        ApiError::Unprocessable { errors, .. } | ApiError::BadRequest { errors, .. }
            if !errors.is_empty() =>
        {
            Ok(errors)
        }
        ApiError::Conflict { errors, detail } => Ok(if errors.is_empty() {
            vec![FieldError::new("line", detail)]
        } else {
            errors
        }),
        ApiError::BadRequest { detail, .. }
        | ApiError::Unprocessable { detail, .. }
        | ApiError::NotFound(detail) => Ok(vec![FieldError::new("line", detail)]),
        other => Err(other),
    }
}

/// A line taken apart: its type, its id if given, and the record's own fields.
struct Envelope {
    kind: RecordType,
    id: Option<Uuid>,
    fields: Map<String, Value>,
}

fn parse_envelope(text: &str) -> Result<Envelope, Vec<FieldError>> {
    let value: Value = serde_json::from_str(text)
        .map_err(|err| vec![FieldError::new("line", format!("is not JSON: {err}"))])?;
    let Value::Object(mut fields) = value else {
        return Err(vec![FieldError::new("line", "must be a JSON object")]);
    };
    let kind = match fields.remove("type") {
        Some(Value::String(kind)) => {
            serde_json::from_value::<RecordType>(Value::String(kind.clone())).map_err(|_| {
                vec![FieldError::new(
                    "type",
                    format!(
                        "`{kind}` is not one of: {}",
                        RecordType::ALL.map(RecordType::as_str).join(", ")
                    ),
                )]
            })?
        }
        _ => {
            return Err(vec![FieldError::new(
                "type",
                format!(
                    "is required: one of {}",
                    RecordType::ALL.map(RecordType::as_str).join(", ")
                ),
            )]);
        }
    };
    let id = match fields.remove("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) => Some(
            Uuid::parse_str(&id)
                .map_err(|_| vec![FieldError::new("id", format!("`{id}` is not a UUID"))])?,
        ),
        Some(_) => return Err(vec![FieldError::new("id", "must be a UUID string")]),
    };
    Ok(Envelope { kind, id, fields })
}
