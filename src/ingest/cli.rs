//! `talentflow ingest SOURCE FILE…`: each file read, matched and written in its own
//! transaction, its report printed as JSON on stdout; a file that fails is named on stderr
//! and the others still go in.

use std::path::Path;

use anyhow::{Context, Result, bail};
use sqlx::PgPool;

use super::{
    load::{self, Source},
    matching::CompanyMap,
    write::{self, Options},
};
use crate::{domain::id_or_slug::IdOrSlug, domain::key::Actor, error::ApiError};

/// The command's options, checked before the database is opened.
pub fn options(project: Option<String>, map: Option<&Path>, dry_run: bool) -> Result<Options> {
    let project = project
        .map(|p| IdOrSlug::parse(&p).map_err(|e| anyhow::anyhow!("--project: {e}")))
        .transpose()?;
    let map = match map {
        None => CompanyMap::default(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            CompanyMap::parse(&text).map_err(|errors| {
                let lines: Vec<String> = errors
                    .iter()
                    .map(|e| {
                        format!(
                            "{} line {}: {}",
                            path.display(),
                            e.line.unwrap_or(0),
                            e.message
                        )
                    })
                    .collect();
                anyhow::anyhow!(lines.join("\n"))
            })?
        }
    };
    Ok(Options {
        project,
        map,
        dry_run,
    })
}

pub async fn ingest_files(
    pool: &PgPool,
    source: Source,
    files: &[std::path::PathBuf],
    options: &Options,
) -> Result<()> {
    let actor = Actor::system(&format!("talentflow ingest {}", source.as_str()));
    let mut failed = 0;
    for file in files {
        let name = file.display().to_string();
        let opened = std::fs::File::open(file).with_context(|| format!("cannot open {name}"))?;
        let chunks = load::read_in_background(source, name.clone(), opened);
        let result = write::ingest(pool, &actor, source, &name, chunks, options).await;
        match result {
            Ok(report) => println!("{}", serde_json::to_string_pretty(&report)?),
            Err(failure) => {
                failed += 1;
                let error = ApiError::from(failure);
                let (detail, errors) = match &error {
                    ApiError::Unprocessable { detail, errors } => (detail.clone(), errors.clone()),
                    other => (other.to_string(), Vec::new()),
                };
                eprintln!("{name}: {detail}");
                for error in errors {
                    eprintln!("  {}: {}", error.field, error.message);
                }
            }
        }
    }
    if failed > 0 {
        bail!("{failed} of {} file(s) were not ingested", files.len());
    }
    Ok(())
}
