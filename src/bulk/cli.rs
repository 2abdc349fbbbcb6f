//! `talentflow import FILE` and `talentflow export`: the same import and export as the API,
//! straight against the database, with a progress bar on stderr.

use std::{path::Path, time::Duration};

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use sqlx::PgPool;
use tokio::io::{AsyncRead, AsyncWriteExt, BufReader};

use super::{
    export,
    import::{self, ImportFailure},
};
use crate::domain::key::Actor;

pub async fn import_file(pool: &PgPool, file: &Path, dry_run: bool) -> Result<()> {
    let (reader, size): (Box<dyn AsyncRead + Unpin + Send>, Option<u64>) = if file == Path::new("-")
    {
        (Box::new(tokio::io::stdin()), None)
    } else {
        let opened = tokio::fs::File::open(file)
            .await
            .with_context(|| format!("cannot open {}", file.display()))?;
        let size = opened.metadata().await.ok().map(|m| m.len());
        (Box::new(opened), size)
    };
    let bar = match size {
        Some(size) => ProgressBar::new(size).with_style(
            ProgressStyle::with_template(
                "{spinner} importing {bytes}/{total_bytes} {wide_bar} {bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
        None => ProgressBar::new_spinner(),
    };
    bar.enable_steady_tick(Duration::from_millis(200));
    let reader = BufReader::with_capacity(256 * 1024, reader);
    let result = import::import(
        pool,
        &Actor::system("talentflow import"),
        reader,
        import::Options {
            dry_run,
            max_bytes: u64::MAX,
            insert_only: false,
        },
        &|bytes| bar.set_position(bytes),
    )
    .await;
    bar.finish_and_clear();
    match result {
        Ok(report) => {
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        Err(ImportFailure::Invalid { errors, bad_lines }) => {
            for error in &errors {
                eprintln!(
                    "line {}: {}: {}",
                    error.line.unwrap_or(0),
                    error.field,
                    error.message
                );
            }
            if bad_lines as usize > errors.len() {
                eprintln!("… and more: {bad_lines} bad lines in all");
            }
            bail!("{bad_lines} bad line(s); nothing was imported")
        }
        Err(ImportFailure::TooLarge) => bail!("the file is too large"),
        Err(ImportFailure::Failed(err)) => bail!("import failed: {err}"),
    }
}

pub async fn export_to(pool: &PgPool, output: Option<&Path>) -> Result<()> {
    let mut out: Box<dyn tokio::io::AsyncWrite + Unpin + Send> = match output {
        Some(path) => Box::new(
            tokio::fs::File::create(path)
                .await
                .with_context(|| format!("cannot create {}", path.display()))?,
        ),
        None => Box::new(tokio::io::stdout()),
    };
    let bar = ProgressBar::new_spinner().with_style(
        ProgressStyle::with_template("{spinner} exporting {bytes} {bytes_per_sec}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    let (feed, mut drain) = crate::stream::channel();
    let pool = pool.clone();
    let producer = tokio::spawn(async move { export::export(&pool, &feed).await });
    while let Some(chunk) = drain.recv().await {
        let chunk = chunk?;
        out.write_all(&chunk).await?;
        bar.inc(chunk.len() as u64);
    }
    out.flush().await?;
    bar.finish_and_clear();
    let records = producer
        .await?
        .map_err(|err| anyhow::anyhow!("export failed: {err}"))?;
    tracing::info!(records, "export finished");
    Ok(())
}
