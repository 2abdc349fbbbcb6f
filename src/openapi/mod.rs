//! The OpenAPI document (generated from the handlers' annotations) and the docs page.

use axum::Router;
use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};
use utoipa_swagger_ui::SwaggerUi;

use crate::app::AppState;

mod conventions;
mod responses;

pub use responses::*;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "talentflow",
        description = "Records and analyses how AI researchers move between companies and labs: \
            researchers, companies, moves and their sources.\n\n\
            Errors are RFC 9457 `application/problem+json`. Writes need `Authorization: Bearer <api key>` \
            (role `editor`, or `admin` for key management); reads are public unless the server is configured \
            with `TALENTFLOW_READ_AUTH=key`, when they need a key of any role (`reader` and up).\n\n\
            Lists use keyset pagination: pass `next_cursor` back as `cursor` with the same filters and sort. \
            Rows that were there when paging began are never skipped or repeated; rows written \
            meanwhile may or may not appear.",
        license(name = "MIT", identifier = "MIT")
    ),
    modifiers(&BearerKey),
    // Query and path parameters refer to these by name, and `IntoParams` does not register
    // what it refers to.
    components(schemas(
        crate::domain::analytics::Interval,
        crate::api::analytics::Metric,
        crate::api::analytics::RollUp,
        crate::api::companies::Direction,
        crate::api::history::Collection,
    )),
    tags(
        (name = "companies", description = "Companies and labs, with their parent companies"),
        (name = "researchers", description = "Researchers, with aliases and their current company"),
        (name = "moves", description = "Who went from where to where, when, per which source"),
        (name = "sources", description = "Press reports, papers and announcements cited by facts"),
        (name = "projects", description = "Models and products with their author rosters and press figures about them"),
        (name = "deals", description = "Acquisitions, acqui-hires and license-and-hire deals, with their moves"),
        (name = "compensation", description = "Pay for roles at companies, as reported"),
        (name = "signals", description = "Recruiting and retention practices reported of companies"),
        (name = "analytics", description = "Flows, balances, attrition, timelines, rankings and search, computed from the current data"),
        (name = "history", description = "The audit trail of each record"),
        (name = "bulk", description = "NDJSON import (all or nothing) and export"),
        (name = "keys", description = "API keys (admin role)"),
        (name = "operations", description = "Health and readiness"),
    )
)]
pub struct ApiDoc;

struct BearerKey;

impl Modify for BearerKey {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key made by `talentflow keys create`"))
                    .build(),
            ),
        );
    }
}

/// The document the server serves and `talentflow openapi` prints.
pub fn spec() -> utoipa::openapi::OpenApi {
    let (_, spec) = crate::api::router().split_for_parts();
    finish(spec)
}

/// Pretty JSON with a trailing newline, as committed in `openapi/openapi.json`.
pub fn spec_json() -> String {
    let mut json = spec().to_pretty_json().unwrap_or_default();
    json.push('\n');
    json
}

pub fn finish(spec: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc.merge(spec);
    conventions::apply(doc)
}

/// Swagger UI at `/docs` from files built into the binary (no CDN), and `/openapi.json`.
pub fn docs(spec: utoipa::openapi::OpenApi) -> Router<AppState> {
    SwaggerUi::new("/docs").url("/openapi.json", spec).into()
}
