//! Analytics for dashboards: flows, balance, attrition, timeline, leaderboard, pay, search.
//! Every answer is exact and current: a write shows in the next answer.

use super::support::FinishQuery;
use crate::domain::form::Check;
use crate::replicas::routing::ReadDb;
use std::collections::HashMap;

use axum::{Json, extract::Path};
use chrono::Utc;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    app::AppState,
    db::{
        self, Sluggable,
        analytics::{MoveScope, Side},
    },
    domain::{
        analytics::{
            Attrition, Balance, BalanceTally, CompanyCount, CompensationSummary, Departure,
            FlowLink, Flows, Interval, LeaderboardRow, SearchHit, SearchType, Timeline,
            departure_certainty, stints,
        },
        company::Company,
        compensation::CompensationReport,
        moves::{Confidence, Move, MoveKind},
        partial_date::PartialDate,
        project::Project,
        refs::{ProjectRef, ResearcherRef},
        researcher::Researcher,
        text,
    },
    error::{ApiError, ApiResult},
    extract::ApiQuery,
    openapi::{ListErrors, ReadErrors},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(flows))
        .routes(routes!(balance))
        .routes(routes!(attrition))
        .routes(routes!(timeline))
        .routes(routes!(leaderboard))
        .routes(routes!(compensation_summary))
        .routes(routes!(search))
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RollUp {
    /// Count each company under its top-level parent (Google DeepMind under Google); a move
    /// between two companies of one parent is then not a flow.
    Parent,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    #[default]
    Net,
    Inflow,
    Outflow,
}

/// What the query says of the moves an analytic counts.
struct ScopeParams {
    since: Option<String>,
    until: Option<String>,
    kind: Option<String>,
    roll_up: Option<RollUp>,
    min_confidence: Option<String>,
}

fn scope(check: &mut Check, params: ScopeParams) -> MoveScope {
    let (since, until) = super::period(check, params.since, params.until);
    let kind = check.optional("kind", params.kind, |k| MoveKind::parse(&k));
    MoveScope {
        since: since.map(|d| d.start),
        until: until.map(|d| d.end()),
        kind: kind.map(|k| k.as_str().to_owned()),
        min_confidence: super::min_confidence(check, params.min_confidence)
            .unwrap_or(Confidence::Inferred),
        roll_up: params.roll_up.is_some(),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FlowParams {
    /// Moves effective on or after (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`).
    #[param(format = "partial-date")]
    since: Option<String>,
    /// Moves effective on or before, inclusive of the whole period.
    #[param(format = "partial-date")]
    until: Option<String>,
    #[param(value_type = Option<MoveKind>)]
    kind: Option<String>,
    roll_up: Option<RollUp>,
    /// Leave out links with fewer moves.
    #[param(minimum = 1)]
    min_count: Option<i64>,
    /// Keep only the largest links.
    #[param(minimum = 1, maximum = 1000)]
    top: Option<i64>,
    /// Count only moves of this confidence or a stronger one (`inferred` < `rumored` <
    /// `reported` < `confirmed`); default all of them. `reported` leaves out what was only
    /// inferred from open sources or rumoured.
    #[param(value_type = Option<Confidence>)]
    min_confidence: Option<String>,
}

/// Flows between companies, ready for a Sankey diagram: every move with a known origin and
/// destination counts once on its link. With `since`/`until`, a link's `count` is the moves that
/// lie in the period; a move whose date (known to a month or a year) only overlaps the period is
/// counted in `uncertain` instead, never in `count`.
#[utoipa::path(get, path = "/v1/flows", tag = "analytics", params(FlowParams),
    responses((status = 200, description = "Nodes and links", body = Flows), ListErrors))]
async fn flows(
    ReadDb(db): ReadDb,
    ApiQuery(params): ApiQuery<FlowParams>,
) -> ApiResult<Json<Flows>> {
    let mut check = Check::default();
    let scope = scope(
        &mut check,
        ScopeParams {
            since: params.since,
            until: params.until,
            kind: params.kind,
            roll_up: params.roll_up,
            min_confidence: params.min_confidence,
        },
    );
    if params.min_count.is_some_and(|n| n < 1) {
        check.error("min_count", "must be at least 1");
    }
    if params.top.is_some_and(|n| !(1..=1000).contains(&n)) {
        check.error("top", "must be between 1 and 1000");
    }
    check.finish_query()?;
    let (total_moves, uncertain_moves, links) = db::analytics::flows(
        &db,
        &scope,
        params.min_count.unwrap_or(1),
        params.top.unwrap_or(1000),
    )
    .await?;
    let links: Vec<FlowLink> = links
        .into_iter()
        .map(|(source, target, count, uncertain)| FlowLink {
            source,
            target,
            count,
            uncertain,
        })
        .collect();
    let mut ids: Vec<_> = links.iter().flat_map(|l| [l.source, l.target]).collect();
    ids.sort();
    ids.dedup();
    let mut nodes = db::analytics::company_refs(&db, &ids).await?;
    nodes.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Json(Flows {
        nodes,
        links,
        total_moves,
        uncertain_moves,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BalanceParams {
    #[param(format = "partial-date")]
    since: Option<String>,
    #[param(format = "partial-date")]
    until: Option<String>,
    /// `month` (default), `quarter` or `year`.
    interval: Option<Interval>,
    roll_up: Option<RollUp>,
    /// Count only moves of this confidence or a stronger one (`inferred` < `rumored` <
    /// `reported` < `confirmed`); default all of them. `reported` leaves out what was only
    /// inferred from open sources or rumoured.
    #[param(value_type = Option<Confidence>)]
    min_confidence: Option<String>,
}

/// Arrivals, departures and net per period for one company, with where people came from and
/// went to. With `roll_up=parent` the company stands for its top-level parent and everything
/// under it. Dates known to a month or a year are the intervals they cover: a move is in a
/// bucket only when its whole date lies in it; one known only to a year is `unplaced` in a month
/// or quarter series (in `totals`, in no bucket); with `since`/`until`, one whose date only
/// overlaps the period is counted in `uncertain` alone.
#[utoipa::path(get, path = "/v1/companies/{id}/balance", tag = "analytics",
    params(("id" = String, Path, description = "Id or slug"), BalanceParams),
    responses((status = 200, description = "The balance", body = Balance), ListErrors, ReadErrors))]
async fn balance(
    ReadDb(db): ReadDb,
    Path(key): Path<String>,
    ApiQuery(params): ApiQuery<BalanceParams>,
) -> ApiResult<Json<Balance>> {
    let key = super::path_key::<Company>(&key)?;
    let mut check = Check::default();
    let scope = scope(
        &mut check,
        ScopeParams {
            since: params.since,
            until: params.until,
            kind: None,
            roll_up: params.roll_up,
            min_confidence: params.min_confidence,
        },
    );
    check.finish_query()?;
    let company = db::resolve(&db, Sluggable::Companies, &key)
        .await?
        .ok_or_else(|| ApiError::not_found("company", &key))?;
    // One snapshot for the series, the rankings and the totals, so they agree under writes.
    let mut tx = db::read_snapshot(&db).await?;
    let (company, group) = if scope.roll_up {
        let root = db::analytics::root_of(&mut tx, company).await?;
        (root, db::analytics::group_of(&mut tx, root).await?)
    } else {
        (company, vec![company])
    };
    let interval = params.interval.unwrap_or_default();
    let rows = db::analytics::balance_counts(&mut tx, &group, &scope).await?;

    let tally = BalanceTally::of(&rows, interval, scope.since, scope.until);
    let gained_from =
        db::analytics::counterparts(&mut tx, company, &group, &scope, Side::Arrivals).await?;
    let lost_to =
        db::analytics::counterparts(&mut tx, company, &group, &scope, Side::Departures).await?;
    tx.commit().await?;
    let company_ref = db::analytics::company_refs(&db, &[company])
        .await?
        .pop()
        .ok_or_else(|| ApiError::not_found("company", &key))?;
    Ok(Json(Balance {
        company: company_ref,
        series: tally.series,
        gained_from,
        lost_to,
        unplaced: tally.unplaced,
        totals: tally.totals,
        uncertain: tally.uncertain,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AttritionParams {
    /// Count departures up to this date (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`, the end of the
    /// period); default today.
    #[param(format = "partial-date")]
    as_of: Option<String>,
    /// Count only moves of this confidence or a stronger one (`inferred` < `rumored` <
    /// `reported` < `confirmed`); default all of them. `reported` leaves out what was only
    /// inferred from open sources or rumoured.
    #[param(value_type = Option<Confidence>)]
    min_confidence: Option<String>,
}

/// How much of a project's roster has left its company: a contributor has departed when a move
/// took them from the company (or a subsidiary) to elsewhere and that move is not certainly
/// before the release nor certainly after `as_of`. Dates known to a month or a year are the
/// intervals they cover: a move known to "2023" against a release in "2023-02" counts, with
/// `date_certain: false`, and is counted in `departed_uncertain`. The press figures are listed
/// beside the computed ones.
#[utoipa::path(get, path = "/v1/projects/{id}/attrition", tag = "analytics",
    params(("id" = String, Path, description = "Id or slug"), AttritionParams),
    responses((status = 200, description = "The attrition", body = Attrition), ListErrors, ReadErrors))]
async fn attrition(
    ReadDb(db): ReadDb,
    Path(key): Path<String>,
    ApiQuery(params): ApiQuery<AttritionParams>,
) -> ApiResult<Json<Attrition>> {
    let key = super::path_key::<Project>(&key)?;
    let mut check = Check::default();
    let as_of = check.optional("as_of", params.as_of, |d| PartialDate::parse(&d));
    let min_confidence =
        super::min_confidence(&mut check, params.min_confidence).unwrap_or(Confidence::Inferred);
    check.finish_query()?;
    let as_of = as_of
        .map(|d| d.end())
        .unwrap_or_else(|| Utc::now().date_naive());
    let mut conn = db.acquire().await?;
    let project = db::record::get::<Project>(&mut conn, &key)
        .await?
        .ok_or_else(|| ApiError::not_found("project", &key))?;
    // Never hold a connection while waiting for another: under load that deadlocks the pool.
    drop(conn);
    let roster_size = db::analytics::roster_size(&db, project.id).await?;
    let released = PartialDate::from_stored(project.released_on, project.released_precision);
    // Each contributor's first move away that counts as a departure, and whether it is certain.
    let mut certain: HashMap<uuid::Uuid, bool> = HashMap::new();
    let mut last_researcher = None;
    if let Some(company) = &project.company {
        let candidates =
            db::analytics::moves_away(&db, project.id, company.id, as_of, min_confidence).await?;
        for (researcher, move_id, effective_on, precision) in candidates {
            if last_researcher == Some(researcher) {
                continue;
            }
            let date = PartialDate {
                start: effective_on,
                precision,
            };
            if let Some(date_certain) = departure_certainty(date, released, as_of) {
                certain.insert(move_id, date_certain);
                last_researcher = Some(researcher);
            }
        }
    }
    let ids: Vec<uuid::Uuid> = certain.keys().copied().collect();
    let mut departed_moves = db::record::by_ids::<Move>(&mut *db.acquire().await?, &ids).await?;
    departed_moves.sort_by_key(|m| (m.effective_on, m.id));
    let mut destinations: HashMap<uuid::Uuid, CompanyCount> = HashMap::new();
    for departure in &departed_moves {
        if let Some(to) = &departure.to {
            destinations
                .entry(to.id)
                .or_insert_with(|| CompanyCount {
                    company: to.clone(),
                    count: 0,
                })
                .count += 1;
        }
    }
    let mut destinations: Vec<CompanyCount> = destinations.into_values().collect();
    destinations.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.company.name.cmp(&b.company.name))
    });
    let departed = departed_moves.len() as i64;
    let departed_uncertain = certain.values().filter(|c| !**c).count() as i64;
    let reported = db::reports::all_of(&mut *db.acquire().await?, project.id).await?;
    Ok(Json(Attrition {
        project: ProjectRef {
            id: project.id,
            slug: project.slug,
            name: project.name,
        },
        as_of,
        roster_size,
        departed,
        departed_uncertain,
        remaining: roster_size - departed,
        departure_rate: if roster_size > 0 {
            departed as f64 / roster_size as f64
        } else {
            0.0
        },
        departures: departed_moves
            .into_iter()
            .map(|m| Departure {
                researcher: m.researcher.clone(),
                date_certain: certain.get(&m.id).copied().unwrap_or(true),
                r#move: m,
            })
            .collect(),
        destinations,
        reported,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TimelineParams {
    /// Count only moves of this confidence or a stronger one (`inferred` < `rumored` <
    /// `reported` < `confirmed`); default all of them. `reported` leaves out what was only
    /// inferred from open sources or rumoured.
    #[param(value_type = Option<Confidence>)]
    min_confidence: Option<String>,
}

/// A researcher's career as stints at companies, built from the moves, plus the moves.
#[utoipa::path(get, path = "/v1/researchers/{id}/timeline", tag = "analytics",
    params(("id" = String, Path, description = "Id or slug"), TimelineParams),
    responses((status = 200, description = "The timeline", body = Timeline), ListErrors, ReadErrors))]
async fn timeline(
    ReadDb(db): ReadDb,
    Path(key): Path<String>,
    ApiQuery(params): ApiQuery<TimelineParams>,
) -> ApiResult<Json<Timeline>> {
    let key = super::path_key::<Researcher>(&key)?;
    let mut check = Check::default();
    let min_confidence =
        super::min_confidence(&mut check, params.min_confidence).unwrap_or(Confidence::Inferred);
    check.finish_query()?;
    let mut conn = db.acquire().await?;
    let researcher = db::record::get::<Researcher>(&mut conn, &key)
        .await?
        .ok_or_else(|| ApiError::not_found("researcher", &key))?;
    drop(conn);
    let moves = db::moves::of_researcher(&db, researcher.id, min_confidence).await?;
    Ok(Json(Timeline {
        researcher: ResearcherRef {
            id: researcher.id,
            slug: researcher.slug,
            name: researcher.name,
        },
        stints: stints(&moves),
        moves,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LeaderboardParams {
    #[param(format = "partial-date")]
    since: Option<String>,
    #[param(format = "partial-date")]
    until: Option<String>,
    /// `net` (default), `inflow` or `outflow`.
    metric: Option<Metric>,
    roll_up: Option<RollUp>,
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// Count only moves of this confidence or a stronger one (`inferred` < `rumored` <
    /// `reported` < `confirmed`); default all of them. `reported` leaves out what was only
    /// inferred from open sources or rumoured.
    #[param(value_type = Option<Confidence>)]
    min_confidence: Option<String>,
}

/// Companies ranked by net gain, arrivals or departures in a period: the moves that lie in it;
/// those whose date only overlaps it are in `uncertain_inflow`/`uncertain_outflow`, not ranked.
#[utoipa::path(get, path = "/v1/leaderboard", tag = "analytics", params(LeaderboardParams),
    responses((status = 200, description = "Ranked companies", body = Vec<LeaderboardRow>), ListErrors))]
async fn leaderboard(
    ReadDb(db): ReadDb,
    ApiQuery(params): ApiQuery<LeaderboardParams>,
) -> ApiResult<Json<Vec<LeaderboardRow>>> {
    let mut check = Check::default();
    let scope = scope(
        &mut check,
        ScopeParams {
            since: params.since,
            until: params.until,
            kind: None,
            roll_up: params.roll_up,
            min_confidence: params.min_confidence,
        },
    );
    let limit = params.limit.unwrap_or(20);
    if !(1..=500).contains(&limit) {
        check.error("limit", "must be between 1 and 500");
    }
    check.finish_query()?;
    let metric = match params.metric.unwrap_or_default() {
        Metric::Net => "net",
        Metric::Inflow => "inflow",
        Metric::Outflow => "outflow",
    };
    Ok(Json(
        db::analytics::leaderboard(&db, &scope, metric, limit).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CompensationSummaryParams {
    /// The role, case-insensitive.
    #[param(format = "search-text")]
    role: Option<String>,
    /// Reports on or after.
    #[param(format = "partial-date")]
    since: Option<String>,
}

/// Per company (and currency): how many reports, the lowest and highest figure, the latest.
#[utoipa::path(get, path = "/v1/compensation/summary", tag = "analytics", params(CompensationSummaryParams),
    responses((status = 200, description = "One row per company and currency, highest pay first", body = Vec<CompensationSummary>), ListErrors))]
async fn compensation_summary(
    ReadDb(db): ReadDb,
    ApiQuery(params): ApiQuery<CompensationSummaryParams>,
) -> ApiResult<Json<Vec<CompensationSummary>>> {
    let mut check = Check::default();
    let role = check.optional("role", params.role, |r| text::query(&r));
    let since = check.optional("since", params.since, |d| PartialDate::parse(&d));
    check.finish_query()?;
    let rows =
        db::analytics::compensation_summary(&db, role.as_deref(), since.map(|d| d.start)).await?;
    let latest_ids: Vec<_> = rows.iter().map(|r| r.5).collect();
    let mut conn = db.acquire().await?;
    let latest: HashMap<_, _> = db::record::by_ids::<CompensationReport>(&mut conn, &latest_ids)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let summary = rows
        .into_iter()
        .filter_map(|(_, currency, reports, min, max, latest_id)| {
            let latest = latest.get(&latest_id)?.clone();
            Some(CompensationSummary {
                company: latest.company.clone(),
                currency,
                reports,
                min,
                max,
                latest,
            })
        })
        .collect();
    Ok(Json(summary))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// What to look for; misspellings are forgiven (`balko`, `deepmnd`, `lama`).
    #[param(required = true, format = "search-query")]
    q: Option<String>,
    /// Comma-separated: `researcher`, `company`, `project` (default all).
    #[param(pattern = "^(researcher|company|project)(,(researcher|company|project))*$")]
    types: Option<String>,
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
}

/// Ranked, typo-tolerant search over researchers (names and aliases), companies and projects.
#[utoipa::path(get, path = "/v1/search", tag = "analytics", params(SearchParams),
    responses((status = 200, description = "Best matches first", body = Vec<SearchHit>), ListErrors))]
async fn search(
    ReadDb(db): ReadDb,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> ApiResult<Json<Vec<SearchHit>>> {
    let mut check = Check::default();
    let q = check.require("q", params.q, |q| {
        let q = text::query(&q)?;
        if q.trim().chars().count() < 2 {
            Err("must have at least 2 characters".to_owned())
        } else {
            Ok(q)
        }
    });
    let mut types: Vec<SearchType> = Vec::new();
    match params.types {
        None => types.extend([
            SearchType::Researcher,
            SearchType::Company,
            SearchType::Project,
        ]),
        Some(given) => {
            for kind in given.split(',').map(str::trim) {
                match SearchType::parse(kind) {
                    Ok(kind) if types.contains(&kind) => {}
                    Ok(kind) => types.push(kind),
                    Err(message) => check.error("types", message),
                }
            }
        }
    }
    let limit = params.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        check.error("limit", "must be between 1 and 100");
    }
    check.finish_query()?;
    let q = q.unwrap_or_default();
    Ok(Json(db::search::search(&db, &q, &types, limit).await?))
}
