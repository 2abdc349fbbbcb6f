use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn history_lists_create_update_and_delete_newest_first_with_who_and_what() {
    let app = TestApp::new().await;
    let created = app.company("Inflection AI").await;
    let id = created["id"].as_str().unwrap().to_owned();
    app.patch("/v1/companies/inflection-ai", json!({"country": "US"}))
        .await
        .ok(200);
    assert_eq!(
        app.delete("/v1/companies/inflection-ai")
            .await
            .status
            .as_u16(),
        204
    );

    // The record is gone from reads, but its history stays (by id).
    app.get(&format!("/v1/companies/{id}")).await.problem(404);
    let history = app.get(&format!("/v1/companies/{id}/history")).await;
    let entries = history.ok(200)["data"].as_array().unwrap().clone();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["delete", "update", "create"]);
    for entry in &entries {
        assert_eq!(entry["actor"]["name"], "test editor");
        assert!(entry["actor"]["key_id"].is_string());
    }
    assert_eq!(entries[2]["before"], json!(null));
    assert_eq!(entries[2]["after"]["name"], "Inflection AI");
    assert_eq!(entries[1]["before"]["country"], json!(null));
    assert_eq!(entries[1]["after"]["country"], "US");
    assert_eq!(entries[0]["before"]["country"], "US");
    assert_eq!(entries[0]["after"], json!(null));
}

#[tokio::test]
async fn history_is_paginated_and_reachable_by_slug_for_live_records() {
    let app = TestApp::new().await;
    app.researcher("Ada").await;
    for i in 0..5 {
        app.patch(
            "/v1/researchers/ada",
            json!({"topics": [format!("topic {i}")]}),
        )
        .await
        .ok(200);
    }
    let first = app
        .get("/v1/researchers/ada/history?limit=4&include_total=true")
        .await;
    let first = first.ok(200).clone();
    assert_eq!(first["total"], 6);
    assert_eq!(first["data"].as_array().unwrap().len(), 4);
    assert_eq!(first["data"][0]["after"]["topics"], json!(["topic 4"]));
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app
        .get(&format!(
            "/v1/researchers/ada/history?limit=4&cursor={cursor}"
        ))
        .await;
    let second = second.ok(200);
    let actions: Vec<&str> = second["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["update", "create"]);
    assert_eq!(second["next_cursor"], json!(null));

    // A cursor belongs to its record's history.
    app.researcher("Bo").await;
    app.get(&format!("/v1/researchers/bo/history?cursor={cursor}"))
        .await
        .problem(400);
}

#[tokio::test]
async fn history_of_unknown_records_and_collections_is_404() {
    let app = TestApp::new().await;
    app.get("/v1/companies/nobody/history").await.problem(404);
    app.get("/v1/moves/0190a000-0000-7000-8000-000000000001/history")
        .await
        .problem(404);
    app.get("/v1/widgets/0190a000-0000-7000-8000-000000000001/history")
        .await
        .problem(404);
    app.get("/v1/moves/not-a-slug!/history").await.problem(404);
}

#[tokio::test]
async fn history_records_moves_and_sources_too() {
    let app = TestApp::new().await;
    app.company("Meta").await;
    app.researcher("Ada").await;
    let source = app.source("The Information").await;
    let created = app.hire("ada", None, "meta", "2024").await;
    let move_history = app
        .get(&format!(
            "/v1/moves/{}/history",
            created["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        move_history.ok(200)["data"][0]["after"]["to"]["slug"],
        "meta"
    );
    let source_history = app
        .get(&format!(
            "/v1/sources/{}/history",
            source["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(source_history.ok(200)["data"][0]["action"], "create");
}
