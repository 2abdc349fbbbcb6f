//! OpenAlex authors and works (https://docs.openalex.org: the Author, Work, Authorship and
//! Institution objects), one object at a time as a snapshot's JSON Lines or an API page's
//! `results` hold them.
//!
//! - An author's `affiliations` (`{institution, years}`) are the years the author published
//!   with that institution, not employment dates: a stint runs from its first year to its last,
//!   both year precision. A stint whose last year is the author's latest year of all (or whose
//!   institution is among `last_known_institutions`) goes on; the others ended in their last
//!   year. Gaps inside a stint's years are not read as leaving.
//! - Identifiers are kept bare (`A…`, `I…`, ORCID iD), ROR ids as their URL.
//! - A work's authorships, in their listed order, are its roster.

use serde_json::Value;

use super::{
    BadRecord, array,
    career::{Career, End, OrgRef, PersonRef, Stint},
    ror_url, text,
};
use crate::domain::partial_date::PartialDate;

/// One author object's career.
pub fn author_career(author: &Value, place: &str) -> Result<Career, BadRecord> {
    let openalex = author
        .get("id")
        .and_then(Value::as_str)
        .and_then(|id| bare_id(id, 'A'))
        .ok_or_else(|| {
            BadRecord::new(
                place,
                "not an OpenAlex author (no `id` https://openalex.org/A…)",
            )
        })?;
    let url = format!("https://openalex.org/{openalex}");
    let mut names: Vec<String> = text(author.get("display_name")).into_iter().collect();
    for alternative in array(author.get("display_name_alternatives")) {
        if let Some(name) = text(Some(alternative))
            && !names.contains(&name)
        {
            names.push(name);
        }
    }
    let orcid = text(author.get("orcid"))
        .or_else(|| text(author.pointer("/ids/orcid")))
        .map(|id| id.trim_start_matches("https://orcid.org/").to_owned());

    let last_known: Vec<String> = array(author.get("last_known_institutions"))
        .chain(
            author
                .get("last_known_institution")
                .filter(|v| v.is_object()),
        )
        .filter_map(|institution| text(institution.get("id")))
        .collect();
    let mut affiliations = Vec::new();
    for affiliation in array(author.get("affiliations")) {
        let institution = affiliation.get("institution").unwrap_or(&Value::Null);
        let org = org(institution);
        let at = || {
            format!(
                "{url} affiliation {}",
                org.openalex.as_deref().unwrap_or("?")
            )
        };
        if org.openalex.is_none() && org.name.is_none() {
            return Err(BadRecord::new(
                at(),
                "an affiliation without an institution",
            ));
        }
        let years: Vec<i64> = array(affiliation.get("years"))
            .filter_map(Value::as_i64)
            .collect();
        let (Some(&first), Some(&last)) = (years.iter().min(), years.iter().max()) else {
            // No year at all: nothing to date a stint by.
            continue;
        };
        let year = |y: i64| {
            PartialDate::parse(&format!("{y:04}")).map_err(|problem| BadRecord::new(at(), problem))
        };
        let known_last = text(institution.get("id")).is_some_and(|id| last_known.contains(&id));
        let (first, last_date) = (year(first)?, year(last)?);
        affiliations.push((org, first, last_date, last, known_last));
    }
    let latest = affiliations.iter().map(|a| a.3).max();
    let stints = affiliations
        .into_iter()
        .map(|(org, first, last, last_year, known_last)| {
            let goes_on = known_last || Some(last_year) == latest;
            let name = org.name.clone().unwrap_or_default();
            Stint {
                quote: if goes_on {
                    format!("affiliation: {name}, works from {first}")
                } else {
                    format!("affiliation: {name}, works {first}–{last}")
                },
                org,
                start: Some(first),
                end: if goes_on { End::Ongoing } else { End::On(last) },
            }
        })
        .collect();
    Ok(Career {
        person: PersonRef {
            openalex: Some(openalex),
            orcid,
            names,
            ..PersonRef::default()
        },
        stints,
        url,
    })
}

/// A work's author list, in order, for a project's roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkRoster {
    pub url: String,
    pub title: Option<String>,
    pub year: Option<i64>,
    pub authors: Vec<PersonRef>,
}

pub fn work_roster(work: &Value, place: &str) -> Result<WorkRoster, BadRecord> {
    let id = work
        .get("id")
        .and_then(Value::as_str)
        .and_then(|id| bare_id(id, 'W'))
        .ok_or_else(|| {
            BadRecord::new(
                place,
                "not an OpenAlex work (no `id` https://openalex.org/W…)",
            )
        })?;
    let url = format!("https://openalex.org/{id}");
    if work.get("is_authors_truncated").and_then(Value::as_bool) == Some(true) {
        return Err(BadRecord::new(
            url,
            "the author list is cut at 100 (an API list page): save the work itself (/works/W…) instead",
        ));
    }
    let mut authors = Vec::new();
    for (n, authorship) in array(work.get("authorships")).enumerate() {
        let author = authorship.get("author").unwrap_or(&Value::Null);
        let name =
            text(author.get("display_name")).or_else(|| text(authorship.get("raw_author_name")));
        let openalex = text(author.get("id")).and_then(|id| bare_id(&id, 'A'));
        if name.is_none() && openalex.is_none() {
            return Err(BadRecord::new(
                format!("{url} authorship {}", n + 1),
                "an authorship without an author",
            ));
        }
        authors.push(PersonRef {
            openalex,
            orcid: text(author.get("orcid"))
                .map(|id| id.trim_start_matches("https://orcid.org/").to_owned()),
            names: name.into_iter().collect(),
            ..PersonRef::default()
        });
    }
    Ok(WorkRoster {
        url,
        title: text(work.get("display_name")).or_else(|| text(work.get("title"))),
        year: work.get("publication_year").and_then(Value::as_i64),
        authors,
    })
}

/// A dehydrated institution as an organisation reference. `lineage` is the institution and
/// its ROR ancestors, in no stable order: only when it names one other is that the parent.
fn org(institution: &Value) -> OrgRef {
    let openalex = text(institution.get("id")).and_then(|id| bare_id(&id, 'I'));
    let others: Vec<String> = array(institution.get("lineage"))
        .filter_map(|id| id.as_str().and_then(|id| bare_id(id, 'I')))
        .filter(|id| Some(id) != openalex.as_ref())
        .collect();
    let parents = match others.as_slice() {
        [parent] => vec![OrgRef {
            openalex: Some(parent.clone()),
            ..OrgRef::default()
        }],
        _ => vec![],
    };
    OrgRef {
        openalex,
        ror: text(institution.get("ror")).map(|id| ror_url(&id)),
        name: text(institution.get("display_name")),
        country: text(institution.get("country_code")),
        kind: text(institution.get("type")),
        parents,
        ..OrgRef::default()
    }
}

/// `https://openalex.org/A5023888391` (or the bare key) → `A5023888391`, when it has `kind`.
fn bare_id(id: &str, kind: char) -> Option<String> {
    let bare = id.trim().trim_start_matches("https://openalex.org/");
    let mut chars = bare.chars();
    (chars.next()?.eq_ignore_ascii_case(&kind)
        && bare.len() > 1
        && chars.all(|c| c.is_ascii_digit()))
    .then(|| bare.to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{career::derive_moves, fixture};

    #[test]
    fn affiliation_years_become_stints_and_the_latest_ones_go_on() {
        let page = fixture("openalex-authors-page.json");
        let author = &page["results"][0];
        let career = author_career(author, "file").unwrap();
        assert_eq!(career.url, "https://openalex.org/A5000000001");
        assert_eq!(career.person.orcid.as_deref(), Some("0000-0002-1825-0097"));
        assert_eq!(
            career.person.names,
            ["Michal Valko", "M. Valko", "Michal Balko"]
        );
        let stints: Vec<(String, String, String)> = career
            .stints
            .iter()
            .map(|s| {
                (
                    s.org.openalex.clone().unwrap(),
                    s.start.unwrap().to_string(),
                    s.end.to_string(),
                )
            })
            .collect();
        assert_eq!(
            stints,
            [
                ("I4210090411".into(), "2024".into(), "ongoing".into()),
                ("I4210113297".into(), "2018".into(), "2023".into()),
                ("I1326498283".into(), "2011".into(), "ongoing".into()),
                ("I4210156212".into(), "2012".into(), "2017".into()),
            ]
        );
        // The university runs beside everything (still listed in 2024): no move from or to it.
        let moves: Vec<(usize, usize, String)> = derive_moves(&career.stints)
            .into_iter()
            .map(|m| (m.from, m.to, m.effective.to_string()))
            .collect();
        assert_eq!(moves, [(1, 0, "2024".into()), (3, 1, "2018".into())]);
        assert_eq!(
            career.stints[1].quote,
            "affiliation: Google DeepMind, works 2018–2023"
        );
        assert_eq!(
            career.stints[0].quote,
            "affiliation: Meta (United States), works from 2024"
        );
        // An institution without a ROR id keeps its OpenAlex id.
        assert_eq!(career.stints[3].org.ror, None);
        assert_eq!(
            career.stints[1].org.ror.as_deref(),
            Some("https://ror.org/00971b260")
        );
    }

    #[test]
    fn the_second_id_of_the_same_person_reads_alike() {
        let page = fixture("openalex-authors-page.json");
        let other = author_career(&page["results"][1], "file").unwrap();
        assert_eq!(other.person.openalex.as_deref(), Some("A2208157607"));
        assert_eq!(
            other.person.orcid.as_deref(),
            Some("0000-0002-1825-0097"),
            "the ORCID joins them"
        );
        assert!(
            other.stints.is_empty(),
            "an old record without affiliations"
        );
    }

    #[test]
    fn a_work_gives_its_authors_in_order() {
        let roster = work_roster(&fixture("openalex-work.json"), "file").unwrap();
        assert_eq!(roster.url, "https://openalex.org/W4322718191");
        assert_eq!(roster.year, Some(2023));
        let authors: Vec<(Option<String>, String)> = roster
            .authors
            .iter()
            .map(|a| (a.openalex.clone(), a.names[0].clone()))
            .collect();
        assert_eq!(
            authors,
            [
                (Some("A5000000101".into()), "Hugo Touvron".into()),
                (Some("A5000000102".into()), "Thibaut Lavril".into()),
                (None, "Guillaume Lample".into()),
            ]
        );
        let truncated = serde_json::json!({"id": "https://openalex.org/W1", "is_authors_truncated": true, "authorships": []});
        assert!(
            work_roster(&truncated, "line 2")
                .unwrap_err()
                .problem
                .contains("cut at 100")
        );
        assert!(
            author_career(
                &serde_json::json!({"id": "https://openalex.org/W1"}),
                "line 3"
            )
            .is_err()
        );
    }
}
