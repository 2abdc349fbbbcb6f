use std::process::Command;

use axum::{
    body::Body,
    http::{Method, Request, header},
};
use serde_json::{Value, json};

use crate::helpers::{Response, TestApp};

async fn import(app: &TestApp, query: &str, body: String) -> Response {
    let request = Request::builder()
        .method(Method::POST)
        .uri(format!("/v1/import{query}"))
        .header(header::AUTHORIZATION, format!("Bearer {}", app.editor))
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .body(Body::from(body))
        .unwrap();
    app.send(request).await
}

async fn count(app: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

fn ndjson(lines: &[Value]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// 1,000 lines: companies, researchers, and moves between them by slug.
fn thousand_lines() -> Vec<Value> {
    let mut lines = vec![
        json!({"type": "company", "name": "Lab A", "slug": "lab-a", "kind": "ai_lab"}),
        json!({"type": "company", "name": "Lab B", "slug": "lab-b", "kind": "ai_lab", "parent": "lab-a"}),
    ];
    for i in 0..499 {
        lines.push(json!({"type": "researcher", "name": format!("Researcher {i}"), "slug": format!("researcher-{i}")}));
    }
    for i in 0..499 {
        lines.push(json!({"type": "move", "researcher": format!("researcher-{i}"), "from": "lab-a", "to": "lab-b",
                          "kind": "hire", "effective_on": "2024-03"}));
    }
    assert_eq!(lines.len(), 1000);
    lines
}

#[tokio::test]
async fn three_bad_lines_among_a_thousand_write_nothing_and_are_all_named() {
    let app = TestApp::new().await;
    let mut lines: Vec<String> = thousand_lines().iter().map(|l| l.to_string()).collect();
    lines.insert(9, json!({"type": "researcher", "name": ""}).to_string()); // line 10: invalid name
    lines.insert(499, "{not json".to_owned()); // line 500
    let same_sides = json!({"type": "move", "researcher": "researcher-1", "from": "lab-a", "to": "lab-a", "kind": "hire", "effective_on": "2024"});
    lines.insert(899, same_sides.to_string()); // line 900: from = to
    assert_eq!(lines.len(), 1003);
    let body = lines.join("\n") + "\n";
    let response = import(&app, "", body).await;
    response.problem(422);
    let named: Vec<u64> = response.json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(named, [10, 500, 900]);
    assert_eq!(response.json["errors"][0]["field"], "name");
    assert_eq!(response.json["errors"][2]["field"], "to");
    assert!(
        response.json["detail"]
            .as_str()
            .unwrap()
            .contains("3 line(s)")
    );
    for table in ["companies", "researchers", "moves", "audit_log"] {
        assert_eq!(count(&app, table).await, 0, "{table} was written");
    }
}

#[tokio::test]
async fn a_good_import_writes_everything_with_audit_rows_and_reimporting_changes_nothing() {
    let app = TestApp::new().await;
    let body = ndjson(&thousand_lines());
    let response = import(&app, "", body.clone()).await;
    let report = response.ok(200).clone();
    assert_eq!(report["lines"], 1000);
    assert_eq!(report["created"], 1000);
    assert_eq!(report["by_type"]["move"]["created"], 499);
    assert_eq!(count(&app, "moves").await, 499);
    assert_eq!(
        app.get("/v1/companies/lab-b").await.ok(200)["parent"]["slug"],
        "lab-a"
    );
    assert_eq!(
        app.get("/v1/researchers/researcher-7").await.ok(200)["current_company"]["slug"],
        "lab-b"
    );
    let audit_rows = count(&app, "audit_log").await;
    assert_eq!(audit_rows, 1000);
    let actor: String = sqlx::query_scalar("SELECT DISTINCT actor_name FROM audit_log")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(actor, "test editor");

    // Companies and researchers are matched by slug: the same file again changes nothing but
    // the moves, which have no id here and so are new.
    let again = import(&app, "", ndjson(&thousand_lines()[..501])).await;
    let again = again.ok(200);
    assert_eq!(again["unchanged"], 501);
    assert_eq!(again["created"], 0);
    assert_eq!(count(&app, "audit_log").await, audit_rows);

    let rename = ndjson(&[
        json!({"type": "company", "name": "Lab A (renamed)", "slug": "lab-a", "kind": "ai_lab"}),
    ]);
    assert_eq!(import(&app, "", rename).await.ok(200)["updated"], 1);
    assert_eq!(
        app.get("/v1/companies/lab-a").await.ok(200)["name"],
        "Lab A (renamed)"
    );
}

#[tokio::test]
async fn dry_run_reports_and_writes_nothing() {
    let app = TestApp::new().await;
    let response = import(&app, "?dry_run=true", ndjson(&thousand_lines())).await;
    let report = response.ok(200);
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["created"], 1000);
    assert_eq!(count(&app, "researchers").await, 0);
    assert_eq!(count(&app, "audit_log").await, 0);
}

#[tokio::test]
async fn export_then_import_into_an_empty_database_gives_the_same_export() {
    let source = TestApp::with_demo_data().await;
    // Beyond the demo: a grandchild company listed before its parent would be by id, a
    // deleted record (left out), quotes and newlines.
    source
        .create(
            "companies",
            json!({"name": "Zeta Parent", "kind": "big_tech"}),
        )
        .await;
    source
        .create(
            "companies",
            json!({"name": "Alpha Child", "kind": "ai_lab", "parent": "zeta-parent"}),
        )
        .await;
    source
        .create("companies", json!({"name": "Gone", "kind": "other"}))
        .await;
    source.delete("/v1/companies/gone").await;
    let report = source.source("Le Monde").await;
    source
        .create(
            "moves",
            json!({"researcher": "karen-simonyan", "from": "microsoft", "to": "alpha-child", "kind": "hire",
                   "effective_on": "2025", "notes": "said \"yes\",\nlater", "sources": [{"source": report["id"], "quote": "q, \"q\""}]}),
        )
        .await;
    let first = source.get("/v1/export").await;
    assert_eq!(first.status.as_u16(), 200);
    assert_eq!(first.header("content-type"), Some("application/x-ndjson"));
    assert!(!first.text.contains("\"Gone\""));
    let demo_lines = include_str!("../../seed/demo.ndjson").lines().count();
    // The demo data, two companies, a source and a move; not the deleted company.
    assert_eq!(first.text.lines().count(), demo_lines + 4);

    let target = TestApp::new().await;
    let imported = import(&target, "", first.text.clone()).await;
    assert_eq!(
        imported.ok(200)["created"],
        demo_lines + 4,
        "{}",
        imported.text
    );
    let second = target.get("/v1/export").await;
    assert_eq!(second.text, first.text);
    let valko = target.get("/v1/moves?to=meta").await;
    assert_eq!(
        valko.ok(200)["data"][0]["researcher"]["slug"],
        "michal-valko"
    );
}

#[tokio::test]
async fn import_refuses_what_it_cannot_take() {
    let app = TestApp::with_config(|config| config.import_body_limit = 4096).await;
    let line = ndjson(&[json!({"type": "company", "name": "A", "kind": "other"})]);
    let wrong_type = app.post("/v1/import", json!({"type": "company"})).await;
    wrong_type.problem(415);
    let no_key = app
        .send(
            Request::builder()
                .method(Method::POST)
                .uri("/v1/import")
                .header("content-type", "application/x-ndjson")
                .body(Body::from(line))
                .unwrap(),
        )
        .await;
    no_key.problem(401);
    let too_big = import(&app, "", ndjson(&thousand_lines())).await;
    too_big.problem(413);

    let bad = ndjson(&[
        json!({"type": "move", "researcher": "later", "to": "meta", "kind": "hire", "effective_on": "2024"}),
        json!({"type": "researcher", "name": "Later", "slug": "later"}),
        json!({"type": "planet", "name": "Mars"}),
        json!({"type": "company", "name": "X", "kind": "other", "colour": "red"}),
        json!([1, 2]),
    ]);
    let response = import(&app, "", bad).await;
    response.problem(422);
    let errors = response.json["errors"].as_array().unwrap();
    let lines: Vec<u64> = errors.iter().map(|e| e["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [1, 1, 3, 4, 5], "{}", response.text);
    assert_eq!(errors[2]["field"], "type");
    assert_eq!(count(&app, "researchers").await, 0);
}

#[tokio::test]
async fn the_command_line_imports_and_exports_the_same_way() {
    let source = TestApp::with_demo_data().await;
    let exported = source.get("/v1/export").await.text;
    let dir =
        std::env::temp_dir().join(format!("talentflow-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("export.ndjson");
    std::fs::write(&file, &exported).unwrap();

    let (_pool, url) = crate::helpers::fresh_database().await;
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_talentflow"))
            .args(args)
            .env("DATABASE_URL", &url)
            .env("TALENTFLOW_LOG", "warn")
            .output()
            .unwrap()
    };
    let imported = run(&["import", file.to_str().unwrap()]);
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let report: Value = serde_json::from_slice(&imported.stdout).unwrap();
    assert_eq!(
        report["created"],
        include_str!("../../seed/demo.ndjson").lines().count()
    );

    let out = dir.join("again.ndjson");
    let exported_again = run(&["export", "--output", out.to_str().unwrap()]);
    assert!(
        exported_again.status.success(),
        "{}",
        String::from_utf8_lossy(&exported_again.stderr)
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), exported);

    std::fs::write(&file, "{\"type\": \"company\"}\n").unwrap();
    let failed = run(&["import", file.to_str().unwrap()]);
    assert!(!failed.status.success());
    assert!(String::from_utf8_lossy(&failed.stderr).contains("line 1"));
    let _ = std::fs::remove_dir_all(&dir);
}
