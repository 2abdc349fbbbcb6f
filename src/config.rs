//! One `Config` from flags and the environment. Secrets never reach the log.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Args, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReadAuth {
    /// Anyone may read.
    Public,
    /// Reads need an API key of any role.
    Key,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Where the database is: a URL, or an embedded Postgres in a data directory.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// PostgreSQL URL. Unset: run an embedded Postgres in the data directory.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Where the embedded Postgres keeps its files (default: a `talentflow` folder in the
    /// user's data directory, or /var/lib/talentflow when run as root).
    #[arg(long, env = "TALENTFLOW_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// Most connections the pool opens.
    #[arg(long, env = "TALENTFLOW_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,
}

#[derive(Debug, Clone, Args)]
pub struct Config {
    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Streaming replicas that reads may go to: one PostgreSQL URL or a comma-separated list.
    /// Unset: every query goes to the primary (`DATABASE_URL`).
    #[arg(
        long,
        env = "DATABASE_READ_URL",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub database_read_url: Vec<String>,

    /// Milliseconds a read that sends a consistency token waits for a replica to replay past
    /// it before the primary answers it instead.
    #[arg(long, env = "TALENTFLOW_REPLICA_WAIT_MS", default_value_t = 1000)]
    pub replica_wait_ms: u64,

    /// Seconds a replica may lag behind the primary before reads stop going to it.
    #[arg(long, env = "TALENTFLOW_MAX_REPLICA_LAG", default_value_t = 30)]
    pub max_replica_lag_secs: u64,

    /// Address to listen on.
    #[arg(long, env = "TALENTFLOW_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Whether reads need an API key.
    #[arg(long, env = "TALENTFLOW_READ_AUTH", value_enum, default_value_t = ReadAuth::Public)]
    pub read_auth: ReadAuth,

    /// Comma-separated origins allowed by CORS (`*` for any, without credentials). Empty: none.
    #[arg(
        long,
        env = "TALENTFLOW_CORS_ORIGINS",
        value_delimiter = ',',
        default_value = ""
    )]
    pub cors_origins: Vec<String>,

    /// Seconds a request may take before it is answered with 503.
    #[arg(long, env = "TALENTFLOW_REQUEST_TIMEOUT", default_value_t = 30)]
    pub request_timeout_secs: u64,

    /// Seconds a client gets to send a request's headers (also how long an idle keep-alive
    /// connection is kept); slower ones are disconnected, so they cannot hold connections open.
    #[arg(long, env = "TALENTFLOW_HEADER_TIMEOUT", default_value_t = 10)]
    pub header_timeout_secs: u64,

    /// Seconds in-flight requests get to finish after SIGTERM or Ctrl-C.
    #[arg(long, env = "TALENTFLOW_SHUTDOWN_GRACE", default_value_t = 20)]
    pub shutdown_grace_secs: u64,

    /// Largest request body in bytes.
    #[arg(long, env = "TALENTFLOW_BODY_LIMIT", default_value_t = 1024 * 1024)]
    pub body_limit: usize,

    /// Largest body of `POST /v1/import`, in bytes (it is streamed, not held in memory).
    #[arg(long, env = "TALENTFLOW_IMPORT_LIMIT", default_value_t = 1024 * 1024 * 1024)]
    pub import_body_limit: usize,

    /// Sustained requests per second allowed per API key (or per client address without one);
    /// 0 turns rate limiting off.
    #[arg(long, env = "TALENTFLOW_RATE_LIMIT", default_value_t = 100)]
    pub rate_limit: u32,

    /// Requests allowed in a burst above the sustained rate (at least the rate itself).
    #[arg(long, env = "TALENTFLOW_RATE_BURST", default_value_t = 200)]
    pub rate_burst: u32,

    /// Skip loading the demo data on the embedded database's first start.
    #[arg(long, env = "TALENTFLOW_NO_DEMO")]
    pub no_demo: bool,

    /// Tracing filter (e.g. `info,talentflow=debug`).
    #[arg(long, env = "TALENTFLOW_LOG", default_value = "info")]
    pub log: String,

    #[arg(long, env = "TALENTFLOW_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

impl Config {
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    pub fn header_timeout(&self) -> Duration {
        Duration::from_secs(self.header_timeout_secs.max(1))
    }

    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }

    pub fn replica_wait(&self) -> Duration {
        Duration::from_millis(self.replica_wait_ms)
    }

    pub fn max_replica_lag(&self) -> Duration {
        Duration::from_secs(self.max_replica_lag_secs.max(1))
    }

    /// A config for tests and tools: defaults everywhere but rate limits (off), no database URL.
    pub fn for_tests() -> Self {
        use clap::Parser;
        #[derive(Parser)]
        struct Wrapper {
            #[command(flatten)]
            config: Config,
        }
        let mut config = Wrapper::parse_from(["talentflow"]).config;
        config.rate_limit = 0;
        config
    }

    /// What is printed at start: everything but the database URL's password.
    pub fn describe(&self) -> String {
        let database = match &self.database.database_url {
            Some(url) => redact_password(url),
            None => format!(
                "embedded (data dir {})",
                self.database.data_dir_or_default().display()
            ),
        };
        format!(
            "bind={} database={} read_replicas={:?} replica_wait={}ms max_replica_lag={}s read_auth={:?} cors_origins={:?} request_timeout={}s header_timeout={}s shutdown_grace={}s body_limit={} log={} log_format={:?}",
            self.bind,
            database,
            self.database_read_url
                .iter()
                .filter(|url| !url.trim().is_empty())
                .map(|url| redact_password(url.trim()))
                .collect::<Vec<_>>(),
            self.replica_wait_ms,
            self.max_replica_lag_secs,
            self.read_auth,
            self.cors_origins
                .iter()
                .filter(|o| !o.trim().is_empty())
                .collect::<Vec<_>>(),
            self.request_timeout_secs,
            self.header_timeout_secs,
            self.shutdown_grace_secs,
            self.body_limit,
            self.log,
            self.log_format
        )
    }
}

impl DatabaseArgs {
    pub fn data_dir_or_default(&self) -> PathBuf {
        if let Some(dir) = &self.data_dir {
            return dir.clone();
        }
        // Root's home is closed to the unprivileged account Postgres must run as.
        if crate::db::embedded::running_as_root() {
            return PathBuf::from("/var/lib/talentflow");
        }
        let base = std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share"))
            })
            .unwrap_or_else(|| PathBuf::from("."));
        base.join("talentflow")
    }
}

pub fn redact_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => "<unparsable url>".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_from_database_urls() {
        assert_eq!(
            redact_password("postgres://tf:s3cret@db:5432/tf"),
            "postgres://tf:***@db:5432/tf"
        );
        assert_eq!(redact_password("postgres://db/tf"), "postgres://db/tf");
    }
}
