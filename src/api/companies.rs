use super::support::FinishQuery;
use crate::domain::form::Check;
use crate::replicas::routing::ReadDb;
use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::paging::{ListQuery, Paging};
use super::resource::{self, Resource};
use crate::{
    app::AppState,
    db::{self, Sluggable, companies::CompanyFilter, list::Page},
    domain::{
        company::{Company, CompanyInput, CompanyKind, parse_country},
        external_id,
        id_or_slug::IdOrSlug,
        moves::{Confidence, Move},
        text,
    },
    error::{ApiError, ApiResult},
    extract::{ApiJson, Editor, Preconditions},
    openapi::{
        CreateErrors, DeleteErrors, IfMatch, IfNoneMatch, ListErrors, ReadErrors, UpdateErrors,
    },
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_companies, create_company))
        .routes(routes!(get_company, update_company, delete_company))
        .routes(routes!(company_moves))
}

impl Resource for Company {
    type Input = CompanyInput;
    const COLLECTION_URL: &'static str = "/v1/companies";
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CompanyListParams {
    /// Prefix of a word of the name or an alias; case- and accent-insensitive.
    #[param(format = "search-text")]
    q: Option<String>,
    #[param(value_type = Option<CompanyKind>)]
    kind: Option<String>,
    /// ISO 3166-1 alpha-2 code.
    #[param(format = "country")]
    country: Option<String>,
    /// Id or slug of the parent company: lists its subsidiaries.
    #[param(format = "id-or-slug")]
    parent: Option<String>,
    /// The company with this ROR id (or known by it: merged into it).
    #[param(format = "ror")]
    ror: Option<String>,
    /// The company with this OpenAlex institution id (or known by it).
    #[param(format = "openalex-institution")]
    openalex_id: Option<String>,
    /// The company with this Wikidata item (or known by it).
    #[param(format = "wikidata")]
    wikidata_id: Option<String>,
}

/// Lists live companies.
#[utoipa::path(get, path = "/v1/companies", tag = "companies", params(CompanyListParams, Paging<Company>),
    responses((status = 200, description = "One page of companies", body = Page<Company>), ListErrors))]
async fn list_companies(
    ReadDb(db): ReadDb,
    headers: HeaderMap,
    ListQuery(params, page): ListQuery<CompanyListParams, Company>,
) -> ApiResult<Response> {
    let mut check = Check::default();
    let kind = check.optional("kind", params.kind, |k| CompanyKind::parse(&k));
    let country = check.optional("country", params.country, |c| parse_country(&c));
    let parent = check.optional("parent", params.parent, |p| IdOrSlug::parse(&p));
    let q = check.optional("q", params.q, |t| text::query(&t));
    let ror = check.optional("ror", params.ror, |r| external_id::parse_ror(&r));
    let openalex_id = check.optional("openalex_id", params.openalex_id, |o| {
        external_id::parse_openalex(&o, 'I', "institution")
    });
    let wikidata_id = check.optional("wikidata_id", params.wikidata_id, |w| {
        external_id::parse_wikidata(&w)
    });
    check.finish_query()?;
    let parent = match parent {
        None => None,
        Some(key) => Some(super::resolve_filter(&db, Sluggable::Companies, "parent", &key).await?),
    };
    let filter = CompanyFilter {
        q,
        kind: kind.map(|k| k.as_str().to_owned()),
        country,
        parent,
        ror,
        openalex_id,
        wikidata_id,
    };
    super::csv::list_response(&headers, page, &db, filter).await
}

resource::record_handlers! {
    record: Company,
    input: CompanyInput,
    tag: "companies",
    collection: "/v1/companies",
    item: "/v1/companies/{id}",
    key: (String, "Id or slug"),
    create: (create_company, "Creates a company.", location: "URL of the new company"),
    read: (get_company, "One company, by id or slug.", body: "The company"),
    update: (update_company, "Changes a company with a JSON merge patch (RFC 7396): fields present are set, `null` clears.", body: "The changed company"),
    delete: (delete_company, "Deletes a company (softly: it leaves lists, its history stays)."),
}

#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Moves that arrive at the company.
    In,
    /// Moves that leave it.
    Out,
    /// Both.
    #[default]
    Any,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CompanyMovesParams {
    /// `in`, `out` or `any` (default).
    direction: Option<Direction>,
    /// Only moves of this confidence or a stronger one (`inferred` < `rumored` < `reported`
    /// < `confirmed`).
    #[param(value_type = Option<Confidence>)]
    min_confidence: Option<String>,
}

/// The moves into and out of a company.
#[utoipa::path(get, path = "/v1/companies/{id}/moves", tag = "companies",
    params(("id" = String, Path, description = "Id or slug"), CompanyMovesParams, Paging<Move>),
    responses((status = 200, description = "One page of moves", body = Page<Move>), ListErrors, ReadErrors))]
async fn company_moves(
    ReadDb(db): ReadDb,
    Path(key): Path<String>,
    ListQuery(params, page): ListQuery<CompanyMovesParams, Move>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let key = super::path_key::<Company>(&key)?;
    let mut check = Check::default();
    let min_confidence = super::min_confidence(&mut check, params.min_confidence);
    check.finish_query()?;
    let company = db::resolve(&db, Sluggable::Companies, &key)
        .await?
        .ok_or_else(|| ApiError::not_found("company", &key))?;
    let mut filter = db::moves::MoveFilter {
        min_confidence,
        ..Default::default()
    };
    match params.direction.unwrap_or_default() {
        Direction::In => filter.to = Some(company),
        Direction::Out => filter.from = Some(company),
        Direction::Any => filter.company = Some(company),
    }
    super::csv::list_response(&headers, page, &db, filter).await
}
