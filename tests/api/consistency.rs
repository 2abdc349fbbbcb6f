//! The consistency token: every successful write answers the database's position after it
//! committed, so that a later read elsewhere can ask for data that includes it.

use axum::{
    body::Body,
    http::{Request, header},
};
use serde_json::json;

use crate::helpers::{Response, TestApp};

/// A `pg_lsn` as Postgres prints it (`hi/lo` in hex), as a number.
fn lsn(text: &str) -> u64 {
    let (hi, lo) = text.split_once('/').expect("an LSN: hi/lo");
    (u64::from_str_radix(hi, 16).unwrap() << 32) | u64::from_str_radix(lo, 16).unwrap()
}

/// A token as a number: 16 hex digits.
fn token_position(text: &str) -> u64 {
    assert_eq!(text.len(), 16, "{text}");
    u64::from_str_radix(text, 16).expect("a token is hexadecimal")
}

/// The response's consistency token.
fn position_text(response: &Response) -> String {
    response
        .header("talentflow-consistency")
        .unwrap_or_else(|| panic!("no consistency token: {}", response.text))
        .to_owned()
}

/// The response's consistency token, as a position.
fn position(response: &Response) -> u64 {
    token_position(&position_text(response))
}

#[tokio::test]
async fn every_successful_write_answers_a_consistency_token_that_grows() {
    let app = TestApp::new().await;
    let before: String = sqlx::query_scalar("SELECT pg_current_wal_lsn()::text")
        .fetch_one(&app.pool)
        .await
        .unwrap();

    let created = app
        .post(
            "/v1/companies",
            json!({"name": "Token Lab", "kind": "ai_lab"}),
        )
        .await;
    created.ok(201);
    let patched = app
        .patch("/v1/companies/token-lab", json!({"country": "FR"}))
        .await;
    patched.ok(200);
    let import = Request::post("/v1/import")
        .header(header::AUTHORIZATION, format!("Bearer {}", app.editor))
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .body(Body::from(
            "{\"type\": \"company\", \"name\": \"Imported Lab\", \"kind\": \"startup\"}\n",
        ))
        .unwrap();
    let imported = app.send(import).await;
    imported.ok(200);
    let deleted = app.delete("/v1/companies/imported-lab").await;
    deleted.ok(204);

    // Each write is past the one before it, and the first is past where the database was.
    let before = lsn(&before);
    let positions: Vec<u64> = [&created, &patched, &imported, &deleted]
        .into_iter()
        .map(position)
        .collect();
    assert!(before < positions[0], "{before} then {positions:?}");
    assert!(
        positions.windows(2).all(|pair| pair[0] < pair[1]),
        "{positions:?}"
    );

    // Reads, and writes that did not happen, answer none.
    let read = app.get("/v1/companies/token-lab").await;
    read.ok(200);
    assert_eq!(read.header("talentflow-consistency"), None);
    let refused = app.post("/v1/companies", json!({"name": ""})).await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.header("talentflow-consistency"), None);
}

#[tokio::test]
async fn a_read_sending_a_consistency_token_that_no_write_gave_is_refused() {
    let app = TestApp::new().await;
    let created = app
        .post(
            "/v1/companies",
            json!({"name": "Token Lab", "kind": "ai_lab"}),
        )
        .await;
    let token = position_text(&created);
    for bad in [
        "yesterday",
        "0/16B3748",
        "16B3748",
        "0000000016B3748Z",
        "00000000016B37480",
    ] {
        let read = app
            .send(
                Request::get("/v1/companies/token-lab")
                    .header("talentflow-consistency", bad)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        let problem = read.problem(400);
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("Talentflow-Consistency"),
            "{bad}: {problem}"
        );
    }
    // The token a write gave is taken (here, without replicas, the primary answers).
    let read = app
        .send(
            Request::get("/v1/companies/token-lab")
                .header("talentflow-consistency", token)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(read.ok(200)["name"], "Token Lab");
}
