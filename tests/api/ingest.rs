//! Ingesting records of OpenAlex, ORCID and Wikidata (the fixtures in tests/fixtures/ingest,
//! which say which documentation each follows): what is matched, created and derived, exactly.

use axum::{body::Body, http::Request};
use serde_json::{Value, json};

use crate::helpers::{Response, TestApp};

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/ingest/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// `POST /v1/ingest/{source}?{query}` with the admin key.
pub async fn ingest(app: &TestApp, source: &str, query: &str, body: Vec<u8>) -> Response {
    app.send(
        Request::post(format!("/v1/ingest/{source}?{query}"))
            .header("authorization", format!("Bearer {}", app.admin))
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

/// The moves of a list page as (researcher, from, to, effective_on, precision, confidence).
fn moves_of(page: &Value) -> Vec<(String, String, String, String, String, String)> {
    let slug = |v: &Value| v["slug"].as_str().unwrap_or("-").to_owned();
    let mut moves: Vec<_> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                slug(&m["researcher"]),
                slug(&m["from"]),
                slug(&m["to"]),
                m["effective_on"].as_str().unwrap().to_owned(),
                m["effective_precision"].as_str().unwrap().to_owned(),
                m["confidence"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    moves.sort();
    moves
}

fn row(
    researcher: &str,
    from: &str,
    to: &str,
    on: &str,
    precision: &str,
    confidence: &str,
) -> (String, String, String, String, String, String) {
    (
        researcher.into(),
        from.into(),
        to.into(),
        on.into(),
        precision.into(),
        confidence.into(),
    )
}

async fn count(app: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// The tallies of a report as (matched, created, updated).
fn tally(report: &Value, what: &str) -> (i64, i64, i64) {
    let t = &report[what];
    (
        t["matched"].as_i64().unwrap(),
        t["created"].as_i64().unwrap(),
        t["updated"].as_i64().unwrap(),
    )
}

#[tokio::test]
async fn openalex_authors_become_a_researcher_companies_and_inferred_moves_once() {
    let app = TestApp::new().await;
    // Google DeepMind's `lineage` names Google's OpenAlex id: the company that has it.
    app.create(
        "companies",
        json!({"name": "Google", "kind": "big_tech", "openalex_id": "I1291425158"}),
    )
    .await;
    let first = ingest(
        &app,
        "openalex-authors",
        "",
        fixture("openalex-authors-page.json"),
    )
    .await;
    let report = first.ok(200).clone();
    // Two Author objects of one person (the older id carries the same ORCID): one researcher.
    assert_eq!(report["records"], 2);
    assert_eq!(tally(&report, "researchers"), (0, 1, 0));
    assert_eq!(tally(&report, "companies"), (0, 4, 0));
    assert_eq!(tally(&report, "sources"), (0, 2, 0));
    assert_eq!(
        report["moves"],
        json!({"derived": 2, "created": 2, "merged": 0, "updated": 0, "unchanged": 0, "removed": 0})
    );
    assert!(report["import_id"].as_i64().is_some());

    let moves = app.get("/v1/moves").await;
    assert_eq!(
        moves_of(moves.ok(200)),
        [
            row(
                "michal-valko",
                "google-deepmind",
                "meta-united-states",
                "2024-01-01",
                "year",
                "inferred"
            ),
            row(
                "michal-valko",
                "inria-lille-nord-europe",
                "google-deepmind",
                "2018-01-01",
                "year",
                "inferred"
            ),
        ]
    );
    let cited = &moves.json["data"][0]["sources"][0];
    assert_eq!(cited["source"]["url"], "https://openalex.org/A5000000001");
    assert_eq!(cited["source"]["publisher"], "OpenAlex");
    assert_eq!(
        cited["quote"],
        "affiliation: Google DeepMind, works 2018–2023 → affiliation: Meta (United States), works from 2024"
    );
    let valko = app.get("/v1/researchers/michal-valko").await;
    let valko = valko.ok(200);
    assert_eq!(valko["openalex_id"], "A5000000001");
    assert_eq!(valko["orcid"], "0000-0002-1825-0097");
    assert_eq!(valko["aliases"], json!(["M. Valko", "Michal Balko"]));
    // The second profile's id finds the same researcher.
    let second = app.get("/v1/researchers?openalex_id=A2208157607").await;
    assert_eq!(crate::helpers::slugs(second.ok(200)), ["michal-valko"]);
    let deepmind = app.get("/v1/companies?ror=00971b260").await;
    let deepmind = &deepmind.ok(200)["data"][0];
    assert_eq!(
        (
            &deepmind["slug"],
            &deepmind["openalex_id"],
            &deepmind["country"]
        ),
        (
            &json!("google-deepmind"),
            &json!("I4210113297"),
            &json!("GB")
        )
    );
    assert_eq!(deepmind["parent"]["slug"], "google");
    let comenius = app
        .get("/v1/companies/comenius-university-bratislava")
        .await;
    assert_eq!(comenius.ok(200)["kind"], "academia");
    // Inferred moves are left out of what the press reported.
    let reported = app.get("/v1/flows?min_confidence=reported").await;
    assert_eq!(reported.ok(200)["total_moves"], 0);
    assert_eq!(app.get("/v1/flows").await.ok(200)["total_moves"], 2);

    // The same file again changes nothing.
    let audited = count(&app, "audit_log").await;
    let again = ingest(
        &app,
        "openalex-authors",
        "",
        fixture("openalex-authors-page.json"),
    )
    .await;
    let again = again.ok(200);
    assert_eq!(tally(again, "researchers"), (1, 0, 0));
    assert_eq!(tally(again, "companies"), (4, 0, 0));
    assert_eq!(tally(again, "sources"), (2, 0, 0));
    assert_eq!(
        again["moves"],
        json!({"derived": 2, "created": 0, "merged": 0, "updated": 0, "unchanged": 2, "removed": 0})
    );
    assert_eq!(count(&app, "audit_log").await, audited);
    assert_eq!(count(&app, "moves").await, 2);
    assert_eq!(
        crate::analytics::counts_out_of_step(&app).await,
        Vec::<String>::new()
    );
}

/// The demo's Valko move was reported by the press: an OpenAlex profile that implies it adds
/// itself as a second source and changes nothing else. Valko is matched by the OpenAlex id an
/// editor gave him; "Meta (United States)" is the demo's Meta by name.
#[tokio::test]
async fn a_press_reported_move_stays_reported_and_gains_the_record_as_a_second_source() {
    let app = TestApp::with_demo_data().await;
    app.patch(
        "/v1/researchers/michal-valko",
        json!({"openalex_id": "A5000000001"}),
    )
    .await
    .ok(200);
    let before = app.get("/v1/moves?researcher=michal-valko").await;
    let before = before.ok(200).clone();
    assert_eq!(before["data"].as_array().unwrap().len(), 1);
    let reported_flows = app
        .get("/v1/flows?min_confidence=reported")
        .await
        .ok(200)
        .clone();

    let report = ingest(
        &app,
        "openalex-authors",
        "",
        fixture("openalex-authors-page.json"),
    )
    .await;
    let report = report.ok(200);
    assert_eq!(
        tally(report, "researchers"),
        (1, 0, 1),
        "Valko gains an alias"
    );
    // Google DeepMind and Meta are found by name and learn their ROR and OpenAlex ids.
    assert_eq!(tally(report, "companies"), (2, 2, 2));
    assert_eq!(
        report["moves"],
        json!({"derived": 2, "created": 1, "merged": 1, "updated": 0, "unchanged": 0, "removed": 0})
    );
    let after = app
        .get("/v1/moves?researcher=michal-valko&sort=effective_on")
        .await;
    let after = after.ok(200);
    assert_eq!(
        moves_of(after),
        [
            row(
                "michal-valko",
                "google-deepmind",
                "meta",
                "2024-03-01",
                "month",
                "reported"
            ),
            row(
                "michal-valko",
                "inria-lille-nord-europe",
                "google-deepmind",
                "2018-01-01",
                "year",
                "inferred"
            ),
        ]
    );
    let valko_move = after["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["confidence"] == "reported")
        .unwrap();
    assert_eq!(valko_move["id"], before["data"][0]["id"]);
    assert_eq!(valko_move["title"], "Chief Engineer, Llama");
    let sources: Vec<&str> = valko_move["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["source"]["publisher"].as_str().unwrap_or("-"))
        .collect();
    assert_eq!(sources.len(), 2);
    assert_eq!(sources[1], "OpenAlex");
    assert_eq!(
        sources[0],
        before["data"][0]["sources"][0]["source"]["publisher"]
    );
    let meta = app.get("/v1/companies/meta").await;
    assert_eq!(meta.ok(200)["ror"], "01zbnvs85");
    let valko = app.get("/v1/researchers/michal-valko").await;
    assert_eq!(
        valko.ok(200)["aliases"],
        json!(["Michal Balko", "M. Valko"])
    );
    // What the press reported counts as before; the inferred move only without the floor.
    assert_eq!(
        app.get("/v1/flows?min_confidence=reported").await.ok(200)["total_moves"],
        reported_flows["total_moves"]
    );
    let history = app
        .get(&format!(
            "/v1/moves/{}/history",
            valko_move["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(history.ok(200)["data"].as_array().unwrap().len(), 2);
    assert_eq!(
        crate::analytics::counts_out_of_step(&app).await,
        Vec::<String>::new()
    );
}

/// An ORCID record's employments; then newer versions of it: a changed start date moves the
/// inferred move (its history keeps the old date), and a removed employment takes away the
/// move only it implied.
#[tokio::test]
async fn orcid_employments_give_dated_moves_and_a_newer_record_updates_them() {
    let app = TestApp::new().await;
    let report = ingest(&app, "orcid", "", fixture("orcid-employments.json")).await;
    let report = report.ok(200);
    assert_eq!(tally(report, "researchers"), (0, 1, 0));
    assert_eq!(tally(report, "companies"), (0, 3, 0));
    assert_eq!(report["moves"]["created"], 2);
    let moves = app.get("/v1/moves").await;
    assert_eq!(
        moves_of(moves.ok(200)),
        [
            row(
                "josiah-carberry",
                "google-deepmind",
                "meta",
                "2024-03-01",
                "month",
                "inferred"
            ),
            row(
                "josiah-carberry",
                "wesleyan-university",
                "google-deepmind",
                "2019-03-04",
                "day",
                "inferred"
            ),
        ]
    );
    let to_meta = moves.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["to"]["slug"] == "meta")
        .unwrap()
        .clone();
    assert_eq!(
        to_meta["sources"][0]["source"]["url"],
        "https://orcid.org/0000-0002-1825-0097"
    );

    // A newer version: Meta from April.
    let mut record: Value = serde_json::from_slice(&fixture("orcid-employments.json")).unwrap();
    let text = record.to_string();
    assert!(text.contains("\"Meta\""));
    let meta_start = find_employment(&mut record, "Meta");
    meta_start["start-date"]["month"] = json!({"value": "04"});
    let newer = ingest(&app, "orcid", "", record.to_string().into_bytes()).await;
    let newer = newer.ok(200);
    assert_eq!(
        newer["moves"],
        json!({"derived": 2, "created": 0, "merged": 0, "updated": 1, "unchanged": 1, "removed": 0})
    );
    let moved = app
        .get(&format!("/v1/moves/{}", to_meta["id"].as_str().unwrap()))
        .await;
    assert_eq!(moved.ok(200)["effective_on"], "2024-04-01");
    let history = app
        .get(&format!(
            "/v1/moves/{}/history",
            to_meta["id"].as_str().unwrap()
        ))
        .await;
    let entries = history.ok(200)["data"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["before"]["effective_on"], "2024-03-01");

    // Newer still: Wesleyan is gone, and with it the move from it.
    let groups = record["affiliation-group"].as_array_mut().unwrap();
    groups.retain(|g| !g.to_string().contains("Wesleyan"));
    let newest = ingest(&app, "orcid", "", record.to_string().into_bytes()).await;
    let newest = newest.ok(200);
    assert_eq!(newest["moves"]["removed"], 1);
    assert_eq!(
        moves_of(app.get("/v1/moves").await.ok(200)),
        [row(
            "josiah-carberry",
            "google-deepmind",
            "meta",
            "2024-04-01",
            "month",
            "inferred"
        )]
    );
    assert_eq!(
        crate::analytics::counts_out_of_step(&app).await,
        Vec::<String>::new()
    );
}

/// The employment summary of `organisation` in an `/employments` response.
fn find_employment<'a>(record: &'a mut Value, organisation: &str) -> &'a mut Value {
    record["affiliation-group"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .flat_map(|g| g["summaries"].as_array_mut().unwrap().iter_mut())
        .map(|s| &mut s["employment-summary"])
        .find(|e| e["organization"]["name"].as_str().map(str::trim) == Some(organisation))
        .unwrap()
}

#[tokio::test]
async fn wikidata_employer_statements_give_moves_and_parents() {
    let app = TestApp::new().await;
    let report = ingest(&app, "wikidata", "", fixture("wikidata-entity.json")).await;
    let report = report.ok(200).clone();
    assert_eq!(tally(&report, "researchers"), (0, 1, 0));
    // The employer without a label in the file cannot be named: left out, and said so.
    assert!(
        report["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("Q90000099")),
        "{report}"
    );
    let moves = app.get("/v1/moves").await;
    assert_eq!(
        moves_of(moves.ok(200)),
        [
            row(
                "michal-valko",
                "google-deepmind",
                "meta",
                "2024-01-01",
                "year",
                "inferred"
            ),
            row(
                "michal-valko",
                "inria",
                "google-deepmind",
                "2018-02-01",
                "month",
                "inferred"
            ),
        ]
    );
    let valko = app.get("/v1/researchers/michal-valko").await;
    assert_eq!(valko.ok(200)["wikidata_id"], "Q90000001");
    assert_eq!(
        moves.json["data"][0]["sources"][0]["source"]["url"],
        "https://www.wikidata.org/wiki/Q90000001"
    );
    let wikidata_ids = app.get("/v1/companies").await;
    let companies = wikidata_ids.ok(200)["data"].as_array().unwrap().clone();
    assert!(
        companies
            .iter()
            .all(|c| c["wikidata_id"].as_str().is_some())
    );
    // P749 of an organisation in the file: its parent, created first.
    let with_parent: Vec<(String, String)> = companies
        .iter()
        .filter(|c| !c["parent"].is_null())
        .map(|c| {
            (
                c["slug"].as_str().unwrap().to_owned(),
                c["parent"]["slug"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        with_parent,
        [("google-deepmind".to_owned(), "google".to_owned())],
        "Google is in the file only as Google DeepMind's parent (P749)"
    );
    assert_eq!(companies.len(), 4);
}

#[tokio::test]
async fn openalex_works_set_a_projects_roster_once() {
    let app = TestApp::new().await;
    app.create("companies", json!({"name": "Meta", "kind": "big_tech"}))
        .await;
    app.create(
        "projects",
        json!({"name": "Llama", "company": "meta", "released_on": "2023-02"}),
    )
    .await;
    let missing = ingest(&app, "openalex-works", "", fixture("openalex-work.json")).await;
    missing.problem(422);
    assert_eq!(missing.error_fields(), ["project"]);
    let misplaced = ingest(
        &app,
        "orcid",
        "project=llama",
        fixture("orcid-employments.json"),
    )
    .await;
    misplaced.problem(422);
    let unknown = ingest(
        &app,
        "openalex-works",
        "project=nope",
        fixture("openalex-work.json"),
    )
    .await;
    unknown.problem(422);
    assert_eq!(count(&app, "researchers").await, 0);

    let report = ingest(
        &app,
        "openalex-works",
        "project=llama",
        fixture("openalex-work.json"),
    )
    .await;
    let report = report.ok(200);
    assert_eq!(report["roster"]["contributors"], 3);
    assert_eq!(report["roster"]["changed"], true);
    let roster = app.get("/v1/projects/llama/contributors").await;
    let names: Vec<&str> = roster.ok(200)["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["researcher"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Hugo Touvron", "Thibaut Lavril", "Guillaume Lample"]
    );
    let again = ingest(
        &app,
        "openalex-works",
        "project=llama",
        fixture("openalex-work.json"),
    )
    .await;
    let again = again.ok(200);
    assert_eq!(again["roster"]["changed"], false);
    assert_eq!(tally(again, "researchers"), (3, 0, 0));
}

#[tokio::test]
async fn bad_records_are_named_and_nothing_is_written() {
    let app = TestApp::new().await;
    let page: Value = serde_json::from_slice(&fixture("openalex-authors-page.json")).unwrap();
    let lines = format!(
        "{}\nnot json\n{}\n",
        page["results"][0],
        json!({"id": "https://openalex.org/W1", "display_name": "a work, not an author"})
    );
    let bad = ingest(&app, "openalex-authors", "", lines.into_bytes()).await;
    let problem = bad.problem(422);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .starts_with("2 record(s)"),
        "{problem}"
    );
    assert_eq!(
        bad.error_fields(),
        [
            "openalex-authors upload line 2",
            "openalex-authors upload line 3"
        ]
    );
    for table in ["researchers", "companies", "sources", "moves", "imports"] {
        assert_eq!(count(&app, table).await, 0, "{table}");
    }
    // Gzipped is the same file.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &fixture("orcid-employments.json")).unwrap();
    let zipped = ingest(&app, "orcid", "dry_run=true", gz.finish().unwrap()).await;
    let zipped = zipped.ok(200);
    assert_eq!(
        (
            zipped["dry_run"].clone(),
            zipped["moves"]["created"].clone()
        ),
        (json!(true), json!(2))
    );
    assert_eq!(count(&app, "moves").await, 0, "a dry run writes nothing");

    ingest(&app, "crossref", "", b"{}".to_vec())
        .await
        .problem(404);
    let editor = app
        .send(
            Request::post("/v1/ingest/orcid")
                .header("authorization", format!("Bearer {}", app.editor))
                .body(Body::from(fixture("orcid-employments.json")))
                .unwrap(),
        )
        .await;
    editor.problem(403);
}

/// `talentflow ingest`: each file in its own transaction (a bad one is named and the others
/// still go in), gzipped files as they are, and a map pinning an organisation to a company.
#[tokio::test]
async fn the_command_line_ingests_each_file_and_pins_organisations_with_a_map() {
    let (pool, url) = crate::helpers::fresh_database().await;
    let dir = std::env::temp_dir().join(format!(
        "talentflow-ingest-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_talentflow"))
            .args(args)
            .env("DATABASE_URL", &url)
            .env("TALENTFLOW_LOG", "warn")
            .output()
            .unwrap()
    };
    let company = write(
        "company.ndjson",
        br#"{"type": "company", "name": "DeepMind Technologies", "slug": "deepmind", "kind": "ai_lab"}"#,
    );
    assert!(run(&["import", &company]).status.success());
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &fixture("orcid-employments.json")).unwrap();
    let zipped = write("employments.json.gz", &gz.finish().unwrap());
    let broken = write(
        "broken.json",
        b"{\"orcid-identifier\": {\"path\": \"0000-0002-1825-0097\"}}",
    );
    let map = write(
        "map.csv",
        b"external id,company\n# Google DeepMind's ROR id, pinned to the company as it is named here\nhttps://ror.org/00971b260,deepmind\n",
    );
    let ran = run(&["ingest", "orcid", &broken, &zipped, "--map", &map]);
    let stderr = String::from_utf8_lossy(&ran.stderr);
    assert!(!ran.status.success());
    assert!(stderr.contains("broken.json"), "{stderr}");
    assert!(
        stderr.contains("1 of 2 file(s) were not ingested"),
        "{stderr}"
    );
    let report: Value = serde_json::from_slice(&ran.stdout).unwrap();
    assert_eq!(report["file"], zipped.as_str());
    assert_eq!(report["moves"]["created"], 2);
    assert_eq!(report["companies"]["matched"], 1);
    let (from, to): (String, String) = sqlx::query_as(
        "SELECT f.slug, t.slug FROM moves m JOIN companies f ON f.id = m.from_company_id
         JOIN companies t ON t.id = m.to_company_id WHERE t.name = 'Meta'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((from.as_str(), to.as_str()), ("deepmind", "meta"));
    // The pinned company learns the ROR id.
    let ror: Option<String> =
        sqlx::query_scalar("SELECT ror FROM companies WHERE slug = 'deepmind'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(ror.as_deref(), Some("00971b260"));

    let bad_map = write("bad.csv", b"google,deepmind\n00971b260\n");
    let refused = run(&["ingest", "orcid", &zipped, "--map", &bad_map]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("line 2"));
    std::fs::remove_dir_all(&dir).ok();
}

/// The README's tour of an ingest, on the demo data: OpenAlex finds Valko by the id an editor
/// gave him, Wikidata by the ids OpenAlex gave him; the two sources name Inria differently
/// (a lab of it, without a ROR id, and the institute), so the 2018 move is there twice until
/// the lab is merged into the institute, which keeps one move citing both records.
#[tokio::test]
async fn the_readme_tour_ingests_two_sources_and_a_merge_folds_their_moves() {
    let app = TestApp::with_demo_data().await;
    app.patch(
        "/v1/researchers/michal-valko",
        json!({"openalex_id": "A5000000001"}),
    )
    .await
    .ok(200);
    ingest(
        &app,
        "openalex-authors",
        "",
        fixture("openalex-authors-page.json"),
    )
    .await
    .ok(200);
    let wikidata = ingest(&app, "wikidata", "", fixture("wikidata-entity.json")).await;
    let wikidata = wikidata.ok(200);
    assert_eq!(tally(wikidata, "researchers"), (1, 0, 1), "{wikidata}");
    let before = app.get("/v1/moves?researcher=michal-valko").await;
    assert_eq!(
        moves_of(before.ok(200)),
        [
            row(
                "michal-valko",
                "google-deepmind",
                "meta",
                "2024-03-01",
                "month",
                "reported"
            ),
            row(
                "michal-valko",
                "inria",
                "google-deepmind",
                "2018-02-01",
                "month",
                "inferred"
            ),
            row(
                "michal-valko",
                "inria-lille-nord-europe",
                "google-deepmind",
                "2018-01-01",
                "year",
                "inferred"
            ),
        ]
    );
    let reported = &before.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["confidence"] == "reported")
        .unwrap()["sources"];
    assert_eq!(
        reported.as_array().unwrap().len(),
        3,
        "the press, OpenAlex, Wikidata"
    );

    app.post(
        "/v1/companies/inria-lille-nord-europe/merge",
        json!({"into": "inria"}),
    )
    .await
    .ok(200);
    let after = app.get("/v1/moves?researcher=michal-valko").await;
    assert_eq!(
        moves_of(after.ok(200)),
        [
            row(
                "michal-valko",
                "google-deepmind",
                "meta",
                "2024-03-01",
                "month",
                "reported"
            ),
            row(
                "michal-valko",
                "inria",
                "google-deepmind",
                "2018-02-01",
                "month",
                "inferred"
            ),
        ]
    );
    let folded = &after.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["from"]["slug"] == "inria")
        .unwrap()["sources"];
    assert_eq!(folded.as_array().unwrap().len(), 2);
    let moved = app.get("/v1/companies/inria-lille-nord-europe").await;
    assert_eq!(moved.status.as_u16(), 308);
    assert_eq!(
        crate::analytics::counts_out_of_step(&app).await,
        Vec::<String>::new()
    );
}

/// A file is written a chunk at a time in one transaction: a chunk finds what earlier chunks
/// wrote. The two profiles of one person, in two chunks, still make one researcher, and the
/// report adds the chunks up.
#[tokio::test]
async fn chunks_of_one_file_find_what_the_chunks_before_them_wrote() {
    use talentflow::ingest::{
        load::{Loaded, Source},
        openalex::author_career,
        write,
    };
    let app = TestApp::new().await;
    let page: Value = serde_json::from_slice(&fixture("openalex-authors-page.json")).unwrap();
    let (sender, receiver) = tokio::sync::mpsc::channel(2);
    for n in 0..2 {
        let career = author_career(&page["results"][n], "page").unwrap();
        sender
            .send(Ok(Loaded {
                records: 1,
                careers: vec![career],
                rosters: vec![],
            }))
            .await
            .unwrap();
    }
    drop(sender);
    let report = write::ingest(
        &app.pool,
        &talentflow::domain::key::Actor::system("chunk test"),
        Source::OpenalexAuthors,
        "page",
        receiver,
        &write::Options::default(),
    )
    .await
    .unwrap();
    let report = serde_json::to_value(&report).unwrap();
    assert_eq!(report["records"], 2);
    assert_eq!(
        tally(&report, "researchers"),
        (1, 1, 0),
        "the second chunk finds the first's"
    );
    assert_eq!(count(&app, "researchers").await, 1);
    assert_eq!(count(&app, "moves").await, 2);
    let second = app.get("/v1/researchers?openalex_id=A2208157607").await;
    assert_eq!(crate::helpers::slugs(second.ok(200)), ["michal-valko"]);
}
