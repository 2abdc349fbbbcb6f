use serde_json::Value;

use crate::helpers::TestApp;

/// The committed spec is what the code generates. After an API change, regenerate it with
/// `cargo run -- openapi > openapi/openapi.json` and review the diff.
#[test]
fn committed_spec_matches_the_code() {
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .expect("openapi/openapi.json exists");
    let generated = talentflow::openapi::spec_json();
    assert!(
        committed == generated,
        "openapi/openapi.json is out of date: run `cargo run -- openapi > openapi/openapi.json`"
    );
}

#[tokio::test]
async fn the_served_spec_is_openapi_3_1_and_the_committed_one() {
    let app = TestApp::new().await;
    let served = app.get("/openapi.json").await;
    let served = served.ok(200);
    assert!(served["openapi"].as_str().unwrap().starts_with("3.1"));
    let generated: Value = serde_json::from_str(&talentflow::openapi::spec_json()).unwrap();
    assert_eq!(served, &generated);
    for path in [
        "/v1/companies",
        "/v1/companies/{id}",
        "/v1/companies/{id}/moves",
        "/v1/researchers/{id}",
        "/v1/moves",
        "/v1/sources/{id}",
        "/healthz",
        "/readyz",
    ] {
        assert!(
            served["paths"].get(path).is_some(),
            "{path} missing from the spec"
        );
    }
    assert_eq!(
        served["components"]["securitySchemes"]["api_key"]["scheme"],
        "bearer"
    );
}

#[test]
fn every_operation_documents_its_problem_responses() {
    let spec: Value = serde_json::from_str(&talentflow::openapi::spec_json()).unwrap();
    for (path, operations) in spec["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            let errors: Vec<&String> = responses
                .keys()
                .filter(|status| status.starts_with('4') || status.starts_with('5'))
                .collect();
            // The process-level probes cannot fail while the process answers at all.
            if path != "/healthz" && path != "/metrics" {
                assert!(
                    !errors.is_empty(),
                    "{method} {path} documents no error responses"
                );
            }
            for status in errors {
                assert!(
                    responses[status]["content"]
                        .get("application/problem+json")
                        .is_some(),
                    "{method} {path} {status} is not documented as problem+json"
                );
            }
            if method != "get" {
                for status in ["400", "401", "403", "422"] {
                    if method == "delete" && (status == "400" || status == "422") {
                        continue;
                    }
                    assert!(
                        responses.contains_key(status),
                        "{method} {path} does not document {status}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn docs_are_served_without_the_internet() {
    let app = TestApp::new().await;
    let page = app.get("/docs/").await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.text);
    assert!(page.text.contains("swagger-ui"), "{}", page.text);
    assert!(
        !page.text.contains("unpkg.com") && !page.text.contains("cdn."),
        "docs load assets from a CDN"
    );
    let bundle = app.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(bundle.status.as_u16(), 200);
    assert!(
        bundle.text.len() > 100_000,
        "the Swagger UI bundle is built into the binary"
    );
}

/// A merge patch may carry any subset of the fields, so no PATCH body schema requires one.
#[test]
fn patch_bodies_require_no_fields() {
    let spec: Value = serde_json::from_str(&talentflow::openapi::spec_json()).unwrap();
    let mut patches = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        let Some(patch) = item.get("patch") else {
            continue;
        };
        let reference =
            patch["requestBody"]["content"]["application/merge-patch+json"]["schema"]["$ref"]
                .as_str()
                .unwrap_or_else(|| panic!("PATCH {path} has no merge-patch body"));
        let name = reference.trim_start_matches("#/components/schemas/");
        let schema = &spec["components"]["schemas"][name];
        assert!(schema["properties"].is_object(), "{name} has no properties");
        assert!(
            schema.get("required").is_none(),
            "PATCH {path} body {name} requires fields"
        );
        patches += 1;
    }
    assert_eq!(patches, 9);
}

fn spec() -> Value {
    serde_json::from_str(&talentflow::openapi::spec_json()).unwrap()
}

fn operations(spec: &Value) -> impl Iterator<Item = (&String, &String, &Value)> {
    spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .iter()
                .map(move |(method, operation)| (path, method, operation))
        })
}

/// OpenAPI 3.1 media type objects have `schema`, `example(s)` and `encoding`; anything else
/// (a `description` on the CSV alternative was one) fails every validator.
#[test]
fn media_types_hold_only_what_openapi_allows() {
    let spec = spec();
    let allowed = ["schema", "example", "examples", "encoding"];
    for (path, method, operation) in operations(&spec) {
        let bodies = operation["responses"]
            .as_object()
            .unwrap()
            .values()
            .chain(operation.get("requestBody"));
        for body in bodies {
            for (media, object) in body["content"].as_object().into_iter().flatten() {
                for key in object.as_object().unwrap().keys() {
                    assert!(
                        allowed.contains(&key.as_str()) || key.starts_with("x-"),
                        "{method} {path} {media} has `{key}`"
                    );
                }
            }
        }
    }
}

/// A header, query or path parameter is sent or not; typed nullable, generated clients either
/// refuse `None` or drop the header (and a conditional GET silently becomes a plain one).
#[test]
fn no_parameter_is_nullable() {
    let spec = spec();
    let mut headers = 0;
    for (path, method, operation) in operations(&spec) {
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            let schema = &parameter["schema"];
            let types = match &schema["type"] {
                Value::Array(types) => types.clone(),
                other => vec![other.clone()],
            };
            assert!(
                !types.contains(&Value::from("null"))
                    && !schema["enum"]
                        .as_array()
                        .is_some_and(|v| v.contains(&Value::Null)),
                "{method} {path} parameter {} is nullable: {schema}",
                parameter["name"]
            );
            if parameter["name"] == "If-Match" || parameter["name"] == "If-None-Match" {
                assert_eq!(schema["type"], "string");
                headers += 1;
            }
        }
    }
    assert!(headers >= 20, "only {headers} conditional headers");
}

/// Reads may need a key (`TALENTFLOW_READ_AUTH=key`): every read of the API says a key may be
/// sent, and anonymous reads are allowed unless the read always needs one (key management).
/// The probes say they take none.
#[test]
fn reads_declare_an_optional_key_and_writes_a_required_one() {
    let spec = spec();
    for (path, method, operation) in operations(&spec) {
        let security = &operation["security"];
        if !path.starts_with("/v1/") {
            assert_eq!(
                security,
                &serde_json::json!([]),
                "{method} {path} takes no key"
            );
            continue;
        }
        if method != "get" || path.starts_with("/v1/admin/") {
            assert_eq!(
                security,
                &serde_json::json!([{"api_key": []}]),
                "{method} {path}"
            );
        } else {
            assert_eq!(
                security,
                &serde_json::json!([{}, {"api_key": []}]),
                "{method} {path}"
            );
        }
    }
    assert_eq!(spec["servers"], serde_json::json!([{"url": "/"}]));
}

/// One record, one schema: a page refers to `Move` rather than copying it, so a generated
/// client has one `Move` class, not `Move` and `PageMoveDataItem`.
#[test]
fn pages_refer_to_their_item_schema() {
    let spec = spec();
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    let mut pages = 0;
    for (name, schema) in schemas {
        let Some(item) = name.strip_prefix("Page_") else {
            continue;
        };
        assert_eq!(
            schema["properties"]["data"]["items"],
            serde_json::json!({"$ref": format!("#/components/schemas/{item}")}),
            "{name}"
        );
        pages += 1;
    }
    assert_eq!(pages, 9);
}

/// What the server sends has every field, null when unknown: such fields are `required`, so a
/// typed client sees `CompanyRef | null`, not also `undefined`. `total` (only with
/// `include_total=true`) and a field error's `line` (imports only) are left out instead, and so
/// are optional but never null.
#[test]
fn response_fields_that_may_be_null_are_required() {
    let spec = spec();
    let schemas = &spec["components"]["schemas"];
    let required = |schema: &str| -> Vec<String> {
        serde_json::from_value(schemas[schema]["required"].clone()).unwrap_or_default()
    };
    for (schema, fields) in [
        (
            "Move",
            &[
                "from",
                "to",
                "title",
                "notes",
                "deal",
                "announced_on",
                "announced_precision",
            ][..],
        ),
        ("Company", &["country", "parent"]),
        ("Stint", &["started_on", "ended_on"]),
        ("Page_Move", &["next_cursor"]),
        ("HistoryEntry", &["before", "after"]),
    ] {
        let required = required(schema);
        for field in fields {
            assert!(
                required.iter().any(|r| r == field),
                "{schema}.{field} is not required"
            );
        }
    }
    for (schema, field) in [
        ("Page_Move", "total"),
        ("HistoryPage", "total"),
        ("FieldError", "line"),
    ] {
        assert!(
            !required(schema).iter().any(|r| r == field),
            "{schema}.{field}"
        );
        assert!(
            schemas[schema]["properties"][field]["type"] == "integer",
            "{schema}.{field} is left out, never null"
        );
    }
    // Request bodies keep optional fields optional.
    assert!(!required("MoveInput").iter().any(|r| r == "title"));
}

#[test]
fn closed_vocabularies_are_enums_and_patch_takes_both_media_types() {
    let spec = spec();
    let schemas = &spec["components"]["schemas"];
    let values = |schema: &Value| -> Value {
        let schema = match schema["$ref"].as_str() {
            Some(reference) => &schemas[reference.trim_start_matches("#/components/schemas/")],
            None => schema,
        };
        schema["enum"].clone()
    };
    assert_eq!(
        values(&schemas["SearchHit"]["properties"]["type"]),
        serde_json::json!(["researcher", "company", "project"])
    );
    assert_eq!(
        values(&schemas["HistoryEntry"]["properties"]["action"]),
        serde_json::json!(["create", "update", "delete", "merge"])
    );
    for (path, method, operation) in operations(&spec) {
        if method == "patch" {
            let content = &operation["requestBody"]["content"];
            assert_eq!(
                content["application/json"], content["application/merge-patch+json"],
                "PATCH {path}"
            );
        }
    }
}
