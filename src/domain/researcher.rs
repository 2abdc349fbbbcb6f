use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::form::{Check, Form, Invalid, checked};
use super::text;
use super::{refs::CompanyRef, slug::Slug};

#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Researcher {
    pub id: Uuid,
    #[schema(example = "michal-valko")]
    pub slug: String,
    #[schema(example = "Michal Valko")]
    pub name: String,
    /// Other spellings, including misspellings seen in the press.
    #[schema(example = json!(["Michal Balko"]))]
    pub aliases: Vec<String>,
    #[schema(example = "0000-0002-1825-0097")]
    pub orcid: Option<String>,
    #[schema(example = "A5023888391")]
    pub openalex_id: Option<String>,
    /// Wikidata item (`Q…`).
    #[schema(example = "Q21708200")]
    pub wikidata_id: Option<String>,
    pub homepage: Option<String>,
    pub topics: Vec<String>,
    /// Derived from the latest move: its destination, or null after a departure to nowhere known.
    pub current_company: Option<CompanyRef>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct ResearcherDraft {
    pub slug: Option<Slug>,
    pub name: String,
    pub aliases: Vec<String>,
    pub orcid: Option<String>,
    pub openalex_id: Option<String>,
    pub wikidata_id: Option<String>,
    pub homepage: Option<String>,
    pub topics: Vec<String>,
}

impl Researcher {
    /// The researcher a draft creates, as the API shows it, without reading it back: the bulk
    /// import audits its creates this way. A new researcher has no moves, so no current company.
    pub fn created(id: Uuid, draft: &ResearcherDraft, at: DateTime<Utc>) -> Self {
        Self {
            id,
            slug: draft
                .slug
                .as_ref()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            name: draft.name.clone(),
            aliases: draft.aliases.clone(),
            orcid: draft.orcid.clone(),
            openalex_id: draft.openalex_id.clone(),
            wikidata_id: draft.wikidata_id.clone(),
            homepage: draft.homepage.clone(),
            topics: draft.topics.clone(),
            current_company: None,
            version: 1,
            created_at: at,
            updated_at: at,
        }
    }
}

/// An ORCID iD `0000-0002-1825-0097`, checked with its ISO 7064 11,2 check digit.
/// Accepts the `https://orcid.org/` form and returns the bare iD.
pub fn parse_orcid(text: &str) -> Result<String, String> {
    let bare = text
        .trim()
        .trim_start_matches("https://orcid.org/")
        .trim_start_matches("http://orcid.org/");
    let invalid = || format!("`{text}` is not an ORCID iD (0000-0000-0000-000X)");
    let groups: Vec<&str> = bare.split('-').collect();
    // Checked as ASCII first, so that the split below is on characters of one byte each.
    if !bare.is_ascii() || groups.len() != 4 || groups.iter().any(|g| g.len() != 4) {
        return Err(invalid());
    }
    let chars: Vec<char> = groups.concat().chars().collect();
    let (body, check) = chars.split_at(15);
    if !body.iter().all(char::is_ascii_digit) {
        return Err(invalid());
    }
    let total = body
        .iter()
        .fold(0u32, |acc, c| (acc + c.to_digit(10).unwrap_or(0)) * 2);
    let expected = match (12 - total % 11) % 11 {
        10 => 'X',
        digit => char::from_digit(digit, 10).unwrap_or('?'),
    };
    if check[0] != expected {
        return Err(format!("`{text}` has a wrong ORCID check digit"));
    }
    Ok(bare.to_owned())
}

/// An OpenAlex author id `A5023888391`, also accepted as its `https://openalex.org/` URL.
pub fn parse_openalex_id(text: &str) -> Result<String, String> {
    super::external_id::parse_openalex(text, 'A', "author")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orcid_check_digit_is_verified() {
        assert_eq!(
            parse_orcid("0000-0002-1825-0097").unwrap(),
            "0000-0002-1825-0097"
        );
        assert_eq!(
            parse_orcid("https://orcid.org/0000-0001-5109-3700").unwrap(),
            "0000-0001-5109-3700"
        );
        assert_eq!(
            parse_orcid("0000-0002-1694-233X").unwrap(),
            "0000-0002-1694-233X"
        );
        assert!(parse_orcid("0000-0002-1825-0098").is_err());
        assert!(parse_orcid("0000-0002-1825").is_err());
        assert!(parse_orcid("abcd-0002-1825-0097").is_err());
        assert!(parse_orcid("éé-0000-0000-0000").is_err());
        assert!(parse_orcid("0000-0002-1825-009é").is_err());
    }

    #[test]
    fn openalex_ids_are_a_followed_by_digits() {
        assert_eq!(parse_openalex_id("A5023888391").unwrap(), "A5023888391");
        assert_eq!(
            parse_openalex_id("https://openalex.org/A123").unwrap(),
            "A123"
        );
        assert!(parse_openalex_id("W123").is_err());
        assert!(parse_openalex_id("A").is_err());
    }
}

/// A researcher as written: by POST, as the document a PATCH merges into, and by import.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResearcherInput {
    #[schema(required = true, value_type = String, example = "Michal Valko", format = "name:200")]
    pub name: Option<String>,
    /// Generated from the name when absent (`michal-valko`, then `michal-valko-2`, …).
    #[schema(format = "slug")]
    pub slug: Option<String>,
    /// Other spellings, including misspellings seen in the press.
    #[schema(example = json!(["Michal Balko"]), format = "name:200", max_items = 50)]
    pub aliases: Option<Vec<String>>,
    /// ORCID iD; the `https://orcid.org/` form is accepted.
    #[schema(format = "orcid")]
    pub orcid: Option<String>,
    /// OpenAlex author id (`A…`).
    #[schema(format = "openalex-id")]
    pub openalex_id: Option<String>,
    /// Wikidata item (`Q…`); its URL is accepted.
    #[schema(example = "Q21708200", format = "wikidata")]
    pub wikidata_id: Option<String>,
    #[schema(format = "http-url")]
    pub homepage: Option<String>,
    #[schema(example = json!(["reinforcement learning"]), format = "name:100", max_items = 50)]
    pub topics: Option<Vec<String>>,
}

impl Form for ResearcherInput {
    type Draft = ResearcherDraft;

    fn validate(self) -> Result<ResearcherDraft, Invalid> {
        let mut check = Check::default();
        let name = check.require("name", self.name, |n| text::name(&n, 200));
        let slug = check.optional("slug", self.slug, |s| Slug::parse(&s));
        let aliases = check.optional("aliases", self.aliases, |a| text::name_list(&a, 50, 200));
        let orcid = check.optional("orcid", self.orcid, |o| parse_orcid(&o));
        let openalex_id =
            check.optional("openalex_id", self.openalex_id, |o| parse_openalex_id(&o));
        let wikidata_id = check.optional("wikidata_id", self.wikidata_id, |w| {
            super::external_id::parse_wikidata(&w)
        });
        let homepage = check.optional("homepage", self.homepage, |h| text::http_url(&h));
        let topics = check.optional("topics", self.topics, |t| text::name_list(&t, 50, 100));
        check.finish()?;
        Ok(ResearcherDraft {
            slug,
            name: checked(name),
            aliases: aliases.unwrap_or_default(),
            orcid,
            openalex_id,
            wikidata_id,
            homepage,
            topics: topics.unwrap_or_default(),
        })
    }
}

impl From<&Researcher> for ResearcherInput {
    fn from(r: &Researcher) -> Self {
        Self {
            name: Some(r.name.clone()),
            slug: Some(r.slug.clone()),
            aliases: Some(r.aliases.clone()),
            orcid: r.orcid.clone(),
            openalex_id: r.openalex_id.clone(),
            wikidata_id: r.wikidata_id.clone(),
            homepage: r.homepage.clone(),
            topics: Some(r.topics.clone()),
        }
    }
}
