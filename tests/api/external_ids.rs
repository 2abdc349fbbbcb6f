//! Identifiers in the open registers: ROR, OpenAlex and Wikidata on companies, ORCID, OpenAlex
//! and Wikidata on researchers. Accepted in their URL forms, stored bare, unique among live
//! records, and filterable, also by the identifiers a record is otherwise known by.

use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn company_identifiers_are_stored_bare_unique_and_filterable() {
    let app = TestApp::new().await;
    let deepmind = app
        .create(
            "companies",
            json!({"name": "Google DeepMind", "kind": "ai_lab", "ror": "https://ror.org/00971b260",
                   "openalex_id": "https://openalex.org/I4210090411",
                   "wikidata_id": "https://www.wikidata.org/wiki/Q15733006"}),
        )
        .await;
    assert_eq!(
        (
            &deepmind["ror"],
            &deepmind["openalex_id"],
            &deepmind["wikidata_id"]
        ),
        (
            &json!("00971b260"),
            &json!("I4210090411"),
            &json!("Q15733006")
        )
    );
    // Each is unique among live companies.
    for (field, value) in [
        ("ror", "00971b260"),
        ("openalex_id", "I4210090411"),
        ("wikidata_id", "Q15733006"),
    ] {
        let taken = app
            .post(
                "/v1/companies",
                json!({"name": "Other", "kind": "other", field: value}),
            )
            .await;
        taken.problem(409);
        assert_eq!(taken.error_fields(), [field]);
    }
    for (field, value) in [
        ("ror", "00971B260"),
        ("openalex_id", "A5023888391"),
        ("wikidata_id", "P108"),
    ] {
        let bad = app
            .post(
                "/v1/companies",
                json!({"name": "Other", "kind": "other", field: value}),
            )
            .await;
        bad.problem(422);
        assert_eq!(bad.error_fields(), [field], "{value}");
    }
    app.create("companies", json!({"name": "Meta", "kind": "big_tech"}))
        .await;
    for query in [
        "ror=https://ror.org/00971b260",
        "ror=00971b260",
        "openalex_id=I4210090411",
        "wikidata_id=Q15733006",
    ] {
        let found = app.get(&format!("/v1/companies?{query}")).await;
        assert_eq!(
            crate::helpers::slugs(found.ok(200)),
            ["google-deepmind"],
            "{query}"
        );
    }
    let none = app.get("/v1/companies?wikidata_id=Q95").await;
    assert_eq!(none.ok(200)["data"], json!([]));
    app.get("/v1/companies?ror=google").await.problem(400);
    // The CSV list carries them too.
    let csv = app
        .send(
            axum::http::Request::get("/v1/companies?ror=00971b260")
                .header("accept", "text/csv")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    let header = csv.text.lines().next().unwrap().to_owned();
    assert!(header.contains(",ror,openalex_id,wikidata_id,"), "{header}");
    assert!(
        csv.text.contains(",00971b260,I4210090411,Q15733006,"),
        "{}",
        csv.text
    );
}

#[tokio::test]
async fn a_researcher_is_found_by_an_identifier_they_are_known_by_besides_their_own() {
    let app = TestApp::new().await;
    let ada = app
        .create(
            "researchers",
            json!({"name": "Ada", "orcid": "0000-0002-1825-0097", "openalex_id": "A5000000001",
                   "wikidata_id": "http://www.wikidata.org/entity/Q90000001"}),
        )
        .await;
    assert_eq!(ada["wikidata_id"], "Q90000001");
    app.researcher("Bo").await;
    let taken = app
        .post(
            "/v1/researchers",
            json!({"name": "Ada Again", "wikidata_id": "Q90000001"}),
        )
        .await;
    taken.problem(409);
    assert_eq!(taken.error_fields(), ["wikidata_id"]);
    // A second OpenAlex profile of Ada's, as an ingest records it.
    sqlx::query(
        "INSERT INTO known_ids (collection, scheme, value, record_id) VALUES ('researchers', 'openalex', 'A5000000002', $1)",
    )
    .bind(uuid::Uuid::parse_str(ada["id"].as_str().unwrap()).unwrap())
    .execute(&app.pool)
    .await
    .unwrap();
    for query in [
        "orcid=https://orcid.org/0000-0002-1825-0097",
        "openalex_id=A5000000001",
        "openalex_id=A5000000002",
        "wikidata_id=Q90000001",
    ] {
        let found = app.get(&format!("/v1/researchers?{query}")).await;
        assert_eq!(crate::helpers::slugs(found.ok(200)), ["ada"], "{query}");
    }
    let none = app.get("/v1/researchers?openalex_id=A5000000003").await;
    assert_eq!(none.ok(200)["data"], json!([]));
}
