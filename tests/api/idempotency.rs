use axum::{
    body::Body,
    http::{Method, Request, header},
};
use serde_json::{Value, json};

use crate::helpers::{Response, TestApp};

fn post_with_key(uri: &str, secret: &str, idempotency_key: &str, body: &Value) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {secret}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header("idempotency-key", idempotency_key)
        .body(Body::from(body.to_string()))
        .unwrap()
}

async fn count(app: &TestApp, table: &str) -> i64 {
    let sql = format!("SELECT count(*) FROM {table}");
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn send(app: &TestApp, key: &str, body: &Value) -> Response {
    app.send(post_with_key("/v1/companies", &app.editor, key, body))
        .await
}

#[tokio::test]
async fn a_retry_with_the_same_key_and_body_replays_the_first_response() {
    let app = TestApp::new().await;
    let body = json!({"name": "Meta", "kind": "big_tech"});
    let first = send(&app, "create-meta-1", &body).await;
    first.ok(201);
    assert_eq!(first.header("idempotent-replayed"), None);
    let again = send(&app, "create-meta-1", &body).await;
    assert_eq!(again.status.as_u16(), 201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.text, first.text);
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("etag"), first.header("etag"));
    assert_eq!(again.header("content-type"), Some("application/json"));
    assert_eq!(count(&app, "companies").await, 1);
    assert_eq!(count(&app, "audit_log").await, 1);
}

#[tokio::test]
async fn the_same_key_with_another_body_is_422_and_writes_nothing() {
    let app = TestApp::new().await;
    send(&app, "k", &json!({"name": "Meta", "kind": "big_tech"}))
        .await
        .ok(201);
    let other = send(&app, "k", &json!({"name": "OpenAI", "kind": "ai_lab"})).await;
    other.problem(422);
    assert_eq!(other.error_fields(), ["Idempotency-Key"]);
    // The same body to another endpoint is another request too.
    let elsewhere = app
        .send(post_with_key(
            "/v1/researchers",
            &app.editor,
            "k",
            &json!({"name": "Meta", "kind": "big_tech"}),
        ))
        .await;
    elsewhere.problem(422);
    assert_eq!(count(&app, "companies").await, 1);
    assert_eq!(count(&app, "researchers").await, 0);
}

#[tokio::test]
async fn errors_are_replayed_too() {
    let app = TestApp::new().await;
    let invalid = json!({"name": "Meta", "kind": "megacorp"});
    let first = send(&app, "bad", &invalid).await;
    first.problem(422);
    let again = send(&app, "bad", &invalid).await;
    again.problem(422);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.text, first.text);
}

#[tokio::test]
async fn keys_belong_to_their_holder() {
    let app = TestApp::new().await;
    let body = json!({"name": "Meta", "kind": "big_tech"});
    send(&app, "shared", &body).await.ok(201);
    let by_admin = app
        .send(post_with_key(
            "/v1/companies",
            &app.admin,
            "shared",
            &json!({"name": "OpenAI", "kind": "ai_lab"}),
        ))
        .await;
    by_admin.ok(201);
    assert_eq!(by_admin.header("idempotent-replayed"), None);
    assert_eq!(count(&app, "companies").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_requests_with_one_key_create_one_record() {
    let app = TestApp::new().await;
    let body = json!({"name": "Mistral AI", "kind": "startup"});
    let attempts = (0..10).map(|_| send(&app, "parallel-1", &body));
    let responses = futures::future::join_all(attempts).await;
    for response in &responses {
        let status = response.status.as_u16();
        assert!(
            status == 201 || status == 409,
            "unexpected {status}: {}",
            response.text
        );
        if status == 409 {
            response.problem(409);
        }
    }
    let originals = responses
        .iter()
        .filter(|r| r.status.as_u16() == 201 && r.header("idempotent-replayed").is_none())
        .count();
    assert_eq!(originals, 1);
    assert_eq!(count(&app, "companies").await, 1);
    // Once the first has finished, a retry is a replay.
    let later = send(&app, "parallel-1", &body).await;
    assert_eq!(later.header("idempotent-replayed"), Some("true"));
}

#[tokio::test]
async fn a_request_still_running_is_409_and_an_abandoned_one_is_taken_over() {
    let app = TestApp::new().await;
    let body = json!({"name": "Meta", "kind": "big_tech"});
    // What a request in flight leaves behind: a claim without a response.
    let holder: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM api_keys WHERE name = 'test editor'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let first = send(&app, "probe", &body).await;
    first.ok(201);
    sqlx::query(
        "UPDATE idempotency_keys SET status = NULL, body = NULL, headers = NULL WHERE holder = $1",
    )
    .bind(holder)
    .execute(&app.pool)
    .await
    .unwrap();
    send(&app, "probe", &body).await.problem(409);

    // A claim left by a process that died is taken over after a while.
    sqlx::query(
        "UPDATE idempotency_keys SET created_at = now() - interval '10 minutes' WHERE holder = $1",
    )
    .bind(holder)
    .execute(&app.pool)
    .await
    .unwrap();
    let retried = send(&app, "probe", &body).await;
    retried.ok(201);
    assert_eq!(retried.header("idempotent-replayed"), None);
    let replay = send(&app, "probe", &body).await;
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.text, retried.text);
}

#[tokio::test]
async fn keys_expire_after_a_day_and_bad_keys_are_400() {
    let app = TestApp::new().await;
    send(&app, "old", &json!({"name": "Meta", "kind": "big_tech"}))
        .await
        .ok(201);
    sqlx::query("UPDATE idempotency_keys SET created_at = now() - interval '25 hours'")
        .execute(&app.pool)
        .await
        .unwrap();
    let reused = send(&app, "old", &json!({"name": "OpenAI", "kind": "ai_lab"})).await;
    reused.ok(201);
    assert_eq!(reused.header("idempotent-replayed"), None);

    sqlx::query("UPDATE idempotency_keys SET created_at = now() - interval '25 hours'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        talentflow::db::idempotency::prune(&app.pool).await.unwrap(),
        1
    );
    assert_eq!(count(&app, "idempotency_keys").await, 0);

    send(
        &app,
        &"x".repeat(256),
        &json!({"name": "A", "kind": "other"}),
    )
    .await
    .problem(400);
    send(&app, "", &json!({"name": "A", "kind": "other"}))
        .await
        .problem(400);
    assert_eq!(count(&app, "companies").await, 2);
}
