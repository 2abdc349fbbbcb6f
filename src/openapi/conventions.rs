//! What middleware does for every operation of a kind, written into the spec in one place so
//! that it is documented exactly where it applies:
//! - PATCH bodies are merge patches: each `XInput` gets an `XPatch` twin with no required fields;
//! - lists answer `Accept: text/csv` with every matching row;
//! - every POST takes `Idempotency-Key` (409 while the first is running, 422 when reused for
//!   another request, `Idempotent-Replayed` on replays);
//! - every API operation may be rate limited (429 with `Retry-After` and `RateLimit-*`).

use serde_json::{Map, Value, json};
use utoipa::openapi::OpenApi;

pub fn apply(doc: OpenApi) -> OpenApi {
    let Ok(mut spec) = serde_json::to_value(&doc) else {
        return doc;
    };
    patch_schemas(&mut spec);
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
            "description": "Makes retries safe: a retry with the same key and request replays the first response (with `Idempotent-Replayed: true`) and writes nothing. Per API key, kept at least 24 hours.",
            "schema": {"type": "string", "minLength": 1, "maxLength": 255}
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
