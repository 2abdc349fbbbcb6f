//! One file of one open source read whole into what the ingest writes: the careers it records
//! (or, for OpenAlex works, the author lists), or every record that cannot be read.

use std::io::Read;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{BadRecord, career::Career, files, openalex, openalex::WorkRoster, orcid, wikidata};

/// Which open source a file comes from, as the command and the route name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// OpenAlex Author objects: a snapshot's JSON Lines or a saved `/authors` page.
    OpenalexAuthors,
    /// OpenAlex Work objects: their authorships become a project's roster.
    OpenalexWorks,
    /// ORCID v3.0 `/employments` responses or full `/record`s.
    Orcid,
    /// Wikidata `Special:EntityData` JSON.
    Wikidata,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpenalexAuthors => "openalex-authors",
            Self::OpenalexWorks => "openalex-works",
            Self::Orcid => "orcid",
            Self::Wikidata => "wikidata",
        }
    }

    /// Who publishes the records, as their sources name it.
    pub fn publisher(self) -> &'static str {
        match self {
            Self::OpenalexAuthors | Self::OpenalexWorks => "OpenAlex",
            Self::Orcid => "ORCID",
            Self::Wikidata => "Wikidata",
        }
    }
}

/// What a file holds.
#[derive(Debug, Default)]
pub struct Loaded {
    pub records: u64,
    pub careers: Vec<Career>,
    pub rosters: Vec<WorkRoster>,
}

/// Every bad record of a file (at most `MAX_LISTED` listed; `count` counts them all).
#[derive(Debug)]
pub struct BadRecords {
    pub listed: Vec<BadRecord>,
    pub count: u64,
}

const MAX_LISTED: usize = 1_000;

/// Reads every record of the file: all of them, or every one that is bad.
pub fn load(
    source: Source,
    name: &str,
    reader: impl Read + Send + 'static,
) -> Result<Loaded, BadRecords> {
    let mut loaded = Loaded::default();
    let mut bad = BadRecords {
        listed: Vec::new(),
        count: 0,
    };
    let records = files::records(name, reader).map_err(|err| BadRecords {
        listed: vec![BadRecord::new(name, format!("unreadable: {err}"))],
        count: 1,
    })?;
    for record in records {
        loaded.records += 1;
        let read = record.and_then(|(place, value)| match source {
            Source::OpenalexAuthors => {
                openalex::author_career(&value, &place).map(|career| loaded.careers.push(career))
            }
            Source::OpenalexWorks => {
                openalex::work_roster(&value, &place).map(|roster| loaded.rosters.push(roster))
            }
            Source::Orcid => {
                orcid::career(&value, &place).map(|career| loaded.careers.push(career))
            }
            Source::Wikidata => wikidata::careers(&value, &place)
                .map(|(careers, _organisations)| loaded.careers.extend(careers)),
        });
        if let Err(problem) = read {
            bad.count += 1;
            if bad.listed.len() < MAX_LISTED {
                bad.listed.push(problem);
            }
        }
    }
    if bad.count > 0 {
        return Err(bad);
    }
    Ok(loaded)
}
