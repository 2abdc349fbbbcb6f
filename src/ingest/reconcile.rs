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
    moves::{Confidence, Move, MoveInput, MoveKind},
    partial_date::PartialDate,
    refs::CitationInput,
};

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
    pub updated: Vec<(Uuid, MoveInput)>,
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

const MAX_CITATIONS: usize = 50;

fn overlaps(a: PartialDate, b: PartialDate) -> bool {
    a.start <= b.end() && b.start <= a.end()
}

fn date_of(m: &Move) -> PartialDate {
    PartialDate {
        start: m.effective_on,
        precision: m.effective_precision,
    }
}

fn ends(m: &Move) -> (Option<Uuid>, Option<Uuid>) {
    (m.from.as_ref().map(|c| c.id), m.to.as_ref().map(|c| c.id))
}

/// Plans the writes: `derived` against `recorded`, the live moves of the researchers they name;
/// `records` are the sources of the file's records (whose citations rule 4 may withdraw).
pub fn reconcile(derived: Vec<Derived>, recorded: Vec<Move>, records: &HashSet<Uuid>) -> Plan {
    let mut plan = Plan::default();
    // The recorded moves, as they will be written: changed ones are written once, at the end.
    let mut moves: BTreeMap<Uuid, (Move, MoveInput, bool)> = recorded
        .into_iter()
        .map(|m| {
            let input = MoveInput::from(&m);
            (m.id, (m, input, false))
        })
        .collect();
    let mut by_researcher: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for (id, (m, _, _)) in &moves {
        by_researcher.entry(m.researcher.id).or_default().push(*id);
    }
    // Which recorded citations of the file's records the file still implies.
    let mut implied: HashMap<(Uuid, Uuid), bool> = HashMap::new();
    for (id, (m, _, _)) in &moves {
        for citation in &m.sources {
            if records.contains(&citation.source.id) {
                implied.insert((*id, citation.source.id), false);
            }
        }
    }
    let mut created: Vec<(Uuid, Derived, MoveInput)> = Vec::new();

    for d in derived {
        plan.counts.derived += 1;
        let same_ends = |m: &Move| ends(m) == (Some(d.from), Some(d.to));
        let mine = by_researcher
            .get(&d.researcher)
            .cloned()
            .unwrap_or_default();
        // 1. The move this record implied before.
        let cited = mine.iter().copied().find(|id| {
            let (m, _, _) = &moves[id];
            same_ends(m) && implied.get(&(*id, d.source)) == Some(&false)
        });
        if let Some(id) = cited {
            implied.insert((id, d.source), true);
            let (m, input, changed) = moves.get_mut(&id).expect("a recorded move");
            let mut changes = false;
            if m.confidence == Confidence::Inferred && date_of(m) != d.effective {
                input.effective_on = Some(d.effective.to_string());
                changes = true;
                plan.counts.updated += 1;
            }
            if let Some(citation) = input
                .sources
                .iter_mut()
                .flatten()
                .find(|c| c.source == Some(d.source))
                && citation.quote.as_deref() != Some(d.quote.as_str())
            {
                citation.quote = Some(d.quote.clone());
                if !changes {
                    plan.counts.updated += 1;
                }
                changes = true;
            }
            if !changes {
                plan.counts.unchanged += 1;
            }
            *changed |= changes;
            continue;
        }
        // 2. A move recorded otherwise that this one is.
        let same = mine.iter().copied().find(|id| {
            let (m, input, _) = &moves[id];
            same_ends(m)
                && overlaps(date_of(m), d.effective)
                && !input
                    .sources
                    .iter()
                    .flatten()
                    .any(|c| c.source == Some(d.source))
                && input.sources.as_ref().map_or(0, Vec::len) < MAX_CITATIONS
        });
        if let Some(id) = same {
            let (_, input, changed) = moves.get_mut(&id).expect("a recorded move");
            input
                .sources
                .get_or_insert_with(Vec::new)
                .push(CitationInput {
                    source: Some(d.source),
                    quote: Some(d.quote.clone()),
                });
            *changed = true;
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
                .push(CitationInput {
                    source: Some(d.source),
                    quote: Some(d.quote.clone()),
                });
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
            sources: Some(vec![CitationInput {
                source: Some(d.source),
                quote: Some(d.quote.clone()),
            }]),
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
/// implies them) and to delete (inferred from such a record alone). Only the records whose
/// sources the file derived moves from are asked: `implied` holds `false` for a citation of
/// such a source that no derived move claimed, and nothing for other sources.
fn stale_citations(
    moves: BTreeMap<Uuid, (Move, MoveInput, bool)>,
    implied: &HashMap<(Uuid, Uuid), bool>,
    counts: &mut MoveCounts,
) -> (Vec<(Uuid, MoveInput)>, Vec<Uuid>) {
    let mut updated = Vec::new();
    let mut removed = Vec::new();
    for (id, (m, mut input, mut changed)) in moves {
        let stale: Vec<Uuid> = m
            .sources
            .iter()
            .map(|c| c.source.id)
            .filter(|source| implied.get(&(id, *source)) == Some(&false))
            .collect();
        if !stale.is_empty() {
            counts.removed += 1;
            let left: Vec<CitationInput> = input
                .sources
                .take()
                .unwrap_or_default()
                .into_iter()
                .filter(|c| c.source.is_none_or(|s| !stale.contains(&s)))
                .collect();
            if left.is_empty() && m.confidence == Confidence::Inferred {
                removed.push(id);
                continue;
            }
            input.sources = Some(left);
            changed = true;
        }
        if changed {
            updated.push((id, input));
        }
    }
    (updated, removed)
}
