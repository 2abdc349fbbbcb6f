//! A real Postgres for the tests: one throw-away cluster per test process (the same embedded
//! server `talentflow serve` uses), a migrated template database, and a fresh copy of it for
//! every test. Requests go through the real router with `tower::ServiceExt::oneshot`.

use std::sync::OnceLock;

use axum::{
    Router,
    body::Body,
    http::{HeaderMap, Method, Request, StatusCode, header},
};
use http_body_util::BodyExt;
use serde_json::Value;
use sqlx::{Connection, PgPool};
use talentflow::{
    app::{self, AppState},
    config::Config,
    db::{
        self,
        embedded::{DataDir, EmbeddedPostgres},
    },
    domain::key::Role,
};
use tower::ServiceExt;

const TEMPLATE: &str = "talentflow_template";

struct Cluster {
    server: EmbeddedPostgres,
}

fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("talentflow-test-{}", std::process::id()));
        let server = EmbeddedPostgres::start(&dir, DataDir::RemovedWhenGone)
            .expect("the test Postgres starts");
        let maintenance = server.url("postgres");
        let template = server.url(TEMPLATE);
        // Migrating needs a runtime of its own: this may run inside any test's runtime.
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                db::create_database_if_missing(&maintenance, TEMPLATE)
                    .await
                    .unwrap();
                let pool = db::connect(&template, 1).await.unwrap();
                db::migrate(&pool).await.unwrap();
                pool.close().await;
            });
        })
        .join()
        .expect("the template database is migrated");
        Cluster { server }
    })
}

/// A fresh, migrated, empty database.
pub async fn fresh_database() -> (PgPool, String) {
    let cluster = cluster();
    let name = format!("test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&cluster.server.url("postgres"))
        .await
        .expect("maintenance connection");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {name} TEMPLATE {TEMPLATE}"
    )))
    .execute(&mut admin)
    .await
    .expect("test database created");
    let url = cluster.server.url(&name);
    let pool = db::connect(&url, 8).await.expect("test database reachable");
    (pool, url)
}

pub struct TestApp {
    pub pool: PgPool,
    pub router: Router,
    pub editor: String,
    pub admin: String,
}

pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    /// The body as JSON, or `Value::Null` when it is not JSON.
    pub json: Value,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a problem+json error with this status and returns its body.
    #[track_caller]
    pub fn problem(&self, status: u16) -> &Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "body: {}",
            self.text
        );
        assert_eq!(self.json["status"], status);
        assert!(self.json["type"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(self.json["title"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(self.json["detail"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(self.json["errors"].is_array());
        &self.json
    }

    /// The fields named in a problem's `errors`.
    pub fn error_fields(&self) -> Vec<String> {
        self.json["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[track_caller]
    pub fn ok(&self, status: u16) -> &Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        &self.json
    }
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_config(|_| {}).await
    }

    pub async fn with_config(adjust: impl FnOnce(&mut Config)) -> Self {
        // `TEST_LOG=warn cargo test ...` shows the service's log, e.g. the cause of a 500.
        if let Ok(filter) = std::env::var("TEST_LOG") {
            talentflow::telemetry::init(&filter, talentflow::config::LogFormat::Text);
        }
        let (pool, _) = fresh_database().await;
        let mut config = Config::for_tests();
        adjust(&mut config);
        let mut conn = pool.acquire().await.unwrap();
        let (_, editor) = db::keys::create(&mut conn, "test editor", Role::Editor)
            .await
            .unwrap();
        let (_, admin) = db::keys::create(&mut conn, "test admin", Role::Admin)
            .await
            .unwrap();
        drop(conn);
        let router = app::router(AppState::new(pool.clone(), config));
        Self {
            pool,
            router,
            editor,
            admin,
        }
    }

    /// The demo data, loaded as `talentflow seed` does.
    pub async fn with_demo_data() -> Self {
        let app = Self::new().await;
        talentflow::seed::load(&app.pool)
            .await
            .expect("demo data loads");
        app
    }

    pub async fn send(&self, request: Request<Body>) -> Response {
        self.send_reading(request, true).await
    }

    /// Like `send`, but the body of a 2xx answer is left unread: it may be an endless stream.
    pub async fn send_unread_if_ok(&self, request: Request<Body>) -> Response {
        self.send_reading(request, false).await
    }

    async fn send_reading(&self, request: Request<Body>, read_success: bool) -> Response {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router answers");
        let status = response.status();
        let headers = response.headers().clone();
        if status.is_success() && !read_success {
            return Response {
                status,
                headers,
                text: String::new(),
                json: Value::Null,
            };
        }
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body reads")
            .to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Response {
            status,
            headers,
            text,
            json,
        }
    }

    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(key) = key {
            request = request.header(header::AUTHORIZATION, format!("Bearer {key}"));
        }
        let body = match body {
            Some(json) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(serde_json::to_vec(json).unwrap())
            }
            None => Body::empty(),
        };
        self.send(request.body(body).unwrap()).await
    }

    pub async fn get(&self, uri: &str) -> Response {
        self.call(Method::GET, uri, None, None).await
    }

    /// POST with the editor key.
    pub async fn post(&self, uri: &str, body: Value) -> Response {
        self.call(Method::POST, uri, Some(&self.editor.clone()), Some(&body))
            .await
    }

    /// PATCH with the editor key.
    pub async fn patch(&self, uri: &str, body: Value) -> Response {
        self.call(Method::PATCH, uri, Some(&self.editor.clone()), Some(&body))
            .await
    }

    /// DELETE with the editor key.
    pub async fn delete(&self, uri: &str) -> Response {
        self.call(Method::DELETE, uri, Some(&self.editor.clone()), None)
            .await
    }

    /// Creates a record and returns its body, failing the test when it is not a 201.
    pub async fn create(&self, collection: &str, body: Value) -> Value {
        let response = self.post(&format!("/v1/{collection}"), body).await;
        response.ok(201).clone()
    }

    pub async fn company(&self, name: &str) -> Value {
        self.create(
            "companies",
            serde_json::json!({"name": name, "kind": "ai_lab"}),
        )
        .await
    }

    pub async fn researcher(&self, name: &str) -> Value {
        self.create("researchers", serde_json::json!({"name": name}))
            .await
    }

    pub async fn source(&self, publisher: &str) -> Value {
        self.create("sources", serde_json::json!({"publisher": publisher}))
            .await
    }

    /// A hire of `researcher` from `from` to `to` (slugs) effective on `date`.
    pub async fn hire(&self, researcher: &str, from: Option<&str>, to: &str, date: &str) -> Value {
        self.create(
            "moves",
            serde_json::json!({"researcher": researcher, "from": from, "to": to, "kind": "hire", "effective_on": date}),
        )
        .await
    }
}

/// The `slug` of each row of a list response, in order.
pub fn slugs(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["slug"].as_str().unwrap().to_owned())
        .collect()
}
