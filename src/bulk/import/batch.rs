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
        record::{self, Record},
    },
    domain::{
        company::{Company, CompanyDraft, CompanyInput},
        form::Form,
        id_or_slug::IdOrSlug,
        key::Actor,
        moves::{Move, MoveDraft, MoveInput},
        researcher::{Researcher, ResearcherDraft, ResearcherInput},
        source::{Source, SourceDraft, SourceInput},
    },
};

/// Lines checked and written together: large enough that a statement's fixed cost is spread
/// thin, small enough that a batch's arrays stay a few megabytes.
pub(super) const BATCH_LINES: usize = 5_000;

/// A line's record, validated, when its line parsed and passed its form.
enum Draft {
    Company(CompanyDraft),
    Researcher(ResearcherDraft),
    Source(SourceDraft),
    Move(MoveDraft),
}

struct Line {
    number: u64,
    envelope: Envelope,
    draft: Option<Draft>,
}

/// What a batch's lines came to: each line's number, type and result.
pub(super) type Done = Vec<(u64, RecordType, LineResult)>;

#[derive(Default)]
pub(super) struct Batch {
    lines: Vec<Line>,
}

impl Batch {
    /// Whether lines of this type go through the batch (the others are rare: projects with
    /// their rosters, reports, deals, compensation, signals).
    pub(super) fn takes(kind: RecordType) -> bool {
        matches!(
            kind,
            RecordType::Company | RecordType::Researcher | RecordType::Source | RecordType::Move
        )
    }

    pub(super) fn push(&mut self, number: u64, envelope: Envelope) {
        let (envelope, draft) = validate(envelope);
        self.lines.push(Line {
            number,
            envelope,
            draft,
        });
    }

    pub(super) fn is_full(&self) -> bool {
        self.lines.len() >= BATCH_LINES
    }

    /// Writes the batch: its plain creates together, then every other line one by one.
    pub(super) async fn flush(
        &mut self,
        conn: &mut PgConnection,
        actor: &Actor,
        insert_only: bool,
    ) -> Result<Done, ImportFailure> {
        let lines = std::mem::take(&mut self.lines);
        if lines.is_empty() {
            return Ok(Vec::new());
        }
        let found = Existing::read(conn, &lines).await?;
        let mut plan = Plan::default();
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
    let kind = line.envelope.kind;
    let result = super::import_envelope(conn, actor, line.envelope, insert_only).await?;
    done.push((line.number, kind, result));
    Ok(())
}

/// Parses the line's fields into its form and validates it; `None` when either fails (the
/// one-line path will say why).
fn validate(envelope: Envelope) -> (Envelope, Option<Draft>) {
    let Envelope { kind, id, fields } = envelope;
    let value = Value::Object(fields);
    fn draft<I: Form + for<'de> Deserialize<'de>>(value: &Value) -> Option<I::Draft> {
        I::deserialize(value).ok()?.validate().ok()
    }
    let draft = match kind {
        RecordType::Company => draft::<CompanyInput>(&value).map(Draft::Company),
        RecordType::Researcher => draft::<ResearcherInput>(&value).map(Draft::Researcher),
        RecordType::Source => draft::<SourceInput>(&value).map(Draft::Source),
        RecordType::Move => draft::<MoveInput>(&value).map(Draft::Move),
        _ => None,
    };
    let Value::Object(fields) = value else {
        unreachable!("built as an object above")
    };
    (Envelope { kind, id, fields }, draft)
}

/// What the database holds of everything a batch names, read with one query per table.
struct Existing {
    companies: Found,
    researchers: Found,
    sources: Found,
    deals: Found,
    source_urls: HashSet<String>,
    orcids: HashSet<String>,
    openalex_ids: HashSet<String>,
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
        let (mut companies, mut researchers, mut sources, mut deals) = (
            Names::default(),
            Names::default(),
            Names::default(),
            Names::default(),
        );
        let (mut urls, mut orcids, mut openalex_ids) = (Vec::new(), Vec::new(), Vec::new());
        for line in lines {
            let own = line.envelope.id;
            match &line.draft {
                None => {}
                Some(Draft::Company(draft)) => {
                    companies.ids.extend(own);
                    companies.slugs.extend(draft.slug.iter().map(|s| s.as_str().to_owned()));
                    if let Some(parent) = &draft.parent {
                        companies.add(parent);
                    }
                }
                Some(Draft::Researcher(draft)) => {
                    researchers.ids.extend(own);
                    researchers.slugs.extend(draft.slug.iter().map(|s| s.as_str().to_owned()));
                    orcids.extend(draft.orcid.clone());
                    openalex_ids.extend(draft.openalex_id.clone());
                }
                Some(Draft::Source(draft)) => {
                    sources.ids.extend(own);
                    urls.extend(draft.url.clone());
                }
                Some(Draft::Move(draft)) => {
                    researchers.add(&draft.researcher);
                    for side in [&draft.from, &draft.to].into_iter().flatten() {
                        companies.add(side);
                    }
                    deals.ids.extend(draft.deal);
                    sources.ids.extend(draft.sources.iter().map(|c| c.source));
                }
            }
        }
        // A move's own id is looked up among moves by the plan, one query for the batch.
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
            sources: existing::find(conn, "sources", false, &sources.ids, &[]).await?,
            deals: existing::find(conn, "deals", false, &deals.ids, &[]).await?,
            source_urls: existing::taken(conn, "sources", "url", &urls).await?,
            orcids: existing::taken(conn, "researchers", "orcid", &orcids).await?,
            openalex_ids: existing::taken(conn, "researchers", "openalex_id", &openalex_ids)
                .await?,
        })
    }
}

/// The records of a batch that are plain creates, with their new ids and resolved references,
/// and what earlier lines of the batch add to what later ones may refer to.
#[derive(Default)]
struct Plan {
    lines: Vec<Line>,
    companies: Vec<(Uuid, Option<Uuid>)>,
    researchers: Vec<Uuid>,
    sources: Vec<Uuid>,
    moves: Vec<(Uuid, Uuid, Option<Uuid>, Option<Uuid>)>,
    company_slugs: HashMap<String, Uuid>,
    company_ids: HashSet<Uuid>,
    researcher_slugs: HashMap<String, Uuid>,
    researcher_ids: HashSet<Uuid>,
    source_ids: HashSet<Uuid>,
    orcids: HashSet<String>,
    openalex_ids: HashSet<String>,
    urls: HashSet<String>,
    move_ids: HashSet<Uuid>,
}

impl Plan {
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
                        .map(|line| (line.number, line.envelope.kind, Ok(Outcome::Created))),
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

    fn company(&self, key: &IdOrSlug, found: &Existing) -> Option<Uuid> {
        match key {
            IdOrSlug::Id(id) => (self.company_ids.contains(id) || found.companies.live_id(*id))
                .then_some(*id),
            IdOrSlug::Slug(slug) => self
                .company_slugs
                .get(slug.as_str())
                .or_else(|| found.companies.slugs.get(slug.as_str()))
                .copied(),
        }
    }

    fn researcher(&self, key: &IdOrSlug, found: &Existing) -> Option<Uuid> {
        match key {
            IdOrSlug::Id(id) => (self.researcher_ids.contains(id)
                || found.researchers.live_id(*id))
            .then_some(*id),
            IdOrSlug::Slug(slug) => self
                .researcher_slugs
                .get(slug.as_str())
                .or_else(|| found.researchers.slugs.get(slug.as_str()))
                .copied(),
        }
    }

    /// Takes the line into the plan if it is a plain create whose references all resolve.
    fn take(&mut self, line: &Line, found: &Existing) -> bool {
        let own = line.envelope.id;
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
                        Some(parent) if parent != id => Some(parent),
                        _ => return false,
                    },
                };
                if found.companies.ids.contains_key(&id)
                    || self.company_ids.contains(&id)
                    || found.companies.slugs.contains_key(&slug)
                    || self.company_slugs.contains_key(&slug)
                {
                    return false;
                }
                self.company_ids.insert(id);
                self.company_slugs.insert(slug, id);
                self.companies.push((id, parent));
                true
            }
            Some(Draft::Researcher(draft)) => {
                let Some(slug) = draft.slug.as_ref().map(|s| s.as_str().to_owned()) else {
                    return false;
                };
                let id = own.unwrap_or_else(Uuid::now_v7);
                let unique_taken = |value: &Option<String>, db: &HashSet<String>, batch: &HashSet<String>| {
                    value.as_ref().is_some_and(|v| db.contains(v) || batch.contains(v))
                };
                if found.researchers.ids.contains_key(&id)
                    || self.researcher_ids.contains(&id)
                    || found.researchers.slugs.contains_key(&slug)
                    || self.researcher_slugs.contains_key(&slug)
                    || unique_taken(&draft.orcid, &found.orcids, &self.orcids)
                    || unique_taken(&draft.openalex_id, &found.openalex_ids, &self.openalex_ids)
                {
                    return false;
                }
                self.researcher_ids.insert(id);
                self.researcher_slugs.insert(slug, id);
                self.orcids.extend(draft.orcid.clone());
                self.openalex_ids.extend(draft.openalex_id.clone());
                self.researchers.push(id);
                true
            }
            Some(Draft::Source(draft)) => {
                let id = own.unwrap_or_else(Uuid::now_v7);
                let url_taken = draft
                    .url
                    .as_ref()
                    .is_some_and(|url| found.source_urls.contains(url) || self.urls.contains(url));
                if found.sources.ids.contains_key(&id) || self.source_ids.contains(&id) || url_taken
                {
                    return false;
                }
                self.source_ids.insert(id);
                self.urls.extend(draft.url.clone());
                self.sources.push(id);
                true
            }
            Some(Draft::Move(draft)) => {
                // A move's own id, when the line gives one, may name an existing move: the
                // one-line path finds out (moves are not looked up in bulk).
                if own.is_some() {
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
                if from.is_some() && from == to {
                    return false;
                }
                if draft.deal.is_some_and(|deal| !found.deals.live_id(deal)) {
                    return false;
                }
                if !draft.sources.iter().all(|cited| {
                    self.source_ids.contains(&cited.source) || found.sources.live_id(cited.source)
                }) {
                    return false;
                }
                let id = Uuid::now_v7();
                self.move_ids.insert(id);
                self.moves.push((id, researcher, from, to));
                true
            }
        }
    }

    /// Inserts the plan's records, table by table in the order they refer to each other, and
    /// audits each as created.
    async fn write(&self, conn: &mut PgConnection, actor: &Actor) -> DbResult<()> {
        let (mut companies, mut researchers, mut sources, mut moves) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (mut c, mut r, mut s, mut m) = (0, 0, 0, 0);
        for line in &self.lines {
            match &line.draft {
                Some(Draft::Company(draft)) => {
                    let (id, parent_id) = self.companies[c];
                    c += 1;
                    companies.push(NewCompany {
                        id,
                        parent_id,
                        draft,
                    });
                }
                Some(Draft::Researcher(draft)) => {
                    researchers.push((self.researchers[r], draft));
                    r += 1;
                }
                Some(Draft::Source(draft)) => {
                    sources.push((self.sources[s], draft));
                    s += 1;
                }
                Some(Draft::Move(draft)) => {
                    let (id, researcher_id, from_company_id, to_company_id) = self.moves[m];
                    m += 1;
                    moves.push(NewMove {
                        id,
                        researcher_id,
                        from_company_id,
                        to_company_id,
                        draft,
                    });
                }
                None => unreachable!("only validated lines are planned"),
            }
        }
        if !companies.is_empty() {
            db::companies::insert_many(conn, &companies).await?;
            audit_created::<Company>(conn, actor, &self.companies.iter().map(|c| c.0).collect::<Vec<_>>()).await?;
        }
        if !researchers.is_empty() {
            db::researchers::insert_many(conn, &researchers).await?;
            audit_created::<Researcher>(conn, actor, &self.researchers).await?;
        }
        if !sources.is_empty() {
            db::sources::insert_many(conn, &sources).await?;
            audit_created::<Source>(conn, actor, &self.sources).await?;
        }
        if !moves.is_empty() {
            db::moves::insert_many(conn, &moves).await?;
            audit_created::<Move>(conn, actor, &self.moves.iter().map(|m| m.0).collect::<Vec<_>>())
                .await?;
        }
        Ok(())
    }
}

/// The creation of these records in the audit log, each as the API shows it, in their order.
async fn audit_created<R: Record>(
    conn: &mut PgConnection,
    actor: &Actor,
    ids: &[Uuid],
) -> DbResult<()> {
    let mut records: HashMap<Uuid, R> = record::by_ids::<R>(conn, ids)
        .await?
        .into_iter()
        .map(|record| (record.id(), record))
        .collect();
    let mut created = Vec::with_capacity(ids.len());
    for id in ids {
        let record = records
            .remove(id)
            .ok_or_else(|| DbError::not_found(R::TABLE.what, id))?;
        let after = serde_json::to_value(&record).map_err(anyhow::Error::from)?;
        created.push((*id, after));
    }
    Ok(audit::record_created(conn, actor, R::TABLE.collection, created).await?)
}
