//! Careers from open sources (issue 16): OpenAlex, ORCID and Wikidata records read into one
//! shape, a [`career::Career`] (the person, their stints at organisations with the dates the
//! record gives, the record's URL), and the moves those stints imply
//! ([`career::derive_moves`]). Matching people and organisations to records and writing the
//! moves come after this and use only that shape.

pub mod career;
pub mod files;
pub mod openalex;
pub mod orcid;
pub mod wikidata;

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
