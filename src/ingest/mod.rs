//! Careers from open sources: OpenAlex, ORCID and Wikidata records read into one shape, a
//! [`career::Career`] (the person, their stints at organisations with the dates the record
//! gives, the record's URL), and the moves those stints imply ([`career::derive_moves`]).
//! `load` reads a file of one source; `matching` finds the researchers and companies the
//! records mean; `reconcile` sets the derived moves against the recorded ones; `write` runs
//! an ingest as one import. docs/INGEST.md says what an ingest does, for its users.

pub mod career;
pub mod cli;
pub mod files;
pub mod load;
pub mod matching;
pub mod openalex;
pub mod orcid;
pub mod reconcile;
pub mod wikidata;
pub mod write;

use serde_json::Value;

/// A record that cannot be read, with what is wrong in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{record}: {problem}")]
pub struct BadRecord {
    /// Which record (its id or URL when it has one, else its place in the file).
    pub record: String,
    pub problem: String,
}

impl BadRecord {
    pub fn new(record: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            record: record.into(),
            problem: problem.into(),
        }
    }
}

/// A JSON string, trimmed; None when absent, not a string, or blank. Every source leaves fields
/// out, sets them to null or to "" alike.
fn text(value: Option<&Value>) -> Option<String> {
    value
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The items of a JSON array; none when absent or not an array.
fn array(value: Option<&Value>) -> impl Iterator<Item = &Value> {
    value.and_then(Value::as_array).into_iter().flatten()
}

/// A ROR id as its URL, whichever form the record used (ORCID and Wikidata hold it bare or as a
/// URL, OpenAlex as a URL).
pub fn ror_url(id: &str) -> String {
    let bare = id
        .trim()
        .trim_start_matches("https://ror.org/")
        .trim_start_matches("http://ror.org/")
        .trim_start_matches("ror.org/");
    format!("https://ror.org/{}", bare.to_ascii_lowercase())
}

/// A fixture of `tests/fixtures/ingest/`.
#[cfg(test)]
fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/ingest/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}
