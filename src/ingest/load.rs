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

/// Records of a file, read: a chunk of it.
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

/// Records per chunk: the ingest matches and writes a chunk at a time, so its memory is that
/// of a chunk, not of the file (a snapshot partition holds hundreds of thousands of authors).
pub const CHUNK_RECORDS: usize = 20_000;

/// Reads the file and hands its records to `send` a chunk at a time, in order. Once a record is
/// bad, the rest is only checked (every bad one is named), and the last thing sent is the bad
/// records instead of a chunk. Stops early when `send` says the reader is no longer wanted.
pub fn load_chunks(
    source: Source,
    name: &str,
    reader: impl Read + Send + 'static,
    chunk_records: usize,
    mut send: impl FnMut(Result<Loaded, BadRecords>) -> bool,
) {
    let mut loaded = Loaded::default();
    let mut bad = BadRecords {
        listed: Vec::new(),
        count: 0,
    };
    let records = match files::records(name, reader) {
        Ok(records) => records,
        Err(err) => {
            send(Err(BadRecords {
                listed: vec![BadRecord::new(name, format!("unreadable: {err}"))],
                count: 1,
            }));
            return;
        }
    };
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
        if bad.count > 0 {
            // Nothing more will be written: keep only what names the bad records.
            loaded.careers.clear();
            loaded.rosters.clear();
        } else if loaded.careers.len() + loaded.rosters.len() >= chunk_records
            && !send(Ok(std::mem::take(&mut loaded)))
        {
            return;
        }
    }
    if bad.count > 0 {
        send(Err(bad));
    } else if loaded.records > 0 {
        send(Ok(loaded));
    }
}

/// Reads the file on a thread of its own, a chunk ahead of the ingest that receives them.
pub fn read_in_background(
    source: Source,
    name: String,
    reader: impl Read + Send + 'static,
) -> tokio::sync::mpsc::Receiver<Result<Loaded, BadRecords>> {
    let (sender, receiver) = tokio::sync::mpsc::channel(1);
    tokio::task::spawn_blocking(move || {
        load_chunks(source, &name, reader, CHUNK_RECORDS, |chunk| {
            sender.blocking_send(chunk).is_ok()
        })
    });
    receiver
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(records: &[&str]) -> std::io::Cursor<Vec<u8>> {
        std::io::Cursor::new(records.join("\n").into_bytes())
    }

    fn author(n: u32) -> String {
        format!(
            r#"{{"id": "https://openalex.org/A{n}", "display_name": "Author {n}", "affiliations": []}}"#
        )
    }

    #[test]
    fn a_file_is_read_a_chunk_at_a_time_in_order() {
        let records: Vec<String> = (1..=5).map(author).collect();
        let records: Vec<&str> = records.iter().map(String::as_str).collect();
        let mut chunks = Vec::new();
        load_chunks(Source::OpenalexAuthors, "f", lines(&records), 2, |chunk| {
            chunks.push(chunk.unwrap());
            true
        });
        let sizes: Vec<(u64, usize)> = chunks
            .iter()
            .map(|c| (c.records, c.careers.len()))
            .collect();
        assert_eq!(sizes, [(2, 2), (2, 2), (1, 1)]);
        assert_eq!(chunks[2].careers[0].url, "https://openalex.org/A5");
    }

    #[test]
    fn after_a_bad_record_only_the_bad_ones_are_sent() {
        let first = author(1);
        let records = [
            first.as_str(),
            "not json",
            r#"{"id": "https://openalex.org/W1"}"#,
            first.as_str(),
        ];
        let mut sent = Vec::new();
        load_chunks(Source::OpenalexAuthors, "f", lines(&records), 1, |chunk| {
            sent.push(chunk);
            true
        });
        // The first good record went out before the file turned out bad; then only the errors.
        assert_eq!(sent.len(), 2);
        let bad = sent.pop().unwrap().unwrap_err();
        assert_eq!(bad.count, 2);
        let places: Vec<&str> = bad.listed.iter().map(|b| b.record.as_str()).collect();
        assert_eq!(places, ["f line 2", "f line 3"]);
    }

    #[test]
    fn a_reader_no_longer_wanted_stops() {
        let records: Vec<String> = (1..=5).map(author).collect();
        let records: Vec<&str> = records.iter().map(String::as_str).collect();
        let mut calls = 0;
        load_chunks(Source::OpenalexAuthors, "f", lines(&records), 1, |_| {
            calls += 1;
            false
        });
        assert_eq!(calls, 1);
    }
}
