//! One file of an open source written: in one transaction, as one import (its history refers
//! to it), through the importer's fast path. The records are matched (`matching`), their moves
//! set against the recorded ones (`reconcile`), and what is new or changed goes to the
//! importer as NDJSON lines, so every record is checked and written exactly as an import line
//! would be. Ingests run one at a time: matching reads, then writes what it did not find.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use serde_json::{Map, Value, json};
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    BadRecord,
    career::{Career, PersonRef, derive_moves},
    load::{BadRecords, Loaded, Source},
    matching::{self, CompanyMap, org_key},
    reconcile::{self, Derived, MoveCounts},
};
use crate::{
    bulk::{
        RecordType,
        import::{self, ImportFailure},
    },
    db,
    domain::{
        id_or_slug::IdOrSlug,
        key::Actor,
        moves::{Move, MoveInput},
        project::{ContributorDraft, Project},
        refs::ProjectRef,
        source::SourceInput,
    },
    error::{ApiError, FieldError},
};

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The project whose roster a works file sets (required for works, refused otherwise).
    pub project: Option<IdOrSlug>,
    pub map: CompanyMap,
    /// Check and match everything, then roll back.
    pub dry_run: bool,
}

/// Records of one kind: found among the existing ones, created, or found and given what
/// they lacked (names as aliases, identifiers).
#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema)]
pub struct Tally {
    pub matched: u64,
    pub created: u64,
    pub updated: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RosterReport {
    pub project: ProjectRef,
    /// Authors on the roster now, in the work's order.
    pub contributors: u64,
    /// Whether the roster changed.
    pub changed: bool,
}

/// What an ingest did (or, with `dry_run`, would do).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IngestReport {
    pub source: Source,
    pub file: String,
    pub dry_run: bool,
    /// The import the ingest was written as: every record's history refers to it. Null for a
    /// dry run.
    pub import_id: Option<i64>,
    /// Records read from the file.
    pub records: u64,
    pub researchers: Tally,
    pub companies: Tally,
    /// The records' own pages, cited by the moves derived from them.
    pub sources: Tally,
    pub moves: MoveCounts,
    /// For works: the roster they set.
    pub roster: Option<RosterReport>,
    /// What was left out, and why (organisations without a name, ambiguous names).
    pub notes: Vec<String>,
}

#[derive(Debug)]
pub enum IngestFailure {
    /// Records that could not be read: nothing was written.
    BadRecords(BadRecords),
    /// The options or what they name are wrong (a map's company, the project).
    Invalid(Vec<FieldError>),
    Failed(ApiError),
}

impl From<IngestFailure> for ApiError {
    fn from(failure: IngestFailure) -> Self {
        match failure {
            IngestFailure::BadRecords(bad) => ApiError::Unprocessable {
                detail: format!(
                    "{} record(s) could not be read; nothing was ingested",
                    bad.count
                ),
                errors: bad
                    .listed
                    .into_iter()
                    .map(|BadRecord { record, problem }| FieldError::new(record, problem))
                    .collect(),
            },
            IngestFailure::Invalid(errors) => ApiError::invalid(errors),
            IngestFailure::Failed(err) => err,
        }
    }
}

impl From<sqlx::Error> for IngestFailure {
    fn from(err: sqlx::Error) -> Self {
        Self::Failed(err.into())
    }
}

impl From<db::error::DbError> for IngestFailure {
    fn from(err: db::error::DbError) -> Self {
        match err {
            db::error::DbError::Invalid(errors) => Self::Invalid(errors),
            other => Self::Failed(other.into()),
        }
    }
}

/// NDJSON lines for the importer, each with what it is for a reader of an error.
#[derive(Default)]
struct Lines {
    text: Vec<u8>,
    about: Vec<String>,
}

impl Lines {
    fn push(&mut self, kind: RecordType, id: Uuid, record: &impl Serialize, about: String) {
        let mut fields: Map<String, Value> = match serde_json::to_value(record) {
            Ok(Value::Object(fields)) => fields,
            _ => Map::new(),
        };
        fields.retain(|_, value| !value.is_null());
        fields.insert("type".to_owned(), json!(kind.as_str()));
        fields.insert("id".to_owned(), json!(id));
        serde_json::to_writer(&mut self.text, &fields).expect("JSON into memory");
        self.text.push(b'\n');
        self.about.push(about);
    }
}

/// How long each phase took, logged at debug (`bench/ingest.sh` sums them over the chunks).
struct Phases(std::time::Instant);

impl Phases {
    fn start() -> Self {
        Self(std::time::Instant::now())
    }

    /// Logs the phase that ends now and starts the next.
    fn end(&mut self, phase: &'static str) {
        tracing::debug!(took = ?self.0.elapsed(), "ingest: {phase}");
        self.0 = std::time::Instant::now();
    }
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.matched += other.matched;
        self.created += other.created;
        self.updated += other.updated;
    }
}

/// At most this many notes are kept in a report (and a last one says how many more there were).
const MAX_NOTES: usize = 100;

/// Ingests a file as `load::load_chunks` reads it, chunk by chunk, in one transaction: each
/// chunk is matched, reconciled and written before the next is read, so a chunk finds what the
/// chunks before it wrote, and memory is a chunk's. Bad records anywhere roll everything back.
pub async fn ingest(
    pool: &PgPool,
    actor: &Actor,
    source: Source,
    file: &str,
    mut chunks: tokio::sync::mpsc::Receiver<Result<Loaded, BadRecords>>,
    options: &Options,
) -> Result<IngestReport, IngestFailure> {
    let project_wanted = source == Source::OpenalexWorks;
    if project_wanted != options.project.is_some() {
        return Err(IngestFailure::Invalid(vec![FieldError::new(
            "project",
            if project_wanted {
                "is required: the project whose roster the works set"
            } else {
                "is only for openalex-works"
            },
        )]));
    }
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('talentflow.ingest'))")
        .execute(&mut *tx)
        .await?;
    let (import_id, began) = db::imports::begin(&mut tx, actor).await?;
    let mut report = IngestReport {
        source,
        file: file.to_owned(),
        dry_run: options.dry_run,
        import_id: None,
        records: 0,
        researchers: Tally::default(),
        companies: Tally::default(),
        sources: Tally::default(),
        moves: MoveCounts::default(),
        roster: None,
        notes: Vec::new(),
    };
    let project =
        match &options.project {
            None => None,
            Some(key) => Some(db::record::get::<Project>(&mut tx, key).await?.ok_or_else(
                || {
                    IngestFailure::Invalid(vec![FieldError::new(
                        "project",
                        format!("no project `{key}`"),
                    )])
                },
            )?),
        };
    let mut chunk = Chunk {
        actor,
        began,
        source,
        options,
        project: project.as_ref(),
        authors: Vec::new(),
        notes: 0,
    };
    let mut phases = Phases::start();
    while let Some(loaded) = chunks.recv().await {
        let loaded = loaded.map_err(IngestFailure::BadRecords)?;
        phases.end("chunk read");
        chunk
            .write(&mut tx, loaded, &mut report, &mut phases)
            .await?;
    }
    if chunk.notes > MAX_NOTES {
        report
            .notes
            .push(format!("… and {} more notes", chunk.notes - MAX_NOTES));
    }
    if let Some(project) = &project {
        report.roster = Some(set_roster(&mut tx, actor, project, &chunk.authors).await?);
    }
    phases.end("known ids, withdrawn moves and roster");

    if options.dry_run {
        tx.rollback().await?;
    } else {
        report.import_id = Some(import_id);
        let moves = report.moves;
        let changed = moves.created + moves.merged + moves.updated + moves.removed;
        let summary =
            serde_json::to_value(&report).map_err(|err| IngestFailure::Failed(err.into()))?;
        db::imports::finish(&mut tx, import_id, &summary, changed).await?;
        tx.commit().await?;
        phases.end("counted and committed");
        let written = [report.researchers, report.companies, report.sources]
            .iter()
            .map(|t| t.created + t.updated)
            .sum::<u64>()
            + changed;
        db::imports::refresh_statistics(pool, written).await;
        phases.end("statistics refreshed");
    }
    Ok(report)
}

/// What every chunk of one ingest shares.
struct Chunk<'a> {
    actor: &'a Actor,
    began: chrono::DateTime<chrono::Utc>,
    source: Source,
    options: &'a Options,
    project: Option<&'a Project>,
    /// For works: the researchers of the authorships so far, in order.
    authors: Vec<Option<Uuid>>,
    /// Notes met so far (the report keeps the first `MAX_NOTES`).
    notes: usize,
}

impl Chunk<'_> {
    async fn write(
        &mut self,
        tx: &mut PgConnection,
        loaded: Loaded,
        report: &mut IngestReport,
        phases: &mut Phases,
    ) -> Result<(), IngestFailure> {
        let Loaded {
            records,
            careers,
            rosters,
        } = loaded;
        report.records += records;
        let mut lines = Lines::default();

        // Who and where.
        let orgs: Vec<_> = careers
            .iter()
            .flat_map(|c| c.stints.iter().map(|s| &s.org))
            .collect();
        let companies = matching::companies(tx, &orgs, &self.options.map).await?;
        let authors: Vec<&PersonRef> = rosters.iter().flat_map(|r| r.authors.iter()).collect();
        let persons: Vec<&PersonRef> = careers
            .iter()
            .map(|c| &c.person)
            .chain(authors.iter().copied())
            .collect();
        let roster_names = match self.project {
            Some(project) => roster_names(tx, project.id).await?,
            None => Vec::new(),
        };
        let people = matching::people(tx, &persons, &roster_names).await?;
        phases.end("matched");
        report.companies.add(Tally {
            matched: companies.matched,
            created: companies.created.len() as u64,
            updated: companies.updated.len() as u64,
        });
        report.researchers.add(Tally {
            matched: people.matched,
            created: people.created.len() as u64,
            updated: people.updated.len() as u64,
        });
        for note in companies.notes.iter().chain(&people.notes) {
            self.notes += 1;
            if report.notes.len() < MAX_NOTES {
                report.notes.push(note.clone());
            }
        }
        for (id, input) in &companies.created {
            let about = format!("company `{}`", input.name.as_deref().unwrap_or_default());
            lines.push(RecordType::Company, *id, input, about);
        }
        for (id, input) in &companies.updated {
            lines.push(RecordType::Company, *id, input, format!("company {id}"));
        }
        for (id, input) in people.created.iter().chain(&people.updated) {
            let about = format!("researcher `{}`", input.name.as_deref().unwrap_or_default());
            lines.push(RecordType::Researcher, *id, input, about);
        }

        // The records' pages, as sources.
        let (source_of, created_sources) = record_sources(tx, self.source, &careers).await?;
        report.sources.add(Tally {
            matched: (source_of.len() - created_sources.len()) as u64,
            created: created_sources.len() as u64,
            updated: 0,
        });
        for (id, input) in &created_sources {
            let about = format!("source {}", input.url.as_deref().unwrap_or_default());
            lines.push(RecordType::Source, *id, input, about);
        }

        // The moves.
        let mut derived = Vec::new();
        for (career, researcher) in careers.iter().zip(&people.researchers) {
            let Some(researcher) = researcher else {
                continue;
            };
            let company = |stint: usize| {
                org_key(&career.stints[stint].org)
                    .and_then(|key| companies.by_key.get(&key).copied())
            };
            for m in derive_moves(&career.stints) {
                let (Some(from), Some(to)) = (company(m.from), company(m.to)) else {
                    continue;
                };
                if from == to {
                    continue;
                }
                derived.push(Derived {
                    researcher: *researcher,
                    from,
                    to,
                    effective: m.effective,
                    source: source_of[&career.url],
                    quote: format!(
                        "{} → {}",
                        career.stints[m.from].quote, career.stints[m.to].quote
                    ),
                });
            }
        }
        let created: HashSet<Uuid> = people.created.iter().map(|(id, _)| *id).collect();
        let found: Vec<Uuid> = people
            .researchers
            .iter()
            .flatten()
            .copied()
            .filter(|id| !created.contains(id))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let recorded = recorded_moves(tx, &found).await?;
        let records: HashSet<Uuid> = source_of.values().copied().collect();
        let plan = reconcile::reconcile(derived, recorded, &records);
        phases.end("reconciled");
        report.moves.add(plan.counts);
        for (id, input) in &plan.created {
            lines.push(RecordType::Move, *id, input, format!("move {id}"));
        }
        // The recorded moves that change, written whole as the importer writes a record.
        let changed: HashMap<Uuid, &reconcile::Change> = plan
            .updated
            .iter()
            .map(|(id, change)| (*id, change))
            .collect();
        let ids: Vec<Uuid> = changed.keys().copied().collect();
        for recorded in db::record::by_ids::<Move>(tx, &ids).await? {
            let change = changed[&recorded.id];
            let mut input = MoveInput::from(&recorded);
            if let Some(effective) = change.effective {
                input.effective_on = Some(effective.to_string());
            }
            input.sources = Some(change.sources.clone());
            let id = recorded.id;
            lines.push(RecordType::Move, id, &input, format!("move {id}"));
        }
        phases.end("lines written");

        // Written as an import, then what the importer does not write.
        let written = import::import_lines(
            tx,
            self.actor,
            self.began,
            &lines.text[..],
            import::Options {
                dry_run: self.options.dry_run,
                max_bytes: u64::MAX,
                insert_only: false,
            },
            &|_| {},
        )
        .await;
        if let Err(failure) = written {
            return Err(explain(failure, &lines.about));
        }
        phases.end("lines imported");
        add_known_ids(tx, &people.known).await?;
        for id in &plan.removed {
            let inferred = db::record::lock::<Move>(tx, &IdOrSlug::Id(*id)).await?;
            db::record::delete(tx, self.actor, &inferred).await?;
        }
        self.authors
            .extend_from_slice(&people.researchers[careers.len()..]);
        Ok(())
    }
}

/// The importer's errors name lines of the NDJSON the ingest wrote: name the records instead.
fn explain(failure: ImportFailure, about: &[String]) -> IngestFailure {
    match failure {
        ImportFailure::Invalid { errors, .. } => IngestFailure::Invalid(
            errors
                .into_iter()
                .map(|mut error| {
                    let line = error.line.take().unwrap_or(0) as usize;
                    let about = about
                        .get(line.wrapping_sub(1))
                        .map_or("a record", String::as_str);
                    FieldError::new(format!("{about}: {}", error.field), error.message)
                })
                .collect(),
        ),
        ImportFailure::TooLarge => IngestFailure::Failed(ApiError::PayloadTooLarge(
            "the ingest is larger than the server accepts".to_owned(),
        )),
        ImportFailure::Failed(err) => IngestFailure::Failed(err),
    }
}

/// Each career's record page as a source: found by its URL, or planned.
async fn record_sources(
    conn: &mut PgConnection,
    source: Source,
    careers: &[Career],
) -> Result<(HashMap<String, Uuid>, Vec<(Uuid, SourceInput)>), sqlx::Error> {
    let urls: Vec<&str> = careers.iter().map(|c| c.url.as_str()).collect();
    let found: Vec<(String, Uuid)> = sqlx::query_as(
        "SELECT s.url, s.id FROM unnest($1::text[]) AS wanted (url)
             JOIN sources s ON s.url = wanted.url AND s.deleted_at IS NULL",
    )
    .bind(&urls)
    .fetch_all(conn)
    .await?;
    let mut source_of: HashMap<String, Uuid> = found.into_iter().collect();
    let mut created = Vec::new();
    for career in careers {
        if source_of.contains_key(&career.url) {
            continue;
        }
        let id = Uuid::now_v7();
        source_of.insert(career.url.clone(), id);
        let who = career.person.names.first().map_or("", String::as_str);
        let title = match source {
            Source::Orcid => format!("ORCID record: {who}"),
            Source::Wikidata => format!("Wikidata item: {who}"),
            Source::OpenalexAuthors | Source::OpenalexWorks => format!("OpenAlex author: {who}"),
        };
        created.push((
            id,
            SourceInput {
                url: Some(career.url.clone()),
                publisher: Some(source.publisher().to_owned()),
                title: Some(
                    title
                        .trim_end_matches([':', ' '])
                        .chars()
                        .take(500)
                        .collect(),
                ),
                ..SourceInput::default()
            },
        ));
    }
    Ok((source_of, created))
}

/// The researchers on a project's roster with their names and aliases.
async fn roster_names(
    conn: &mut PgConnection,
    project: Uuid,
) -> Result<Vec<(Uuid, Vec<String>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT r.id, array_prepend(r.name, r.aliases) FROM project_contributors pc
         JOIN researchers r ON r.id = pc.researcher_id AND r.deleted_at IS NULL
         WHERE pc.project_id = $1 ORDER BY pc.position",
    )
    .bind(project)
    .fetch_all(conn)
    .await
}

/// The live moves of these researchers, as much as reconciling needs of them.
async fn recorded_moves(
    conn: &mut PgConnection,
    researchers: &[Uuid],
) -> Result<Vec<reconcile::Recorded>, sqlx::Error> {
    sqlx::query_as(
        "SELECT m.id, m.researcher_id, m.from_company_id, m.to_company_id, m.effective_on,
                m.effective_precision, m.confidence,
                coalesce(array_agg(ms.source_id ORDER BY ms.position) FILTER (WHERE ms.source_id IS NOT NULL), '{}') AS sources,
                coalesce(array_agg(ms.quote ORDER BY ms.position) FILTER (WHERE ms.source_id IS NOT NULL), '{}') AS quotes
         FROM unnest($1::uuid[]) AS wanted (id)
         JOIN moves m ON m.researcher_id = wanted.id AND m.deleted_at IS NULL
         LEFT JOIN move_sources ms ON ms.move_id = m.id
         GROUP BY m.id",
    )
    .bind(researchers)
    .fetch_all(conn)
    .await
}

async fn add_known_ids(
    conn: &mut PgConnection,
    known: &[(Uuid, matching::ExternalId)],
) -> Result<(), sqlx::Error> {
    if known.is_empty() {
        return Ok(());
    }
    let records: Vec<Uuid> = known.iter().map(|(id, _)| *id).collect();
    let schemes: Vec<&str> = known.iter().map(|(_, (s, _))| s.as_str()).collect();
    let values: Vec<&str> = known.iter().map(|(_, (_, v))| v.as_str()).collect();
    sqlx::query(
        "INSERT INTO known_ids (collection, scheme, value, record_id)
         SELECT 'researchers', scheme, value, record_id
         FROM unnest($1::text[], $2::text[], $3::uuid[]) AS k (scheme, value, record_id)
         ON CONFLICT DO NOTHING",
    )
    .bind(&schemes)
    .bind(&values)
    .bind(&records)
    .execute(conn)
    .await?;
    Ok(())
}

/// The project's roster: the works' authors in order, each once. Written only when it differs
/// from the roster the project has, so a second ingest of the same works changes nothing.
async fn set_roster(
    conn: &mut PgConnection,
    actor: &Actor,
    project: &Project,
    authors: &[Option<Uuid>],
) -> Result<RosterReport, IngestFailure> {
    let mut roster: Vec<Uuid> = Vec::new();
    for author in authors.iter().flatten() {
        if !roster.contains(author) {
            roster.push(*author);
        }
    }
    let current: Vec<(Uuid, Option<String>)> = sqlx::query_as(
        "SELECT researcher_id, role FROM project_contributors WHERE project_id = $1 ORDER BY position",
    )
    .bind(project.id)
    .fetch_all(&mut *conn)
    .await?;
    let changed = current.iter().map(|(id, _)| *id).ne(roster.iter().copied());
    if changed {
        // A role the roster gave someone stays theirs.
        let role_of: HashMap<Uuid, Option<String>> = current.into_iter().collect();
        let drafts: Vec<ContributorDraft> = roster
            .iter()
            .map(|id| ContributorDraft {
                researcher: IdOrSlug::Id(*id),
                role: role_of.get(id).cloned().flatten(),
            })
            .collect();
        db::projects::replace_contributors(conn, actor, project, &drafts).await?;
    }
    Ok(RosterReport {
        project: ProjectRef {
            id: project.id,
            slug: project.slug.clone(),
            name: project.name.clone(),
        },
        contributors: roster.len() as u64,
        changed,
    })
}
