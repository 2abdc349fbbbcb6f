//! Two talentflow processes, a Postgres primary and a streaming replica (initdb, then
//! `pg_basebackup -R` through a replication slot, all on loopback) behave as one service:
//! reads go to the replica, a read that sends a write's consistency token sees that write
//! whichever process answers it, and a replica that stops or is promoted leaves the rotation
//! without failing a read.

use std::{
    process::Child,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use sqlx::PgPool;
use talentflow::{
    db::{
        self,
        embedded::{DataDir, EmbeddedPostgres},
    },
    domain::key::Role,
};

use crate::embedded::{serve_on, temp_dir};

/// A primary, its replica, and two talentflow processes reading from the replica.
struct Replicated {
    primary: EmbeddedPostgres,
    replica: EmbeddedPostgres,
    /// On the primary and on the replica, as the test's own connections.
    primary_pool: PgPool,
    replica_pool: PgPool,
    servers: Vec<Child>,
    /// Process A, then process B.
    bases: Vec<String>,
    key: String,
    client: reqwest::Client,
}

impl Drop for Replicated {
    /// A failing test must not leave its server processes holding the test runner's output.
    fn drop(&mut self) {
        for server in &mut self.servers {
            let _ = server.kill();
            let _ = server.wait();
        }
    }
}

impl Replicated {
    async fn start(settings: &[(&str, &str)]) -> Self {
        let primary = EmbeddedPostgres::start(&temp_dir("primary"), DataDir::RemovedWhenGone)
            .expect("the primary starts");
        db::create_database_if_missing(&primary.url("postgres"), db::embedded::DATABASE)
            .await
            .unwrap();
        let primary_pool = db::connect(&primary.url(db::embedded::DATABASE), 4)
            .await
            .unwrap();
        db::migrate(&primary_pool).await.unwrap();
        talentflow::seed::load(&primary_pool).await.unwrap();
        let key = {
            let mut conn = primary_pool.acquire().await.unwrap();
            db::keys::create(&mut conn, "replicas", Role::Editor)
                .await
                .unwrap()
                .1
        };
        let replica = primary
            .start_replica(
                &temp_dir("replica"),
                "talentflow_test",
                DataDir::RemovedWhenGone,
            )
            .expect("the replica starts");
        let replica_pool = db::connect(&replica.url(db::embedded::DATABASE), 2)
            .await
            .unwrap();
        let in_recovery: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()")
            .fetch_one(&replica_pool)
            .await
            .unwrap();
        assert!(in_recovery, "the replica is a hot standby");

        let read_url = replica.url(db::embedded::DATABASE);
        let mut all: Vec<(&str, &str)> = vec![("DATABASE_READ_URL", &read_url)];
        all.extend_from_slice(settings);
        let mut servers = Vec::new();
        let mut bases = Vec::new();
        for _ in 0..2 {
            let (server, port) = serve_on(&primary.url(db::embedded::DATABASE), &all).await;
            servers.push(server);
            bases.push(format!("http://127.0.0.1:{port}"));
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        let replicated = Self {
            primary,
            replica,
            primary_pool,
            replica_pool,
            servers,
            bases,
            key,
            client,
        };
        for base in &replicated.bases {
            replicated.wait_for_state(base, "in_rotation").await;
        }
        replicated
    }

    /// Waits until `/readyz` on `base` reports the replica in `state`; returns how long it took.
    async fn wait_for_state(&self, base: &str, state: &str) -> Duration {
        let started = Instant::now();
        loop {
            let ready: Value = self
                .client
                .get(format!("{base}/readyz"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if ready["databases"][1]["state"] == state {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "replica never {state}: {ready}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn create_company(&self, base: &str, name: &str) -> (String, String) {
        let response = self
            .client
            .post(format!("{base}/v1/companies"))
            .bearer_auth(&self.key)
            .json(&json!({"name": name, "kind": "ai_lab"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{name}");
        let token = response.headers()["talentflow-consistency"]
            .to_str()
            .unwrap()
            .to_owned();
        let body: Value = response.json().await.unwrap();
        (body["slug"].as_str().unwrap().to_owned(), token)
    }

    /// `talentflow_db_reads_total` for `target` on `base`.
    async fn reads_on(&self, base: &str, target: &str) -> u64 {
        let text = self
            .client
            .get(format!("{base}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let series = format!("talentflow_db_reads_total{{target=\"{target}\"}} ");
        text.lines()
            .find_map(|line| line.strip_prefix(&series))
            .map_or(0, |n| n.trim().parse().unwrap())
    }
}

/// Whether the answer came from the replica: only a replica's answers carry its lag.
fn from_replica(response: &reqwest::Response) -> bool {
    response.headers().contains_key("talentflow-replica-lag")
}

/// Pauses WAL replay on the replica for `pause`, then resumes it.
async fn hold_replay(replica: PgPool, pause: Duration) {
    sqlx::query("SELECT pg_wal_replay_pause()")
        .execute(&replica)
        .await
        .unwrap();
    tokio::time::sleep(pause).await;
    sqlx::query("SELECT pg_wal_replay_resume()")
        .execute(&replica)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_write_through_one_process_is_read_through_the_other_with_its_token_while_the_replica_lags()
 {
    let service = Replicated::start(&[("TALENTFLOW_REPLICA_WAIT_MS", "1000")]).await;
    let (a, b) = (&service.bases[0], &service.bases[1]);
    let replica_reads_before = service.reads_on(b, "replica-1").await;
    let replica_commits = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()",
        )
        .fetch_one(&service.replica_pool)
        .await
        .unwrap()
    };
    let commits_before = replica_commits().await;

    let (mut from_replica_count, mut from_primary_count, mut stale_without_token) = (0, 0, 0);
    let mut pauses = Vec::new();
    for pair in 0..1000 {
        // Every 100 pairs replay stops for a moment: 300 ms (within the wait), and once for
        // 1.5 s (past it, so the primary must answer).
        if pair % 100 == 0 {
            let pause = if pair == 500 { 1500 } else { 300 };
            pauses.push(tokio::spawn(hold_replay(
                service.replica_pool.clone(),
                Duration::from_millis(pause),
            )));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let (slug, token) = service
            .create_company(a, &format!("Replicated Lab {pair}"))
            .await;

        // Without the token the read may be stale (404 here), never an error.
        let untokened = service
            .client
            .get(format!("{b}/v1/companies/{slug}"))
            .send()
            .await
            .unwrap();
        match untokened.status().as_u16() {
            200 => {}
            404 => stale_without_token += 1,
            status => panic!("a read without a token failed with {status}"),
        }

        let read = service
            .client
            .get(format!("{b}/v1/companies/{slug}"))
            .header("talentflow-consistency", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            read.status(),
            200,
            "pair {pair}: the write is not read back"
        );
        if from_replica(&read) {
            from_replica_count += 1;
        } else {
            from_primary_count += 1;
        }
        let body: Value = read.json().await.unwrap();
        assert_eq!(body["name"], format!("Replicated Lab {pair}"));
    }
    for pause in pauses {
        pause.await.unwrap();
    }

    assert!(
        stale_without_token > 0,
        "untokened reads went to the paused replica and were stale at least once"
    );
    assert!(
        from_replica_count > 900,
        "most tokened reads were answered by the replica (waiting for it to catch up): {from_replica_count}"
    );
    assert!(
        from_primary_count > 0,
        "a read whose replica stayed behind past the wait was answered by the primary"
    );
    // Reads really went to the replica: its own statistics and process B's metrics say so.
    let replica_reads = service.reads_on(b, "replica-1").await - replica_reads_before;
    assert!(replica_reads >= 1000, "{replica_reads}");
    assert!(replica_commits().await - commits_before >= 1000);
    assert_eq!(
        service.reads_on(a, "replica-1").await,
        0,
        "process A only wrote (and answered its own metrics)"
    );
}

#[tokio::test]
async fn a_replica_stopped_under_read_load_fails_no_read_and_rejoins_after_its_restart() {
    let service = Replicated::start(&[]).await;
    let stop = Arc::new(AtomicBool::new(false));
    let served = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut readers = Vec::new();
    for reader in 0..4 {
        let base = service.bases[reader % 2].clone();
        let (client, stop, served, failures) = (
            service.client.clone(),
            stop.clone(),
            served.clone(),
            failures.clone(),
        );
        readers.push(tokio::spawn(async move {
            let paths = [
                "/v1/moves?limit=5",
                "/v1/companies/meta",
                "/v1/flows",
                "/v1/researchers?limit=3",
            ];
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let response = client
                    .get(format!("{base}{}", paths[n % paths.len()]))
                    .send()
                    .await
                    .unwrap();
                served.fetch_add(1, Ordering::Relaxed);
                if !response.status().is_success() {
                    let status = response.status();
                    let body = response.text().await.unwrap_or_default();
                    failures.lock().unwrap().push(format!("{status} {body}"));
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before_stop = service.reads_on(&service.bases[0], "replica-1").await;
    assert!(before_stop > 0, "the load reads from the replica");

    service.replica.stop_immediately().unwrap();
    let stopped_at = Instant::now();
    for base in &service.bases {
        service.wait_for_state(base, "down").await;
    }
    let out_within = stopped_at.elapsed();
    // From now on the primary answers: the replica's count stands still.
    let primary_before = service.reads_on(&service.bases[0], "primary").await;
    let replica_count = service.reads_on(&service.bases[0], "replica-1").await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(
        service.reads_on(&service.bases[0], "replica-1").await,
        replica_count
    );
    assert!(service.reads_on(&service.bases[0], "primary").await > primary_before);

    service.replica.start_again().unwrap();
    for base in &service.bases {
        service.wait_for_state(base, "in_rotation").await;
    }
    let rejoined = service.reads_on(&service.bases[0], "replica-1").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        service.reads_on(&service.bases[0], "replica-1").await > rejoined,
        "reads go to the replica again"
    );

    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        reader.await.unwrap();
    }
    let failures = failures.lock().unwrap().clone();
    assert!(
        failures.is_empty(),
        "{} of {} reads failed: {:?}",
        failures.len(),
        served.load(Ordering::Relaxed),
        &failures[..failures.len().min(5)]
    );
    assert!(
        out_within < Duration::from_secs(3),
        "the stopped replica left the rotation in {out_within:?}"
    );

    // Promoted, it no longer follows the primary: out of rotation for good.
    sqlx::query("SELECT pg_promote()")
        .execute(
            &db::connect(&service.replica.url(db::embedded::DATABASE), 1)
                .await
                .unwrap(),
        )
        .await
        .unwrap();
    for base in &service.bases {
        service.wait_for_state(base, "promoted").await;
    }
    let response = service
        .client
        .get(format!("{}/v1/companies/meta", service.bases[1]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(!from_replica(&response), "the primary answers");
    let _ = &service.primary;
}

#[tokio::test]
async fn the_change_stream_on_one_process_sees_writes_through_the_other() {
    let service = Replicated::start(&[]).await;
    let mut events = crate::live::Events::open(&service.bases[1], None).await;
    let response = service
        .client
        .post(format!("{}/v1/moves", service.bases[0]))
        .bearer_auth(&service.key)
        .json(&json!({"researcher": "michal-valko", "from": "meta", "to": "openai", "kind": "hire", "effective_on": "2025-06"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let id = response.json::<Value>().await.unwrap()["id"].clone();
    let event = events.next(Duration::from_secs(10)).await;
    assert_eq!(event.name, "move.created");
    assert_eq!(event.data["id"], id);
    let _ = (&service.primary_pool, &service.primary);
}

#[tokio::test]
async fn a_key_over_its_rate_limit_is_refused_by_both_processes_together() {
    let (rate, burst) = (50.0, 100.0);
    let service = Replicated::start(&[
        ("TALENTFLOW_RATE_LIMIT", "50"),
        ("TALENTFLOW_RATE_BURST", "100"),
    ])
    .await;
    let started = Instant::now();
    let mut senders = Vec::new();
    for sender in 0..8 {
        let (client, base, key) = (
            service.client.clone(),
            service.bases[sender % 2].clone(),
            service.key.clone(),
        );
        senders.push(tokio::spawn(async move {
            let (mut admitted, mut refused) = (0u32, 0u32);
            for _ in 0..40 {
                let response = client
                    .get(format!("{base}/v1/companies/meta"))
                    .bearer_auth(&key)
                    .send()
                    .await
                    .unwrap();
                match response.status().as_u16() {
                    200 => admitted += 1,
                    429 => {
                        assert!(response.headers().contains_key("retry-after"));
                        refused += 1;
                    }
                    status => panic!("unexpected {status}"),
                }
            }
            (admitted, refused)
        }));
    }
    let (mut admitted, mut refused) = (0, 0);
    for sender in senders {
        let (a, r) = sender.await.unwrap();
        admitted += a;
        refused += r;
    }
    let elapsed = started.elapsed().as_secs_f64();
    // One bucket's allowance over the run, whichever process answered; plus the first request
    // on each process, which counts against the address until the key is known there.
    let allowance = burst + rate * elapsed;
    assert!(
        f64::from(admitted) <= allowance + 2.0,
        "{admitted} admitted in {elapsed:.2} s: more than one bucket allows ({allowance:.0})"
    );
    // Refusing early is bounded by the processes' unspent leases (2 tokens each at this rate).
    assert!(
        f64::from(admitted) >= burst - 4.0,
        "{admitted} admitted in {elapsed:.2} s: fewer than the burst"
    );
    assert!(
        refused > 0,
        "320 requests in {elapsed:.2} s exceed the limit"
    );
}
