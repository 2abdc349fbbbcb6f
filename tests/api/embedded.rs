//! The real binary: `talentflow serve` with no DATABASE_URL runs its own Postgres, loads the demo
//! data once, and stops cleanly on SIGTERM. Also the commands scripts rely on.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::Value;

pub const BINARY: &str = env!("CARGO_BIN_EXE_talentflow");

pub fn temp_dir(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "talentflow-{name}-{}",
        uuid::Uuid::new_v4().simple()
    ))
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(data_dir: &Path, port: u16) -> Child {
    Command::new(BINARY)
        .arg("serve")
        .env_remove("DATABASE_URL")
        .env("TALENTFLOW_DATA_DIR", data_dir)
        .env("TALENTFLOW_BIND", format!("127.0.0.1:{port}"))
        .env("TALENTFLOW_LOG", "warn")
        .stdin(Stdio::null())
        .spawn()
        .expect("talentflow starts")
}

pub async fn wait_ready(client: &reqwest::Client, base: &str, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Ok(response) = client.get(format!("{base}/readyz")).send().await
            && response.status().is_success()
        {
            return;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("talentflow exited early with {status}");
        }
        assert!(
            Instant::now() < deadline,
            "talentflow was not ready in time"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "talentflow did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

async fn get_json(client: &reqwest::Client, url: &str) -> Value {
    client.get(url).send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn serve_without_database_url_runs_embedded_postgres_with_demo_data_once() {
    let data_dir = temp_dir("embedded");
    let client = reqwest::Client::new();

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = start(&data_dir, port);
    wait_ready(&client, &base, &mut server).await;

    let found = get_json(&client, &format!("{base}/v1/researchers?q=balko")).await;
    assert_eq!(found["data"][0]["name"], "Michal Valko");
    let into_meta = get_json(
        &client,
        &format!("{base}/v1/companies/meta/moves?direction=in"),
    )
    .await;
    assert_eq!(
        into_meta["data"][0]["sources"][0]["source"]["publisher"],
        "The Information"
    );
    let docs = client.get(format!("{base}/docs/")).send().await.unwrap();
    assert!(docs.status().is_success());

    // A command run beside the server attaches to its Postgres and, when done, leaves it
    // running for the server, and says so.
    let keys = Command::new(BINARY)
        .args(["keys", "create", "--name", "beside", "--role", "editor"])
        .env_remove("DATABASE_URL")
        .env("TALENTFLOW_DATA_DIR", &data_dir)
        .env("TALENTFLOW_LOG", "info")
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&keys.stderr);
    assert!(keys.status.success(), "{log}");
    assert!(
        log.contains("detached from the embedded Postgres") && !log.contains("Postgres stopped"),
        "{log}"
    );
    let ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert!(ready.status().is_success(), "the server lost its database");

    let status = terminate(&mut server);
    assert!(status.success(), "exit status {status}");
    assert!(
        !data_dir.join("postgres/postmaster.pid").exists(),
        "the embedded Postgres is stopped with the service"
    );

    // A second start keeps the data and does not load the demo data again.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = start(&data_dir, port);
    wait_ready(&client, &base, &mut server).await;
    let all = get_json(
        &client,
        &format!("{base}/v1/researchers?include_total=true"),
    )
    .await;
    assert_eq!(
        all["total"], 17,
        "3 researchers of the story and the 14 authors of Llama"
    );
    assert!(terminate(&mut server).success());
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[tokio::test]
async fn seed_is_idempotent_and_keys_create_prints_only_the_secret() {
    let (pool, url) = crate::helpers::fresh_database().await;
    let run = |args: &[&str]| {
        Command::new(BINARY)
            .args(args)
            .env("DATABASE_URL", &url)
            .env("TALENTFLOW_LOG", "info")
            .output()
            .expect("talentflow runs")
    };
    let audit_rows = async || -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM audit_log")
            .fetch_one(&pool)
            .await
            .unwrap()
    };

    assert!(run(&["seed"]).status.success());
    let after_first = audit_rows().await;
    assert!(after_first >= 15);
    let second = run(&["seed"]);
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert_eq!(
        audit_rows().await,
        after_first,
        "a second seed changes nothing"
    );

    let created = run(&["keys", "create", "--name", "ci", "--role", "admin"]);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let stdout = String::from_utf8(created.stdout).unwrap();
    let secret = stdout.trim_end_matches('\n');
    assert!(
        secret.starts_with("tf_") && !secret.contains(char::is_whitespace),
        "stdout was {stdout:?}"
    );
    assert!(
        !String::from_utf8_lossy(&created.stderr).contains(secret),
        "the secret is not logged"
    );

    let bad_role = run(&["keys", "create", "--name", "x", "--role", "owner"]);
    assert!(!bad_role.status.success());
}

#[test]
fn every_command_has_help() {
    for command in [
        &["--help"][..],
        &["serve", "--help"],
        &["migrate", "--help"],
        &["seed", "--help"],
        &["keys", "create", "--help"],
        &["openapi", "--help"],
        &["healthcheck", "--help"],
    ] {
        let output = Command::new(BINARY).args(command).output().unwrap();
        assert!(output.status.success(), "{command:?}");
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("Usage"),
            "{command:?}"
        );
    }
}

/// `talentflow serve` on `database_url` with rate limits off and `settings` (environment
/// variables) on top, ready when this returns; the process and its port.
pub async fn serve_on(database_url: &str, settings: &[(&str, &str)]) -> (Child, u16) {
    let port = free_port();
    let mut command = Command::new(BINARY);
    command
        .arg("serve")
        .env("DATABASE_URL", database_url)
        .env("TALENTFLOW_BIND", format!("127.0.0.1:{port}"))
        .env("TALENTFLOW_RATE_LIMIT", "0")
        .env("TALENTFLOW_LOG", "warn")
        .stdin(Stdio::null());
    for (name, value) in settings {
        command.env(name, value);
    }
    let mut server = command.spawn().expect("talentflow starts");
    wait_ready(
        &reqwest::Client::new(),
        &format!("http://127.0.0.1:{port}"),
        &mut server,
    )
    .await;
    (server, port)
}

async fn serve_with_grace(url: &str, grace_secs: u32) -> (Child, u16) {
    serve_on(
        url,
        &[("TALENTFLOW_SHUTDOWN_GRACE", &grace_secs.to_string())],
    )
    .await
}

/// Waits for the process to exit, failing after `limit`; returns its status and how long.
async fn exit_within(server: &mut Child, limit: Duration) -> (std::process::ExitStatus, Duration) {
    let started = Instant::now();
    loop {
        if let Some(status) = server.try_wait().unwrap() {
            return (status, started.elapsed());
        }
        assert!(
            started.elapsed() < limit,
            "the server did not exit within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn sigterm_lets_in_flight_requests_finish_and_refuses_new_connections() {
    let (pool, url) = crate::helpers::fresh_database().await;
    talentflow::seed::load(&pool).await.unwrap();
    let (mut server, port) = serve_with_grace(&url, 10).await;
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();

    // Hold a lock the list queries need, so several slow requests are in flight when SIGTERM
    // arrives.
    let mut blocker = pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE companies IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *blocker)
        .await
        .unwrap();
    let in_flight: Vec<_> = (0..4)
        .map(|_| {
            let client = client.clone();
            let base = base.clone();
            tokio::spawn(async move { client.get(format!("{base}/v1/companies")).send().await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let killed = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let signalled = Instant::now();
    tokio::time::sleep(Duration::from_millis(500)).await;

    assert!(
        server.try_wait().unwrap().is_none(),
        "the server waits for the requests in flight"
    );
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "new connections are refused during shutdown"
    );
    blocker.rollback().await.unwrap();

    for request in in_flight {
        let response = request
            .await
            .unwrap()
            .expect("the in-flight request is answered");
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["data"].as_array().unwrap().len(), 7);
    }
    let (status, _) = exit_within(&mut server, Duration::from_secs(10)).await;
    assert!(status.success(), "exit status {status}");
    assert!(
        signalled.elapsed() < Duration::from_secs(10),
        "within the grace period"
    );
}

/// A request that outlasts the grace period does not keep the process alive: it exits 0 at
/// the deadline.
#[tokio::test]
async fn sigterm_exits_at_the_grace_deadline_even_with_a_request_stuck() {
    let (pool, url) = crate::helpers::fresh_database().await;
    let (mut server, port) = serve_with_grace(&url, 2).await;
    let mut blocker = pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE companies IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *blocker)
        .await
        .unwrap();
    let stuck =
        tokio::spawn(
            async move { reqwest::get(format!("http://127.0.0.1:{port}/v1/companies")).await },
        );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        Command::new("kill")
            .args(["-TERM", &server.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let (status, took) = exit_within(&mut server, Duration::from_secs(6)).await;
    assert!(status.success(), "exit status {status}");
    assert!(
        took >= Duration::from_millis(1500),
        "it waited for the grace period: {took:?}"
    );
    assert!(
        took < Duration::from_millis(3500),
        "and not much longer: {took:?}"
    );
    assert!(
        stuck.await.unwrap().is_err(),
        "the stuck request was cut off, not answered"
    );
    blocker.rollback().await.unwrap();
}

#[tokio::test]
async fn gen_is_deterministic_marked_synthetic_and_refuses_other_data() {
    let run = |url: &str, seed: &str| {
        Command::new(BINARY)
            .args([
                "gen",
                "--companies",
                "30",
                "--researchers",
                "80",
                "--moves",
                "400",
                "--projects",
                "3",
                "--seed",
                seed,
            ])
            .env("DATABASE_URL", url)
            .env("TALENTFLOW_LOG", "warn")
            .output()
            .expect("talentflow runs")
    };
    let fingerprint = |pool: sqlx::PgPool| async move {
        let digest: String = sqlx::query_scalar(
            "SELECT md5(string_agg(concat_ws(',', id, researcher_id, from_company_id, to_company_id, kind, effective_on), ';' ORDER BY id))
             FROM moves",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        let counts: (i64, i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM companies), (SELECT count(*) FROM researchers), (SELECT count(*) FROM moves),
                    (SELECT count(*) FROM projects)",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        let unmarked: i64 = sqlx::query_scalar(
            "SELECT (SELECT count(*) FROM companies WHERE website NOT LIKE 'https://%.synthetic.invalid/')
                  + (SELECT count(*) FROM researchers WHERE homepage NOT LIKE 'https://synthetic.invalid/%')
                  + (SELECT count(*) FROM projects WHERE url NOT LIKE 'https://synthetic.invalid/%')
                  + (SELECT count(*) FROM moves WHERE notes NOT LIKE 'synthetic:%')",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        (digest, counts, unmarked)
    };
    let (first_pool, first_url) = crate::helpers::fresh_database().await;
    let (second_pool, second_url) = crate::helpers::fresh_database().await;
    assert!(run(&first_url, "7").status.success());
    assert!(run(&second_url, "7").status.success());
    let first = fingerprint(first_pool.clone()).await;
    let second = fingerprint(second_pool).await;
    assert_eq!(first, second, "the same seed gives the same data");
    assert_eq!(first.1, (30, 80, 400, 3));
    assert_eq!(first.2, 0, "every record is marked synthetic");

    // The moves are consistent careers that the API serves like any others.
    let bad: i64 =
        sqlx::query_scalar("SELECT count(*) FROM moves WHERE from_company_id = to_company_id")
            .fetch_one(&first_pool)
            .await
            .unwrap();
    assert_eq!(bad, 0);

    let again = run(&first_url, "8");
    assert!(!again.status.success(), "a database with data is refused");
    assert!(String::from_utf8_lossy(&again.stderr).contains("empty"));
}
