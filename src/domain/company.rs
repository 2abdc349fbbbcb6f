use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::form::{Check, Form, Invalid, checked};
use super::{external_id, text};
use super::{
    id_or_slug::IdOrSlug, partial_date::PartialDate, partial_date::Precision, refs::CompanyRef,
    slug::Slug,
};

super::text_enum! {
    CompanyKind {
        BigTech => "big_tech",
        AiLab => "ai_lab",
        Startup => "startup",
        Academia => "academia",
        Government => "government",
        Other => "other",
    }
}

#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Company {
    pub id: Uuid,
    #[schema(example = "google-deepmind")]
    pub slug: String,
    #[schema(example = "Google DeepMind")]
    pub name: String,
    pub kind: CompanyKind,
    /// The company this one belongs to (Google DeepMind → Google).
    pub parent: Option<CompanyRef>,
    pub aliases: Vec<String>,
    /// ISO 3166-1 alpha-2.
    #[schema(example = "GB")]
    pub country: Option<String>,
    pub website: Option<String>,
    pub founded_on: Option<NaiveDate>,
    pub founded_precision: Option<Precision>,
    /// ROR id (`05x2bcf33`).
    #[schema(example = "00971b260")]
    pub ror: Option<String>,
    /// OpenAlex institution id (`I…`).
    #[schema(example = "I4210090411")]
    pub openalex_id: Option<String>,
    /// Wikidata item (`Q…`).
    #[schema(example = "Q15733006")]
    pub wikidata_id: Option<String>,
    /// Incremented by every change.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A validated company as written by a create, a merge patch or an import.
#[derive(Debug, Clone)]
pub struct CompanyDraft {
    /// None: generated from the name.
    pub slug: Option<Slug>,
    pub name: String,
    pub kind: CompanyKind,
    pub parent: Option<IdOrSlug>,
    pub aliases: Vec<String>,
    pub country: Option<String>,
    pub website: Option<String>,
    pub founded: Option<PartialDate>,
    pub ror: Option<String>,
    pub openalex_id: Option<String>,
    pub wikidata_id: Option<String>,
}

impl Company {
    /// The company a draft creates, as the API shows it, without reading it back: the bulk
    /// import audits its creates this way. `parent` is the draft's parent, resolved.
    pub fn created(
        id: Uuid,
        draft: &CompanyDraft,
        parent: Option<CompanyRef>,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            slug: draft
                .slug
                .as_ref()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            name: draft.name.clone(),
            kind: draft.kind,
            parent,
            aliases: draft.aliases.clone(),
            country: draft.country.clone(),
            website: draft.website.clone(),
            founded_on: draft.founded.map(|d| d.start),
            founded_precision: draft.founded.map(|d| d.precision),
            ror: draft.ror.clone(),
            openalex_id: draft.openalex_id.clone(),
            wikidata_id: draft.wikidata_id.clone(),
            version: 1,
            created_at: at,
            updated_at: at,
        }
    }
}

/// ISO 3166-1 alpha-2 codes that are officially assigned.
pub const COUNTRY_CODES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ \
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR \
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP \
KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT \
MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW \
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG \
UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// Accepts a country code in either case and returns it upper-cased.
pub fn parse_country(text: &str) -> Result<String, String> {
    let code = text.trim().to_ascii_uppercase();
    if code.len() == 2 && COUNTRY_CODES.split(' ').any(|known| known == code) {
        Ok(code)
    } else {
        Err(format!(
            "`{text}` is not an ISO 3166-1 alpha-2 country code"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_codes_are_checked_against_the_assigned_list() {
        assert_eq!(parse_country("gb").unwrap(), "GB");
        assert_eq!(parse_country("US").unwrap(), "US");
        assert_eq!(COUNTRY_CODES.split(' ').count(), 249);
        for bad in ["UK", "XX", "USA", "", "G"] {
            assert!(parse_country(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn company_kind_parses_its_stored_text() {
        assert_eq!(CompanyKind::parse("ai_lab").unwrap(), CompanyKind::AiLab);
        assert!(CompanyKind::parse("lab").unwrap_err().contains("big_tech"));
    }
}

/// A company as written: by POST, as the document a PATCH merges into, and by import.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanyInput {
    #[schema(required = true, value_type = String, example = "Google DeepMind", format = "name:200")]
    pub name: Option<String>,
    /// Generated from the name when absent.
    #[schema(example = "google-deepmind", format = "slug")]
    pub slug: Option<String>,
    #[schema(required = true, value_type = CompanyKind)]
    pub kind: Option<String>,
    /// Id or slug of the parent company.
    #[schema(example = "google", format = "id-or-slug")]
    pub parent: Option<String>,
    #[schema(format = "name:200", max_items = 50)]
    pub aliases: Option<Vec<String>>,
    /// ISO 3166-1 alpha-2 code.
    #[schema(example = "GB", format = "country")]
    pub country: Option<String>,
    #[schema(example = "https://deepmind.google", format = "http-url")]
    pub website: Option<String>,
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    #[schema(example = "2010", format = "partial-date")]
    pub founded_on: Option<String>,
    /// ROR id; the `https://ror.org/` form is accepted.
    #[schema(example = "00971b260", format = "ror")]
    pub ror: Option<String>,
    /// OpenAlex institution id (`I…`); the `https://openalex.org/` form is accepted.
    #[schema(example = "I4210090411", format = "openalex-institution")]
    pub openalex_id: Option<String>,
    /// Wikidata item (`Q…`); its URL is accepted.
    #[schema(example = "Q15733006", format = "wikidata")]
    pub wikidata_id: Option<String>,
}

impl Form for CompanyInput {
    type Draft = CompanyDraft;

    fn validate(self) -> Result<CompanyDraft, Invalid> {
        let mut check = Check::default();
        let name = check.require("name", self.name, |n| text::name(&n, 200));
        let slug = check.optional("slug", self.slug, |s| Slug::parse(&s));
        let kind = check.require("kind", self.kind, |k| CompanyKind::parse(&k));
        let parent = check.optional("parent", self.parent, |p| IdOrSlug::parse(&p));
        let aliases = check.optional("aliases", self.aliases, |a| text::name_list(&a, 50, 200));
        let country = check.optional("country", self.country, |c| parse_country(&c));
        let website = check.optional("website", self.website, |w| text::http_url(&w));
        let founded = check.optional("founded_on", self.founded_on, |d| PartialDate::parse(&d));
        let ror = check.optional("ror", self.ror, |r| external_id::parse_ror(&r));
        let openalex_id = check.optional("openalex_id", self.openalex_id, |o| {
            external_id::parse_openalex(&o, 'I', "institution")
        });
        let wikidata_id = check.optional("wikidata_id", self.wikidata_id, |w| {
            external_id::parse_wikidata(&w)
        });
        check.finish()?;
        Ok(CompanyDraft {
            slug,
            name: checked(name),
            kind: checked(kind),
            parent,
            aliases: aliases.unwrap_or_default(),
            country,
            website,
            founded,
            ror,
            openalex_id,
            wikidata_id,
        })
    }
}

impl From<&Company> for CompanyInput {
    fn from(company: &Company) -> Self {
        Self {
            name: Some(company.name.clone()),
            slug: Some(company.slug.clone()),
            kind: Some(company.kind.as_str().to_owned()),
            parent: company.parent.as_ref().map(|p| p.id.to_string()),
            aliases: Some(company.aliases.clone()),
            country: company.country.clone(),
            website: company.website.clone(),
            founded_on: PartialDate::from_stored(company.founded_on, company.founded_precision)
                .map(|d| d.to_string()),
            ror: company.ror.clone(),
            openalex_id: company.openalex_id.clone(),
            wikidata_id: company.wikidata_id.clone(),
        }
    }
}
