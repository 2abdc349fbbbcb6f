//! Integration tests over HTTP against a real Postgres.

mod helpers;

mod analytics;
mod auth;
mod bulk;
mod companies;
mod concurrency;
mod csv;
mod embedded;
mod errors;
mod history;
mod idempotency;
mod moves;
mod openapi;
mod pagination;
mod rate_limits;
mod researchers;
mod sources;
mod story;
