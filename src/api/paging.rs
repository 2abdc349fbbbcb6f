//! How every list pages: `sort`, `limit`, `cursor` and `include_total` are taken off the query
//! string beside the list's own filters, checked into a `db::list::PageRequest` in the orders
//! the listed rows offer (`Keyed::SORTS`), and described once in the spec.

use std::marker::PhantomData;

use axum::{extract::FromRequestParts, http::request::Parts};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use utoipa::{
    IntoParams,
    openapi::{
        Required,
        path::{Parameter, ParameterBuilder, ParameterIn},
        schema::{ObjectBuilder, Type},
    },
};

use crate::{
    db::list::{DEFAULT_LIMIT, Key, KeyKind, Keyed, MAX_LIMIT, PageRequest, Sort},
    domain::cursor::Cursor,
    error::{ApiError, ApiResult},
    extract::parse_query,
};

/// A list's query string: its own filters `P`, and the page asked for among rows `T`.
pub struct ListQuery<P, T>(pub P, pub Paging<T>);

/// The page a list was asked for, in an order that rows `T` offer.
pub struct Paging<T> {
    pub request: PageRequest,
    rows: PhantomData<fn() -> T>,
}

/// The filters of a list that has none: any parameter but the paging ones is refused.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoFilters {}

const PAGING_PARAMETERS: [&str; 4] = ["sort", "limit", "cursor", "include_total"];

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PagingParams {
    sort: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
    include_total: Option<bool>,
}

impl<S, P, T> FromRequestParts<S> for ListQuery<P, T>
where
    S: Send + Sync,
    P: DeserializeOwned,
    T: Keyed,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> ApiResult<Self> {
        // The deserializer reads an encoded string, so the two halves are encoded again.
        let mut paging = form_urlencoded::Serializer::new(String::new());
        let mut filters = form_urlencoded::Serializer::new(String::new());
        for (name, value) in form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes()) {
            let half = if PAGING_PARAMETERS.contains(&name.as_ref()) {
                &mut paging
            } else {
                &mut filters
            };
            half.append_pair(&name, &value);
        }
        let filters = parse_query(&filters.finish())?;
        let paging: PagingParams = parse_query(&paging.finish())?;
        Ok(Self(filters, Paging::parse(paging)?))
    }
}

impl<T: Keyed> Paging<T> {
    fn new(request: PageRequest) -> Self {
        Self {
            request,
            rows: PhantomData,
        }
    }

    fn parse(params: PagingParams) -> ApiResult<Self> {
        let sorts = T::SORTS;
        let sort = match params.sort.as_deref() {
            None => &sorts[0],
            Some(name) => sorts.iter().find(|s| s.name == name).ok_or_else(|| {
                let names: Vec<&str> = sorts.iter().map(|s| s.name).collect();
                ApiError::bad_field("sort", format!("must be one of: {}", names.join(", ")))
            })?,
        };
        let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::bad_field(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let after = match params.cursor.as_deref() {
            None => None,
            Some(text) => Some(position(sort, text)?),
        };
        Ok(Self::new(PageRequest {
            sort,
            limit,
            after,
            include_total: params.include_total.unwrap_or(false),
        }))
    }

    /// The page after `cursor` in this order, as large as allowed, without a total (the
    /// following pages of a CSV export).
    pub fn after(sort: &'static Sort, cursor: &str) -> ApiResult<Self> {
        Ok(Self::new(PageRequest {
            sort,
            limit: MAX_LIMIT,
            after: Some(position(sort, cursor)?),
            include_total: false,
        }))
    }
}

/// Where a cursor says the previous page ended: the last row's sort key and id.
fn position(sort: &Sort, text: &str) -> ApiResult<(Key, uuid::Uuid)> {
    let bad = |message: &str| ApiError::bad_field("cursor", message);
    let cursor = Cursor::decode(text).map_err(|m| bad(&m))?;
    if cursor.sort != sort.name {
        return Err(bad(
            "belongs to another sort order; keep `sort` the same while paging",
        ));
    }
    // A forged key must never reach the database as something it refuses (a NUL byte, a year
    // it cannot store): that would be a 500, not a 400.
    let plausible_year = |year: i32| (1800..=2200).contains(&year);
    let key = match sort.kind {
        KeyKind::Date => cursor
            .key
            .parse::<NaiveDate>()
            .ok()
            .filter(|d| plausible_year(d.year()))
            .map(Key::Date),
        KeyKind::Timestamp => DateTime::parse_from_rfc3339(&cursor.key)
            .ok()
            .map(|t| t.with_timezone(&Utc))
            .filter(|t| plausible_year(t.year()))
            .map(Key::Timestamp),
        KeyKind::Text => Some(cursor.key)
            .filter(|k| !k.chars().any(char::is_control))
            .map(Key::Text),
    };
    Ok((
        key.ok_or_else(|| bad("is not a cursor returned by this list"))?,
        cursor.id,
    ))
}

/// `` `name` (default), `-name`, `created_at` or `-created_at`. ``
fn sort_description(sorts: &[Sort]) -> String {
    let mut names: Vec<String> = sorts.iter().map(|s| format!("`{}`", s.name)).collect();
    names[0].push_str(" (default)");
    match names.split_last() {
        Some((last, [])) => format!("{last}."),
        Some((last, rest)) => format!("{} or {last}.", rest.join(", ")),
        None => String::new(),
    }
}

/// `^-?(name|created_at)$`: every order is offered both ways.
fn sort_pattern(sorts: &[Sort]) -> String {
    let mut fields: Vec<&str> = Vec::new();
    for sort in sorts {
        let field = sort.name.trim_start_matches('-');
        if !fields.contains(&field) {
            fields.push(field);
        }
    }
    match fields.as_slice() {
        [one] => format!("^-?{one}$"),
        _ => format!("^-?({})$", fields.join("|")),
    }
}

impl<T: Keyed> IntoParams for Paging<T> {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let parameter = |name: &str, description: String, schema: ObjectBuilder| {
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Query)
                .description(Some(description))
                .required(Required::False)
                .schema(Some(schema))
                .build()
        };
        vec![
            parameter(
                "sort",
                sort_description(T::SORTS),
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(sort_pattern(T::SORTS))),
            ),
            parameter(
                "limit",
                format!("Rows per page, 1–{MAX_LIMIT} (default {DEFAULT_LIMIT})."),
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                        utoipa::openapi::KnownFormat::Int64,
                    )))
                    .minimum(Some(1))
                    .maximum(Some(MAX_LIMIT)),
            ),
            parameter(
                "cursor",
                "`next_cursor` of the previous page.".to_owned(),
                ObjectBuilder::new().schema_type(Type::String),
            ),
            parameter(
                "include_total",
                "Adds `total`, the number of rows matching the filters.".to_owned(),
                ObjectBuilder::new().schema_type(Type::Boolean),
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::list::sort;

    #[test]
    fn sort_parameter_is_described_from_the_orders() {
        let sorts = [
            sort("name", "c.name", KeyKind::Text),
            sort("-name", "c.name", KeyKind::Text),
            sort("created_at", "c.created_at", KeyKind::Timestamp),
            sort("-created_at", "c.created_at", KeyKind::Timestamp),
        ];
        assert_eq!(
            sort_description(&sorts),
            "`name` (default), `-name`, `created_at` or `-created_at`."
        );
        assert_eq!(sort_pattern(&sorts), "^-?(name|created_at)$");
        let two = [
            sort("-created_at", "s.created_at", KeyKind::Timestamp),
            sort("created_at", "s.created_at", KeyKind::Timestamp),
        ];
        assert_eq!(
            sort_description(&two),
            "`-created_at` (default) or `created_at`."
        );
        assert_eq!(sort_pattern(&two), "^-?created_at$");
    }
}
