use serde_json::json;

use crate::helpers::{TestApp, slugs};

#[tokio::test]
async fn create_company_returns_201_with_location_and_generated_slug() {
    let app = TestApp::new().await;
    let response = app
        .post("/v1/companies", json!({"name": "Google DeepMind", "kind": "ai_lab", "country": "gb", "founded_on": "2010"}))
        .await;
    let body = response.ok(201);
    assert_eq!(body["slug"], "google-deepmind");
    assert_eq!(body["country"], "GB");
    assert_eq!(body["founded_on"], "2010-01-01");
    assert_eq!(body["founded_precision"], "year");
    assert_eq!(body["version"], 1);
    let id = body["id"].as_str().unwrap();
    assert_eq!(
        response.header("location"),
        Some(format!("/v1/companies/{id}").as_str())
    );

    let by_id = app.get(&format!("/v1/companies/{id}")).await;
    let by_slug = app.get("/v1/companies/google-deepmind").await;
    assert_eq!(by_id.ok(200), body);
    assert_eq!(by_slug.ok(200), body);
}

#[tokio::test]
async fn parent_is_embedded_as_a_summary_and_filters_subsidiaries() {
    let app = TestApp::new().await;
    let google = app
        .create("companies", json!({"name": "Google", "kind": "big_tech"}))
        .await;
    let deepmind = app
        .create(
            "companies",
            json!({"name": "Google DeepMind", "kind": "ai_lab", "parent": "google"}),
        )
        .await;
    app.company("OpenAI").await;
    assert_eq!(
        deepmind["parent"],
        json!({"id": google["id"], "slug": "google", "name": "Google"})
    );

    let subsidiaries = app.get("/v1/companies?parent=google").await;
    assert_eq!(slugs(subsidiaries.ok(200)), ["google-deepmind"]);
}

#[tokio::test]
async fn generated_slugs_stay_unique_and_explicit_duplicates_conflict() {
    let app = TestApp::new().await;
    assert_eq!(app.company("Acme Labs").await["slug"], "acme-labs");
    assert_eq!(app.company("Acme Labs").await["slug"], "acme-labs-2");
    let taken = app
        .post(
            "/v1/companies",
            json!({"name": "Other", "kind": "other", "slug": "acme-labs"}),
        )
        .await;
    taken.problem(409);
    assert_eq!(taken.error_fields(), ["slug"]);
}

#[tokio::test]
async fn create_company_lists_every_invalid_field() {
    let app = TestApp::new().await;
    let response = app
        .post(
            "/v1/companies",
            json!({"name": "  ", "kind": "lab", "country": "UK", "website": "ftp://x", "founded_on": "2024-13", "slug": "Bad Slug"}),
        )
        .await;
    response.problem(422);
    let mut fields = response.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        ["country", "founded_on", "kind", "name", "slug", "website"]
    );
}

#[tokio::test]
async fn unknown_parent_is_422_and_nothing_is_written() {
    let app = TestApp::new().await;
    let response = app
        .post(
            "/v1/companies",
            json!({"name": "Orphan", "kind": "startup", "parent": "nobody"}),
        )
        .await;
    response.problem(422);
    assert_eq!(response.error_fields(), ["parent"]);
    let page = app.get("/v1/companies?include_total=true").await;
    assert_eq!(page.ok(200)["total"], 0);
}

#[tokio::test]
async fn q_matches_word_prefixes_of_names_and_aliases_ignoring_case_and_accents() {
    let app = TestApp::new().await;
    app.create(
        "companies",
        json!({"name": "Google DeepMind", "kind": "ai_lab", "aliases": ["DeepMind Technologies"]}),
    )
    .await;
    app.create(
        "companies",
        json!({"name": "Société Générale AI", "kind": "other"}),
    )
    .await;
    app.company("Meta").await;

    assert_eq!(
        slugs(app.get("/v1/companies?q=deepm").await.ok(200)),
        ["google-deepmind"]
    );
    assert_eq!(
        slugs(app.get("/v1/companies?q=TECHNO").await.ok(200)),
        ["google-deepmind"]
    );
    assert_eq!(
        slugs(app.get("/v1/companies?q=societe%20gen").await.ok(200)),
        ["societe-generale-ai"]
    );
    // A prefix of a word, not a substring inside one.
    assert!(slugs(app.get("/v1/companies?q=mind").await.ok(200)).is_empty());
}

#[tokio::test]
async fn list_filters_by_kind_and_country_and_rejects_bad_values() {
    let app = TestApp::new().await;
    app.create(
        "companies",
        json!({"name": "Mistral AI", "kind": "startup", "country": "FR"}),
    )
    .await;
    app.create(
        "companies",
        json!({"name": "OpenAI", "kind": "ai_lab", "country": "US"}),
    )
    .await;
    assert_eq!(
        slugs(app.get("/v1/companies?kind=startup").await.ok(200)),
        ["mistral-ai"]
    );
    assert_eq!(
        slugs(app.get("/v1/companies?country=us").await.ok(200)),
        ["openai"]
    );
    let bad = app.get("/v1/companies?kind=lab").await;
    bad.problem(400);
    assert_eq!(bad.error_fields(), ["kind"]);
}

#[tokio::test]
async fn patch_is_a_json_merge_patch() {
    let app = TestApp::new().await;
    let created = app
        .create("companies", json!({"name": "Inflection AI", "kind": "startup", "country": "US", "aliases": ["Inflection"]}))
        .await;
    let response = app
        .patch(
            "/v1/companies/inflection-ai",
            json!({"country": null, "website": "https://inflection.ai"}),
        )
        .await;
    let patched = response.ok(200);
    assert_eq!(patched["country"], json!(null));
    assert_eq!(patched["website"], "https://inflection.ai/");
    assert_eq!(patched["aliases"], json!(["Inflection"]));
    assert_eq!(patched["name"], "Inflection AI");
    assert_eq!(patched["version"], 2);
    assert_eq!(patched["created_at"], created["created_at"]);
    assert_eq!(
        app.get("/v1/companies/inflection-ai").await.ok(200),
        patched
    );
}

#[tokio::test]
async fn patch_rejects_unknown_and_output_only_fields_and_invalid_values() {
    let app = TestApp::new().await;
    app.company("Meta").await;
    let unknown = app
        .patch("/v1/companies/meta", json!({"nmae": "Meta Platforms"}))
        .await;
    unknown.problem(400);
    let output_only = app.patch("/v1/companies/meta", json!({"version": 7})).await;
    output_only.problem(400);
    let invalid = app.patch("/v1/companies/meta", json!({"name": null})).await;
    invalid.problem(422);
    assert_eq!(invalid.error_fields(), ["name"]);
    assert_eq!(app.get("/v1/companies/meta").await.ok(200)["version"], 1);
}

#[tokio::test]
async fn a_company_cannot_become_its_own_ancestor() {
    let app = TestApp::new().await;
    app.company("Alphabet").await;
    app.create(
        "companies",
        json!({"name": "Google", "kind": "big_tech", "parent": "alphabet"}),
    )
    .await;
    app.create(
        "companies",
        json!({"name": "DeepMind", "kind": "ai_lab", "parent": "google"}),
    )
    .await;
    let cycle = app
        .patch("/v1/companies/alphabet", json!({"parent": "deepmind"}))
        .await;
    cycle.problem(422);
    assert_eq!(cycle.error_fields(), ["parent"]);
    let itself = app
        .patch("/v1/companies/alphabet", json!({"parent": "alphabet"}))
        .await;
    itself.problem(422);
}

#[tokio::test]
async fn delete_is_soft_and_frees_the_slug() {
    let app = TestApp::new().await;
    let created = app.company("Doomed Labs").await;
    let id = created["id"].as_str().unwrap();
    let response = app.delete("/v1/companies/doomed-labs").await;
    assert_eq!(response.status.as_u16(), 204);
    assert!(response.text.is_empty());

    app.get(&format!("/v1/companies/{id}")).await.problem(404);
    assert!(slugs(app.get("/v1/companies").await.ok(200)).is_empty());
    app.delete("/v1/companies/doomed-labs").await.problem(404);

    let (kept, deleted_at): (String, Option<chrono::DateTime<chrono::Utc>>) =
        sqlx::query_as("SELECT name, deleted_at FROM companies WHERE id = $1::uuid")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(kept, "Doomed Labs");
    assert!(deleted_at.is_some());
    assert_eq!(app.company("Doomed Labs").await["slug"], "doomed-labs");
}

#[tokio::test]
async fn delete_is_refused_while_moves_or_subsidiaries_refer_to_the_company() {
    let app = TestApp::new().await;
    app.company("Meta").await;
    app.create(
        "companies",
        json!({"name": "Meta FAIR", "kind": "ai_lab", "parent": "meta"}),
    )
    .await;
    app.company("Mistral AI").await;
    app.researcher("Guillaume Lample").await;
    app.create(
        "moves",
        json!({"researcher": "guillaume-lample", "from": "meta", "to": "mistral-ai", "kind": "founding", "effective_on": "2023-04"}),
    )
    .await;
    app.delete("/v1/companies/meta").await.problem(409);
    app.delete("/v1/companies/mistral-ai").await.problem(409);
    app.get("/v1/companies/meta").await.ok(200);
}

#[tokio::test]
async fn company_moves_follow_the_direction() {
    let app = TestApp::with_demo_data().await;
    let inbound = app.get("/v1/companies/meta/moves?direction=in").await;
    let moves = inbound.ok(200)["data"].as_array().unwrap().clone();
    assert_eq!(moves.len(), 1);
    assert_eq!(moves[0]["researcher"]["slug"], "michal-valko");
    assert_eq!(
        moves[0]["sources"][0]["source"]["publisher"],
        "The Information"
    );
    let founders = app.get("/v1/companies/meta/moves?direction=out").await;
    let founders: Vec<&str> = founders.ok(200)["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["to"]["slug"].as_str().unwrap())
        .collect();
    assert_eq!(founders, ["mistral-ai", "mistral-ai"]);

    let inflection = app
        .get("/v1/companies/inflection-ai/moves?direction=out&include_total=true")
        .await;
    assert_eq!(inflection.ok(200)["total"], 2);
    let any = app.get("/v1/companies/microsoft/moves").await;
    assert_eq!(any.ok(200)["data"].as_array().unwrap().len(), 2);

    app.get("/v1/companies/meta/moves?direction=sideways")
        .await
        .problem(400);
    app.get("/v1/companies/nobody/moves").await.problem(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_of_one_name_get_distinct_slugs() {
    let app = TestApp::new().await;
    let creates =
        (0..4).map(|_| app.post("/v1/companies", json!({"name": "Acme", "kind": "startup"})));
    let responses = futures::future::join_all(creates).await;
    let mut slugs: Vec<String> = responses
        .iter()
        .map(|r| r.ok(201)["slug"].as_str().unwrap().to_owned())
        .collect();
    slugs.sort();
    assert_eq!(slugs, ["acme", "acme-2", "acme-3", "acme-4"]);
    // Clearing the slug regenerates it from the name; a record does not collide with itself.
    let regenerated = app.patch("/v1/companies/acme", json!({"slug": null})).await;
    assert_eq!(regenerated.ok(200)["slug"], "acme");
}
