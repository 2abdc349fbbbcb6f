//! The moves a file's records imply, set against the moves already recorded, so that an
//! ingest never duplicates a move nor overrules the press:
//!
//! 1. A move that already cites the record, between the same two companies, is the same move:
//!    when only inferred, it takes the record's date (a newer version of the record); a move
//!    someone reported keeps its own date. Either way the citation's quote is the record's.
//! 2. Otherwise a recorded move of the same researcher between the same two companies whose
//!    date overlaps the derived one (`PartialDate` intervals) is the same move: it gains the
//!    record as a source and keeps its confidence, date and everything else.
//! 3. Otherwise the move is new: a `hire`, `inferred`, dated as derived, citing the record.
//! 4. A move that cites the record but that the record no longer implies loses the citation;
//!    one that was inferred from this record alone is deleted (its history stays).

use std::collections::{BTreeMap, HashMap, HashSet};

use uuid::Uuid;

use crate::domain::{
    moves::{Confidence, MoveInput, MoveKind},
    partial_date::{PartialDate, Precision},
    refs::CitationInput,
};

/// What the reconciling needs of a recorded move (read for every move of the researchers a
/// file names, so no more than this).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Recorded {
    pub id: Uuid,
    pub researcher_id: Uuid,
    pub from_company_id: Option<Uuid>,
    pub to_company_id: Option<Uuid>,
    pub effective_on: chrono::NaiveDate,
    pub effective_precision: Precision,
    pub confidence: Confidence,
    /// Its citations in order: sources and quotes.
    pub sources: Vec<Uuid>,
    pub quotes: Vec<Option<String>>,
}

/// A recorded move to write again: its new date (when it changes) and its citations.
#[derive(Debug, Clone)]
pub struct Change {
    pub effective: Option<PartialDate>,
    pub sources: Vec<CitationInput>,
}

/// A move a record implies, its ends resolved to companies.
#[derive(Debug, Clone)]
pub struct Derived {
    pub researcher: Uuid,
    pub from: Uuid,
    pub to: Uuid,
    pub effective: PartialDate,
    /// The record's source.
    pub source: Uuid,
    pub quote: String,
}

/// What to write.
#[derive(Debug, Default)]
pub struct Plan {
    pub created: Vec<(Uuid, MoveInput)>,
    pub updated: Vec<(Uuid, Change)>,
    pub removed: Vec<Uuid>,
    pub counts: MoveCounts,
}

/// What became of the moves a file implies.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, utoipa::ToSchema)]
pub struct MoveCounts {
    /// Moves the records imply (between two companies matched or created).
    pub derived: u64,
    /// New moves, `inferred`.
    pub created: u64,
    /// Derived moves found already recorded (by the press or another record): the record was
    /// added to their sources.
    pub merged: u64,
    /// Moves inferred from the record before whose date the newer record changed.
    pub updated: u64,
    /// Derived moves recorded already, citing the record, as they are.
    pub unchanged: u64,
    /// Moves inferred from the record alone that it no longer implies (deleted), plus moves
    /// that no longer cite it.
    pub removed: u64,
}

impl MoveCounts {
    pub fn add(&mut self, other: MoveCounts) {
        self.derived += other.derived;
        self.created += other.created;
        self.merged += other.merged;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.removed += other.removed;
    }
}

const MAX_CITATIONS: usize = 50;

fn overlaps(a: PartialDate, b: PartialDate) -> bool {
    a.start <= b.end() && b.start <= a.end()
}

fn date_of(m: &Recorded) -> PartialDate {
    PartialDate {
        start: m.effective_on,
        precision: m.effective_precision,
    }
}

/// A recorded move as it will be written: its citations, its date, and whether either changed.
struct Pending {
    recorded: Recorded,
    change: Change,
    changed: bool,
}

fn citation(d: &Derived) -> CitationInput {
    CitationInput {
        source: Some(d.source),
        quote: Some(d.quote.clone()),
    }
}

/// Plans the writes: `derived` against `recorded`, the live moves of the researchers they name;
/// `records` are the sources of the file's records (whose citations rule 4 may withdraw).
pub fn reconcile(derived: Vec<Derived>, recorded: Vec<Recorded>, records: &HashSet<Uuid>) -> Plan {
    let mut plan = Plan::default();
    let mut by_researcher: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    // Which recorded citations of the file's records the file still implies.
    let mut implied: HashMap<(Uuid, Uuid), bool> = HashMap::new();
    // The recorded moves, as they will be written: changed ones are written once, at the end.
    let mut moves: BTreeMap<Uuid, Pending> = BTreeMap::new();
    for m in recorded {
        by_researcher.entry(m.researcher_id).or_default().push(m.id);
        for source in &m.sources {
            if records.contains(source) {
                implied.insert((m.id, *source), false);
            }
        }
        let sources = m
            .sources
            .iter()
            .zip(&m.quotes)
            .map(|(source, quote)| CitationInput {
                source: Some(*source),
                quote: quote.clone(),
            })
            .collect();
        let change = Change {
            effective: None,
            sources,
        };
        moves.insert(
            m.id,
            Pending {
                recorded: m,
                change,
                changed: false,
            },
        );
    }
    let mut created: Vec<(Uuid, Derived, MoveInput)> = Vec::new();

    for d in derived {
        plan.counts.derived += 1;
        let same_ends =
            |m: &Recorded| (m.from_company_id, m.to_company_id) == (Some(d.from), Some(d.to));
        let mine = by_researcher
            .get(&d.researcher)
            .cloned()
            .unwrap_or_default();
        // 1. The move this record implied before.
        let cited = mine.iter().copied().find(|id| {
            same_ends(&moves[id].recorded) && implied.get(&(*id, d.source)) == Some(&false)
        });
        if let Some(id) = cited {
            implied.insert((id, d.source), true);
            let pending = moves.get_mut(&id).expect("a recorded move");
            let mut changes = false;
            if pending.recorded.confidence == Confidence::Inferred
                && date_of(&pending.recorded) != d.effective
            {
                pending.change.effective = Some(d.effective);
                changes = true;
            }
            if let Some(cited) = pending
                .change
                .sources
                .iter_mut()
                .find(|c| c.source == Some(d.source))
                && cited.quote.as_deref() != Some(d.quote.as_str())
            {
                cited.quote = Some(d.quote.clone());
                changes = true;
            }
            if changes {
                plan.counts.updated += 1;
            } else {
                plan.counts.unchanged += 1;
            }
            pending.changed |= changes;
            continue;
        }
        // 2. A move recorded otherwise that this one is.
        let same = mine.iter().copied().find(|id| {
            let Pending {
                recorded, change, ..
            } = &moves[id];
            same_ends(recorded)
                && overlaps(date_of(recorded), d.effective)
                && !change.sources.iter().any(|c| c.source == Some(d.source))
                && change.sources.len() < MAX_CITATIONS
        });
        if let Some(id) = same {
            let pending = moves.get_mut(&id).expect("a recorded move");
            pending.change.sources.push(citation(&d));
            pending.changed = true;
            implied.insert((id, d.source), true);
            plan.counts.merged += 1;
            continue;
        }
        // The same move from another record of this file (two profiles of one person).
        if let Some((_, _, input)) = created.iter_mut().find(|(_, other, input)| {
            other.researcher == d.researcher
                && (other.from, other.to) == (d.from, d.to)
                && overlaps(other.effective, d.effective)
                && input
                    .sources
                    .iter()
                    .flatten()
                    .all(|c| c.source != Some(d.source))
        }) {
            input
                .sources
                .get_or_insert_with(Vec::new)
                .push(citation(&d));
            plan.counts.merged += 1;
            continue;
        }
        // 3. New.
        let input = MoveInput {
            researcher: Some(d.researcher.to_string()),
            from: Some(d.from.to_string()),
            to: Some(d.to.to_string()),
            kind: Some(MoveKind::Hire.as_str().to_owned()),
            effective_on: Some(d.effective.to_string()),
            confidence: Some(Confidence::Inferred.as_str().to_owned()),
            sources: Some(vec![citation(&d)]),
            ..MoveInput::default()
        };
        plan.counts.created += 1;
        created.push((Uuid::now_v7(), d, input));
    }
    plan.created = created
        .into_iter()
        .map(|(id, _, input)| (id, input))
        .collect();
    (plan.updated, plan.removed) = stale_citations(moves, &implied, &mut plan.counts);
    plan
}

/// The recorded moves to write (changed, or citing a record of the file that no longer
/// implies them) and to delete (inferred from such a record alone). `implied` holds `false`
/// for a citation of one of the file's records that no derived move claimed.
fn stale_citations(
    moves: BTreeMap<Uuid, Pending>,
    implied: &HashMap<(Uuid, Uuid), bool>,
    counts: &mut MoveCounts,
) -> (Vec<(Uuid, Change)>, Vec<Uuid>) {
    let mut updated = Vec::new();
    let mut removed = Vec::new();
    for (id, mut pending) in moves {
        let stale: Vec<Uuid> = pending
            .recorded
            .sources
            .iter()
            .copied()
            .filter(|source| implied.get(&(id, *source)) == Some(&false))
            .collect();
        if !stale.is_empty() {
            counts.removed += 1;
            pending
                .change
                .sources
                .retain(|c| c.source.is_none_or(|s| !stale.contains(&s)));
            if pending.change.sources.is_empty()
                && pending.recorded.confidence == Confidence::Inferred
            {
                removed.push(id);
                continue;
            }
            pending.changed = true;
        }
        if pending.changed {
            updated.push((id, pending.change));
        }
    }
    (updated, removed)
}
