//! What middleware does for every operation of a kind, written into the spec in one place so
//! that it is documented exactly where it applies:
//! - PATCH bodies are merge patches: each `XInput` gets an `XPatch` twin with no required fields;
//! - lists answer `Accept: text/csv` with every matching row;
//! - every POST takes `Idempotency-Key` (409 while the first is running, 422 when reused for
//!   another request, `Idempotent-Replayed` on replays);
//! - every API operation may be rate limited (429 with `Retry-After` and `RateLimit-*`);
//! - the text formats the handlers check (`#[schema(format = "partial-date")]` and the others in
//!   [`text_format`]) become the patterns and enums that say exactly what is accepted, so a
//!   client (or a fuzzer) can tell a valid request from an invalid one without trying it.

use serde_json::{Map, Value, json};
use utoipa::openapi::OpenApi;

pub fn apply(doc: OpenApi) -> OpenApi {
    let Ok(mut spec) = serde_json::to_value(&doc) else {
        return doc;
    };
    patch_schemas(&mut spec);
    text_formats(&mut spec);
    for (path, item) in spec["paths"].as_object_mut().into_iter().flatten() {
        let is_api = path.starts_with("/v1/");
        for (method, operation) in item.as_object_mut().into_iter().flatten() {
            let Some(operation) = operation.as_object_mut() else {
                continue;
            };
            if method == "get" {
                csv_alternative(operation);
            }
            if method == "post" {
                idempotency(operation);
            }
            if is_api {
                rate_limited(operation);
            }
        }
    }
    serde_json::from_value(spec).unwrap_or(doc)
}

fn problem(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    })
}

fn responses(operation: &mut Map<String, Value>) -> &mut Map<String, Value> {
    let responses = operation.entry("responses").or_insert_with(|| json!({}));
    if !responses.is_object() {
        *responses = json!({});
    }
    responses.as_object_mut().expect("just made an object")
}

fn patch_schemas(spec: &mut Value) {
    let mut twins = Vec::new();
    for item in spec["paths"]
        .as_object_mut()
        .into_iter()
        .flat_map(|paths| paths.values_mut())
    {
        let Some(content) = item
            .pointer_mut("/patch/requestBody/content")
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        for media in content.values_mut() {
            let Some(reference) = media.pointer_mut("/schema/$ref") else {
                continue;
            };
            let Some(input) = reference
                .as_str()
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
                .map(str::to_owned)
            else {
                continue;
            };
            let Some(resource) = input.strip_suffix("Input") else {
                continue;
            };
            let patch = format!("{resource}Patch");
            *reference = Value::String(format!("#/components/schemas/{patch}"));
            twins.push((input, patch));
        }
    }
    let Some(schemas) = spec
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (input, patch) in twins {
        let Some(mut schema) = schemas.get(&input).cloned() else {
            continue;
        };
        if let Some(object) = schema.as_object_mut() {
            object.remove("required");
            object.insert(
                "description".to_owned(),
                Value::String(format!(
                    "A JSON merge patch (RFC 7396) of {input}: any subset of its fields; `null` clears an optional field."
                )),
            );
        }
        schemas.insert(patch, schema);
    }
}

/// A list (its 200 is a `Page_…`) also answers CSV.
fn csv_alternative(operation: &mut Map<String, Value>) {
    let Some(ok) = operation
        .get_mut("responses")
        .and_then(|r| r.get_mut("200"))
    else {
        return;
    };
    let is_page = ok
        .pointer("/content/application~1json/schema/$ref")
        .and_then(Value::as_str)
        .is_some_and(|r| r.starts_with("#/components/schemas/Page_"));
    if !is_page {
        return;
    }
    if let Some(content) = ok.get_mut("content").and_then(Value::as_object_mut) {
        content.insert(
            "text/csv".to_owned(),
            json!({
                "schema": {"type": "string"},
                "description": "With `Accept: text/csv`: every matching row from `cursor` on (not one page; `limit` is ignored), RFC 4180 with a header row, references flattened to slug and name columns."
            }),
        );
    }
}

fn idempotency(operation: &mut Map<String, Value>) {
    let parameters = operation.entry("parameters").or_insert_with(|| json!([]));
    if let Some(parameters) = parameters.as_array_mut() {
        parameters.push(json!({
            "name": "Idempotency-Key",
            "in": "header",
            "required": false,
            "description": "Visible ASCII characters. Makes retries safe: a retry with the same key and request replays the first response (with `Idempotent-Replayed: true`) and writes nothing. Per API key, kept at least 24 hours.",
            "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"}
        }));
    }
    let responses = responses(operation);
    for (status, response) in responses.iter_mut() {
        if status.starts_with('2')
            && let Some(response) = response.as_object_mut()
        {
            let headers = response.entry("headers").or_insert_with(|| json!({}));
            if let Some(headers) = headers.as_object_mut() {
                headers.insert(
                    "Idempotent-Replayed".to_owned(),
                    json!({"description": "`true` when this is the stored response to an earlier request with the same Idempotency-Key", "schema": {"type": "string", "enum": ["true"]}}),
                );
            }
        }
    }
    responses.insert(
        "409".to_owned(),
        problem(
            "A unique field is taken, or a request with the same Idempotency-Key is still running",
        ),
    );
    responses
        .entry("422")
        .or_insert_with(|| problem("Invalid, or the Idempotency-Key was used for another request"));
    if let Some(description) = responses
        .get_mut("422")
        .and_then(|r| r.get_mut("description"))
    {
        *description = Value::String("Well-formed but invalid (each bad field in `errors`), or the Idempotency-Key was used for another request".to_owned());
    }
}

fn rate_limited(operation: &mut Map<String, Value>) {
    let mut too_many = problem("Over the rate limit; retry after `Retry-After` seconds");
    too_many["headers"] = json!({
        "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}},
        "RateLimit-Limit": {"description": "Requests allowed in a burst", "schema": {"type": "integer"}},
        "RateLimit-Remaining": {"description": "Requests left now (0)", "schema": {"type": "integer"}},
        "RateLimit-Reset": {"description": "Seconds until the burst allowance is back", "schema": {"type": "integer"}}
    });
    responses(operation).insert("429".to_owned(), too_many);
}

/// Characters no name-like text may hold (`char::is_control`).
const CONTROL: &str = r"\x00-\x1f\x7f-\x9f";
/// Control characters other than tab, newline and carriage return: what prose may not hold.
const PROSE_CONTROL: &str = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f";

/// `YYYY`, `YYYY-MM` or `YYYY-MM-DD` in the years `PartialDate` accepts (1800–2200), days that
/// exist in the calendar only.
fn partial_date_pattern() -> String {
    let year = "(1[89][0-9]{2}|2[01][0-9]{2}|2200)";
    let leap = "((1[89]|2[01])(0[48]|[2468][048]|[13579][26])|2000)";
    let month = "(0[1-9]|1[0-2])";
    format!(
        "^({year}|{year}-{month}|{year}-{month}-(0[1-9]|1[0-9]|2[0-8])|{year}-(0[13-9]|1[0-2])-(29|30)|{year}-(0[13578]|1[02])-31|{leap}-02-29)$"
    )
}

const SLUG: &str = "[a-z0-9]+(-[a-z0-9]+)*";
const UUID: &str = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";

/// What a custom `format` on a string means, as JSON Schema keywords. `name:200` is a name of
/// at most 200 characters.
fn text_format(format: &str) -> Option<Map<String, Value>> {
    let (format, max_length) = match format.split_once(':') {
        Some((format, max)) => (format, Some(max.parse::<u64>().ok()?)),
        None => (format, None),
    };
    let not_blank = |control: &str| format!("^[^{control}]*[^\\s{control}][^{control}]*$");
    let mut keywords = match format {
        "partial-date" => json!({"pattern": partial_date_pattern()}),
        "slug" => json!({"pattern": format!("^{SLUG}$"), "maxLength": 100}),
        "id-or-slug" => json!({"pattern": format!("^({UUID}|{SLUG})$"), "maxLength": 100}),
        // Trimmed, not empty, no control characters.
        "name" => json!({"pattern": not_blank(CONTROL), "minLength": 1}),
        "prose" => json!({"pattern": format!("^[^{PROSE_CONTROL}]*$")}),
        "non-blank-prose" => json!({"pattern": not_blank(PROSE_CONTROL), "minLength": 1}),
        "search-text" => json!({"pattern": format!("^[^{CONTROL}]*$"), "maxLength": 200}),
        // At least two characters besides surrounding spaces.
        "search-query" => json!({
            "pattern": format!("^[^{CONTROL}]*[^\\s{CONTROL}][^{CONTROL}]*[^\\s{CONTROL}][^{CONTROL}]*$"),
            "minLength": 2,
            "maxLength": 200
        }),
        // An absolute http(s) URL with a host name. The service normalises it (a bare host gets
        // a `/`) and keeps at most 2000 characters of the result.
        "http-url" => json!({
            "pattern": "^https?://([a-z0-9]+\\.)*[a-z][a-z0-9]*(:[0-9]{1,4})?(/[A-Za-z0-9._~!$&'()*+,;=:@/-]*)?$",
            "maxLength": 1999
        }),
        "country" => {
            json!({"enum": crate::domain::company::COUNTRY_CODES.split(' ').collect::<Vec<_>>()})
        }
        "currency" => {
            json!({"enum": crate::domain::compensation::CURRENCIES.split(' ').collect::<Vec<_>>()})
        }
        "language" => json!({"pattern": "^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$", "maxLength": 35}),
        // The check digit is verified too.
        "orcid" => {
            json!({"pattern": "^(https?://orcid\\.org/)?[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{3}[0-9X]$"})
        }
        "openalex-id" => json!({"pattern": "^(https://openalex\\.org/)?A[0-9]{1,15}$"}),
        _ => return None,
    };
    if let Some(max) = max_length {
        keywords["maxLength"] = json!(max);
    }
    match keywords {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// Replaces each custom string `format` with the keywords it stands for; on an array, they
/// apply to its items.
fn text_formats(value: &mut Value) {
    match value {
        Value::Object(object) => {
            if let Some(keywords) = object
                .get("format")
                .and_then(Value::as_str)
                .and_then(text_format)
            {
                object.remove("format");
                let is_array = object.get("type").is_some_and(|t| {
                    t == "array" || t.as_array().is_some_and(|a| a.contains(&json!("array")))
                });
                let target = if is_array {
                    object
                        .entry("items")
                        .or_insert_with(|| json!({"type": "string"}))
                        .as_object_mut()
                } else {
                    Some(object)
                };
                if let Some(target) = target {
                    let nullable = target
                        .get("type")
                        .and_then(Value::as_array)
                        .is_some_and(|types| types.contains(&json!("null")));
                    for (key, mut keyword) in keywords {
                        // An enum lists every allowed value, null too where it is allowed.
                        if let (true, "enum", Some(values)) =
                            (nullable, key.as_str(), keyword.as_array_mut())
                        {
                            values.push(Value::Null);
                        }
                        target.entry(key).or_insert(keyword);
                    }
                }
                return;
            }
            object.values_mut().for_each(text_formats);
        }
        Value::Array(items) => items.iter_mut().for_each(text_formats),
        _ => {}
    }
}
