//! One person's career as an open source records it, and the moves it implies.
//!
//! How stints become moves:
//! - A stint is the time a person held a position at an organisation: a start and an end, each
//!   a partial date or unknown, or ongoing.
//! - A move from A to B needs A to have ended (a known end, not ongoing), B to have a known
//!   start, A and B to be different organisations, and B not to have started before A ended
//!   (`PartialDate::order`: B's start is after A's end, or the two are too coarse to order, as
//!   "left in 2019" and "joined in 2019"). A B that started while A still ran is a concurrent
//!   position (a professor who is also at a company), never a move.
//! - Of the stints that qualify, the move goes to the one that started first after A ended: a
//!   person leaves A once. Ties go to the one that lasted longer (ongoing first), then to the
//!   one the record lists first.
//! - The move is dated by B's start, to the precision the record gives it.

use std::cmp::Ordering;

use crate::domain::partial_date::{Order, PartialDate};

/// An organisation as a record names it: whichever identifiers the record has, and its name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgRef {
    /// ROR id, as the URL `https://ror.org/…`.
    pub ror: Option<String>,
    /// OpenAlex institution id, as `I…`.
    pub openalex: Option<String>,
    /// Wikidata item, as `Q…`.
    pub wikidata: Option<String>,
    pub name: Option<String>,
    pub country: Option<String>,
    /// What the source calls it (OpenAlex's institution `type`: `education`, `company`, …).
    pub kind: Option<String>,
    /// The organisation it belongs to, by identifier only: the other institution of an
    /// OpenAlex `lineage` when it names exactly one (with several, which one is the direct
    /// parent is not said), or a Wikidata parent organisation (P749).
    pub parents: Vec<OrgRef>,
}

impl OrgRef {
    /// Whether two references certainly name the same organisation: a shared identifier, or
    /// (when neither has one in common to compare) the same name ignoring case and spacing.
    pub fn same_as(&self, other: &OrgRef) -> bool {
        let shared = |a: &Option<String>, b: &Option<String>| match (a, b) {
            (Some(a), Some(b)) => Some(a.eq_ignore_ascii_case(b)),
            _ => None,
        };
        // The first identifier both references carry decides.
        let by_identifier = [
            shared(&self.ror, &other.ror),
            shared(&self.openalex, &other.openalex),
            shared(&self.wikidata, &other.wikidata),
        ]
        .into_iter()
        .flatten()
        .next();
        if let Some(verdict) = by_identifier {
            return verdict;
        }
        match (&self.name, &other.name) {
            (Some(a), Some(b)) => normalized(a) == normalized(b),
            _ => false,
        }
    }
}

fn normalized(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// When a stint ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The record says it goes on.
    Ongoing,
    /// The record gives no end and does not say it goes on (ORCID's `end-date: null` means
    /// either): it cannot be left in a derived move.
    Unknown,
    On(PartialDate),
}

impl std::fmt::Display for End {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Ongoing => f.write_str("ongoing"),
            Self::Unknown => f.write_str("unknown"),
            Self::On(date) => date.fmt(f),
        }
    }
}

/// A stint's dates as its quote cites them: `2019-03 – 2024-02`, `? – 2019`, `2024-03 –`.
pub fn period(start: Option<PartialDate>, end: End) -> String {
    let start = start.map_or("?".to_owned(), |d| d.to_string());
    match end {
        End::On(date) => format!("{start} – {date}"),
        End::Ongoing | End::Unknown => format!("{start} –"),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stint {
    pub org: OrgRef,
    pub start: Option<PartialDate>,
    pub end: End,
    /// What the record says of it, cited as the move's quote ("Research Scientist, Google
    /// DeepMind, 2019-03 – 2023").
    pub quote: String,
}

/// The identifiers and names a record gives its person.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonRef {
    /// Bare ORCID iD (`0000-0002-1825-0097`).
    pub orcid: Option<String>,
    /// OpenAlex author id (`A…`).
    pub openalex: Option<String>,
    /// Wikidata item (`Q…`).
    pub wikidata: Option<String>,
    /// The name the record shows first, then the others it knows (aliases).
    pub names: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Career {
    pub person: PersonRef,
    pub stints: Vec<Stint>,
    /// The record's public URL: the source every derived move cites.
    pub url: String,
}

/// A move the stints imply: from `stints[from]` to `stints[to]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DerivedMove {
    pub from: usize,
    pub to: usize,
    pub effective: PartialDate,
}

/// The moves a career implies, by the rules in this module's documentation, in the order of
/// the stints they leave.
pub fn derive_moves(stints: &[Stint]) -> Vec<DerivedMove> {
    let mut moves = Vec::new();
    for (from, left) in stints.iter().enumerate() {
        let End::On(ended) = left.end else {
            continue;
        };
        let next = stints
            .iter()
            .enumerate()
            .filter(|&(to, joined)| to != from && !joined.org.same_as(&left.org))
            .filter_map(|(to, joined)| {
                let started = joined.start?;
                (started.order(&ended) != Order::Before).then_some((to, joined, started))
            })
            .min_by(|(a, a_stint, a_start), (b, b_stint, b_start)| {
                a_start
                    .start
                    .cmp(&b_start.start)
                    .then_with(|| longer_first(a_stint.end, b_stint.end))
                    .then_with(|| a.cmp(b))
            });
        if let Some((to, _, started)) = next {
            moves.push(DerivedMove {
                from,
                to,
                effective: started,
            });
        }
    }
    moves
}

/// Ongoing first, then the later end, then unknown ends.
fn longer_first(a: End, b: End) -> Ordering {
    let rank = |end: End| match end {
        End::Ongoing => (0, None),
        End::On(date) => (1, Some(std::cmp::Reverse(date.end()))),
        End::Unknown => (2, None),
    };
    rank(a).cmp(&rank(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Option<PartialDate> {
        Some(PartialDate::parse(text).unwrap())
    }

    fn stint(org: &str, start: Option<&str>, end: End) -> Stint {
        Stint {
            org: OrgRef {
                name: Some(org.to_owned()),
                ..OrgRef::default()
            },
            start: start.and_then(date),
            end,
            quote: org.to_owned(),
        }
    }

    fn ended(text: &str) -> End {
        End::On(PartialDate::parse(text).unwrap())
    }

    fn pairs(stints: &[Stint]) -> Vec<(String, String, String)> {
        derive_moves(stints)
            .into_iter()
            .map(|m| {
                (
                    stints[m.from].quote.clone(),
                    stints[m.to].quote.clone(),
                    m.effective.to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn an_ended_position_followed_by_a_new_one_is_a_move_dated_by_the_arrival() {
        let stints = [
            stint("Google DeepMind", Some("2019-03"), ended("2024-02")),
            stint("Meta", Some("2024-03"), End::Ongoing),
        ];
        assert_eq!(
            pairs(&stints),
            [("Google DeepMind".into(), "Meta".into(), "2024-03".into())]
        );
    }

    #[test]
    fn concurrent_positions_are_not_moves() {
        // A professor who joins a company while keeping the chair, and leaves it later.
        let stints = [
            stint("University", Some("2010"), End::Ongoing),
            stint("Startup", Some("2015-06"), ended("2018-01")),
            stint("Big Lab", Some("2018-02"), End::Ongoing),
        ];
        assert_eq!(
            pairs(&stints),
            [("Startup".into(), "Big Lab".into(), "2018-02".into())]
        );
    }

    #[test]
    fn the_same_year_on_both_sides_is_a_move_and_a_start_before_the_end_is_not() {
        let same_year = [
            stint("A", Some("2015"), ended("2019")),
            stint("B", Some("2019"), End::Ongoing),
        ];
        assert_eq!(pairs(&same_year), [("A".into(), "B".into(), "2019".into())]);
        let overlapping = [
            stint("A", Some("2015"), ended("2019-06")),
            stint("B", Some("2019-02"), End::Ongoing),
        ];
        assert!(pairs(&overlapping).is_empty());
    }

    #[test]
    fn unknown_ends_and_starts_give_no_move_and_the_next_position_wins() {
        let stints = [
            stint("Unknown end", Some("2010"), End::Unknown),
            stint("A", Some("2012"), ended("2016")),
            stint("No start", None, End::Ongoing),
            stint("C", Some("2020"), End::Ongoing),
            stint("B", Some("2017-05"), ended("2019")),
        ];
        assert_eq!(
            pairs(&stints),
            [
                ("A".into(), "B".into(), "2017-05".into()),
                ("B".into(), "C".into(), "2020".into()),
            ]
        );
    }

    #[test]
    fn a_return_to_the_same_organisation_is_not_a_move_and_ties_go_to_the_longer_stay() {
        let stints = [
            stint("A", Some("2010"), ended("2012")),
            stint("a", Some("2013"), End::Ongoing),
        ];
        assert!(pairs(&stints).is_empty(), "names compare without case");
        let tie = [
            stint("A", Some("2010"), ended("2012")),
            stint("Adjunct", Some("2013"), ended("2014")),
            stint("Company", Some("2013"), End::Ongoing),
        ];
        assert_eq!(
            pairs(&tie)[0],
            ("A".into(), "Company".into(), "2013".into())
        );
    }

    #[test]
    fn identifiers_decide_sameness_before_names() {
        let ror = |id: &str, name: &str| OrgRef {
            ror: Some(id.to_owned()),
            name: Some(name.to_owned()),
            ..OrgRef::default()
        };
        assert!(ror("https://ror.org/1", "Facebook").same_as(&ror("https://ror.org/1", "Meta")));
        assert!(!ror("https://ror.org/1", "Meta").same_as(&ror("https://ror.org/2", "Meta")));
        let named = OrgRef {
            name: Some("Meta ".to_owned()),
            ..OrgRef::default()
        };
        assert!(named.same_as(&ror("https://ror.org/1", "meta")));
    }
}
