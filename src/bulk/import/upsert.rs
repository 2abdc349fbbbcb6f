//! One import line written: the record found by its id (or slug), written through the same
//! `db::record` sequence as the API, and told apart as created, updated or unchanged.

use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{Envelope, Outcome, RecordType};
use crate::{
    db::{
        self,
        record::{self, Record},
        reports::ReportWrite,
    },
    domain::{
        company::{Company, CompanyInput},
        compensation::{CompensationInput, CompensationReport},
        deal::{Deal, DealInput},
        form::{Form, Invalid},
        id_or_slug::IdOrSlug,
        key::Actor,
        moves::{Move, MoveInput},
        project::{
            ContributorInput, Project, ProjectInput, ProjectReport, ReportInput, validate_roster,
        },
        researcher::{Researcher, ResearcherInput},
        signal::{Signal, SignalInput},
        slug::Slug,
        source::{Source, SourceInput},
    },
    error::{ApiError, ApiResult, FieldError},
};

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

pub(super) async fn upsert(
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
