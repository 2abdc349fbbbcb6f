use axum::{
    body::Body,
    http::{Method, Request, header},
};
use serde_json::json;

use crate::helpers::TestApp;

fn raw(
    method: Method,
    uri: &str,
    key: &str,
    content_type: Option<&str>,
    body: impl Into<Body>,
) -> Request<Body> {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {key}"));
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    request.body(body.into()).unwrap()
}

#[tokio::test]
async fn malformed_json_is_400_problem() {
    let app = TestApp::new().await;
    for body in [
        "{\"name\": ",
        "not json",
        "{\"name\": \"A\", \"kind\": \"ai_lab\"} trailing",
        "[1, 2]",
        "",
    ] {
        let response = app
            .send(raw(
                Method::POST,
                "/v1/companies",
                &app.editor,
                Some("application/json"),
                body,
            ))
            .await;
        response.problem(400);
    }
}

#[tokio::test]
async fn unknown_fields_and_wrong_types_are_400_naming_the_field() {
    let app = TestApp::new().await;
    let unknown = app
        .post(
            "/v1/companies",
            json!({"name": "Meta", "kind": "big_tech", "contry": "US"}),
        )
        .await;
    unknown.problem(400);
    assert!(
        unknown.json["detail"].as_str().unwrap().contains("contry"),
        "{}",
        unknown.text
    );

    let wrong_type = app
        .post("/v1/companies", json!({"name": 42, "kind": "big_tech"}))
        .await;
    wrong_type.problem(400);
    assert_eq!(wrong_type.error_fields(), ["name"]);

    let nested = app
        .post("/v1/moves", json!({"sources": [{"source": "not-a-uuid"}]}))
        .await;
    nested.problem(400);
    assert_eq!(nested.error_fields(), ["sources[0].source"]);
}

#[tokio::test]
async fn a_body_that_is_not_json_is_415() {
    let app = TestApp::new().await;
    let body = r#"{"name": "Meta", "kind": "big_tech"}"#;
    app.send(raw(
        Method::POST,
        "/v1/companies",
        &app.editor,
        Some("text/plain"),
        body,
    ))
    .await
    .problem(415);
    app.send(raw(Method::POST, "/v1/companies", &app.editor, None, body))
        .await
        .problem(415);
    let accepted = app
        .send(raw(
            Method::POST,
            "/v1/companies",
            &app.editor,
            Some("application/json; charset=utf-8"),
            body,
        ))
        .await;
    accepted.ok(201);
    let merge = app
        .send(raw(
            Method::PATCH,
            "/v1/companies/meta",
            &app.editor,
            Some("application/merge-patch+json"),
            r#"{"country": "US"}"#,
        ))
        .await;
    assert_eq!(merge.ok(200)["country"], "US");
}

#[tokio::test]
async fn bad_and_unknown_query_parameters_are_400() {
    let app = TestApp::new().await;
    let unknown = app.get("/v1/moves?compnay=meta").await;
    unknown.problem(400);
    assert!(unknown.json["detail"].as_str().unwrap().contains("compnay"));
    app.get("/v1/moves?limit=abc").await.problem(400);
    app.get("/v1/moves?since=yesterday").await.problem(400);
}

#[tokio::test]
async fn unknown_routes_are_404_and_wrong_methods_405_with_allow() {
    let app = TestApp::new().await;
    app.get("/v1/nothing-here").await.problem(404);
    app.get("/v2/moves").await.problem(404);
    let wrong = app
        .call(
            Method::PUT,
            "/v1/moves",
            Some(&app.editor.clone()),
            Some(&json!({})),
        )
        .await;
    wrong.problem(405);
    let allow = wrong.header("allow").unwrap();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let app = TestApp::with_config(|config| config.body_limit = 1024).await;
    let big = json!({"name": "x".repeat(4096), "kind": "other"});
    let response = app.post("/v1/companies", big).await;
    response.problem(413);
    let small = app
        .post("/v1/companies", json!({"name": "Small", "kind": "other"}))
        .await;
    small.ok(201);
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_keeps_the_clients() {
    let app = TestApp::new().await;
    let generated = app.get("/v1/companies").await;
    assert!(uuid::Uuid::parse_str(generated.header("x-request-id").unwrap()).is_ok());
    let error = app.get("/v1/nothing").await;
    assert!(error.header("x-request-id").is_some());
    let given = app
        .send(
            Request::builder()
                .uri("/v1/companies")
                .header("x-request-id", "trace-me-42")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(given.header("x-request-id"), Some("trace-me-42"));
    assert_eq!(given.header("x-content-type-options"), Some("nosniff"));
}

#[tokio::test]
async fn a_500_shows_no_internals() {
    let app = TestApp::new().await;
    app.source("The Information").await;
    // Break the schema under the running service, as a botched deploy would.
    sqlx::query("ALTER TABLE sources RENAME COLUMN title TO headline")
        .execute(&app.pool)
        .await
        .unwrap();
    let response = app.get("/v1/sources").await;
    response.problem(500);
    let text = response.text.to_lowercase();
    for internal in [
        "column", "select", "sqlx", "headline", "sources", ".rs", "postgres",
    ] {
        assert!(
            !text.contains(internal),
            "500 body leaks `{internal}`: {}",
            response.text
        );
    }
    assert!(response.header("x-request-id").is_some());
}

#[tokio::test]
async fn readyz_reports_an_unreachable_database_as_503() {
    let app = TestApp::new().await;
    assert_eq!(app.get("/healthz").await.ok(200)["status"], "ok");
    assert_eq!(app.get("/readyz").await.ok(200)["status"], "ready");
    app.pool.close().await;
    app.get("/readyz").await.problem(503);
    app.get("/v1/companies").await.problem(503);
    assert_eq!(app.get("/healthz").await.ok(200)["status"], "ok");
}

#[tokio::test]
async fn control_characters_in_filters_are_400_not_500() {
    let app = TestApp::new().await;
    for uri in [
        "/v1/companies?q=%00",
        "/v1/researchers?topic=a%00b",
        "/v1/sources?publisher=%00",
        "/v1/compensation?role=%07",
        "/v1/projects?q=%0A",
    ] {
        let response = app.get(uri).await;
        response.problem(400);
    }
    let long = format!("/v1/companies?q={}", "x".repeat(201));
    app.get(&long).await.problem(400);
}

#[tokio::test]
async fn a_non_ascii_orcid_is_422_not_a_panic() {
    let app = TestApp::new().await;
    let response = app
        .post(
            "/v1/researchers",
            json!({"name": "X", "orcid": "éé-0000-0000-0000"}),
        )
        .await;
    response.problem(422);
    assert_eq!(response.error_fields(), ["orcid"]);
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let app = TestApp::new().await;
    app.company("Meta").await;
    app.get("/v1/companies/meta").await.ok(200);
    app.get("/v1/companies/nobody").await.problem(404);
    let metrics = app.get("/metrics").await;
    assert_eq!(metrics.status.as_u16(), 200);
    assert!(
        metrics
            .header("content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    let line = |status: &str| {
        metrics.text.lines().any(|l| {
            l.starts_with("http_requests_total")
                && l.contains("route=\"/v1/companies/{id}\"")
                && l.contains("method=\"GET\"")
                && l.contains(&format!("status=\"{status}\""))
        })
    };
    assert!(line("200") && line("404"), "{}", metrics.text);
    assert!(
        metrics
            .text
            .contains("http_request_duration_seconds_bucket")
    );
    // Raw paths never become labels (one series per route, not per record).
    assert!(!metrics.text.contains("/v1/companies/meta"));
}
