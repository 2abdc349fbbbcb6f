use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::form::{Check, Form, Invalid};
use super::partial_date::{PartialDate, Precision};
use super::text;

/// Where a fact comes from: a press report, a paper, an announcement. A report may have no URL.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Source {
    pub id: Uuid,
    pub url: Option<String>,
    #[schema(example = "The Information")]
    pub publisher: Option<String>,
    pub title: Option<String>,
    pub published_on: Option<NaiveDate>,
    pub published_precision: Option<Precision>,
    /// BCP 47 language tag.
    #[schema(example = "en")]
    pub language: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct SourceDraft {
    pub url: Option<String>,
    pub publisher: Option<String>,
    pub title: Option<String>,
    pub published: Option<PartialDate>,
    pub language: Option<String>,
}

impl Source {
    /// The source a draft creates, as the API shows it, without reading it back: the bulk
    /// import audits its creates this way.
    pub fn created(id: Uuid, draft: &SourceDraft, at: DateTime<Utc>) -> Self {
        Self {
            id,
            url: draft.url.clone(),
            publisher: draft.publisher.clone(),
            title: draft.title.clone(),
            published_on: draft.published.map(|d| d.start),
            published_precision: draft.published.map(|d| d.precision),
            language: draft.language.clone(),
            version: 1,
            created_at: at,
            updated_at: at,
        }
    }
}

/// A BCP 47 tag in its common shape (`en`, `en-GB`, `zh-Hant-TW`), returned in canonical case.
pub fn parse_language(text: &str) -> Result<String, String> {
    let invalid = || format!("`{text}` is not a language tag such as `en` or `en-GB`");
    if text.trim().len() > 35 {
        return Err("a language tag has at most 35 characters".to_owned());
    }
    let mut parts = text.trim().split('-');
    let primary = parts.next().unwrap_or("");
    if !(2..=3).contains(&primary.len()) || !primary.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(invalid());
    }
    let mut tag = primary.to_ascii_lowercase();
    for sub in parts {
        if sub.is_empty() || sub.len() > 8 || !sub.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(invalid());
        }
        tag.push('-');
        match sub.len() {
            2 => tag.push_str(&sub.to_ascii_uppercase()),
            4 => {
                let mut chars = sub.chars();
                tag.extend(chars.next().map(|c| c.to_ascii_uppercase()));
                tag.push_str(&chars.as_str().to_ascii_lowercase());
            }
            _ => tag.push_str(&sub.to_ascii_lowercase()),
        }
    }
    Ok(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags_are_canonicalised() {
        assert_eq!(parse_language("en").unwrap(), "en");
        assert_eq!(parse_language("EN-gb").unwrap(), "en-GB");
        assert_eq!(parse_language("zh-hant-tw").unwrap(), "zh-Hant-TW");
        let long = format!("en{}", "-abcdefgh".repeat(10));
        for bad in ["", "e", "english", "en_GB", "en-", "12", long.as_str()] {
            assert!(parse_language(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}

/// A source as written. At least one of `url`, `publisher` and `title` is needed; a press
/// report relayed second-hand may have no URL.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceInput {
    #[schema(format = "http-url")]
    pub url: Option<String>,
    #[schema(example = "The Information", format = "name:200")]
    pub publisher: Option<String>,
    #[schema(format = "name:500")]
    pub title: Option<String>,
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    #[schema(example = "2024-03", format = "partial-date")]
    pub published_on: Option<String>,
    /// BCP 47 language tag.
    #[schema(example = "en", format = "language")]
    pub language: Option<String>,
}

impl Form for SourceInput {
    type Draft = SourceDraft;

    fn validate(self) -> Result<SourceDraft, Invalid> {
        let mut check = Check::default();
        let url = check.optional("url", self.url, |u| text::http_url(&u));
        let publisher = check.optional("publisher", self.publisher, |p| text::name(&p, 200));
        let title = check.optional("title", self.title, |t| text::name(&t, 500));
        let published = check.optional("published_on", self.published_on, |d| {
            PartialDate::parse(&d)
        });
        let language = check.optional("language", self.language, |l| parse_language(&l));
        if url.is_none() && publisher.is_none() && title.is_none() {
            check.error(
                "url",
                "a source needs at least one of `url`, `publisher` and `title`",
            );
        }
        check.finish()?;
        Ok(SourceDraft {
            url,
            publisher,
            title,
            published,
            language,
        })
    }
}

impl From<&Source> for SourceInput {
    fn from(s: &Source) -> Self {
        Self {
            url: s.url.clone(),
            publisher: s.publisher.clone(),
            title: s.title.clone(),
            published_on: PartialDate::from_stored(s.published_on, s.published_precision)
                .map(|d| d.to_string()),
            language: s.language.clone(),
        }
    }
}
