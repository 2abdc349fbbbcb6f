use serde_json::json;

use crate::helpers::{TestApp, slugs};

#[tokio::test]
async fn q_finds_a_researcher_by_a_misspelled_alias() {
    let app = TestApp::with_demo_data().await;
    let page = app.get("/v1/researchers?q=balko").await;
    let body = page.ok(200);
    assert_eq!(slugs(body), ["michal-valko"]);
    assert_eq!(body["data"][0]["aliases"], json!(["Michal Balko"]));
    assert_eq!(body["data"][0]["current_company"]["slug"], "meta");
    assert_eq!(
        slugs(app.get("/v1/researchers?q=KAREN").await.ok(200)),
        ["karen-simonyan"]
    );
    assert_eq!(
        slugs(app.get("/v1/researchers?q=kar%C3%A9n%20sim").await.ok(200)),
        ["karen-simonyan"]
    );
}

#[tokio::test]
async fn current_company_follows_the_latest_move_and_a_departure_clears_it() {
    let app = TestApp::new().await;
    app.company("Google DeepMind").await;
    app.company("Meta").await;
    app.researcher("Ada Example").await;
    assert_eq!(
        app.get("/v1/researchers/ada-example").await.ok(200)["current_company"],
        json!(null)
    );

    app.hire("ada-example", None, "google-deepmind", "2019")
        .await;
    app.hire("ada-example", Some("google-deepmind"), "meta", "2024-03")
        .await;
    assert_eq!(
        app.get("/v1/researchers/ada-example").await.ok(200)["current_company"]["slug"],
        "meta"
    );
    assert_eq!(
        slugs(app.get("/v1/researchers?company=meta").await.ok(200)),
        ["ada-example"]
    );
    assert!(
        slugs(
            app.get("/v1/researchers?company=google-deepmind")
                .await
                .ok(200)
        )
        .is_empty()
    );

    app.create("moves", json!({"researcher": "ada-example", "from": "meta", "kind": "departure", "effective_on": "2025-01"}))
        .await;
    assert_eq!(
        app.get("/v1/researchers/ada-example").await.ok(200)["current_company"],
        json!(null)
    );
}

#[tokio::test]
async fn orcid_and_openalex_ids_are_checked_and_unique() {
    let app = TestApp::new().await;
    let created = app
        .create(
            "researchers",
            json!({"name": "Josiah Carberry", "orcid": "https://orcid.org/0000-0002-1825-0097", "openalex_id": "A5023888391",
                   "homepage": "https://example.org/josiah", "topics": ["psychoceramics"]}),
        )
        .await;
    assert_eq!(created["orcid"], "0000-0002-1825-0097");
    let duplicate = app
        .post(
            "/v1/researchers",
            json!({"name": "J. Carberry", "orcid": "0000-0002-1825-0097"}),
        )
        .await;
    duplicate.problem(409);
    assert_eq!(duplicate.error_fields(), ["orcid"]);

    let bad = app
        .post(
            "/v1/researchers",
            json!({"name": "X", "orcid": "0000-0002-1825-0098", "openalex_id": "W1"}),
        )
        .await;
    bad.problem(422);
    assert_eq!(bad.error_fields(), ["orcid", "openalex_id"]);
    assert_eq!(
        slugs(
            app.get("/v1/researchers?topic=psychoceramics")
                .await
                .ok(200)
        ),
        ["josiah-carberry"]
    );
}

#[tokio::test]
async fn same_names_get_distinct_slugs() {
    let app = TestApp::new().await;
    assert_eq!(app.researcher("Wei Li").await["slug"], "wei-li");
    assert_eq!(app.researcher("Wei Li").await["slug"], "wei-li-2");
    assert_eq!(app.researcher("Wéi Lì").await["slug"], "wei-li-3");
}

#[tokio::test]
async fn patch_adds_an_alias_and_the_alias_becomes_searchable() {
    let app = TestApp::new().await;
    app.researcher("Michal Valko").await;
    let patched = app
        .patch(
            "/v1/researchers/michal-valko",
            json!({"aliases": ["Michal Balko"]}),
        )
        .await;
    assert_eq!(patched.ok(200)["aliases"], json!(["Michal Balko"]));
    assert_eq!(
        slugs(app.get("/v1/researchers?q=balko").await.ok(200)),
        ["michal-valko"]
    );
}

#[tokio::test]
async fn deleting_a_researcher_with_moves_is_refused_and_without_is_soft() {
    let app = TestApp::new().await;
    app.company("Meta").await;
    app.researcher("Has Moves").await;
    app.researcher("No Moves").await;
    app.hire("has-moves", None, "meta", "2024").await;
    app.delete("/v1/researchers/has-moves").await.problem(409);
    assert_eq!(
        app.delete("/v1/researchers/no-moves").await.status.as_u16(),
        204
    );
    app.get("/v1/researchers/no-moves").await.problem(404);
    assert_eq!(
        slugs(app.get("/v1/researchers").await.ok(200)),
        ["has-moves"]
    );
}
