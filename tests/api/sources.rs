use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn a_source_may_have_no_url_but_needs_something_to_identify_it() {
    let app = TestApp::new().await;
    let report = app
        .create(
            "sources",
            json!({"publisher": "The Information", "published_on": "2024-03", "language": "EN"}),
        )
        .await;
    assert_eq!(report["url"], json!(null));
    assert_eq!(report["published_on"], "2024-03-01");
    assert_eq!(report["published_precision"], "month");
    assert_eq!(report["language"], "en");

    let empty = app.post("/v1/sources", json!({"language": "en"})).await;
    empty.problem(422);
    assert_eq!(empty.error_fields(), ["url"]);
}

#[tokio::test]
async fn urls_are_unique_among_live_sources() {
    let app = TestApp::new().await;
    let first = app
        .create("sources", json!({"url": "https://example.org/report"}))
        .await;
    app.post("/v1/sources", json!({"url": "https://example.org/report"}))
        .await
        .problem(409);
    let id = first["id"].as_str().unwrap();
    assert_eq!(
        app.delete(&format!("/v1/sources/{id}"))
            .await
            .status
            .as_u16(),
        204
    );
    app.create("sources", json!({"url": "https://example.org/report"}))
        .await;
}

#[tokio::test]
async fn sources_filter_by_publisher_and_publication_period() {
    let app = TestApp::new().await;
    app.create(
        "sources",
        json!({"publisher": "The Information", "published_on": "2024-03"}),
    )
    .await;
    app.create(
        "sources",
        json!({"publisher": "Reuters", "published_on": "2023-12-31"}),
    )
    .await;
    let count = |body: &serde_json::Value| body["data"].as_array().unwrap().len();
    assert_eq!(
        count(
            app.get("/v1/sources?publisher=the%20information")
                .await
                .ok(200)
        ),
        1
    );
    assert_eq!(count(app.get("/v1/sources?since=2024").await.ok(200)), 1);
    assert_eq!(count(app.get("/v1/sources?until=2023").await.ok(200)), 1);
    assert_eq!(count(app.get("/v1/sources?q=reut").await.ok(200)), 1);
    app.get("/v1/sources?since=2024-02-30").await.problem(400);
    app.get("/v1/sources?since=2024&until=2023")
        .await
        .problem(400);
}

#[tokio::test]
async fn a_cited_source_cannot_be_deleted() {
    let app = TestApp::new().await;
    app.company("Meta").await;
    app.researcher("Someone").await;
    let source = app.source("The Information").await;
    let id = source["id"].as_str().unwrap();
    app.create(
        "moves",
        json!({"researcher": "someone", "to": "meta", "kind": "hire", "effective_on": "2024", "sources": [{"source": id}]}),
    )
    .await;
    app.delete(&format!("/v1/sources/{id}")).await.problem(409);
    app.get("/v1/sources/not-a-uuid").await.problem(404);
}
