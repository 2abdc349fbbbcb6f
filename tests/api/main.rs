//! Integration tests over HTTP against a real Postgres.

mod helpers;

mod analytics;
mod auth;
mod browser;
mod bulk;
mod clients;
mod companies;
mod concurrency;
mod consistency;
mod csv;
mod demo_server;
mod docker;
mod docs;
mod embedded;
mod errors;
mod external_ids;
mod headers;
mod history;
mod hostile_input;
mod idempotency;
mod import_scale;
mod ingest;
mod live;
mod merge;
mod moves;
mod openapi;
mod pagination;
mod partial_dates;
mod rate_limits;
mod reliability;
mod replicas;
mod researchers;
mod schemathesis;
mod sources;
mod story;
