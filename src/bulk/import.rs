//! `POST /v1/import` and `talentflow import`: NDJSON in, one transaction, every bad line named.

use std::collections::BTreeMap;

use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};
use sqlx::{PgConnection, PgPool};
use tokio::io::{AsyncBufRead, AsyncBufReadExt};
use utoipa::ToSchema;
use uuid::Uuid;

use super::RecordType;
use crate::{
    db::{
        self,
        record::{self, Record},
        reports::ReportWrite,
    },
    domain::{
        company::Company,
        compensation::CompensationReport,
        deal::Deal,
        id_or_slug::IdOrSlug,
        key::Actor,
        moves::Move,
        project::{Project, ProjectReport},
        researcher::Researcher,
        signal::Signal,
        slug::Slug,
        source::Source,
    },
    domain::{
        company::CompanyInput,
        compensation::CompensationInput,
        deal::DealInput,
        form::{Form, Invalid},
        moves::MoveInput,
        project::{ContributorInput, ProjectInput, ReportInput, validate_roster},
        researcher::ResearcherInput,
        signal::SignalInput,
        source::SourceInput,
    },
    error::{ApiError, ApiResult, FieldError},
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
    mut reader: R,
    options: Options,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ImportReport, ImportFailure> {
    let Options {
        dry_run,
        max_bytes,
        insert_only,
    } = options;
    let mut tx = pool.begin().await?;
    let mut report = ImportReport {
        dry_run,
        ..ImportReport::default()
    };
    let mut errors: Vec<FieldError> = Vec::new();
    let mut bad_lines = 0u64;
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
        let result = if buffer.len() > MAX_LINE {
            Err(vec![FieldError::new(
                "line",
                format!("is longer than {MAX_LINE} bytes"),
            )])
        } else {
            match std::str::from_utf8(&buffer) {
                Err(_) => Err(vec![FieldError::new("line", "is not valid UTF-8")]),
                Ok(text) if text.trim().is_empty() => continue,
                Ok(text) => import_line(&mut tx, actor, text, insert_only).await?,
            }
        };
        match result {
            Ok((kind, outcome)) => {
                report.records += 1;
                let counts = report.by_type.entry(kind.as_str().to_owned()).or_default();
                match outcome {
                    Outcome::Created => (report.created += 1, counts.created += 1),
                    Outcome::Updated => (report.updated += 1, counts.updated += 1),
                    Outcome::Unchanged => (report.unchanged += 1, counts.unchanged += 1),
                };
            }
            Err(line_errors) => {
                bad_lines += 1;
                for mut error in line_errors {
                    if errors.len() < MAX_LISTED_ERRORS {
                        error.line = Some(line_number);
                        errors.push(error);
                    }
                }
            }
        }
    }

    if bad_lines > 0 {
        tx.rollback().await?;
        return Err(ImportFailure::Invalid { errors, bad_lines });
    }
    if dry_run {
        tx.rollback().await?;
    } else {
        tx.commit().await?;
    }
    Ok(report)
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

type LineResult = Result<(RecordType, Outcome), Vec<FieldError>>;

/// One line in its own savepoint, so that a bad line leaves the transaction usable for
/// checking the rest. Errors of the line are returned; errors of the server abort the import.
async fn import_line(
    conn: &mut PgConnection,
    actor: &Actor,
    text: &str,
    insert_only: bool,
) -> Result<LineResult, ImportFailure> {
    let line = match parse_envelope(text) {
        Ok(parsed) => parsed,
        Err(errors) => return Ok(Err(errors)),
    };
    let kind = line.kind;
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
            Ok(Ok((kind, Outcome::Unchanged)))
        }
        Ok(outcome) => {
            sqlx::query("RELEASE SAVEPOINT import_line")
                .execute(&mut *conn)
                .await?;
            Ok(Ok((kind, outcome)))
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

fn input<T: DeserializeOwned>(fields: Map<String, Value>) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(Value::Object(fields)).map_err(|err| {
        let path = err.path().to_string();
        let message = err.into_inner().to_string();
        ApiError::BadRequest {
            detail: message.clone(),
            errors: vec![FieldError::new(path, message)],
        }
    })
}

/// Whether an update changed anything a reader can see (version and updated_at aside).
fn same_record<T: Serialize>(before: &T, after: &T) -> bool {
    let strip = |record: &T| {
        let mut value = serde_json::to_value(record).unwrap_or(Value::Null);
        if let Some(object) = value.as_object_mut() {
            object.remove("version");
            object.remove("updated_at");
        }
        value
    };
    strip(before) == strip(after)
}

fn gone(what: &str, id: Uuid) -> ApiError {
    ApiError::invalid(vec![FieldError::new(
        "id",
        format!("{what} `{id}` was deleted; deleted records are not revived by import"),
    )])
}

/// Where a line's record stands before it is written.
enum Existing<T> {
    /// Nothing matches: create it (with this id when one was given).
    Missing(Option<Uuid>),
    /// The live record, locked.
    Live(T),
}

/// Looks a record up by its id: live, missing, or an error when it was deleted. With
/// `insert_only`, anything already written (live or deleted) means the line is skipped (None).
async fn by_id<R: Record>(
    conn: &mut PgConnection,
    kind: RecordType,
    id: Uuid,
    insert_only: bool,
) -> ApiResult<Option<Existing<R>>> {
    match record::id_state::<R>(conn, id).await? {
        Some(_) if insert_only => Ok(None),
        Some(true) => Ok(Some(Existing::Live(
            record::lock::<R>(conn, &IdOrSlug::Id(id)).await?,
        ))),
        Some(false) => Err(gone(kind.as_str(), id)),
        None => Ok(Some(Existing::Missing(Some(id)))),
    }
}

/// A record with a slug (company, researcher, project): by id, then by slug, else new.
async fn find_slugged<R: Record>(
    conn: &mut PgConnection,
    kind: RecordType,
    id: Option<Uuid>,
    slug: Option<Slug>,
    insert_only: bool,
) -> ApiResult<Option<Existing<R>>> {
    match (id, slug) {
        (Some(id), _) => by_id(conn, kind, id, insert_only).await,
        (None, Some(slug)) => match record::try_lock::<R>(conn, &IdOrSlug::Slug(slug)).await? {
            Some(_) if insert_only => Ok(None),
            Some(found) => Ok(Some(Existing::Live(found))),
            None => Ok(Some(Existing::Missing(None))),
        },
        (None, None) => Ok(Some(Existing::Missing(None))),
    }
}

/// A record without a slug: by id, else new.
async fn find_by_id<R: Record>(
    conn: &mut PgConnection,
    kind: RecordType,
    id: Option<Uuid>,
    insert_only: bool,
) -> ApiResult<Option<Existing<R>>> {
    match id {
        None => Ok(Some(Existing::Missing(None))),
        Some(id) => by_id(conn, kind, id, insert_only).await,
    }
}

fn outcome<T: Serialize>(before: &T, after: &T) -> Outcome {
    if same_record(before, after) {
        Outcome::Unchanged
    } else {
        Outcome::Updated
    }
}

/// Creates the record or updates the one found, through the write sequence the API uses.
async fn write_found<R: Record>(
    conn: &mut PgConnection,
    actor: &Actor,
    existing: Existing<R>,
    draft: R::Draft,
) -> ApiResult<(R, Outcome)> {
    match existing {
        Existing::Missing(id) => {
            let id = id.unwrap_or_else(Uuid::now_v7);
            Ok((
                record::create(conn, actor, id, draft).await?,
                Outcome::Created,
            ))
        }
        Existing::Live(before) => {
            let after = record::update(conn, actor, &before, draft).await?;
            let outcome = outcome(&before, &after);
            Ok((after, outcome))
        }
    }
}

/// What writing a line's record did; `found` is None when `insert_only` skips it.
async fn written<R: Record>(
    conn: &mut PgConnection,
    actor: &Actor,
    found: Option<Existing<R>>,
    draft: R::Draft,
) -> ApiResult<Outcome> {
    match found {
        None => Ok(Outcome::Unchanged),
        Some(existing) => Ok(write_found(conn, actor, existing, draft).await?.1),
    }
}

fn take_slug(fields: &Map<String, Value>) -> Option<Slug> {
    fields
        .get("slug")
        .and_then(Value::as_str)
        .and_then(|s| Slug::parse(s).ok())
}

async fn upsert(
    conn: &mut PgConnection,
    actor: &Actor,
    line: Envelope,
    insert_only: bool,
) -> ApiResult<Outcome> {
    let Envelope {
        kind,
        id,
        mut fields,
    } = line;
    match kind {
        RecordType::Company => {
            let slug = take_slug(&fields);
            let draft = input::<CompanyInput>(fields)?.validate()?;
            let found = find_slugged::<Company>(conn, kind, id, slug, insert_only).await?;
            written(conn, actor, found, draft).await
        }
        RecordType::Researcher => {
            let slug = take_slug(&fields);
            let draft = input::<ResearcherInput>(fields)?.validate()?;
            let found = find_slugged::<Researcher>(conn, kind, id, slug, insert_only).await?;
            written(conn, actor, found, draft).await
        }
        RecordType::Project => {
            let roster = match fields.remove("contributors") {
                None | Some(Value::Null) => None,
                Some(value) => {
                    let roster: Vec<ContributorInput> = input_value(value, "contributors")?;
                    Some(
                        validate_roster(roster)
                            .map_err(|err| prefix_fields(err, "contributors"))?,
                    )
                }
            };
            let slug = take_slug(&fields);
            let draft = input::<ProjectInput>(fields)?.validate()?;
            let found = find_slugged::<Project>(conn, kind, id, slug, insert_only).await?;
            let Some(existing) = found else {
                return Ok(Outcome::Unchanged);
            };
            let (project, mut result) = write_found(conn, actor, existing, draft).await?;
            if let Some(roster) = roster {
                // Replaced, then compared: an identical roster makes no difference, and the
                // line's savepoint is rolled back if nothing else changed either.
                let before = db::projects::contributors(conn, project.id).await?;
                let after =
                    db::projects::replace_contributors(conn, actor, &project, &roster).await?;
                if before != after {
                    result = match result {
                        Outcome::Unchanged => Outcome::Updated,
                        other => other,
                    };
                }
            }
            Ok(result)
        }
        RecordType::Source => {
            let draft = input::<SourceInput>(fields)?.validate()?;
            let found = match (id, &draft.url) {
                // A source without an id is the one with its URL, if any.
                (None, Some(url)) => match db::sources::get_by_url(conn, url).await? {
                    Some(_) if insert_only => None,
                    Some(found) => Some(Existing::Live(
                        record::lock::<Source>(conn, &IdOrSlug::Id(found.id)).await?,
                    )),
                    None => Some(Existing::Missing(None)),
                },
                _ => find_by_id::<Source>(conn, kind, id, insert_only).await?,
            };
            written(conn, actor, found, draft).await
        }
        RecordType::Report => {
            let project = match fields.remove("project") {
                Some(Value::String(key)) => IdOrSlug::parse(&key)
                    .map_err(|m| ApiError::invalid(vec![FieldError::new("project", m)]))?,
                _ => {
                    return Err(ApiError::invalid(vec![FieldError::new(
                        "project",
                        "is required: the project's id or slug",
                    )]));
                }
            };
            let project = db::resolve_for_reference(conn, db::Sluggable::Projects, &project)
                .await?
                .ok_or_else(|| {
                    ApiError::invalid(vec![FieldError::new(
                        "project",
                        format!("no project `{project}`"),
                    )])
                })?;
            let report = input::<ReportInput>(fields)?.validate()?;
            let found = find_by_id::<ProjectReport>(conn, kind, id, insert_only).await?;
            written(conn, actor, found, ReportWrite { project, report }).await
        }
        RecordType::Deal => {
            let draft = input::<DealInput>(fields)?.validate()?;
            let found = find_by_id::<Deal>(conn, kind, id, insert_only).await?;
            written(conn, actor, found, draft).await
        }
        RecordType::Move => {
            let draft = input::<MoveInput>(fields)?.validate()?;
            let found = find_by_id::<Move>(conn, kind, id, insert_only).await?;
            written(conn, actor, found, draft).await
        }
        RecordType::Compensation => {
            let draft = input::<CompensationInput>(fields)?.validate()?;
            let found = find_by_id::<CompensationReport>(conn, kind, id, insert_only).await?;
            written(conn, actor, found, draft).await
        }
        RecordType::Signal => {
            let draft = input::<SignalInput>(fields)?.validate()?;
            let found = find_by_id::<Signal>(conn, kind, id, insert_only).await?;
            written(conn, actor, found, draft).await
        }
    }
}

fn input_value<T: DeserializeOwned>(value: Value, field: &str) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = format!("{field}{}", err.path())
            .replace(".[", "[")
            .replace("..", ".");
        let message = err.into_inner().to_string();
        ApiError::BadRequest {
            detail: message.clone(),
            errors: vec![FieldError::new(path.trim_end_matches('.'), message)],
        }
    })
}

/// Field names of a nested list's errors, under the line's field: `contributors[2].researcher`.
fn prefix_fields(Invalid(errors): Invalid, prefix: &str) -> Invalid {
    Invalid(
        errors
            .into_iter()
            .map(|e| FieldError {
                field: format!("{prefix}{}", e.field),
                ..e
            })
            .collect(),
    )
}
