//! The command line: serve, migrate, seed, import, export, gen, keys, openapi, healthcheck.

use anyhow::Result;
use clap::{Parser, Subcommand};

use crate::{
    app::{self, AppState},
    config::{Config, DatabaseArgs, LogFormat},
    db::{self, Database},
    domain::key::Role,
};

#[derive(Debug, Parser)]
#[command(
    name = "talentflow",
    version,
    about = "Records and analyses how AI researchers move between companies and labs"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Tracing filter (e.g. `info,talentflow=debug`).
    #[arg(long, global = true, env = "TALENTFLOW_LOG", default_value = "info")]
    pub log: String,

    #[arg(long, global = true, env = "TALENTFLOW_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP API (embedded Postgres and demo data when DATABASE_URL is unset).
    Serve(Box<Config>),
    /// Apply the database migrations.
    Migrate(DatabaseArgs),
    /// Load the demo data (idempotent: a second run changes nothing).
    Seed(DatabaseArgs),
    /// Import NDJSON records from a file, all or nothing (see `POST /v1/import`).
    Import {
        /// The NDJSON file (`-` for standard input).
        file: std::path::PathBuf,
        /// Check every line and report what would change, without writing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Ingest records of an open source (OpenAlex, ORCID, Wikidata): researchers, companies
    /// and the moves their affiliations imply, each file in one transaction (docs/INGEST.md).
    Ingest {
        /// Which source the files come from.
        #[arg(value_enum)]
        source: crate::ingest::load::Source,
        /// The files (gzipped or not): JSON Lines, single records, or saved API pages.
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
        /// For openalex-works: the project (id or slug) whose roster the works' authors become.
        #[arg(long)]
        project: Option<String>,
        /// A CSV of `external id,company` lines pinning organisations to companies.
        #[arg(long)]
        map: Option<std::path::PathBuf>,
        /// Match and check everything, report what would change, write nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Export every record as NDJSON, in an order import accepts.
    Export {
        /// Write here instead of standard output.
        #[arg(long, short)]
        output: Option<std::path::PathBuf>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Fill an empty database with a deterministic synthetic dataset (for load tests).
    Gen {
        #[arg(long, default_value_t = 2000)]
        companies: usize,
        #[arg(long, default_value_t = 100_000)]
        researchers: usize,
        #[arg(long, default_value_t = 1_000_000)]
        moves: usize,
        /// Default: one project for every 20 companies.
        #[arg(long)]
        projects: Option<usize>,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Manage API keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Exit 0 when the server on TALENTFLOW_BIND answers `/readyz` with 200, 1 otherwise
    /// (a container healthcheck that needs no curl in the image).
    Healthcheck {
        /// The address `serve` listens on; an unspecified one (0.0.0.0) is reached on loopback.
        #[arg(long, env = "TALENTFLOW_BIND", default_value = "127.0.0.1:8080")]
        bind: std::net::SocketAddr,
        /// Seconds to wait for the answer.
        #[arg(long, default_value_t = 5)]
        timeout: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key and print its secret (only the secret, on stdout). It is not shown again.
    Create {
        /// Who or what the key is for.
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text)
}

pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve(mut config) => {
            config.log = cli.log;
            config.log_format = cli.log_format;
            serve(*config).await
        }
        Command::Migrate(args) => {
            let database = open_migrated(&args).await?;
            tracing::info!("migrations applied");
            database.close().await;
            Ok(())
        }
        Command::Seed(args) => {
            let database = open_migrated(&args).await?;
            let result = crate::seed::load(&database.pool).await;
            database.close().await;
            let summary = result?;
            tracing::info!(%summary, "demo data loaded");
            Ok(())
        }
        Command::Keys {
            command:
                KeysCommand::Create {
                    name,
                    role,
                    database: args,
                },
        } => {
            let name =
                crate::domain::text::name(&name, 100).map_err(|e| anyhow::anyhow!("--name {e}"))?;
            let database = open_migrated(&args).await?;
            let created = async {
                let mut conn = database.pool.acquire().await?;
                db::keys::create(&mut conn, &name, role).await
            }
            .await;
            database.close().await;
            let (key, secret) = created?;
            tracing::info!(id = %key.id, name = %key.name, role = %key.role, "key created; its secret is printed once");
            println!("{secret}");
            Ok(())
        }
        Command::Import {
            file,
            dry_run,
            database: args,
        } => {
            let database = open_migrated(&args).await?;
            let result = crate::bulk::cli::import_file(&database.pool, &file, dry_run).await;
            database.close().await;
            result
        }
        Command::Ingest {
            source,
            files,
            project,
            map,
            dry_run,
            database: args,
        } => {
            let options = crate::ingest::cli::options(project, map.as_deref(), dry_run)?;
            let database = open_migrated(&args).await?;
            let result =
                crate::ingest::cli::ingest_files(&database.pool, source, &files, &options).await;
            database.close().await;
            result
        }
        Command::Export {
            output,
            database: args,
        } => {
            let database = open_migrated(&args).await?;
            let result = crate::bulk::cli::export_to(&database.pool, output.as_deref()).await;
            database.close().await;
            result
        }
        Command::Gen {
            companies,
            researchers,
            moves,
            projects,
            seed,
            database: args,
        } => {
            let database = open_migrated(&args).await?;
            let sizes = crate::synthetic::Sizes {
                companies,
                researchers,
                moves,
                projects: projects.unwrap_or(companies / 20),
                seed,
            };
            let result = crate::synthetic::generate(&database.pool, sizes).await;
            database.close().await;
            result
        }
        Command::Openapi => {
            print!("{}", crate::openapi::spec_json());
            Ok(())
        }
        Command::Healthcheck { bind, timeout } => {
            crate::healthcheck::check(bind, std::time::Duration::from_secs(timeout)).await
        }
    }
}

async fn open_migrated(args: &DatabaseArgs) -> Result<Database> {
    let database = Database::open(args).await?;
    if let Err(err) = db::migrate(&database.pool).await {
        database.close().await;
        return Err(err);
    }
    Ok(database)
}

async fn serve(config: Config) -> Result<()> {
    tracing::info!(config = %config.describe(), "starting talentflow {}", env!("CARGO_PKG_VERSION"));
    let database = open_migrated(&config.database).await?;
    if database.created_now && !config.no_demo {
        match crate::seed::load(&database.pool).await {
            Ok(summary) => tracing::info!(%summary, "first start: demo data loaded"),
            Err(err) => {
                database.close().await;
                return Err(err);
            }
        }
    }
    let state = match AppState::new(database.pool.clone(), config).with_read_replicas() {
        Ok(state) => state,
        Err(err) => {
            database.close().await;
            return Err(err);
        }
    };
    let result = app::serve(state).await;
    database.close().await;
    result
}
