//! Logs go to stderr (stdout is for command output such as a new key's secret).

use tracing_subscriber::{EnvFilter, fmt};

use crate::config::LogFormat;

pub fn init(filter: &str, format: LogFormat) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|err| {
        eprintln!("TALENTFLOW_LOG `{filter}` is not a tracing filter ({err}); using `info`");
        EnvFilter::new("info")
    });
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
