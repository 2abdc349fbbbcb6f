//! Merging researchers and companies: everything moves to the target, a move both had is kept
//! once, analytics stay exact, the old slug leads to the target, both histories say so.

use serde_json::{Value, json};

use crate::{analytics::counts_out_of_step, helpers::TestApp, ingest};

fn header<'a>(response: &'a crate::helpers::Response, name: &str) -> Option<&'a str> {
    response.header(name)
}

async fn merge(app: &TestApp, collection: &str, key: &str, into: &str) -> crate::helpers::Response {
    app.post(
        &format!("/v1/{collection}/{key}/merge"),
        json!({"into": into}),
    )
    .await
}

/// An ingest that did not know the demo's Valko made a second one; merging it into the demo's
/// leaves one Valko with one Google DeepMind → Meta move, reported, citing both sources.
#[tokio::test]
async fn a_duplicate_researcher_merges_into_the_original_and_its_slug_redirects() {
    let app = TestApp::with_demo_data().await;
    let reported =
        app.get("/v1/flows?min_confidence=reported").await.ok(200)["total_moves"].clone();
    let report = ingest::ingest(
        &app,
        "openalex-authors",
        "",
        ingest::fixture("openalex-authors-page.json"),
    )
    .await;
    assert_eq!(report.ok(200)["researchers"]["created"], 1);
    let duplicate = app.get("/v1/researchers?openalex_id=A5000000001").await;
    let duplicate = duplicate.ok(200)["data"][0].clone();
    let dup_slug = duplicate["slug"].as_str().unwrap().to_owned();
    let dup_id = duplicate["id"].as_str().unwrap().to_owned();
    assert_ne!(dup_slug, "michal-valko");
    let all_before = app.get("/v1/flows").await.ok(200)["total_moves"]
        .as_i64()
        .unwrap();

    let merged = merge(&app, "researchers", &dup_slug, "michal-valko").await;
    let valko = merged.ok(200).clone();
    assert!(header(&merged, "etag").is_some());
    assert_eq!(valko["slug"], "michal-valko");
    assert_eq!(valko["openalex_id"], "A5000000001");
    assert_eq!(valko["orcid"], "0000-0002-1825-0097");
    assert_eq!(valko["aliases"], json!(["Michal Balko", "M. Valko"]));

    let moves = app
        .get("/v1/moves?researcher=michal-valko&sort=effective_on")
        .await;
    let moves = moves.ok(200)["data"].as_array().unwrap().clone();
    let summary: Vec<(String, String, String, usize)> = moves
        .iter()
        .map(|m| {
            (
                m["from"]["slug"].as_str().unwrap().to_owned(),
                m["to"]["slug"].as_str().unwrap().to_owned(),
                m["confidence"].as_str().unwrap().to_owned(),
                m["sources"].as_array().unwrap().len(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "inria-lille-nord-europe".into(),
                "google-deepmind".into(),
                "inferred".into(),
                1
            ),
            (
                "google-deepmind".into(),
                "meta".into(),
                "reported".into(),
                2
            ),
        ]
    );
    // The duplicate's inferred copy of the reported move is gone; nothing else changed.
    assert_eq!(
        app.get("/v1/flows").await.ok(200)["total_moves"]
            .as_i64()
            .unwrap(),
        all_before - 1
    );
    assert_eq!(
        app.get("/v1/flows?min_confidence=reported").await.ok(200)["total_moves"],
        reported
    );
    assert_eq!(counts_out_of_step(&app).await, Vec::<String>::new());

    // The old slug and id lead to Valko, with the rest of the path and the query.
    for (uri, location) in [
        (
            format!("/v1/researchers/{dup_slug}"),
            "/v1/researchers/michal-valko".to_owned(),
        ),
        (
            format!("/v1/researchers/{dup_id}"),
            "/v1/researchers/michal-valko".to_owned(),
        ),
        (
            format!("/v1/researchers/{dup_slug}/timeline?min_confidence=reported"),
            "/v1/researchers/michal-valko/timeline?min_confidence=reported".to_owned(),
        ),
    ] {
        let moved = app.get(&uri).await;
        assert_eq!(moved.status.as_u16(), 308, "{uri}: {}", moved.text);
        assert_eq!(header(&moved, "location"), Some(location.as_str()), "{uri}");
    }
    app.get("/v1/researchers/nobody-at-all").await.problem(404);

    // Both histories record the merge.
    let gone = app.get(&format!("/v1/researchers/{dup_id}/history")).await;
    let gone = gone.ok(200)["data"][0].clone();
    assert_eq!(gone["action"], "merge");
    assert_eq!(gone["after"]["merged_into"]["slug"], "michal-valko");
    let kept = app.get("/v1/researchers/michal-valko/history").await;
    let kept = kept.ok(200)["data"][0].clone();
    assert_eq!(kept["action"], "merge");
    assert_eq!(kept["after"]["merged_from"]["slug"], dup_slug.as_str());

    // The same file again finds Valko by the ids he has now, and changes nothing.
    let again = ingest::ingest(
        &app,
        "openalex-authors",
        "",
        ingest::fixture("openalex-authors-page.json"),
    )
    .await;
    let again = again.ok(200);
    assert_eq!(
        again["researchers"],
        json!({"matched": 1, "created": 0, "updated": 0})
    );
    assert_eq!(again["moves"]["unchanged"], 2);

    // Refusals.
    let itself = merge(&app, "researchers", "michal-valko", "michal-valko").await;
    itself.problem(422);
    assert_eq!(itself.error_fields(), ["into"]);
    let nowhere = merge(&app, "researchers", "michal-valko", "nobody-at-all").await;
    nowhere.problem(422);
    merge(&app, "researchers", "nobody-at-all", "michal-valko")
        .await
        .problem(404);
    let missing = app
        .post("/v1/researchers/michal-valko/merge", json!({}))
        .await;
    missing.problem(422);
    assert_eq!(missing.error_fields(), ["into"]);
}

/// A company merged into another takes its moves, projects and subsidiaries there; the
/// balance of the target counts them, exactly, and a move between the two is refused.
#[tokio::test]
async fn a_company_merges_into_another_with_its_moves_and_exact_analytics() {
    let app = TestApp::new().await;
    for name in ["Meta", "FAIR Paris", "OpenAI", "Google"] {
        app.company(name).await;
    }
    for name in ["Ada", "Bo", "Cy"] {
        app.researcher(name).await;
    }
    app.hire("ada", Some("fair-paris"), "openai", "2024-01-10")
        .await;
    app.hire("bo", Some("google"), "fair-paris", "2023-05")
        .await;
    app.hire("cy", Some("google"), "meta", "2023-05-20").await;
    app.create(
        "companies",
        json!({"name": "FAIR Paris Lab", "kind": "ai_lab", "parent": "fair-paris"}),
    )
    .await;
    app.create(
        "projects",
        json!({"name": "Model F", "company": "fair-paris"}),
    )
    .await;
    let balance = |q: &'static str| {
        let app = &app;
        async move {
            let b = app.get(&format!("/v1/companies/meta/balance?{q}")).await;
            let totals = b.ok(200)["totals"].clone();
            (
                totals["inflow"].as_i64().unwrap(),
                totals["outflow"].as_i64().unwrap(),
            )
        }
    };
    assert_eq!(balance("").await, (1, 0));

    // A move between the two cannot survive the merge: refused, saying which.
    let between = app.hire("cy", Some("meta"), "fair-paris", "2024-06").await;
    let refused = merge(&app, "companies", "fair-paris", "meta").await;
    let problem = refused.problem(409);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains(between["id"].as_str().unwrap()),
        "{problem}"
    );
    app.delete(&format!("/v1/moves/{}", between["id"].as_str().unwrap()))
        .await;
    // Nor can a company merge into one under it.
    let under = merge(&app, "companies", "fair-paris", "fair-paris-lab").await;
    assert!(
        under.problem(409)["detail"]
            .as_str()
            .unwrap()
            .contains("under")
    );

    let merged = merge(&app, "companies", "fair-paris", "meta").await;
    let meta = merged.ok(200);
    assert_eq!(meta["aliases"], json!(["FAIR Paris"]));
    assert_eq!(balance("").await, (2, 1));
    assert_eq!(balance("since=2024&until=2024").await, (0, 1));
    let lab = app.get("/v1/companies/fair-paris-lab").await;
    assert_eq!(lab.ok(200)["parent"]["slug"], "meta");
    let project = app.get("/v1/projects/model-f").await;
    assert_eq!(project.ok(200)["company"]["slug"], "meta");
    let flows = app.get("/v1/flows").await;
    let links: Vec<(String, String, i64)> = flows.ok(200)["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let slug = |id: &Value| {
                flows.json["nodes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|n| &n["id"] == id)
                    .unwrap()["slug"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            };
            (
                slug(&l["source"]),
                slug(&l["target"]),
                l["count"].as_i64().unwrap(),
            )
        })
        .collect();
    let mut links = links;
    links.sort();
    assert_eq!(
        links,
        [
            ("google".into(), "meta".into(), 2),
            ("meta".into(), "openai".into(), 1)
        ]
    );
    assert_eq!(counts_out_of_step(&app).await, Vec::<String>::new());
    let moved = app
        .get("/v1/companies/fair-paris/balance?interval=year")
        .await;
    assert_eq!(moved.status.as_u16(), 308);
    assert_eq!(
        header(&moved, "location"),
        Some("/v1/companies/meta/balance?interval=year")
    );
    // A new company may take the old slug: then it is that company's.
    app.company("FAIR Paris").await;
    app.get("/v1/companies/fair-paris").await.ok(200);
}
