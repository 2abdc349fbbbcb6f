//! The import's fast path: a run of lines that create companies, researchers, sources and
//! moves is checked against the database with one query per table and written with one
//! statement per table, instead of ten round trips a line.
//!
//! The fast path only takes what it can prove is a plain create: every key is free, every
//! reference is found (in the database, or earlier in the run), every unique value is unused.
//! Anything else (a line that updates or skips an existing record, names what cannot be
//! found, needs a generated slug, breaks a rule, or does not parse) goes through the one-line
//! path, `upsert`, after the run's creates are written and in file order, which writes it or
//! names its errors exactly as it always has. So there is one authority on what a line
//! means and what is wrong with it, and the fast path is only faster.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{Envelope, ImportFailure, LineResult, Outcome, RecordType};
use crate::{
    db::{
        self, audit,
        companies::NewCompany,
        error::{DbError, DbResult},
        existing::{self, Found},
        moves::NewMove,
        record::Record,
    },
    domain::{
        company::{Company, CompanyDraft, CompanyInput},
        form::Form,
        id_or_slug::IdOrSlug,
        key::Actor,
        moves::{Move, MoveDraft, MoveInput, MoveRefs},
        refs::{CompanyRef, ResearcherRef, SourceRef},
        researcher::{Researcher, ResearcherDraft, ResearcherInput},
        source::{Source, SourceDraft, SourceInput},
    },
};

/// Lines checked and written together, at most. Larger batches are cheaper per line (the
/// maintained counts of a batch's moves are summed before they are written, and each
/// statement's fixed cost is spread thinner): 5,000 lines imported 4,900 moves/s, 50,000 lines
/// 7,700 (bench/import.sh 100000).
pub(super) const BATCH_LINES: usize = 50_000;
/// And at most this much text: what a batch holds while written is about 20 times its text
/// (drafts, the statements' arrays, the audit rows' JSON), so this bounds the importer's
/// memory whatever the lines' length.
const BATCH_BYTES: usize = 16 * 1024 * 1024;

/// A line's record, validated, when its line parsed and passed its form.
enum Draft {
    Company(CompanyDraft),
    Researcher(ResearcherDraft),
    Source(SourceDraft),
    Move(MoveDraft),
}

/// A line of the batch. Its parsed fields are not kept (a batch would hold several times the
/// file's size): the one-line path parses the text again, which only bad and existing
/// records take.
struct Line {
    number: u64,
    text: Box<str>,
    kind: RecordType,
    id: Option<Uuid>,
    draft: Option<Draft>,
}

/// What a batch's lines came to: each line's number, type and result.
pub(super) type Done = Vec<(u64, RecordType, LineResult)>;

pub(super) struct Batch {
    now: DateTime<Utc>,
    lines: Vec<Line>,
    bytes: usize,
}

impl Batch {
    /// A batch of an import whose transaction began at `now`.
    pub(super) fn new(now: DateTime<Utc>) -> Self {
        Self {
            now,
            lines: Vec::new(),
            bytes: 0,
        }
    }

    /// Whether lines of this type go through the batch (the others are rare: projects with
    /// their rosters, reports, deals, compensation, signals).
    pub(super) fn takes(kind: RecordType) -> bool {
        matches!(
            kind,
            RecordType::Company | RecordType::Researcher | RecordType::Source | RecordType::Move
        )
    }

    /// Adds a line, with its text as read and its envelope as parsed from it.
    pub(super) fn push(&mut self, number: u64, text: &str, envelope: Envelope) {
        let (kind, id) = (envelope.kind, envelope.id);
        self.bytes += text.len();
        self.lines.push(Line {
            number,
            text: text.into(),
            kind,
            id,
            draft: validate(envelope),
        });
    }

    pub(super) fn is_full(&self) -> bool {
        self.lines.len() >= BATCH_LINES || self.bytes >= BATCH_BYTES
    }

    /// Writes the batch in file order: runs of plain creates together, every other line on its
    /// own between them.
    pub(super) async fn flush(
        &mut self,
        conn: &mut PgConnection,
        actor: &Actor,
        insert_only: bool,
    ) -> Result<Done, ImportFailure> {
        let lines = std::mem::take(&mut self.lines);
        self.bytes = 0;
        if lines.is_empty() {
            return Ok(Vec::new());
        }
        let found = Existing::read(conn, &lines).await?;
        let mut plan = Plan::new(self.now);
        let mut done = Vec::new();
        for line in lines {
            if plan.take(&line, &found) {
                plan.lines.push(line);
                continue;
            }
            // Written in its place in the file: the creates before it first, so that it sees
            // exactly what the lines before it wrote, and nothing of the lines after it.
            plan.write_pending(conn, actor, insert_only, &mut done)
                .await?;
            one_line(conn, actor, line, insert_only, &mut done).await?;
        }
        plan.write_pending(conn, actor, insert_only, &mut done)
            .await?;
        Ok(done)
    }
}

async fn one_line(
    conn: &mut PgConnection,
    actor: &Actor,
    line: Line,
    insert_only: bool,
    done: &mut Done,
) -> Result<(), ImportFailure> {
    let result = match super::parse_envelope(&line.text) {
        Ok(envelope) => super::import_envelope(conn, actor, envelope, insert_only).await?,
        Err(errors) => Err(errors),
    };
    done.push((line.number, line.kind, result));
    Ok(())
}

/// Parses the line's fields into its form and validates it; `None` when either fails (the
/// one-line path will say why).
fn validate(envelope: Envelope) -> Option<Draft> {
    let Envelope { kind, fields, .. } = envelope;
    let value = Value::Object(fields);
    fn draft<I: Form + for<'de> Deserialize<'de>>(value: &Value) -> Option<I::Draft> {
        I::deserialize(value).ok()?.validate().ok()
    }
    match kind {
        RecordType::Company => draft::<CompanyInput>(&value).map(Draft::Company),
        RecordType::Researcher => draft::<ResearcherInput>(&value).map(Draft::Researcher),
        RecordType::Source => draft::<SourceInput>(&value).map(Draft::Source),
        RecordType::Move => draft::<MoveInput>(&value).map(Draft::Move),
        _ => None,
    }
}

/// What the database holds of everything a batch names, read with one query per table.
struct Existing {
    companies: Found,
    researchers: Found,
    /// The sources the batch's own lines name by id (live or deleted).
    sources: Found,
    /// The live sources the batch's moves cite.
    cited: HashMap<Uuid, SourceRef>,
    /// The moves the batch's own lines name by id (live or deleted).
    moves: Found,
    /// The unique values the batch's lines name that live records hold already.
    taken: HashSet<Unique>,
}

/// A value that must be unique among the live records of a table: (table, column, value).
type Unique = (&'static str, &'static str, String);

impl Draft {
    /// The values of the record that no other live record may hold (besides its slug and id,
    /// which the batch checks on their own).
    fn unique_values(&self) -> Vec<Unique> {
        let values: Vec<(&'static str, &'static str, &Option<String>)> = match self {
            Draft::Company(draft) => vec![
                ("companies", "ror", &draft.ror),
                ("companies", "openalex_id", &draft.openalex_id),
                ("companies", "wikidata_id", &draft.wikidata_id),
            ],
            Draft::Researcher(draft) => vec![
                ("researchers", "orcid", &draft.orcid),
                ("researchers", "openalex_id", &draft.openalex_id),
                ("researchers", "wikidata_id", &draft.wikidata_id),
            ],
            Draft::Source(draft) => vec![("sources", "url", &draft.url)],
            Draft::Move(_) => vec![],
        };
        values
            .into_iter()
            .filter_map(|(table, column, value)| Some((table, column, value.clone()?)))
            .collect()
    }
}

/// The ids and slugs a batch names in one table.
#[derive(Default)]
struct Names {
    ids: Vec<Uuid>,
    slugs: Vec<String>,
}

impl Names {
    fn add(&mut self, key: &IdOrSlug) {
        match key {
            IdOrSlug::Id(id) => self.ids.push(*id),
            IdOrSlug::Slug(slug) => self.slugs.push(slug.as_str().to_owned()),
        }
    }
}

impl Existing {
    async fn read(conn: &mut PgConnection, lines: &[Line]) -> Result<Self, sqlx::Error> {
        let (mut companies, mut researchers) = (Names::default(), Names::default());
        let (mut sources, mut cited, mut moves) = (Vec::new(), Vec::new(), Vec::new());
        let mut unique: HashMap<(&'static str, &'static str), Vec<String>> = HashMap::new();
        for line in lines {
            let own = line.id;
            for (table, column, value) in line.draft.iter().flat_map(Draft::unique_values) {
                unique.entry((table, column)).or_default().push(value);
            }
            match &line.draft {
                None => {}
                Some(Draft::Company(draft)) => {
                    companies.ids.extend(own);
                    companies
                        .slugs
                        .extend(draft.slug.iter().map(|s| s.as_str().to_owned()));
                    if let Some(parent) = &draft.parent {
                        companies.add(parent);
                    }
                }
                Some(Draft::Researcher(draft)) => {
                    researchers.ids.extend(own);
                    researchers
                        .slugs
                        .extend(draft.slug.iter().map(|s| s.as_str().to_owned()));
                }
                Some(Draft::Source(_)) => {
                    sources.extend(own);
                }
                Some(Draft::Move(draft)) => {
                    moves.extend(own);
                    researchers.add(&draft.researcher);
                    for side in [&draft.from, &draft.to].into_iter().flatten() {
                        companies.add(side);
                    }
                    cited.extend(draft.sources.iter().map(|c| c.source));
                }
            }
        }
        let mut taken = HashSet::new();
        for ((table, column), values) in unique {
            let held = existing::taken(conn, table, column, &values).await?;
            taken.extend(held.into_iter().map(|value| (table, column, value)));
        }
        Ok(Self {
            companies: existing::find(conn, "companies", true, &companies.ids, &companies.slugs)
                .await?,
            researchers: existing::find(
                conn,
                "researchers",
                true,
                &researchers.ids,
                &researchers.slugs,
            )
            .await?,
            sources: existing::find(conn, "sources", false, &sources, &[]).await?,
            cited: existing::source_refs(conn, &cited).await?,
            moves: existing::find(conn, "moves", false, &moves, &[]).await?,
            taken,
        })
    }
}

/// A move of the plan, its references resolved to what the API shows of them.
struct PlannedMove {
    id: Uuid,
    researcher: ResearcherRef,
    from: Option<CompanyRef>,
    to: Option<CompanyRef>,
    cited: Vec<SourceRef>,
}

/// The records of a batch that are plain creates, with their new ids and resolved references,
/// and what earlier lines of the batch add to what later ones may refer to.
struct Plan {
    /// When the import began: every row it inserts is created (and updated) then.
    now: DateTime<Utc>,
    lines: Vec<Line>,
    companies: Vec<(Uuid, Option<CompanyRef>)>,
    researchers: Vec<Uuid>,
    sources: Vec<Uuid>,
    moves: Vec<PlannedMove>,
    company_slugs: HashMap<String, Uuid>,
    companies_made: HashMap<Uuid, CompanyRef>,
    researcher_slugs: HashMap<String, Uuid>,
    researchers_made: HashMap<Uuid, ResearcherRef>,
    sources_made: HashMap<Uuid, SourceRef>,
    move_ids: HashSet<Uuid>,
    /// The unique values of the records planned so far.
    claimed: HashSet<Unique>,
}

impl Plan {
    fn new(now: DateTime<Utc>) -> Self {
        Self {
            now,
            lines: Vec::new(),
            companies: Vec::new(),
            researchers: Vec::new(),
            sources: Vec::new(),
            moves: Vec::new(),
            company_slugs: HashMap::new(),
            companies_made: HashMap::new(),
            researcher_slugs: HashMap::new(),
            researchers_made: HashMap::new(),
            sources_made: HashMap::new(),
            move_ids: HashSet::new(),
            claimed: HashSet::new(),
        }
    }

    /// Writes the creates planned so far in a savepoint and forgets their rows (not what they
    /// made known: later lines may refer to them).
    async fn write_pending(
        &mut self,
        conn: &mut PgConnection,
        actor: &Actor,
        insert_only: bool,
        done: &mut Done,
    ) -> Result<(), ImportFailure> {
        if self.lines.is_empty() {
            return Ok(());
        }
        sqlx::query("SAVEPOINT import_batch")
            .execute(&mut *conn)
            .await?;
        let written = self.write(conn, actor).await;
        let lines = std::mem::take(&mut self.lines);
        self.companies.clear();
        self.researchers.clear();
        self.sources.clear();
        self.moves.clear();
        match written {
            Ok(()) => {
                sqlx::query("RELEASE SAVEPOINT import_batch")
                    .execute(&mut *conn)
                    .await?;
                done.extend(
                    lines
                        .iter()
                        .map(|line| (line.number, line.kind, Ok(Outcome::Created))),
                );
            }
            // The database refused what the checks let through (a concurrent write took a
            // slug, say): the lines go the one-line way, which names the culprit.
            Err(DbError::Sqlx(sqlx::Error::Database(refused))) => {
                tracing::debug!(error = %refused, "a batch was refused; writing it line by line");
                sqlx::query("ROLLBACK TO SAVEPOINT import_batch")
                    .execute(&mut *conn)
                    .await?;
                for line in lines {
                    one_line(conn, actor, line, insert_only, done).await?;
                }
            }
            Err(err) => return Err(ImportFailure::Failed(err.into())),
        }
        Ok(())
    }

    fn company(&self, key: &IdOrSlug, found: &Existing) -> Option<CompanyRef> {
        let id = match key {
            IdOrSlug::Id(id) => *id,
            IdOrSlug::Slug(slug) => *self
                .company_slugs
                .get(slug.as_str())
                .or_else(|| found.companies.slugs.get(slug.as_str()))?,
        };
        self.companies_made.get(&id).cloned().or_else(|| {
            let (slug, name) = found.companies.names.get(&id)?;
            Some(CompanyRef {
                id,
                slug: slug.clone(),
                name: name.clone(),
            })
        })
    }

    fn researcher(&self, key: &IdOrSlug, found: &Existing) -> Option<ResearcherRef> {
        let id = match key {
            IdOrSlug::Id(id) => *id,
            IdOrSlug::Slug(slug) => *self
                .researcher_slugs
                .get(slug.as_str())
                .or_else(|| found.researchers.slugs.get(slug.as_str()))?,
        };
        self.researchers_made.get(&id).cloned().or_else(|| {
            let (slug, name) = found.researchers.names.get(&id)?;
            Some(ResearcherRef {
                id,
                slug: slug.clone(),
                name: name.clone(),
            })
        })
    }

    /// Takes the line into the plan if it is a plain create whose references all resolve and
    /// whose unique values are free.
    fn take(&mut self, line: &Line, found: &Existing) -> bool {
        let unique = line
            .draft
            .as_ref()
            .map(Draft::unique_values)
            .unwrap_or_default();
        if unique
            .iter()
            .any(|value| found.taken.contains(value) || self.claimed.contains(value))
        {
            return false;
        }
        let taken = self.take_record(line, found);
        if taken {
            self.claimed.extend(unique);
        }
        taken
    }

    fn take_record(&mut self, line: &Line, found: &Existing) -> bool {
        let own = line.id;
        match &line.draft {
            None => false,
            Some(Draft::Company(draft)) => {
                let Some(slug) = draft.slug.as_ref().map(|s| s.as_str().to_owned()) else {
                    return false;
                };
                let id = own.unwrap_or_else(Uuid::now_v7);
                let parent = match &draft.parent {
                    None => None,
                    Some(key) => match self.company(key, found) {
                        Some(parent) if parent.id != id => Some(parent),
                        _ => return false,
                    },
                };
                if found.companies.ids.contains_key(&id)
                    || self.companies_made.contains_key(&id)
                    || found.companies.slugs.contains_key(&slug)
                    || self.company_slugs.contains_key(&slug)
                {
                    return false;
                }
                let made = CompanyRef {
                    id,
                    slug: slug.clone(),
                    name: draft.name.clone(),
                };
                self.companies_made.insert(id, made);
                self.company_slugs.insert(slug, id);
                self.companies.push((id, parent));
                true
            }
            Some(Draft::Researcher(draft)) => {
                let Some(slug) = draft.slug.as_ref().map(|s| s.as_str().to_owned()) else {
                    return false;
                };
                let id = own.unwrap_or_else(Uuid::now_v7);
                if found.researchers.ids.contains_key(&id)
                    || self.researchers_made.contains_key(&id)
                    || found.researchers.slugs.contains_key(&slug)
                    || self.researcher_slugs.contains_key(&slug)
                {
                    return false;
                }
                let made = ResearcherRef {
                    id,
                    slug: slug.clone(),
                    name: draft.name.clone(),
                };
                self.researchers_made.insert(id, made);
                self.researcher_slugs.insert(slug, id);
                self.researchers.push(id);
                true
            }
            Some(Draft::Source(draft)) => {
                let id = own.unwrap_or_else(Uuid::now_v7);
                if found.sources.ids.contains_key(&id) || self.sources_made.contains_key(&id) {
                    return false;
                }
                let made = SourceRef {
                    id,
                    url: draft.url.clone(),
                    publisher: draft.publisher.clone(),
                    title: draft.title.clone(),
                    published_on: draft.published.map(|d| d.start),
                    published_precision: draft.published.map(|d| d.precision),
                };
                self.sources_made.insert(id, made);
                self.sources.push(id);
                true
            }
            Some(Draft::Move(draft)) => {
                // A deal's reference needs the deal's parties: the one-line path handles it
                // (moves of deals are few).
                if draft.deal.is_some() {
                    return false;
                }
                let id = own.unwrap_or_else(Uuid::now_v7);
                if found.moves.ids.contains_key(&id) || self.move_ids.contains(&id) {
                    return false;
                }
                let Some(researcher) = self.researcher(&draft.researcher, found) else {
                    return false;
                };
                let side = |key: &Option<IdOrSlug>| match key {
                    None => Some(None),
                    Some(key) => self.company(key, found).map(Some),
                };
                let (Some(from), Some(to)) = (side(&draft.from), side(&draft.to)) else {
                    return false;
                };
                if from.is_some() && from.as_ref().map(|f| f.id) == to.as_ref().map(|t| t.id) {
                    return false;
                }
                let mut cited = Vec::with_capacity(draft.sources.len());
                for citation in &draft.sources {
                    match self
                        .sources_made
                        .get(&citation.source)
                        .or_else(|| found.cited.get(&citation.source))
                    {
                        Some(source) => cited.push(source.clone()),
                        None => return false,
                    }
                }
                self.move_ids.insert(id);
                self.moves.push(PlannedMove {
                    id,
                    researcher,
                    from,
                    to,
                    cited,
                });
                true
            }
        }
    }

    /// Inserts the plan's records, table by table in the order they refer to each other, and
    /// audits each as created, as the API shows it (built here from what was written, since
    /// reading a batch back costs more than writing it).
    async fn write(&self, conn: &mut PgConnection, actor: &Actor) -> DbResult<()> {
        let now = self.now;
        let (mut companies, mut researchers, mut sources, mut moves) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (mut company_audit, mut researcher_audit, mut source_audit, mut move_audit) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (mut c, mut r, mut s, mut m) = (0, 0, 0, 0);
        for line in &self.lines {
            match &line.draft {
                Some(Draft::Company(draft)) => {
                    let (id, parent) = &self.companies[c];
                    c += 1;
                    companies.push(NewCompany {
                        id: *id,
                        parent_id: parent.as_ref().map(|p| p.id),
                        draft,
                    });
                    company_audit.push(after(&Company::created(*id, draft, parent.clone(), now))?);
                }
                Some(Draft::Researcher(draft)) => {
                    let id = self.researchers[r];
                    r += 1;
                    researchers.push((id, draft));
                    researcher_audit.push(after(&Researcher::created(id, draft, now))?);
                }
                Some(Draft::Source(draft)) => {
                    let id = self.sources[s];
                    s += 1;
                    sources.push((id, draft));
                    source_audit.push(after(&Source::created(id, draft, now))?);
                }
                Some(Draft::Move(draft)) => {
                    let planned = &self.moves[m];
                    m += 1;
                    moves.push(NewMove {
                        id: planned.id,
                        researcher_id: planned.researcher.id,
                        from_company_id: planned.from.as_ref().map(|f| f.id),
                        to_company_id: planned.to.as_ref().map(|t| t.id),
                        draft,
                    });
                    let created = Move::created(
                        planned.id,
                        draft,
                        MoveRefs {
                            researcher: planned.researcher.clone(),
                            from: planned.from.clone(),
                            to: planned.to.clone(),
                            deal: None,
                            cited: planned.cited.clone(),
                        },
                        now,
                    );
                    move_audit.push(after(&created)?);
                }
                None => unreachable!("only validated lines are planned"),
            }
        }
        if !company_audit.is_empty() {
            db::companies::insert_many(conn, &companies).await?;
            audit::record_created(conn, actor, db::COMPANIES.collection, company_audit).await?;
        }
        if !researcher_audit.is_empty() {
            db::researchers::insert_many(conn, &researchers).await?;
            audit::record_created(conn, actor, db::RESEARCHERS.collection, researcher_audit)
                .await?;
        }
        if !source_audit.is_empty() {
            db::sources::insert_many(conn, &sources).await?;
            audit::record_created(conn, actor, db::SOURCES.collection, source_audit).await?;
        }
        if !move_audit.is_empty() {
            db::moves::insert_many(conn, &moves).await?;
            audit::record_created(conn, actor, db::MOVES.collection, move_audit).await?;
        }
        Ok(())
    }
}

/// A record's id and its JSON, for its audit row.
fn after<R: Record>(record: &R) -> DbResult<(Uuid, String)> {
    let json = serde_json::to_string(record).map_err(anyhow::Error::from)?;
    Ok((record.id(), json))
}
