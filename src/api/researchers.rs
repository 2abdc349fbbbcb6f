use super::support::FinishQuery;
use crate::domain::form::Check;
use crate::replicas::routing::ReadDb;
use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::paging::{ListQuery, Paging};
use super::resource::{self, Resource};
use crate::{
    app::AppState,
    db::{Sluggable, list::Page, researchers::ResearcherFilter},
    domain::{
        external_id,
        id_or_slug::IdOrSlug,
        researcher::{self, Researcher, ResearcherInput},
        text,
    },
    error::ApiResult,
    extract::{ApiJson, Editor, Preconditions},
    openapi::{
        CreateErrors, DeleteErrors, IfMatch, IfNoneMatch, ListErrors, ReadErrors, UpdateErrors,
    },
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_researchers, create_researcher))
        .routes(routes!(
            get_researcher,
            update_researcher,
            delete_researcher
        ))
}

impl Resource for Researcher {
    type Input = ResearcherInput;
    const COLLECTION_URL: &'static str = "/v1/researchers";
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ResearcherListParams {
    /// Prefix of a word of the name or an alias; case- and accent-insensitive (`balko`).
    #[param(format = "search-text")]
    q: Option<String>,
    /// Researchers with this topic.
    #[param(format = "search-text")]
    topic: Option<String>,
    /// Id or slug of a company: researchers whose current company it is.
    #[param(format = "id-or-slug")]
    company: Option<String>,
    /// The researcher with this ORCID iD (or known by it: merged into them).
    #[param(format = "orcid")]
    orcid: Option<String>,
    /// The researcher with this OpenAlex author id, or known by it (a second OpenAlex profile
    /// of the same person, or one merged into them).
    #[param(format = "openalex-id")]
    openalex_id: Option<String>,
    /// The researcher with this Wikidata item (or known by it).
    #[param(format = "wikidata")]
    wikidata_id: Option<String>,
}

/// Lists live researchers.
#[utoipa::path(get, path = "/v1/researchers", tag = "researchers", params(ResearcherListParams, Paging<Researcher>),
    responses((status = 200, description = "One page of researchers", body = Page<Researcher>), ListErrors))]
async fn list_researchers(
    ReadDb(db): ReadDb,
    headers: HeaderMap,
    ListQuery(params, page): ListQuery<ResearcherListParams, Researcher>,
) -> ApiResult<Response> {
    let mut check = Check::default();
    let company = check.optional("company", params.company, |c| IdOrSlug::parse(&c));
    let q = check.optional("q", params.q, |t| text::query(&t));
    let topic = check.optional("topic", params.topic, |t| text::query(&t));
    let orcid = check.optional("orcid", params.orcid, |o| researcher::parse_orcid(&o));
    let openalex_id = check.optional("openalex_id", params.openalex_id, |o| {
        researcher::parse_openalex_id(&o)
    });
    let wikidata_id = check.optional("wikidata_id", params.wikidata_id, |w| {
        external_id::parse_wikidata(&w)
    });
    check.finish_query()?;
    let company = match company {
        None => None,
        Some(key) => Some(super::resolve_filter(&db, Sluggable::Companies, "company", &key).await?),
    };
    let filter = ResearcherFilter {
        q,
        topic,
        company,
        orcid,
        openalex_id,
        wikidata_id,
    };
    super::csv::list_response(&headers, page, &db, filter).await
}

resource::record_handlers! {
    record: Researcher,
    input: ResearcherInput,
    tag: "researchers",
    collection: "/v1/researchers",
    item: "/v1/researchers/{id}",
    key: (String, "Id or slug"),
    create: (create_researcher, "Creates a researcher.", location: "URL of the new researcher"),
    read: (get_researcher, "One researcher, by id or slug, with the current company.", body: "The researcher"),
    update: (update_researcher, "Changes a researcher with a JSON merge patch (RFC 7396).", body: "The changed researcher"),
    delete: (delete_researcher, "Deletes a researcher (softly); refused while the researcher has moves."),
}
