use serde_json::{Value, json};

use crate::helpers::TestApp;

fn researchers_of(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["researcher"]["slug"].as_str().unwrap().to_owned())
        .collect()
}

async fn lab_world() -> TestApp {
    let app = TestApp::new().await;
    for name in ["Google DeepMind", "Meta", "OpenAI", "Mistral AI"] {
        app.company(name).await;
    }
    for name in ["Ada", "Bo", "Cy"] {
        app.researcher(name).await;
    }
    app
}

#[tokio::test]
async fn create_move_embeds_references_and_cites_sources_in_order() {
    let app = lab_world().await;
    let information = app.source("The Information").await;
    let other = app.source("Another Paper").await;
    let response = app
        .post(
            "/v1/moves",
            json!({
                "researcher": "ada", "from": "google-deepmind", "to": "meta", "kind": "hire",
                "title": "Chief Engineer, Llama", "effective_on": "2024-03", "announced_on": "2024-03-21",
                "confidence": "reported", "notes": "first line\nsecond line",
                "sources": [{"source": information["id"], "quote": "left for Meta"}, {"source": other["id"]}]
            }),
        )
        .await;
    let created = response.ok(201).clone();
    assert_eq!(created["researcher"]["slug"], "ada");
    assert_eq!(created["from"]["slug"], "google-deepmind");
    assert_eq!(
        created["to"],
        json!({"id": created["to"]["id"], "slug": "meta", "name": "Meta"})
    );
    assert_eq!(created["effective_on"], "2024-03-01");
    assert_eq!(created["effective_precision"], "month");
    assert_eq!(created["announced_on"], "2024-03-21");
    assert_eq!(created["announced_precision"], "day");
    assert_eq!(
        created["sources"][0]["source"]["publisher"],
        "The Information"
    );
    assert_eq!(created["sources"][0]["quote"], "left for Meta");
    assert_eq!(created["sources"][1]["source"]["id"], other["id"]);
    assert_eq!(created["sources"][1]["quote"], json!(null));
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        response.header("location"),
        Some(format!("/v1/moves/{id}").as_str())
    );
    assert_eq!(app.get(&format!("/v1/moves/{id}")).await.ok(200), &created);
}

#[tokio::test]
async fn a_move_needs_differing_sides_and_a_destination_that_fits_its_kind() {
    let app = lab_world().await;
    let same = app.post("/v1/moves", json!({"researcher": "ada", "from": "meta", "to": "meta", "kind": "hire", "effective_on": "2024"})).await;
    same.problem(422);
    assert_eq!(same.error_fields(), ["to"]);

    let nowhere = app
        .post(
            "/v1/moves",
            json!({"researcher": "ada", "kind": "hire", "effective_on": "2024"}),
        )
        .await;
    nowhere.problem(422);

    let departure_with_destination = app
        .post("/v1/moves", json!({"researcher": "ada", "from": "meta", "to": "openai", "kind": "departure", "effective_on": "2024"}))
        .await;
    departure_with_destination.problem(422);

    let departure = app.post("/v1/moves", json!({"researcher": "ada", "from": "meta", "kind": "departure", "effective_on": "2024"})).await;
    assert_eq!(departure.ok(201)["to"], json!(null));
}

#[tokio::test]
async fn unknown_references_are_all_reported_and_nothing_is_written() {
    let app = lab_world().await;
    let response = app
        .post(
            "/v1/moves",
            json!({"researcher": "nobody", "from": "nowhere", "to": "meta", "kind": "hire", "effective_on": "2024",
                   "sources": [{"source": "0190a000-0000-7000-8000-00000000ffff"}]}),
        )
        .await;
    response.problem(422);
    assert_eq!(
        response.error_fields(),
        ["researcher", "from", "sources[0].source"]
    );
    assert_eq!(
        app.get("/v1/moves?include_total=true").await.ok(200)["total"],
        0
    );
}

#[tokio::test]
async fn bad_fields_are_listed_together() {
    let app = lab_world().await;
    let response = app
        .post(
            "/v1/moves",
            json!({"researcher": "ada", "to": "meta", "kind": "poached", "effective_on": "March 2024", "confidence": "sure"}),
        )
        .await;
    response.problem(422);
    assert_eq!(
        response.error_fields(),
        ["kind", "effective_on", "confidence"]
    );
    let missing = app.post("/v1/moves", json!({})).await;
    missing.problem(422);
    assert_eq!(
        missing.error_fields(),
        ["researcher", "kind", "effective_on", "to"]
    );
}

#[tokio::test]
async fn moves_filter_by_researcher_company_sides_kind_confidence_and_period() {
    let app = lab_world().await;
    app.hire("ada", Some("google-deepmind"), "meta", "2024-03")
        .await;
    app.hire("bo", Some("meta"), "openai", "2024-04-02").await;
    app.create(
        "moves",
        json!({"researcher": "cy", "from": "meta", "to": "mistral-ai", "kind": "founding", "effective_on": "2023-04", "confidence": "confirmed"}),
    )
    .await;

    let get = |query: &'static str| {
        let app = &app;
        async move { researchers_of(app.get(&format!("/v1/moves?{query}")).await.ok(200)) }
    };
    // Newest first by default.
    assert_eq!(get("").await, ["bo", "ada", "cy"]);
    assert_eq!(get("sort=effective_on").await, ["cy", "ada", "bo"]);
    assert_eq!(get("company=meta").await, ["bo", "ada", "cy"]);
    assert_eq!(get("to=meta").await, ["ada"]);
    assert_eq!(get("from=meta").await, ["bo", "cy"]);
    assert_eq!(get("from=meta&to=openai").await, ["bo"]);
    assert_eq!(get("researcher=ada").await, ["ada"]);
    assert_eq!(get("kind=founding").await, ["cy"]);
    assert_eq!(get("confidence=confirmed").await, ["cy"]);
    // Bounds are inclusive and take partial dates: `until=2024-03` runs to March 31st.
    assert_eq!(get("since=2024-03&until=2024-03").await, ["ada"]);
    assert_eq!(get("since=2024").await, ["bo", "ada"]);
    assert_eq!(get("until=2024-04-01").await, ["ada", "cy"]);
    assert_eq!(get("since=2024-04-02&until=2024-04-02").await, ["bo"]);

    app.get("/v1/moves?to=metaa").await.problem(422);
    app.get("/v1/moves?kind=poached").await.problem(400);
    app.get("/v1/moves?since=2024-13").await.problem(400);
    app.get("/v1/moves?since=2025&until=2024")
        .await
        .problem(400);
}

#[tokio::test]
async fn patch_changes_fields_and_replaces_sources() {
    let app = lab_world().await;
    let first = app.source("First").await;
    let second = app.source("Second").await;
    let created = app
        .create(
            "moves",
            json!({"researcher": "ada", "to": "meta", "kind": "hire", "effective_on": "2024", "sources": [{"source": first["id"]}]}),
        )
        .await;
    let uri = format!("/v1/moves/{}", created["id"].as_str().unwrap());
    let patched = app
        .patch(&uri, json!({"effective_on": "2024-03-21", "confidence": "confirmed", "sources": [{"source": second["id"], "quote": "q"}]}))
        .await;
    let body = patched.ok(200);
    assert_eq!(body["effective_on"], "2024-03-21");
    assert_eq!(body["effective_precision"], "day");
    assert_eq!(body["confidence"], "confirmed");
    assert_eq!(body["sources"].as_array().unwrap().len(), 1);
    assert_eq!(body["sources"][0]["source"]["id"], second["id"]);
    assert_eq!(body["to"]["slug"], "meta");
    assert_eq!(body["version"], 2);

    let invalid = app.patch(&uri, json!({"from": "meta"})).await;
    invalid.problem(422);
    assert_eq!(app.get(&uri).await.ok(200)["version"], 2);
}

#[tokio::test]
async fn deleted_moves_leave_lists_and_stop_counting_for_the_current_company() {
    let app = lab_world().await;
    app.hire("ada", None, "google-deepmind", "2020").await;
    let later = app
        .hire("ada", Some("google-deepmind"), "meta", "2024")
        .await;
    let uri = format!("/v1/moves/{}", later["id"].as_str().unwrap());
    assert_eq!(app.delete(&uri).await.status.as_u16(), 204);
    app.get(&uri).await.problem(404);
    assert_eq!(researchers_of(app.get("/v1/moves").await.ok(200)), ["ada"]);
    assert_eq!(
        app.get("/v1/researchers/ada").await.ok(200)["current_company"]["slug"],
        "google-deepmind"
    );
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM moves")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(kept, 2);
}

#[tokio::test]
async fn writes_leave_an_audit_row_in_the_same_transaction() {
    let app = lab_world().await;
    let created = app.hire("ada", None, "meta", "2024").await;
    let uri = format!("/v1/moves/{}", created["id"].as_str().unwrap());
    app.patch(&uri, json!({"title": "Researcher"}))
        .await
        .ok(200);
    app.delete(&uri).await;
    let actions: Vec<(String, String, bool, bool)> = sqlx::query_as(
        "SELECT action, actor_name, before IS NOT NULL, after IS NOT NULL FROM audit_log
         WHERE collection = 'moves' AND record_id = $1::uuid ORDER BY id",
    )
    .bind(created["id"].as_str().unwrap())
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        actions,
        [
            ("create".into(), "test editor".into(), false, true),
            ("update".into(), "test editor".into(), true, true),
            ("delete".into(), "test editor".into(), true, false),
        ]
    );
}

#[tokio::test]
async fn the_demo_move_of_valko_is_found_by_destination() {
    let app = TestApp::with_demo_data().await;
    let page = app.get("/v1/moves?to=meta").await;
    let moves = page.ok(200)["data"].as_array().unwrap().clone();
    assert_eq!(moves.len(), 1);
    let valko = &moves[0];
    assert_eq!(valko["researcher"]["name"], "Michal Valko");
    assert_eq!(valko["from"]["slug"], "google-deepmind");
    assert_eq!(valko["kind"], "hire");
    assert_eq!(valko["title"], "Chief Engineer, Llama");
    assert_eq!(valko["effective_on"], "2024-03-01");
    assert_eq!(valko["effective_precision"], "month");
    assert_eq!(valko["confidence"], "reported");
    assert_eq!(
        valko["sources"][0]["source"]["publisher"],
        "The Information"
    );
    assert_eq!(valko["sources"][0]["source"]["url"], json!(null));
}
