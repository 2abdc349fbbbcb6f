//! Integration tests over HTTP against a real Postgres.

mod helpers;

mod auth;
mod companies;
mod embedded;
mod errors;
mod moves;
mod openapi;
mod pagination;
mod researchers;
mod sources;
