//! ORCID public API v3.0 JSON: an `/employments` response or a full `/record`, read into a
//! [`Career`]. Follows ORCID's v3.0 message schema (`activities:employments`,
//! `common:affiliation-summary`, `common:fuzzy-date`: https://github.com/ORCID/orcid-model,
//! `src/main/resources/record_3.0/`).
//!
//! - Fuzzy dates (`{"year": {"value": "2019"}, "month": {"value": "03"}, "day": null}`) keep
//!   their precision; a day the calendar does not have (ORCID does not check) falls back to its
//!   month.
//! - `end-date: null` means ongoing or not given: ORCID cannot tell, so the end is unknown.
//! - The person's names come from `person` (a full record); an `/employments` response has
//!   none, so there the `source-name` of an item the person added themselves (its
//!   `source-orcid` is theirs) names them.
//! - An organisation's ROR id comes from `disambiguated-organization` when its source is `ROR`;
//!   Ringgold, GRID, FundRef and LEI ids are not used for matching.

use serde_json::Value;

use super::{
    BadRecord, array,
    career::{Career, End, OrgRef, PersonRef, Stint, period},
    ror_url, text,
};
use crate::domain::partial_date::PartialDate;

/// Reads one ORCID document (an employments response or a full record).
pub fn career(document: &Value, place: &str) -> Result<Career, BadRecord> {
    let (orcid, employments) = if let Some(summary) = document.get("activities-summary") {
        let orcid = text(document.pointer("/orcid-identifier/path"));
        (orcid, summary.get("employments").unwrap_or(&Value::Null))
    } else if document.get("affiliation-group").is_some() {
        // "/0000-0002-1825-0097/employments"
        let orcid = text(document.get("path"))
            .and_then(|path| path.trim_matches('/').split('/').next().map(str::to_owned));
        (orcid, document)
    } else {
        return Err(BadRecord::new(
            place,
            "not an ORCID record or employments response (no `activities-summary` or `affiliation-group`)",
        ));
    };
    let orcid = orcid
        .filter(|id| crate::domain::researcher::parse_orcid(id).is_ok())
        .ok_or_else(|| {
            BadRecord::new(
                place,
                "no valid ORCID iD in `orcid-identifier.path` or `path`",
            )
        })?;
    let record = format!("https://orcid.org/{orcid}");

    let mut names = Vec::new();
    if let Some(name) = document.pointer("/person/name") {
        let credit = text(name.pointer("/credit-name/value"));
        let given = text(name.pointer("/given-names/value"));
        let family = text(name.pointer("/family-name/value"));
        let full = [given, family]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        names.extend(credit);
        if !full.is_empty() {
            names.push(full);
        }
    }
    for other in array(document.pointer("/person/other-names/other-name")) {
        names.extend(text(other.get("content")));
    }
    names.dedup();

    let mut stints = Vec::new();
    let mut self_named = Vec::new();
    for group in array(employments.get("affiliation-group")) {
        for summary in array(group.get("summaries")) {
            let Some(employment) = summary.get("employment-summary") else {
                continue;
            };
            stints.push(stint(employment, &record)?);
            // An `/employments` response has no `person`: the name the person gave as the
            // source of an item they added themselves is theirs.
            let own = text(employment.pointer("/source/source-orcid/path")).as_deref()
                == Some(orcid.as_str());
            if own && let Some(name) = text(employment.pointer("/source/source-name/value")) {
                self_named.push(name);
            }
        }
    }
    if names.is_empty() {
        names.extend(self_named.into_iter().take(1));
    }
    Ok(Career {
        person: PersonRef {
            orcid: Some(orcid),
            names,
            ..PersonRef::default()
        },
        stints,
        url: record,
    })
}

fn stint(employment: &Value, record: &str) -> Result<Stint, BadRecord> {
    let at = || {
        format!(
            "{record} employment {}",
            employment
                .get("put-code")
                .map_or("?".to_owned(), Value::to_string)
        )
    };
    let organization = employment.get("organization").unwrap_or(&Value::Null);
    let name = text(organization.get("name"));
    let ror = organization
        .get("disambiguated-organization")
        .filter(|d| text(d.get("disambiguation-source")).as_deref() == Some("ROR"))
        .and_then(|d| text(d.get("disambiguated-organization-identifier")))
        .map(|id| ror_url(&id));
    if name.is_none() && ror.is_none() {
        return Err(BadRecord::new(at(), "the employment names no organisation"));
    }
    let start = fuzzy_date(employment.get("start-date"), &at)?;
    let end = match fuzzy_date(employment.get("end-date"), &at)? {
        Some(date) => End::On(date),
        None => End::Unknown,
    };
    let role = [
        text(employment.get("role-title")),
        text(employment.get("department-name")),
        name.clone(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    Ok(Stint {
        org: OrgRef {
            ror,
            name,
            country: text(organization.pointer("/address/country")),
            ..OrgRef::default()
        },
        start,
        end,
        quote: format!("{role}, {}", period(start, end)),
    })
}

/// `{"year": {"value": "2019"}, "month": {"value": "03"}, "day": null}` → `2019-03`.
fn fuzzy_date(
    value: Option<&Value>,
    at: &dyn Fn() -> String,
) -> Result<Option<PartialDate>, BadRecord> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let part = |name: &str| text(value.pointer(&format!("/{name}/value")));
    let Some(year) = part("year") else {
        return Err(BadRecord::new(at(), "a date without a year"));
    };
    let bad = |problem: String| BadRecord::new(at(), problem);
    let year_only = PartialDate::parse(&year).map_err(bad)?;
    let Some(month) = part("month") else {
        return Ok(Some(year_only));
    };
    let month_date = PartialDate::parse(&format!("{year}-{month:0>2}")).map_err(bad)?;
    let Some(day) = part("day") else {
        return Ok(Some(month_date));
    };
    // ORCID does not check days against the calendar (a real record starts on 1930-02-29).
    Ok(Some(
        PartialDate::parse(&format!("{year}-{month:0>2}-{day:0>2}")).unwrap_or(month_date),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{career::derive_moves, fixture};

    #[test]
    fn an_employments_response_gives_stints_with_fuzzy_dates_and_ror_ids() {
        let career = career(&fixture("orcid-employments.json"), "file").unwrap();
        assert_eq!(career.person.orcid.as_deref(), Some("0000-0002-1825-0097"));
        // Named by the items they added themselves, not by Wesleyan's.
        assert_eq!(career.person.names, ["Josiah Carberry"]);
        assert_eq!(career.url, "https://orcid.org/0000-0002-1825-0097");
        let summary: Vec<(Option<String>, Option<String>, String, String)> = career
            .stints
            .iter()
            .map(|s| {
                (
                    s.org.name.clone(),
                    s.org.ror.clone(),
                    s.start.map_or("-".into(), |d| d.to_string()),
                    s.end.to_string(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    Some("Meta".into()),
                    Some("https://ror.org/01zbnvs85".into()),
                    "2024-03".into(),
                    "unknown".into()
                ),
                (
                    Some("Google DeepMind".into()),
                    Some("https://ror.org/00971b260".into()),
                    "2019-03-04".into(),
                    "2024-02".into()
                ),
                // A RINGGOLD id is not a ROR id, and an impossible day falls back to its month.
                (
                    Some("Wesleyan University".into()),
                    None,
                    "2015-02".into(),
                    "2019".into()
                ),
            ]
        );
        assert_eq!(
            career.stints[1].quote,
            "Research Scientist, Reinforcement Learning, Google DeepMind, 2019-03-04 – 2024-02"
        );
        let moves = derive_moves(&career.stints);
        let named: Vec<(&str, &str, String)> = moves
            .iter()
            .map(|m| {
                (
                    career.stints[m.from].org.name.as_deref().unwrap(),
                    career.stints[m.to].org.name.as_deref().unwrap(),
                    m.effective.to_string(),
                )
            })
            .collect();
        assert_eq!(
            named,
            [
                ("Google DeepMind", "Meta", "2024-03".to_owned()),
                // Wesleyan ended in 2019, DeepMind started 2019-03-04: too coarse to order.
                (
                    "Wesleyan University",
                    "Google DeepMind",
                    "2019-03-04".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn a_full_record_gives_the_names_too() {
        let career = career(&fixture("orcid-record.json"), "file").unwrap();
        assert_eq!(career.person.orcid.as_deref(), Some("0000-0002-1825-0097"));
        assert_eq!(
            career.person.names,
            [
                "Josiah Carberry",
                "J. S. Carberry",
                "Josiah Stinkney Carberry"
            ]
        );
        assert_eq!(career.stints.len(), 2);
        // Two open-ended employments at once: no move.
        assert!(derive_moves(&career.stints).is_empty());
    }

    #[test]
    fn records_that_cannot_be_read_say_why() {
        let not_orcid = career(&serde_json::json!({"results": []}), "line 3").unwrap_err();
        assert_eq!(not_orcid.record, "line 3");
        let bad_id = career(
            &serde_json::json!({"affiliation-group": [], "path": "/0000-0002-1825-0098/employments"}),
            "line 4",
        )
        .unwrap_err();
        assert!(bad_id.problem.contains("ORCID iD"), "{bad_id}");
        let no_year = career(
            &serde_json::json!({"affiliation-group": [{"summaries": [{"employment-summary": {
                "put-code": 7, "organization": {"name": "X"}, "start-date": {"month": {"value": "03"}}}}]}],
                "path": "/0000-0002-1825-0097/employments"}),
            "line 5",
        )
        .unwrap_err();
        assert_eq!(
            no_year.record,
            "https://orcid.org/0000-0002-1825-0097 employment 7"
        );
        assert_eq!(no_year.problem, "a date without a year");
    }
}
