use axum::{body::Body, http::Request};
use serde_json::json;

use crate::helpers::{Response, TestApp};

async fn get_csv(app: &TestApp, uri: &str) -> Response {
    app.send(
        Request::builder()
            .uri(uri)
            .header("accept", "text/csv")
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

fn parse(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

#[tokio::test]
async fn csv_quotes_commas_quotes_and_newlines() {
    let app = TestApp::new().await;
    app.create(
        "companies",
        json!({"name": "Acme, \"Quoted\" Labs", "kind": "startup", "aliases": ["A, L", "Acme"]}),
    )
    .await;
    app.researcher("Ada").await;
    let notes = "left, quietly;\n\"confirmed\" later";
    app.create("moves", json!({"researcher": "ada", "to": "acme-quoted-labs", "kind": "hire", "effective_on": "2024-03", "notes": notes}))
        .await;

    let companies = get_csv(&app, "/v1/companies").await;
    assert_eq!(companies.status.as_u16(), 200);
    assert!(
        companies
            .header("content-type")
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        companies.text.contains("\"Acme, \"\"Quoted\"\" Labs\""),
        "{}",
        companies.text
    );
    assert!(companies.text.starts_with("id,slug,name,kind,"));
    assert!(companies.text.ends_with("\r\n"));
    let (header, rows) = parse(&companies.text);
    let name = header.iter().position(|h| h == "name").unwrap();
    let aliases = header.iter().position(|h| h == "aliases").unwrap();
    assert_eq!(rows[0][name], "Acme, \"Quoted\" Labs");
    assert_eq!(rows[0][aliases], "A, L; Acme");

    let moves = get_csv(&app, "/v1/moves").await;
    let (header, rows) = parse(&moves.text);
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][column("notes")], notes);
    assert_eq!(rows[0][column("to_slug")], "acme-quoted-labs");
    assert_eq!(rows[0][column("to_name")], "Acme, \"Quoted\" Labs");
    assert_eq!(rows[0][column("from_slug")], "");
    assert_eq!(rows[0][column("effective_on")], "2024-03-01");
}

#[tokio::test]
async fn csv_streams_every_matching_row_not_one_page() {
    let app = TestApp::new().await;
    sqlx::query(
        "INSERT INTO companies (id, slug, name, kind)
         SELECT gen_random_uuid(), 'company-' || n, 'Company ' || lpad(n::text, 4, '0'), CASE WHEN n % 2 = 0 THEN 'startup' ELSE 'ai_lab' END
         FROM generate_series(1, 1203) AS n",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let all = get_csv(&app, "/v1/companies?limit=10").await;
    let (_, rows) = parse(&all.text);
    assert_eq!(rows.len(), 1203);
    let mut ids: Vec<&String> = rows.iter().map(|r| &r[0]).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 1203, "no row twice");
    assert_eq!(rows[0][2], "Company 0001");
    assert_eq!(rows[1202][2], "Company 1203");

    let startups = get_csv(&app, "/v1/companies?kind=startup&sort=-name").await;
    let (_, rows) = parse(&startups.text);
    assert_eq!(rows.len(), 601);
    assert_eq!(rows[0][2], "Company 1202");

    // JSON is still one page.
    let json = app.get("/v1/companies?limit=10").await;
    assert_eq!(json.ok(200)["data"].as_array().unwrap().len(), 10);
}

#[tokio::test]
async fn csv_requests_with_bad_parameters_get_a_problem() {
    let app = TestApp::new().await;
    get_csv(&app, "/v1/moves?kind=poached").await.problem(400);
    get_csv(&app, "/v1/moves?to=nowhere").await.problem(422);
    let empty = get_csv(&app, "/v1/sources").await;
    assert_eq!(empty.status.as_u16(), 200);
    assert_eq!(
        empty.text,
        "id,url,publisher,title,published_on,published_precision,language,version,created_at,updated_at\r\n"
    );
}
