//! Hostile input for every parameter the spec declares: SQL-injection strings, huge strings,
//! control characters, invalid UTF-8, wrong types, out-of-range numbers and dates, deep JSON.
//! Each gets a 4xx problem+json or is stored literally; none is a 5xx, none changes a record
//! it was not addressed to.

use std::collections::BTreeSet;

use axum::{body::Body, http::Method};
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// Hostile values as they go in a query string (already percent-encoded where needed).
const QUERY_VALUES: &[&str] = &[
    "'%20OR%201=1;--",
    "%27);DROP%20TABLE%20moves;--",
    "%00",
    "%07%1b%5B31m",
    "%FF%FE",
    "-1",
    "0",
    "99999999999999999999999",
    "1e308",
    "NaN",
    "2024-02-30",
    "0000-00-00",
    "99999-01-01",
    "true",
    "%5B%5D",
    "a,b,,c",
];

fn huge() -> String {
    "x".repeat(100_000)
}

/// Hostile values for a JSON body field: wrong types, huge and odd strings, deep nesting.
fn body_values() -> Vec<Value> {
    let mut deep = json!(1);
    for _ in 0..200 {
        deep = json!([deep]);
    }
    vec![
        json!("' OR 1=1; --"),
        json!("Robert'); DROP TABLE moves;--"),
        json!("\u{0000}nul"),
        json!("\u{0007}\u{001b}[31mbell"),
        json!("\u{202e}gnp.exe"),
        json!(huge()),
        json!(-1),
        json!(1e308),
        json!(i64::MIN),
        json!(true),
        json!(null),
        json!([]),
        json!({"$ne": null}),
        json!("2024-02-30"),
        json!("0000-00-00"),
        deep,
    ]
}

fn spec() -> Value {
    serde_json::from_str(&talentflow::openapi::spec_json()).unwrap()
}

/// The whole data set as a set of export lines: what "no record changed" is checked against.
async fn snapshot(app: &TestApp) -> BTreeSet<String> {
    let response = app.get("/v1/export").await;
    response.ok(200);
    response.text.lines().map(str::to_owned).collect()
}

#[track_caller]
fn assert_handled(what: &str, response: &crate::helpers::Response) {
    let status = response.status.as_u16();
    assert!(
        status < 500,
        "{what}: {status} {}",
        &response.text[..response.text.len().min(300)]
    );
    if status >= 400 {
        assert_eq!(
            response.header("content-type"),
            Some("application/problem+json"),
            "{what}: {status} {}",
            response.text
        );
    }
}

/// A real id for `/v1/{collection}/{id}...` paths (from the demo data), else a fake one.
async fn path_for(app: &TestApp, path: &str) -> String {
    let fake = "0190a000-0000-7000-8000-000000000001";
    let parts: Vec<&str> = path.split('/').collect();
    let mut id = fake.to_owned();
    if parts.len() > 3 && parts[3] == "{id}" {
        let list = app.get(&format!("/v1/{}?limit=1", parts[2])).await;
        if let Some(found) = list.json["data"][0]["id"].as_str() {
            id = found.to_owned();
        }
    }
    parts
        .iter()
        .map(|part| {
            if *part == "{id}" {
                id.as_str()
            } else if part.starts_with('{') {
                fake
            } else {
                part
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_query_parameter_survives_hostile_values() {
    let app = TestApp::with_demo_data().await;
    let before = snapshot(&app).await;
    let spec = spec();
    let mut tried = 0;
    for (path, operations) in spec["paths"].as_object().unwrap() {
        let Some(get) = operations.get("get") else {
            continue;
        };
        if path == "/v1/export" || path.contains("stream") {
            continue;
        }
        let uri = path_for(&app, path).await;
        let parameters = get["parameters"].as_array().cloned().unwrap_or_default();
        for parameter in parameters.iter().filter(|p| p["in"] == "query") {
            let name = parameter["name"].as_str().unwrap();
            // As long as a URI can be (the http crate stops at 64 KiB).
            let huge = "x".repeat(60_000);
            for value in QUERY_VALUES.iter().copied().chain([huge.as_str()]) {
                let target = format!("{uri}?{name}={value}");
                let response = app.get(&target).await;
                assert_handled(
                    &format!("GET {}", &target[..target.len().min(120)]),
                    &response,
                );
                tried += 1;
            }
        }
        // A hostile path segment where the id goes.
        if path.contains("{id}") {
            for value in ["'%20OR%201=1", "%FF", "%00", &"y".repeat(5000)] {
                let target = path.replace("{id}", value).replace(['{', '}'], "");
                assert_handled(&format!("GET {target:.120}"), &app.get(&target).await);
                tried += 1;
            }
        }
    }
    assert!(tried > 500, "only {tried} hostile reads");
    assert_eq!(snapshot(&app).await, before, "reads changed nothing");
}

/// The properties of an operation's JSON body schema, `$ref`s resolved.
fn body_properties(spec: &Value, operation: &Value) -> Vec<String> {
    let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
    let schema = match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap();
            &spec["components"]["schemas"][name]
        }
        None => schema,
    };
    schema["properties"]
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn every_body_field_survives_hostile_values_and_touches_nothing_else() {
    let app = TestApp::with_demo_data().await;
    let spec = spec();
    let mut tried = 0;
    let mut stored_literally = 0;
    for (path, operations) in spec["paths"].as_object().unwrap() {
        for (method_name, operation) in operations.as_object().unwrap() {
            if !["post", "patch", "put"].contains(&method_name.as_str()) {
                continue;
            }
            let properties = body_properties(&spec, operation);
            if properties.is_empty() {
                continue;
            }
            let method: Method = method_name.to_uppercase().parse().unwrap();
            let uri = path_for(&app, path).await;
            let key = if path.starts_with("/v1/admin/") {
                app.admin.clone()
            } else {
                app.editor.clone()
            };
            for property in &properties {
                for value in body_values() {
                    let before = snapshot(&app).await;
                    let body = json!({ property: value });
                    let response = app
                        .call(method.clone(), &uri, Some(&key), Some(&body))
                        .await;
                    let what = format!("{method} {uri} {{{property}: {:.60}}}", value.to_string());
                    assert_handled(&what, &response);
                    let after = snapshot(&app).await;
                    if response.status.is_success() {
                        stored_literally += 1;
                        // Whatever was accepted is stored as sent, not interpreted.
                        if let (Some(sent), Some(kept)) =
                            (value.as_str(), response.json[property].as_str())
                        {
                            assert_eq!(kept, sent.trim(), "{what}: stored literally");
                        }
                        if path.ends_with("/merge") {
                            // A merge is meant to rewrite other records: the value was taken
                            // only because it names a live record, which the merge answers.
                            let named = [&response.json["slug"], &response.json["id"]]
                                .into_iter()
                                .any(|key| key.as_str() == value.as_str());
                            assert!(named, "{what}: merged into what it did not name");
                        } else if method == Method::PATCH {
                            // Only the addressed record changed.
                            let gone: Vec<_> = before.difference(&after).collect();
                            assert!(gone.len() <= 1, "{what} changed {} records", gone.len());
                        } else {
                            assert!(before.is_subset(&after), "{what} changed other records");
                        }
                    } else {
                        assert_eq!(after, before, "{what}: refused, and nothing written");
                    }
                    tried += 1;
                }
            }
        }
    }
    assert!(tried > 300, "only {tried} hostile writes");
    eprintln!("hostile bodies: {tried} tried, {stored_literally} stored literally");
}

#[tokio::test]
async fn bodies_that_are_not_json_or_too_deep_are_400s() {
    let app = TestApp::new().await;
    let mut deep = String::new();
    for _ in 0..10_000 {
        deep.push('[');
    }
    for body in [
        vec![0xff, 0xfe, b'{'],
        b"{\"name\": \"\xff\"}".to_vec(),
        deep.into_bytes(),
        b"{\"name\": \"Meta\", \"kind\": \"big_tech\"".to_vec(),
        b"null".to_vec(),
    ] {
        let request = axum::http::Request::post("/v1/companies")
            .header("authorization", format!("Bearer {}", app.editor))
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap();
        let response = app.send(request).await;
        assert_handled("POST /v1/companies with a broken body", &response);
        assert!(response.status.is_client_error(), "{}", response.text);
    }
    assert_eq!(
        app.get("/v1/companies?include_total=true").await.ok(200)["total"],
        0
    );
}

/// A cursor altered anywhere is refused with a 400 (or, if the change decodes to another
/// valid position, answered): never a 500.
#[tokio::test]
async fn tampered_cursors_are_400s() {
    let app = TestApp::with_demo_data().await;
    let first = app.get("/v1/moves?limit=2").await;
    let cursor = first.ok(200)["next_cursor"].as_str().unwrap().to_owned();
    let mut refused = 0;
    for position in 0..cursor.len() {
        for replacement in ['A', '_', '-', '0', 'z'] {
            let mut tampered: Vec<char> = cursor.chars().collect();
            if tampered[position] == replacement {
                continue;
            }
            tampered[position] = replacement;
            let tampered: String = tampered.into_iter().collect();
            let response = app
                .get(&format!("/v1/moves?limit=2&cursor={tampered}"))
                .await;
            assert!(
                [200, 400].contains(&response.status.as_u16()),
                "cursor {tampered}: {} {}",
                response.status,
                response.text
            );
            if response.status == 400 {
                response.problem(400);
                refused += 1;
            }
        }
    }
    assert!(
        refused > cursor.len(),
        "most tampered cursors are refused ({refused})"
    );
    // A cursor from one sort is not accepted by another.
    app.get(&format!("/v1/moves?sort=effective_on&cursor={cursor}"))
        .await
        .problem(400);
}
