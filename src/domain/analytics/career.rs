//! A researcher's career as stints at companies, built from the moves.

use super::Stint;
use crate::domain::{
    moves::Move,
    partial_date::{Order, PartialDate},
};

/// Stints from moves in date order. A move from the company of the open stint ends it; a move
/// from another company means the open stint ended at an unknown time and the person was at
/// that other company from an unknown time until the move.
pub fn stints(moves: &[Move]) -> Vec<Stint> {
    let mut stints: Vec<Stint> = Vec::new();
    let mut open: Option<Stint> = None;
    for m in moves {
        if let Some(from) = &m.from {
            match open.take() {
                Some(mut stint) if stint.company.id == from.id => {
                    stint.ended_on = Some(m.effective_on);
                    stint.ended_precision = Some(m.effective_precision);
                    // Joined in "2024" and left in "2024-03": either could have come first.
                    let started =
                        PartialDate::from_stored(stint.started_on, stint.started_precision);
                    let ended = PartialDate {
                        start: m.effective_on,
                        precision: m.effective_precision,
                    };
                    stint.order_certain = started.is_none_or(|s| s.order(&ended) == Order::Before);
                    stints.push(stint);
                }
                other => {
                    stints.extend(other); // its end is not known
                    stints.push(Stint {
                        company: from.clone(),
                        started_on: None,
                        started_precision: None,
                        ended_on: Some(m.effective_on),
                        ended_precision: Some(m.effective_precision),
                        title: None,
                        current: false,
                        order_certain: true,
                    });
                }
            }
        }
        if let Some(to) = &m.to {
            stints.extend(open.take()); // a second arrival without a departure: the end is unknown
            open = Some(Stint {
                company: to.clone(),
                started_on: Some(m.effective_on),
                started_precision: Some(m.effective_precision),
                ended_on: None,
                ended_precision: None,
                title: m.title.clone(),
                current: false,
                order_certain: true,
            });
        }
    }
    if let Some(mut stint) = open {
        stint.current = true;
        stints.push(stint);
    }
    stints
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::domain::{
        moves::{Confidence, MoveKind},
        refs::{CompanyRef, ResearcherRef},
    };

    fn at(text: &str) -> PartialDate {
        PartialDate::parse(text).unwrap()
    }

    #[test]
    fn stints_follow_the_moves_and_leave_unknown_ends_unknown() {
        let meta = company("meta");
        let deepmind = company("google-deepmind");
        let mistral = company("mistral-ai");
        let moves = [
            move_of(None, Some(&deepmind), "2019-05"),
            move_of(Some(&deepmind), Some(&meta), "2024"),
            // Left Mistral AI, which no move took them to: the stint there has no known start,
            // and the one at Meta ended at a time no move records.
            move_of(Some(&mistral), None, "2024-06"),
        ];
        let stints = stints(&moves);
        let at = |s: &Stint| {
            (
                s.company.slug.clone(),
                s.started_on.map(|d| d.to_string()),
                s.ended_on.map(|d| d.to_string()),
                s.current,
                s.order_certain,
            )
        };
        assert_eq!(
            stints.iter().map(at).collect::<Vec<_>>(),
            [
                (
                    "google-deepmind".into(),
                    Some("2019-05-01".into()),
                    Some("2024-01-01".into()),
                    false,
                    true
                ),
                ("meta".into(), Some("2024-01-01".into()), None, false, true),
                (
                    "mistral-ai".into(),
                    None,
                    Some("2024-06-01".into()),
                    false,
                    true
                ),
            ]
        );
    }

    fn move_of(from: Option<&CompanyRef>, to: Option<&CompanyRef>, date: &str) -> Move {
        let date = at(date);
        Move {
            id: Uuid::now_v7(),
            researcher: ResearcherRef {
                id: Uuid::now_v7(),
                slug: "guillaume-lample".to_owned(),
                name: "Guillaume Lample".to_owned(),
            },
            from: from.cloned(),
            to: to.cloned(),
            kind: if to.is_some() {
                MoveKind::Hire
            } else {
                MoveKind::Departure
            },
            title: None,
            effective_on: date.start,
            effective_precision: date.precision,
            announced_on: None,
            announced_precision: None,
            confidence: Confidence::Reported,
            deal: None,
            sources: Vec::new(),
            notes: None,
            version: 1,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        }
    }

    fn company(slug: &str) -> CompanyRef {
        CompanyRef {
            id: Uuid::now_v7(),
            slug: slug.to_owned(),
            name: slug.to_owned(),
        }
    }
}
