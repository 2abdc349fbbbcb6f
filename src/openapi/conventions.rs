//! What middleware does for every operation of a kind, written into the spec in one place so
//! that it is documented exactly where it applies:
//! - PATCH bodies are merge patches: each `XInput` gets an `XPatch` twin with no required fields;
//! - lists answer `Accept: text/csv` with every matching row;
//! - every POST takes `Idempotency-Key` (409 while the first is running, 422 when reused for
//!   another request, `Idempotent-Replayed` on replays);
//! - every API operation may be rate limited (429 with `Retry-After` and `RateLimit-*`);
//! - every successful write answers its consistency token (`Talentflow-Consistency`), and every
//!   read of the API may send one back (400 when it is not one) and says when a replica
//!   answered it (`Talentflow-Replica-Lag`);
//! - a GET of a researcher or company (or below it) that was merged into another answers 308
//!   to the target;
//! - reads of the API may send a key (servers with `TALENTFLOW_READ_AUTH=key` require one);
//!   the probes outside `/v1` take none;
//! - a parameter is present or absent, never null; a response field that may be null is always
//!   present (`Option` fields serialize as null, not by being left out);
//! - a list's page refers to its item schema rather than copying it;
//! - the text formats the handlers check (`#[schema(format = "partial-date")]` and the others in
//!   [`text_format`]) become the patterns and enums that say exactly what is accepted, so a
//!   client (or a fuzzer) can tell a valid request from an invalid one without trying it.

use serde_json::{Map, Value, json};
use utoipa::openapi::OpenApi;

pub fn apply(doc: OpenApi) -> OpenApi {
    let Ok(mut spec) = serde_json::to_value(&doc) else {
        return doc;
    };
    // Paths are relative to wherever the document was served from.
    spec["servers"] = json!([{"url": "/"}]);
    patch_schemas(&mut spec);
    text_formats(&mut spec);
    page_items_by_reference(&mut spec);
    nullable_output_fields_required(&mut spec);
    for (path, item) in spec["paths"].as_object_mut().into_iter().flatten() {
        let is_api = path.starts_with("/v1/");
        for (method, operation) in item.as_object_mut().into_iter().flatten() {
            let Some(operation) = operation.as_object_mut() else {
                continue;
            };
            parameters_never_null(operation);
            if method == "get" {
                csv_alternative(operation);
                if is_api {
                    optional_read_key(operation);
                    read_consistency(operation);
                }
                if path.starts_with("/v1/researchers/{id}")
                    || path.starts_with("/v1/companies/{id}")
                {
                    merged_redirect(operation);
                }
            }
            if !is_api {
                // The probes and metrics never look at a key.
                operation.entry("security").or_insert_with(|| json!([]));
            }
            if method == "post" {
                idempotency(operation);
            }
            if is_api && method != "get" {
                consistency_token(operation);
            }
            if is_api {
                rate_limited(operation);
            }
        }
    }
    serde_json::from_value(spec).unwrap_or(doc)
}

/// A researcher or company merged into another: its old slug or id leads to the target
/// (`api::merge::RedirectMergedLayer`).
fn merged_redirect(operation: &mut Map<String, Value>) {
    responses(operation).insert(
        "308".to_owned(),
        json!({
            "description": "The record was merged into another: the same request on the target's slug",
            "headers": {"Location": {"description": "The same path and query on the target", "schema": {"type": "string"}}}
        }),
    );
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
        // The server takes a merge patch under either media type (`src/extract.rs`).
        if let Some(merge_patch) = content.get("application/merge-patch+json").cloned() {
            content.entry("application/json").or_insert(merge_patch);
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
        // A media type object has no `description` of its own: it goes on the schema.
        content.insert(
            "text/csv".to_owned(),
            json!({
                "schema": {
                    "type": "string",
                    "description": "With `Accept: text/csv`: every matching row from `cursor` on (not one page; `limit` is ignored), RFC 4180 with a header row, references flattened to slug and name columns."
                }
            }),
        );
    }
}

/// A read of the API may carry a key: anonymous on a public server, required with
/// `TALENTFLOW_READ_AUTH=key` (the operation's 401 says so). Reads that always need a key (key
/// management) already name the scheme alone.
fn optional_read_key(operation: &mut Map<String, Value>) {
    operation
        .entry("security")
        .or_insert_with(|| json!([{}, {"api_key": []}]));
}

/// Query, path and header parameters are present or absent: a client cannot send a null.
/// (`Option<String>` fields in `IntoParams` structs come out as `["string", "null"]`.)
fn parameters_never_null(operation: &mut Map<String, Value>) {
    let Some(parameters) = operation
        .get_mut("parameters")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for schema in parameters.iter_mut().filter_map(|p| p.get_mut("schema")) {
        if let Some(types) = schema.get_mut("type").and_then(Value::as_array_mut) {
            types.retain(|t| t != "null");
            if let [only] = types.as_slice() {
                schema["type"] = only.clone();
            }
        }
        if let Some(values) = schema.get_mut("enum").and_then(Value::as_array_mut) {
            values.retain(|v| !v.is_null());
        }
    }
}

/// utoipa copies a generic's argument into `Page_Move` instead of referring to `Move`, which
/// gives generated clients two unrelated classes for one record.
fn page_items_by_reference(spec: &mut Value) {
    let Some(schemas) = spec
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let pages: Vec<(String, String)> = schemas
        .keys()
        .filter_map(|name| {
            let item = name.strip_prefix("Page_")?;
            schemas
                .contains_key(item)
                .then(|| (name.clone(), item.to_owned()))
        })
        .collect();
    for (page, item) in pages {
        let copied = schemas[&page].pointer("/properties/data/items").cloned();
        // Only an exact copy is replaced: anything else would change what the page says.
        if copied.as_ref() == schemas.get(&item)
            && let Some(items) = schemas
                .get_mut(&page)
                .and_then(|p| p.pointer_mut("/properties/data/items"))
        {
            *items = json!({"$ref": format!("#/components/schemas/{item}")});
        }
    }
}

/// The component schemas a request body refers to, directly or through other schemas.
fn request_schemas(spec: &Value) -> std::collections::BTreeSet<String> {
    fn references(value: &Value, found: &mut Vec<String>) {
        match value {
            Value::Object(object) => {
                if let Some(name) = object
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix("#/components/schemas/"))
                {
                    found.push(name.to_owned());
                }
                object.values().for_each(|v| references(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| references(v, found)),
            _ => {}
        }
    }
    let mut pending = Vec::new();
    for item in spec["paths"]
        .as_object()
        .into_iter()
        .flat_map(|p| p.values())
    {
        for operation in item.as_object().into_iter().flat_map(|o| o.values()) {
            references(&operation["requestBody"], &mut pending);
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    while let Some(name) = pending.pop() {
        if seen.insert(name.clone()) {
            references(&spec["components"]["schemas"][&name], &mut pending);
        }
    }
    seen
}

fn admits_null(schema: &Value) -> bool {
    schema["type"] == "null"
        || schema["type"]
            .as_array()
            .is_some_and(|types| types.contains(&json!("null")))
        || ["oneOf", "anyOf"].iter().any(|key| {
            schema[*key]
                .as_array()
                .is_some_and(|options| options.iter().any(admits_null))
        })
}

/// In what the server sends, a nullable field is always there (null when unknown), so it is
/// `required`: clients then see `T | null`, not `T | null | undefined`. A field the server
/// leaves out when it has nothing (`skip_serializing_if`) is declared not nullable instead.
/// Schemas a request body uses keep optional fields optional.
fn nullable_output_fields_required(spec: &mut Value) {
    let requests = request_schemas(spec);
    let Some(schemas) = spec
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (name, schema) in schemas.iter_mut() {
        if requests.contains(name) {
            continue;
        }
        let nullable: Vec<Value> = schema["properties"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, property)| admits_null(property))
            .map(|(field, _)| Value::String(field.clone()))
            .collect();
        if nullable.is_empty() {
            continue;
        }
        let required = schema
            .as_object_mut()
            .map(|object| object.entry("required").or_insert_with(|| json!([])));
        if let Some(required) = required.and_then(Value::as_array_mut) {
            for field in nullable {
                if !required.contains(&field) {
                    required.push(field);
                }
            }
        }
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
    success_header(
        operation,
        "Idempotent-Replayed",
        json!({"description": "`true` when this is the stored response to an earlier request with the same Idempotency-Key", "schema": {"type": "string", "enum": ["true"]}}),
    );
    let responses = responses(operation);
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

fn consistency_token(operation: &mut Map<String, Value>) {
    success_header(
        operation,
        "Talentflow-Consistency",
        json!({"description": "The consistency token of this write: the database's position after it committed (opaque: 16 hexadecimal digits, today the Postgres WAL position, such as `00000000016B3748`). Send it back on a read as `Talentflow-Consistency` to be answered only from data that includes this write (see docs/API.md, \"Consistency\").", "schema": {"type": "string"}}),
    );
}

/// A read may send a write's token back, and may be answered by a replica.
fn read_consistency(operation: &mut Map<String, Value>) {
    let parameters = operation.entry("parameters").or_insert_with(|| json!([]));
    if let Some(parameters) = parameters.as_array_mut() {
        parameters.push(json!({
            "name": "Talentflow-Consistency",
            "in": "header",
            "required": false,
            "description": "A consistency token a write answered, sent back unchanged: the read is answered only from data that includes that write (a replica that has replayed past it, or else the primary). Without it, a read answered by a replica may not yet include the latest writes. See docs/API.md, \"Consistency\".",
            "schema": {"type": "string", "pattern": "^[0-9A-Fa-f]{16}$", "example": "00000000016B3748"}
        }));
    }
    responses(operation).entry("400").or_insert_with(|| {
        problem("Bad request: `Talentflow-Consistency` is not a token a write answered")
    });
    success_header(
        operation,
        "Talentflow-Replica-Lag",
        json!({"description": "Present when a read replica answered: how far behind the primary it was at its last check (a few times a second), in seconds. Absent when the primary answered.", "schema": {"type": "string", "pattern": "^[0-9]+\\.[0-9]{3}$", "example": "0.200"}}),
    );
}

/// Documents `header` on every 2xx response of the operation.
fn success_header(operation: &mut Map<String, Value>, name: &str, header: Value) {
    for (status, response) in responses(operation).iter_mut() {
        if status.starts_with('2')
            && let Some(response) = response.as_object_mut()
        {
            let headers = response.entry("headers").or_insert_with(|| json!({}));
            if let Some(headers) = headers.as_object_mut() {
                headers.insert(name.to_owned(), header.clone());
            }
        }
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
        "openalex-institution" => json!({"pattern": "^(https://openalex\\.org/)?I[0-9]{1,15}$"}),
        "ror" => json!({"pattern": "^(https?://ror\\.org/)?0[a-z0-9]{6}[0-9]{2}$"}),
        "wikidata" => json!({
            "pattern": "^(https://www\\.wikidata\\.org/wiki/|http://www\\.wikidata\\.org/entity/)?Q[1-9][0-9]{0,11}$"
        }),
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
