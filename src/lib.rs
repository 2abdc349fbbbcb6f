//! talentflow: records and analyses how AI researchers move between companies and labs.
#![forbid(unsafe_code)]

pub mod api;
pub mod app;
pub mod bulk;
pub mod cli;
pub mod config;
pub mod consistency;
pub mod dashboard;
pub mod db;
pub mod domain;
pub mod envelope;
pub mod error;
pub mod extract;
pub mod healthcheck;
pub mod idempotency;
pub mod ingest;
pub mod live;
pub mod metrics;
pub mod openapi;
pub mod rate_limit;
pub mod replicas;
pub mod seed;
pub mod stream;
pub mod synthetic;
pub mod telemetry;
