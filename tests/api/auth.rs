use axum::http::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;

#[tokio::test]
async fn writes_without_a_key_are_401_with_a_challenge() {
    let app = TestApp::new().await;
    let body = json!({"name": "Meta", "kind": "big_tech"});
    let response = app
        .call(Method::POST, "/v1/companies", None, Some(&body))
        .await;
    response.problem(401);
    assert_eq!(response.header("www-authenticate"), Some("Bearer"));
    app.call(
        Method::POST,
        "/v1/companies",
        Some("tf_not-a-real-key"),
        Some(&body),
    )
    .await
    .problem(401);
    let response = app
        .call(Method::POST, "/v1/companies", Some(""), Some(&body))
        .await;
    response.problem(401);
    assert_eq!(
        app.get("/v1/companies?include_total=true").await.ok(200)["total"],
        0
    );
}

/// Every write operation in the spec, not a hand-kept list: each refuses a request without a key.
#[tokio::test]
async fn every_write_operation_in_the_spec_needs_a_key() {
    let app = TestApp::new().await;
    let spec: Value = serde_json::from_str(&talentflow::openapi::spec_json()).unwrap();
    let mut checked = 0;
    for (path, operations) in spec["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            if method == "get" {
                continue;
            }
            assert!(
                operation["security"].to_string().contains("api_key"),
                "{method} {path} does not declare the api_key security scheme"
            );
            let uri = path.replace("{id}", "0190a000-0000-7000-8000-000000000001");
            let method: Method = method.to_uppercase().parse().unwrap();
            let response = app.call(method.clone(), &uri, None, Some(&json!({}))).await;
            assert_eq!(
                response.status.as_u16(),
                401,
                "{method} {uri}: {}",
                response.text
            );
            checked += 1;
        }
    }
    assert!(checked >= 12, "only {checked} write operations found");
}

#[tokio::test]
async fn key_management_needs_the_admin_role() {
    let app = TestApp::new().await;
    let as_editor = app
        .call(
            Method::GET,
            "/v1/admin/keys",
            Some(&app.editor.clone()),
            None,
        )
        .await;
    as_editor.problem(403);
    let body = json!({"name": "pipeline", "role": "editor"});
    app.call(
        Method::POST,
        "/v1/admin/keys",
        Some(&app.editor.clone()),
        Some(&body),
    )
    .await
    .problem(403);

    let created = app
        .call(
            Method::POST,
            "/v1/admin/keys",
            Some(&app.admin.clone()),
            Some(&body),
        )
        .await;
    let created = created.ok(201).clone();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert_eq!(created["key"]["role"], "editor");
    assert!(secret.starts_with(created["key"]["prefix"].as_str().unwrap()));

    // Only a hash is stored.
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM api_keys WHERE secret_hash::text LIKE '%' || $1 || '%' OR name = $1",
    )
    .bind(&secret)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(stored, 0);

    let write = app
        .call(
            Method::POST,
            "/v1/companies",
            Some(&secret),
            Some(&json!({"name": "Meta", "kind": "big_tech"})),
        )
        .await;
    write.ok(201);
    let listed = app
        .call(
            Method::GET,
            "/v1/admin/keys",
            Some(&app.admin.clone()),
            None,
        )
        .await;
    let keys = listed.ok(200)["data"].as_array().unwrap().clone();
    assert_eq!(keys.len(), 3);
    assert!(!listed.text.contains(&secret));
    let pipeline = keys.iter().find(|k| k["name"] == "pipeline").unwrap();
    assert!(
        pipeline["last_used_at"].is_string(),
        "last_used_at is tracked"
    );
}

#[tokio::test]
async fn a_revoked_key_stops_working_at_once() {
    let app = TestApp::new().await;
    let body = json!({"name": "short-lived", "role": "editor"});
    let created = app
        .call(
            Method::POST,
            "/v1/admin/keys",
            Some(&app.admin.clone()),
            Some(&body),
        )
        .await
        .ok(201)
        .clone();
    let secret = created["secret"].as_str().unwrap().to_owned();
    let id = created["key"]["id"].as_str().unwrap().to_owned();
    app.call(
        Method::POST,
        "/v1/companies",
        Some(&secret),
        Some(&json!({"name": "A", "kind": "other"})),
    )
    .await
    .ok(201);

    let revoked = app
        .call(
            Method::DELETE,
            &format!("/v1/admin/keys/{id}"),
            Some(&app.admin.clone()),
            None,
        )
        .await;
    assert_eq!(revoked.status.as_u16(), 204);
    app.call(
        Method::POST,
        "/v1/companies",
        Some(&secret),
        Some(&json!({"name": "B", "kind": "other"})),
    )
    .await
    .problem(401);
    app.call(
        Method::DELETE,
        &format!("/v1/admin/keys/{id}"),
        Some(&app.admin.clone()),
        None,
    )
    .await
    .problem(404);
}

#[tokio::test]
async fn reads_are_public_by_default_and_can_require_a_key() {
    let public = TestApp::new().await;
    public.get("/v1/companies").await.ok(200);

    let private =
        TestApp::with_config(|config| config.read_auth = talentflow::config::ReadAuth::Key).await;
    private.get("/v1/companies").await.problem(401);
    private.get("/v1/companies/meta").await.problem(401);
    private
        .call(Method::GET, "/v1/companies", Some("tf_wrong"), None)
        .await
        .problem(401);
    private
        .call(
            Method::GET,
            "/v1/companies",
            Some(&private.editor.clone()),
            None,
        )
        .await
        .ok(200);
    // Operations endpoints stay open for probes.
    private.get("/healthz").await.ok(200);
    private.get("/openapi.json").await.ok(200);
}

#[tokio::test]
async fn a_key_can_be_read_back_by_an_admin_without_its_secret() {
    let app = TestApp::new().await;
    let body = json!({"name": "reader", "role": "editor"});
    let created = app
        .call(
            Method::POST,
            "/v1/admin/keys",
            Some(&app.admin.clone()),
            Some(&body),
        )
        .await;
    let location = created.header("location").unwrap().to_owned();
    let secret = created.json["secret"].as_str().unwrap().to_owned();
    let read = app
        .call(Method::GET, &location, Some(&app.admin.clone()), None)
        .await;
    assert_eq!(read.ok(200)["name"], "reader");
    assert!(!read.text.contains(&secret));
    app.call(Method::GET, &location, Some(&app.editor.clone()), None)
        .await
        .problem(403);
    app.call(
        Method::GET,
        "/v1/admin/keys/0190a000-0000-7000-8000-000000000001",
        Some(&app.admin.clone()),
        None,
    )
    .await
    .problem(404);
    // The scheme is case-insensitive.
    app.call(Method::GET, "/v1/companies", None, None)
        .await
        .ok(200);
    let lower = app
        .send(
            axum::http::Request::builder()
                .method(Method::POST)
                .uri("/v1/companies")
                .header("authorization", format!("bearer {secret}"))
                .header("content-type", "application/json")
                .body(axum::body::Body::from(
                    json!({"name": "Lower", "kind": "other"}).to_string(),
                ))
                .unwrap(),
        )
        .await;
    lower.ok(201);
}

/// Who may do what, for every operation in the spec (not a hand-kept list), on a server whose
/// reads need a key: no key and a bad key are 401 everywhere under /v1; a key whose role is
/// too low is 403 (reader → writes, editor → key management); the role that suffices gets
/// past authorization (whatever the fake ids then make of the request). Operations endpoints
/// outside /v1 stay open to probes.
#[tokio::test]
async fn the_auth_matrix_covers_every_operation_in_the_spec() {
    use talentflow::{config::ReadAuth, db, domain::key::Role};
    let app = TestApp::with_config(|config| config.read_auth = ReadAuth::Key).await;
    let (_, reader) = db::keys::create(
        &mut app.pool.acquire().await.unwrap(),
        "reader",
        Role::Reader,
    )
    .await
    .unwrap();
    let spec: Value = serde_json::from_str(&talentflow::openapi::spec_json()).unwrap();
    let fake_id = "0190a000-0000-7000-8000-000000000001";
    let keys = [
        (Role::Reader, reader.as_str()),
        (Role::Editor, app.editor.as_str()),
        (Role::Admin, app.admin.as_str()),
    ];
    let mut checked = 0;
    for (path, operations) in spec["paths"].as_object().unwrap() {
        let uri = path
            .split('/')
            .map(|part| if part.starts_with('{') { fake_id } else { part })
            .collect::<Vec<_>>()
            .join("/");
        for (method_name, operation) in operations.as_object().unwrap() {
            let method: Method = method_name.to_uppercase().parse().unwrap();
            let body = (method != Method::GET && method != Method::DELETE).then(|| json!({}));
            // An event stream answers 200 and never ends: only its status is read.
            let streams = operation["responses"]["200"]["content"]
                .get("text/event-stream")
                .is_some();
            let call = async |key: Option<&str>| {
                if !streams {
                    return app.call(method.clone(), &uri, key, body.as_ref()).await;
                }
                let mut request = axum::http::Request::builder()
                    .method(method.clone())
                    .uri(&uri);
                if let Some(key) = key {
                    request = request.header("authorization", format!("Bearer {key}"));
                }
                app.send_unread_if_ok(request.body(axum::body::Body::empty()).unwrap())
                    .await
            };
            let what = format!("{method} {uri}");
            if !path.starts_with("/v1/") {
                let status = call(None).await.status.as_u16();
                assert!(![401, 403].contains(&status), "{what} is open: {status}");
                continue;
            }
            // Ingesting an open source writes thousands of records at once: admins only.
            let needed = if path.starts_with("/v1/admin/") || path.starts_with("/v1/ingest/") {
                Role::Admin
            } else if method == Method::GET {
                Role::Reader
            } else {
                Role::Editor
            };
            let declared = operation["responses"].as_object().unwrap();
            assert!(declared.contains_key("401"), "{what} does not declare 401");
            let no_key = call(None).await;
            assert_eq!(
                no_key.status.as_u16(),
                401,
                "{what} without a key: {}",
                no_key.text
            );
            no_key.problem(401);
            let bad = call(Some("tf_not-a-real-key")).await;
            assert_eq!(
                bad.status.as_u16(),
                401,
                "{what} with a bad key: {}",
                bad.text
            );
            for (role, key) in keys {
                let response = call(Some(key)).await;
                let status = response.status.as_u16();
                if role.allows(needed) {
                    assert!(
                        ![401, 403].contains(&status),
                        "{what} as {role}: {status} {}",
                        response.text
                    );
                } else {
                    assert!(declared.contains_key("403"), "{what} does not declare 403");
                    assert_eq!(status, 403, "{what} as {role}: {}", response.text);
                    response.problem(403);
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 40, "only {checked} operations found");
}
