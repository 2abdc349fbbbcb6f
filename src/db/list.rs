//! Keyset pagination shared by every list: a page is the rows after the cursor's (sort key, id)
//! in (sort key, id) order, so rows inserted between pages are neither skipped nor repeated.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::{FromRow, PgPool, Postgres, QueryBuilder, postgres::PgRow};
use utoipa::ToSchema;
use uuid::Uuid;

use super::error::DbResult;
use crate::domain::cursor::Cursor;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Date,
    Timestamp,
    Text,
}

/// One order a list offers: `-effective_on` is newest first.
#[derive(Debug)]
pub struct Sort {
    pub name: &'static str,
    /// The SQL expression sorted on; an index pairs it with the id.
    pub expr: &'static str,
    pub kind: KeyKind,
    pub order: SortOrder,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    Ascending,
    /// `-name`: the sort's name starts with a minus.
    Descending,
}

/// A sort key as the database compares it.
#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    Date(NaiveDate),
    Timestamp(DateTime<Utc>),
    Text(String),
}

/// A validated request for one page (the API checks the parameters: `api::paging`).
#[derive(Debug)]
pub struct PageRequest {
    pub sort: &'static Sort,
    pub limit: i64,
    /// The last row of the previous page: its sort key and id.
    pub after: Option<(Key, Uuid)>,
    pub include_total: bool,
}

/// A list's filters: they read one page of the rows they match, so a list is read the same
/// way for a JSON page, a CSV stream of every page, or a whole history.
pub trait Filter: Clone + Send + Sync + 'static {
    type Row: Keyed + Send;

    fn list(
        &self,
        pool: &PgPool,
        page: &PageRequest,
    ) -> impl std::future::Future<Output = DbResult<Page<Self::Row>>> + Send;
}

/// Rows that can say where they stand in a sort.
pub trait Keyed {
    /// The orders the rows can be listed in; the first is the default.
    const SORTS: &'static [Sort];

    fn id(&self) -> Uuid;
    fn sort_key(&self, sort: &Sort) -> String;
}

pub fn date_key(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

pub fn timestamp_key(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// `{"data": [...], "next_cursor": "..." | null}`, with `total` when asked for.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub data: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// All rows matching the filters, with `include_total=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    // Left out rather than null: see `openapi::conventions`.
    #[schema(nullable = false)]
    pub total: Option<i64>,
}

/// `since`/`until` on a partial date stored as `first_day` and `precision` (columns): a row
/// matches when its date **may** lie in the period (the intervals overlap), so no row that might
/// belong is hidden; a list sorts by the first day. The rule is
/// `domain::partial_date::Placement`, the last day `tf_period_end` (migration 0008).
pub fn push_period_overlap(
    query: &mut QueryBuilder<Postgres>,
    first_day: &str,
    precision: &str,
    since: Option<NaiveDate>,
    until: Option<NaiveDate>,
) {
    if let Some(since) = since {
        // No period is longer than a year, so this bound (which an index on the first day
        // answers) keeps every row whose last day can reach `since`.
        if let Some(reach) = since.checked_sub_days(chrono::Days::new(366)) {
            query.push(format!(" AND {first_day} > ")).push_bind(reach);
        }
        query
            .push(format!(" AND tf_period_end({first_day}, {precision}) >= "))
            .push_bind(since);
    }
    if let Some(until) = until {
        query.push(format!(" AND {first_day} <= ")).push_bind(until);
    }
}

impl PageRequest {
    /// The same position and order in pages as large as allowed, without a total (CSV export).
    pub fn for_export(self) -> Self {
        Self {
            limit: MAX_LIMIT,
            include_total: false,
            ..self
        }
    }
}

/// ` AND (key, id) after the cursor ORDER BY key, id LIMIT limit + 1`: one page's worth in
/// the page's order, the extra row telling whether another page follows. `sort_expr` and
/// `id_column` name the sort key and id as the query at hand sees them.
pub fn push_position(
    query: &mut QueryBuilder<Postgres>,
    page: &PageRequest,
    sort_expr: &str,
    id_column: &str,
) {
    let sort = page.sort;
    let descending = sort.order == SortOrder::Descending;
    let direction = if descending { " DESC" } else { " ASC" };
    if let Some((key, id)) = &page.after {
        query
            .push(" AND (")
            .push(sort_expr)
            .push(", ")
            .push(id_column);
        query.push(if descending { ") < (" } else { ") > (" });
        match key {
            Key::Date(d) => query.push_bind(*d),
            Key::Timestamp(t) => query.push_bind(*t),
            Key::Text(s) => query.push_bind(s.clone()),
        };
        query.push(", ").push_bind(*id).push(")");
    }
    query.push(" ORDER BY ").push(sort_expr).push(direction);
    query.push(", ").push(id_column).push(direction);
    query.push(" LIMIT ").push_bind(page.limit + 1);
}

/// Runs `select` (which ends in a WHERE clause) plus the filters pushed by `filters`, one page
/// of it, and the total when asked. `id_column` is the id of the listed table in `select`.
pub async fn fetch_page<T>(
    pool: &PgPool,
    select: &str,
    count_select: &str,
    id_column: &str,
    filters: &(dyn Fn(&mut QueryBuilder<Postgres>) + Sync),
    page: &PageRequest,
) -> DbResult<Page<T>>
where
    T: for<'r> FromRow<'r, PgRow> + Send + Unpin + Keyed,
{
    let head = QueryBuilder::new(select);
    fetch_page_with_head(pool, head, count_select, id_column, filters, page).await
}

/// [`fetch_page`] with a head that already holds binds (e.g. a narrowed FROM clause).
pub async fn fetch_page_with_head<T>(
    pool: &PgPool,
    mut query: QueryBuilder<Postgres>,
    count_select: &str,
    id_column: &str,
    filters: &(dyn Fn(&mut QueryBuilder<Postgres>) + Sync),
    page: &PageRequest,
) -> DbResult<Page<T>>
where
    T: for<'r> FromRow<'r, PgRow> + Send + Unpin + Keyed,
{
    let sort = page.sort;
    filters(&mut query);
    push_position(&mut query, page, sort.expr, id_column);
    let mut data: Vec<T> = query.build_query_as().fetch_all(pool).await?;

    let next_cursor = if data.len() as i64 > page.limit {
        data.truncate(page.limit as usize);
        data.last().map(|last| {
            Cursor {
                sort: sort.name.to_owned(),
                key: last.sort_key(sort),
                id: last.id(),
            }
            .encode()
        })
    } else {
        None
    };

    let total = if page.include_total {
        let mut count = QueryBuilder::new(count_select);
        filters(&mut count);
        Some(count.build_query_scalar().fetch_one(pool).await?)
    } else {
        None
    };
    Ok(Page {
        data,
        next_cursor,
        total,
    })
}

/// An order as the API names it (a leading `-` is descending) on the SQL expression `expr`.
pub const fn sort(name: &'static str, expr: &'static str, kind: KeyKind) -> Sort {
    let order = if name.as_bytes()[0] == b'-' {
        SortOrder::Descending
    } else {
        SortOrder::Ascending
    };
    Sort {
        name,
        expr,
        kind,
        order,
    }
}
