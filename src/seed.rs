//! The demo data: the facts of the story talentflow was started for, each citing its source.
//! Only what the press reported is here: no invented URLs or quotes. The facts live in
//! `seed/demo.ndjson` and are loaded with the import, adding only what is missing: records
//! that exist (matched by slug or id) are left as they are, deleted ones stay deleted, so a
//! second run changes nothing.

use std::fmt;

use anyhow::Result;
use sqlx::PgPool;

use crate::{
    bulk::import::{self, ImportFailure},
    domain::key::Actor,
};

const DEMO: &str = include_str!("../seed/demo.ndjson");

#[derive(Debug, Default)]
pub struct Summary {
    pub created: u64,
    pub already_there: u64,
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

pub async fn load(pool: &PgPool) -> Result<Summary> {
    let options = import::Options {
        dry_run: false,
        max_bytes: u64::MAX,
        insert_only: true,
    };
    let report = import::import(
        pool,
        &Actor::system("seed"),
        DEMO.as_bytes(),
        options,
        &|_| {},
    )
    .await;
    match report {
        Ok(report) => Ok(Summary {
            created: report.created + report.updated,
            already_there: report.unchanged,
        }),
        Err(ImportFailure::Invalid { errors, .. }) => {
            let lines: Vec<String> = errors
                .iter()
                .map(|e| format!("line {}: {}: {}", e.line.unwrap_or(0), e.field, e.message))
                .collect();
            anyhow::bail!(
                "the demo data does not fit this database: {}",
                lines.join("; ")
            )
        }
        Err(ImportFailure::TooLarge) => anyhow::bail!("the demo data is too large"),
        Err(ImportFailure::Failed(err)) => anyhow::bail!("loading the demo data failed: {err}"),
    }
}
