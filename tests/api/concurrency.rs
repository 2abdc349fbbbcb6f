use axum::{
    body::Body,
    http::{Method, Request, header},
};
use serde_json::json;

use crate::helpers::TestApp;

fn with_header(
    method: Method,
    uri: &str,
    key: &str,
    name: &str,
    value: &str,
    body: Option<serde_json::Value>,
) -> Request<Body> {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .header(name, value);
    match body {
        Some(json) => request
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json.to_string()))
            .unwrap(),
        None => request.body(Body::empty()).unwrap(),
    }
}

#[tokio::test]
async fn get_returns_an_etag_and_if_none_match_gives_304_until_the_record_changes() {
    let app = TestApp::new().await;
    let created = app
        .post("/v1/companies", json!({"name": "Meta", "kind": "big_tech"}))
        .await;
    let etag = created.header("etag").unwrap().to_owned();
    let read = app.get("/v1/companies/meta").await;
    assert_eq!(read.header("etag"), Some(etag.as_str()));

    let fresh = app
        .send(with_header(
            Method::GET,
            "/v1/companies/meta",
            &app.editor,
            "if-none-match",
            &etag,
            None,
        ))
        .await;
    assert_eq!(fresh.status.as_u16(), 304);
    assert!(fresh.text.is_empty());
    assert_eq!(fresh.header("etag"), Some(etag.as_str()));
    let weak = app
        .send(with_header(
            Method::GET,
            "/v1/companies/meta",
            &app.editor,
            "if-none-match",
            &format!("W/{etag}"),
            None,
        ))
        .await;
    assert_eq!(weak.status.as_u16(), 304);

    app.patch("/v1/companies/meta", json!({"country": "US"}))
        .await
        .ok(200);
    let changed = app
        .send(with_header(
            Method::GET,
            "/v1/companies/meta",
            &app.editor,
            "if-none-match",
            &etag,
            None,
        ))
        .await;
    assert_eq!(changed.ok(200)["country"], "US");
    assert_ne!(changed.header("etag"), Some(etag.as_str()));
}

#[tokio::test]
async fn a_stale_if_match_is_412_and_changes_nothing() {
    let app = TestApp::new().await;
    let etag = app
        .post("/v1/companies", json!({"name": "Meta", "kind": "big_tech"}))
        .await
        .header("etag")
        .unwrap()
        .to_owned();
    let current = app
        .patch("/v1/companies/meta", json!({"country": "US"}))
        .await;
    let current_etag = current.header("etag").unwrap().to_owned();
    assert_ne!(etag, current_etag);

    let stale = app
        .send(with_header(
            Method::PATCH,
            "/v1/companies/meta",
            &app.editor,
            "if-match",
            &etag,
            Some(json!({"country": "FR"})),
        ))
        .await;
    stale.problem(412);
    let stale_delete = app
        .send(with_header(
            Method::DELETE,
            "/v1/companies/meta",
            &app.editor,
            "if-match",
            &etag,
            None,
        ))
        .await;
    stale_delete.problem(412);
    let after = app.get("/v1/companies/meta").await;
    assert_eq!(after.ok(200)["country"], "US");
    assert_eq!(after.json["version"], 2);

    let fresh = app
        .send(with_header(
            Method::PATCH,
            "/v1/companies/meta",
            &app.editor,
            "if-match",
            &current_etag,
            Some(json!({"country": "FR"})),
        ))
        .await;
    assert_eq!(fresh.ok(200)["country"], "FR");
    let any = app
        .send(with_header(
            Method::DELETE,
            "/v1/companies/meta",
            &app.editor,
            "if-match",
            "*",
            None,
        ))
        .await;
    assert_eq!(any.status.as_u16(), 204);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_concurrent_patches_with_the_same_if_match_exactly_one_wins() {
    let app = TestApp::new().await;
    app.company("Meta").await;
    app.researcher("Ada").await;
    let created = app.hire("ada", None, "meta", "2024").await;
    let uri = format!("/v1/moves/{}", created["id"].as_str().unwrap());
    let etag = app.get(&uri).await.header("etag").unwrap().to_owned();

    let attempts = (0..8).map(|i| {
        let request = with_header(
            Method::PATCH,
            &uri,
            &app.editor,
            "if-match",
            &etag,
            Some(json!({"title": format!("Title {i}")})),
        );
        app.send(request)
    });
    let responses = futures::future::join_all(attempts).await;
    let statuses: Vec<u16> = responses.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 412).count(),
        7,
        "{statuses:?}"
    );

    let winner = responses.iter().find(|r| r.status.as_u16() == 200).unwrap();
    let stored = app.get(&uri).await;
    assert_eq!(stored.ok(200)["title"], winner.json["title"]);
    assert_eq!(stored.json["version"], 2);
}
