//! The demo data: the facts of the story talentflow was started for, each citing its source.
//! Only what the press reported is here: no invented URLs or quotes.
//!
//! Loading is idempotent. Companies and researchers are matched by slug, sources and moves by
//! fixed ids, and whatever already exists is left as it is.

use std::fmt;

use anyhow::Result;
use sqlx::PgPool;
use uuid::{Uuid, uuid};

use crate::{
    api::{
        companies::CompanyInput,
        moves::{CitationInput, MoveInput},
        researchers::ResearcherInput,
        sources::SourceInput,
    },
    db,
    domain::{id_or_slug::IdOrSlug, key::Actor, slug::Slug},
};

const THE_INFORMATION_MARCH_2024: Uuid = uuid!("0190a000-0000-7000-8000-000000000001");
const MICROSOFT_ANNOUNCEMENT: Uuid = uuid!("0190a000-0000-7000-8000-000000000002");
const VALKO_TO_META: Uuid = uuid!("0190a000-0000-7000-8000-000000000101");
const SULEYMAN_TO_MICROSOFT: Uuid = uuid!("0190a000-0000-7000-8000-000000000102");
const SIMONYAN_TO_MICROSOFT: Uuid = uuid!("0190a000-0000-7000-8000-000000000103");

#[derive(Debug, Default)]
pub struct Summary {
    pub created: usize,
    pub already_there: usize,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} records created, {} already there",
            self.created, self.already_there
        )
    }
}

#[allow(clippy::too_many_arguments)]
fn company(
    name: &str,
    slug: &str,
    kind: &str,
    parent: Option<&str>,
    aliases: &[&str],
    country: &str,
    website: &str,
    founded_on: &str,
) -> CompanyInput {
    CompanyInput {
        name: Some(name.into()),
        slug: Some(slug.into()),
        kind: Some(kind.into()),
        parent: parent.map(Into::into),
        aliases: Some(aliases.iter().map(|a| (*a).to_owned()).collect()),
        country: Some(country.into()),
        website: Some(website.into()),
        founded_on: Some(founded_on.into()),
    }
}

fn researcher(name: &str, slug: &str, aliases: &[&str], topics: &[&str]) -> ResearcherInput {
    ResearcherInput {
        name: Some(name.into()),
        slug: Some(slug.into()),
        aliases: Some(aliases.iter().map(|a| (*a).to_owned()).collect()),
        topics: Some(topics.iter().map(|t| (*t).to_owned()).collect()),
        ..ResearcherInput::default()
    }
}

#[allow(clippy::too_many_arguments)]
fn a_move(
    researcher: &str,
    from: &str,
    to: &str,
    kind: &str,
    title: &str,
    effective_on: &str,
    announced_on: Option<&str>,
    confidence: &str,
    source: Uuid,
) -> MoveInput {
    MoveInput {
        researcher: Some(researcher.into()),
        from: Some(from.into()),
        to: Some(to.into()),
        kind: Some(kind.into()),
        title: Some(title.into()),
        effective_on: Some(effective_on.into()),
        announced_on: announced_on.map(Into::into),
        confidence: Some(confidence.into()),
        sources: Some(vec![CitationInput {
            source: Some(source),
            quote: None,
        }]),
        notes: None,
    }
}

pub async fn load(pool: &PgPool) -> Result<Summary> {
    let actor = Actor::system("seed");
    let mut summary = Summary::default();
    let mut tx = pool.begin().await?;

    // Parents before subsidiaries.
    let companies = [
        company(
            "Google",
            "google",
            "big_tech",
            None,
            &[],
            "US",
            "https://www.google.com",
            "1998-09",
        ),
        company(
            "Google DeepMind",
            "google-deepmind",
            "ai_lab",
            Some("google"),
            &["DeepMind"],
            "GB",
            "https://deepmind.google",
            "2010",
        ),
        company(
            "Meta",
            "meta",
            "big_tech",
            None,
            &["Facebook", "Meta Platforms"],
            "US",
            "https://www.meta.com",
            "2004-02",
        ),
        company(
            "OpenAI",
            "openai",
            "ai_lab",
            None,
            &[],
            "US",
            "https://openai.com",
            "2015-12",
        ),
        company(
            "Mistral AI",
            "mistral-ai",
            "startup",
            None,
            &["Mistral"],
            "FR",
            "https://mistral.ai",
            "2023-04",
        ),
        company(
            "Microsoft",
            "microsoft",
            "big_tech",
            None,
            &[],
            "US",
            "https://www.microsoft.com",
            "1975-04",
        ),
        company(
            "Inflection AI",
            "inflection-ai",
            "startup",
            None,
            &["Inflection"],
            "US",
            "https://inflection.ai",
            "2022",
        ),
    ];
    for input in companies {
        let slug =
            Slug::parse(input.slug.as_deref().unwrap_or_default()).map_err(anyhow::Error::msg)?;
        if db::companies::get(&mut tx, &IdOrSlug::Slug(slug))
            .await?
            .is_some()
        {
            summary.already_there += 1;
            continue;
        }
        db::companies::create(&mut tx, &actor, input.validate()?).await?;
        summary.created += 1;
    }

    let researchers = [
        researcher(
            "Michal Valko",
            "michal-valko",
            &["Michal Balko"],
            &["reinforcement learning"],
        ),
        researcher("Mustafa Suleyman", "mustafa-suleyman", &[], &[]),
        researcher(
            "Karén Simonyan",
            "karen-simonyan",
            &["Karen Simonyan"],
            &["deep learning"],
        ),
    ];
    for input in researchers {
        let slug =
            Slug::parse(input.slug.as_deref().unwrap_or_default()).map_err(anyhow::Error::msg)?;
        if db::researchers::get(&mut tx, &IdOrSlug::Slug(slug))
            .await?
            .is_some()
        {
            summary.already_there += 1;
            continue;
        }
        db::researchers::create(&mut tx, &actor, input.validate()?).await?;
        summary.created += 1;
    }

    let sources = [
        (
            THE_INFORMATION_MARCH_2024,
            SourceInput {
                publisher: Some("The Information".into()),
                published_on: Some("2024-03".into()),
                language: Some("en".into()),
                ..SourceInput::default()
            },
        ),
        (
            MICROSOFT_ANNOUNCEMENT,
            SourceInput {
                publisher: Some("Microsoft".into()),
                title: Some("Mustafa Suleyman, DeepMind and Inflection Co-founder, joins Microsoft to lead Copilot".into()),
                published_on: Some("2024-03-19".into()),
                language: Some("en".into()),
                ..SourceInput::default()
            },
        ),
    ];
    for (id, input) in sources {
        if exists(pool, "sources", id).await? {
            summary.already_there += 1;
            continue;
        }
        db::sources::create_with_id(&mut tx, &actor, id, input.validate()?).await?;
        summary.created += 1;
    }

    let moves = [
        (
            VALKO_TO_META,
            a_move(
                "michal-valko",
                "google-deepmind",
                "meta",
                "hire",
                "Chief Engineer, Llama",
                "2024-03",
                None,
                "reported",
                THE_INFORMATION_MARCH_2024,
            ),
        ),
        (
            SULEYMAN_TO_MICROSOFT,
            a_move(
                "mustafa-suleyman",
                "inflection-ai",
                "microsoft",
                "acquihire",
                "EVP and CEO, Microsoft AI",
                "2024-03-19",
                Some("2024-03-19"),
                "confirmed",
                MICROSOFT_ANNOUNCEMENT,
            ),
        ),
        (
            SIMONYAN_TO_MICROSOFT,
            a_move(
                "karen-simonyan",
                "inflection-ai",
                "microsoft",
                "acquihire",
                "Chief Scientist, Microsoft AI",
                "2024-03-19",
                Some("2024-03-19"),
                "confirmed",
                MICROSOFT_ANNOUNCEMENT,
            ),
        ),
    ];
    for (id, input) in moves {
        if exists(pool, "moves", id).await? {
            summary.already_there += 1;
            continue;
        }
        db::moves::create_with_id(&mut tx, &actor, id, input.validate()?).await?;
        summary.created += 1;
    }

    tx.commit().await?;
    Ok(summary)
}

/// Whether a record with this id was ever written (deleted ones count: a deleted demo record
/// stays deleted).
async fn exists(pool: &PgPool, table: &str, id: Uuid) -> Result<bool> {
    let sql = match table {
        "sources" => "SELECT EXISTS (SELECT 1 FROM sources WHERE id = $1)",
        _ => "SELECT EXISTS (SELECT 1 FROM moves WHERE id = $1)",
    };
    Ok(sqlx::query_scalar(sql).bind(id).fetch_one(pool).await?)
}
