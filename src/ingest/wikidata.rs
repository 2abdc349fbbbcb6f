//! Wikidata entity JSON, as `Special:EntityData/Q….json` serves it
//! (`{"entities": {"Q…": {…}}}`; the format is Wikibase's,
//! https://doc.wikimedia.org/Wikibase/master/php/docs_topics_json.html), read into careers.
//!
//! - A person is an entity with employer statements (P108). Each non-deprecated statement is a
//!   stint at the item it names, dated by its start (P580) and end (P582) qualifiers.
//! - Time values keep their precision: 9 year, 10 month, 11 day (month and day are `00` when
//!   unknown, and a year is sometimes written `-01-01`: the precision decides). Coarser
//!   precisions say too little to date a move and count as unknown.
//! - An end that is `novalue` ("no end") is ongoing; no end qualifier, or `somevalue` (ended at
//!   an unknown time), is an unknown end.
//! - Other entities in the file describe organisations: their label names the employer, P6782
//!   gives its ROR id, P749 its parent organisation.

use std::collections::HashMap;

use serde_json::Value;

use super::{
    BadRecord,
    career::{Career, End, OrgRef, PersonRef, Stint, period},
    ror_url,
};
use crate::domain::partial_date::PartialDate;

/// What the file says of an organisation it also holds as an entity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Organisation {
    pub qid: String,
    pub name: Option<String>,
    pub ror: Option<String>,
    /// Parent organisations (P749), as QIDs.
    pub parents: Vec<String>,
}

/// Every person's career in one EntityData document, and the organisations it describes.
pub fn careers(
    document: &Value,
    place: &str,
) -> Result<(Vec<Career>, Vec<Organisation>), BadRecord> {
    let entities = document
        .get("entities")
        .and_then(Value::as_object)
        .ok_or_else(|| BadRecord::new(place, "not Wikidata entity JSON (no `entities` object)"))?;
    let mut organisations: HashMap<String, Organisation> = HashMap::new();
    let mut people = Vec::new();
    for (key, entity) in entities {
        let qid = entity
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or(key)
            .to_owned();
        if !is_qid(&qid) {
            return Err(BadRecord::new(
                place,
                format!("`{qid}` is not an item id (Q…)"),
            ));
        }
        let statements = |property: &str| -> Vec<&Value> {
            entity
                .pointer(&format!("/claims/{property}"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|s| s.get("rank").and_then(Value::as_str) != Some("deprecated"))
                .collect()
        };
        let employers = statements("P108");
        if employers.is_empty() {
            organisations.insert(
                qid.clone(),
                Organisation {
                    qid: qid.clone(),
                    name: label(entity),
                    ror: statements("P6782")
                        .first()
                        .and_then(|s| string_value(s.get("mainsnak")))
                        .map(|id| ror_url(&id)),
                    parents: statements("P749")
                        .iter()
                        .filter_map(|s| item_value(s.get("mainsnak")))
                        .collect(),
                },
            );
            continue;
        }
        people.push((
            qid,
            entity,
            employers,
            statements("P496"),
            statements("P10283"),
        ));
    }

    let mut careers = Vec::new();
    for (qid, entity, employers, orcids, openalex) in people {
        let url = format!("https://www.wikidata.org/wiki/{qid}");
        let mut names: Vec<String> = label(entity).into_iter().collect();
        names.extend(aliases(entity));
        names.dedup();
        let mut stints = Vec::new();
        for statement in employers {
            let Some(employer) = item_value(statement.get("mainsnak")) else {
                // "some employer" or "no employer": nothing to place a move at.
                continue;
            };
            let at = || format!("{url} P108 {employer}");
            let start = match qualifier(statement, "P580") {
                Qualifier::Value(time) => time_value(time, &at)?,
                _ => None,
            };
            let end = match qualifier(statement, "P582") {
                Qualifier::Value(time) => time_value(time, &at)?.map_or(End::Unknown, End::On),
                Qualifier::NoValue => End::Ongoing,
                Qualifier::SomeValue | Qualifier::Missing => End::Unknown,
            };
            let known = organisations.get(&employer);
            let name = known.and_then(|o| o.name.clone());
            stints.push(Stint {
                org: OrgRef {
                    wikidata: Some(employer.clone()),
                    ror: known.and_then(|o| o.ror.clone()),
                    name: name.clone(),
                    // A parent the file also describes comes with its name and ROR id.
                    parents: known
                        .map(|o| o.parents.as_slice())
                        .unwrap_or_default()
                        .iter()
                        .map(|qid| {
                            let parent = organisations.get(qid);
                            OrgRef {
                                wikidata: Some(qid.clone()),
                                name: parent.and_then(|p| p.name.clone()),
                                ror: parent.and_then(|p| p.ror.clone()),
                                ..OrgRef::default()
                            }
                        })
                        .collect(),
                    ..OrgRef::default()
                },
                start,
                end,
                quote: format!(
                    "employer (P108): {}, {}",
                    name.unwrap_or(employer.clone()),
                    period(start, end)
                ),
            });
        }
        careers.push(Career {
            person: PersonRef {
                wikidata: Some(qid),
                orcid: orcids.first().and_then(|s| string_value(s.get("mainsnak"))),
                openalex: openalex
                    .first()
                    .and_then(|s| string_value(s.get("mainsnak")))
                    .map(|id| id.trim_start_matches("https://openalex.org/").to_owned()),
                names,
            },
            stints,
            url,
        });
    }
    let mut organisations: Vec<Organisation> = organisations.into_values().collect();
    organisations.sort_by(|a, b| a.qid.cmp(&b.qid));
    Ok((careers, organisations))
}

fn is_qid(text: &str) -> bool {
    text.len() > 1 && text.starts_with('Q') && text[1..].bytes().all(|b| b.is_ascii_digit())
}

/// The English label, else any label.
fn label(entity: &Value) -> Option<String> {
    let labels = entity.get("labels")?.as_object()?;
    labels
        .get("en")
        .or_else(|| labels.values().next())
        .and_then(|l| l.get("value"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn aliases(entity: &Value) -> Vec<String> {
    entity
        .pointer("/aliases/en")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|a| a.get("value").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

enum Qualifier<'a> {
    Value(&'a Value),
    NoValue,
    SomeValue,
    Missing,
}

fn qualifier<'a>(statement: &'a Value, property: &str) -> Qualifier<'a> {
    let Some(snak) = statement
        .pointer(&format!("/qualifiers/{property}"))
        .and_then(Value::as_array)
        .and_then(|snaks| snaks.first())
    else {
        return Qualifier::Missing;
    };
    match snak.get("snaktype").and_then(Value::as_str) {
        Some("novalue") => Qualifier::NoValue,
        Some("somevalue") => Qualifier::SomeValue,
        _ => snak
            .pointer("/datavalue/value")
            .map_or(Qualifier::Missing, Qualifier::Value),
    }
}

fn item_value(snak: Option<&Value>) -> Option<String> {
    let value = snak?.pointer("/datavalue/value")?;
    value
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| {
            value
                .get("numeric-id")
                .and_then(Value::as_u64)
                .map(|n| format!("Q{n}"))
        })
}

fn string_value(snak: Option<&Value>) -> Option<String> {
    snak?
        .pointer("/datavalue/value")?
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// `{"time": "+2019-03-00T00:00:00Z", "precision": 10, …}` → `2019-03`.
fn time_value(value: &Value, at: &dyn Fn() -> String) -> Result<Option<PartialDate>, BadRecord> {
    let time = value.get("time").and_then(Value::as_str).unwrap_or("");
    let precision = value.get("precision").and_then(Value::as_u64);
    let bad = || BadRecord::new(at(), format!("`{time}` is not a Wikidata time value"));
    // A signed year of at least four digits, then -MM-DDT…; not ISO 8601 (months may be 00).
    let (sign, rest) = time.split_at_checked(1).ok_or_else(bad)?;
    let mut parts = rest.splitn(3, '-');
    let (Some(year), Some(month), Some(day)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    let year: i64 = year.parse().map_err(|_| bad())?;
    if sign == "-" {
        // Before the common era: nobody in this data set.
        return Ok(None);
    }
    let month = month.get(..2).ok_or_else(bad)?;
    let day = day.get(..2).ok_or_else(bad)?;
    let text = match precision {
        Some(9) => format!("{year:04}"),
        Some(10) => format!("{year:04}-{month}"),
        Some(11) => format!("{year:04}-{month}-{day}"),
        // Decades and coarser: too little to date a move.
        Some(0..=8) => return Ok(None),
        _ => return Err(bad()),
    };
    PartialDate::parse(&text)
        .map(Some)
        .map_err(|problem| BadRecord::new(at(), problem))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{career::derive_moves, fixture};

    #[test]
    fn employer_statements_become_stints_with_their_precision() {
        let (careers, organisations) = careers(&fixture("wikidata-entity.json"), "file").unwrap();
        assert_eq!(careers.len(), 1);
        let career = &careers[0];
        assert_eq!(career.url, "https://www.wikidata.org/wiki/Q90000001");
        assert_eq!(career.person.orcid.as_deref(), Some("0000-0002-1825-0097"));
        assert_eq!(career.person.openalex.as_deref(), Some("A5000000001"));
        assert_eq!(career.person.names, ["Michal Valko", "Michal Balko"]);
        let stints: Vec<(String, String, String)> = career
            .stints
            .iter()
            .map(|s| {
                (
                    s.org
                        .name
                        .clone()
                        .unwrap_or_else(|| s.org.wikidata.clone().unwrap()),
                    s.start.map_or("-".into(), |d| d.to_string()),
                    s.end.to_string(),
                )
            })
            .collect();
        assert_eq!(
            stints,
            [
                ("Inria".into(), "2011".into(), "2018-01-15".into()),
                ("Google DeepMind".into(), "2018-02".into(), "2024".into()),
                ("Meta".into(), "2024".into(), "ongoing".into()),
                ("Q90000099".into(), "-".into(), "unknown".into()),
            ],
            "the deprecated statement is left out; 2011-01-01 at precision 9 is 2011"
        );
        assert_eq!(
            career.stints[1].org.ror.as_deref(),
            Some("https://ror.org/00971b260")
        );
        let moves: Vec<(usize, usize, String)> = derive_moves(&career.stints)
            .into_iter()
            .map(|m| (m.from, m.to, m.effective.to_string()))
            .collect();
        assert_eq!(moves, [(0, 1, "2018-02".into()), (1, 2, "2024".into())]);
        assert_eq!(career.stints[2].quote, "employer (P108): Meta, 2024 –");
        assert_eq!(career.stints[3].quote, "employer (P108): Q90000099, ? –");
        let deepmind = organisations.iter().find(|o| o.qid == "Q90000011").unwrap();
        assert_eq!(deepmind.parents, ["Q90000012"]);
    }

    #[test]
    fn bad_time_values_are_named() {
        let document = serde_json::json!({"entities": {"Q1": {"id": "Q1", "claims": {"P108": [{
            "mainsnak": {"snaktype": "value", "property": "P108", "datavalue": {"value": {"entity-type": "item", "numeric-id": 2, "id": "Q2"}, "type": "wikibase-entityid"}},
            "rank": "normal",
            "qualifiers": {"P580": [{"snaktype": "value", "property": "P580", "datavalue": {"value": {"time": "+2019-13-00T00:00:00Z", "precision": 10}, "type": "time"}}]}
        }]}}}});
        let error = careers(&document, "file").unwrap_err();
        assert_eq!(error.record, "https://www.wikidata.org/wiki/Q1 P108 Q2");
        assert!(error.problem.contains("no month 13"), "{error}");
        assert!(careers(&serde_json::json!({"results": []}), "line 1").is_err());
    }
}
