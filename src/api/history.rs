//! `GET /v1/{collection}/{id}/history`: the audit trail of one record, newest first.

use crate::replicas::routing::ReadDb;
use axum::{Json, extract::Path};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    app::AppState,
    db::{
        audit::{self, HistoryEntry},
        list::{DEFAULT_LIMIT, MAX_LIMIT},
    },
    domain::{cursor::Cursor, id_or_slug::IdOrSlug},
    error::{ApiError, ApiResult},
    extract::ApiQuery,
    openapi::ListErrors,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(record_history))
}

/// The collections whose records keep a history.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Collection {
    Companies,
    Researchers,
    Moves,
    Sources,
    Projects,
    Reports,
    Deals,
    Compensation,
    Signals,
}

impl Collection {
    /// One record of the collection, as error messages name it.
    fn record_name(self) -> &'static str {
        match self {
            Self::Companies => "company",
            Self::Researchers => "researcher",
            Self::Moves => "move",
            Self::Sources => "source",
            Self::Projects => "project",
            Self::Reports => "report",
            Self::Deals => "deal",
            Self::Compensation => "compensation report",
            Self::Signals => "signal",
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Companies => "companies",
            Self::Researchers => "researchers",
            Self::Moves => "moves",
            Self::Sources => "sources",
            Self::Projects => "projects",
            Self::Reports => "reports",
            Self::Deals => "deals",
            Self::Compensation => "compensation",
            Self::Signals => "signals",
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryParams {
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    cursor: Option<String>,
    include_total: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryPage {
    pub data: Vec<HistoryEntry>,
    pub next_cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    // Left out rather than null: see `openapi::conventions`.
    #[schema(nullable = false)]
    pub total: Option<i64>,
}

const SORT: &str = "history";

/// Who changed a record, when, and what it was before and after. Deleted records keep theirs
/// (ask by id: a deleted record's slug is free for others).
#[utoipa::path(get, path = "/v1/{collection}/{id}/history", tag = "history",
    params(
        ("collection" = Collection, Path, description = "companies, researchers, moves, sources, projects, reports, deals, compensation or signals"),
        ("id" = String, Path, description = "Id (or slug of a live company, researcher or project)"),
        HistoryParams,
    ),
    responses((status = 200, description = "One page of changes, newest first", body = HistoryPage),
        (status = 404, description = "No such collection or record", body = crate::error::Problem,
            content_type = "application/problem+json"),
        ListErrors))]
async fn record_history(
    ReadDb(db): ReadDb,
    Path((collection, key)): Path<(String, String)>,
    ApiQuery(params): ApiQuery<HistoryParams>,
) -> ApiResult<Json<HistoryPage>> {
    let collection: Collection =
        serde_json::from_value(serde_json::Value::String(collection.clone())).map_err(|_| {
            ApiError::NotFound(format!("no collection `{collection}` keeps a history"))
        })?;
    let record = IdOrSlug::parse(&key).map_err(|_| ApiError::not_found("record", &key))?;
    let record_id = audit::record_id(&db, collection.as_str(), &record)
        .await?
        .ok_or_else(|| ApiError::not_found(collection.record_name(), &key))?;

    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_field(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let before_id = match params.cursor.as_deref() {
        None => None,
        Some(text) => {
            let bad = || ApiError::bad_field("cursor", "is not a cursor returned by this list");
            let cursor = Cursor::decode(text).map_err(|_| bad())?;
            if cursor.sort != SORT || cursor.id != record_id {
                return Err(bad());
            }
            Some(cursor.key.parse::<i64>().map_err(|_| bad())?)
        }
    };
    let mut data =
        audit::history(&db, collection.as_str(), record_id, before_id, limit + 1).await?;
    let next_cursor = if data.len() as i64 > limit {
        data.truncate(limit as usize);
        data.last().map(|last| {
            Cursor {
                sort: SORT.to_owned(),
                key: last.id.to_string(),
                id: record_id,
            }
            .encode()
        })
    } else {
        None
    };
    let total = match params.include_total {
        Some(true) => Some(audit::history_count(&db, collection.as_str(), record_id).await?),
        _ => None,
    };
    Ok(Json(HistoryPage {
        data,
        next_cursor,
        total,
    }))
}
