//! Bulk data: NDJSON import (all-or-nothing upserts) and export (every record, in an order
//! import accepts). Shared by the HTTP API and the command line.
//!
//! A line is one record: `{"type": "company", "id": "…", …}` with the same fields as the
//! record's POST body, plus an optional `id`. References may name records by slug (companies,
//! researchers) or id, and may point only at records that exist or come earlier in the file.

pub mod cli;
pub mod export;
pub mod import;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The record types a line can hold, in the order an export writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecordType {
    Company,
    Researcher,
    Source,
    Project,
    Report,
    Deal,
    Move,
    Compensation,
    Signal,
}

impl RecordType {
    pub const ALL: [RecordType; 9] = [
        Self::Company,
        Self::Researcher,
        Self::Source,
        Self::Project,
        Self::Report,
        Self::Deal,
        Self::Move,
        Self::Compensation,
        Self::Signal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Company => "company",
            Self::Researcher => "researcher",
            Self::Source => "source",
            Self::Project => "project",
            Self::Report => "report",
            Self::Deal => "deal",
            Self::Move => "move",
            Self::Compensation => "compensation",
            Self::Signal => "signal",
        }
    }
}
