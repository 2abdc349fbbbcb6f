//! The change stream over real HTTP: events in commit order after POST/PATCH/DELETE, resume
//! with Last-Event-ID missing nothing, and two server processes on one database seeing each
//! other's events.

use std::time::Duration;

use futures::StreamExt;
use serde_json::{Value, json};
use talentflow::{db, domain::key::Role};

use crate::embedded::terminate;

/// A Server-Sent Events reader over a real socket.
pub struct Events {
    body: std::pin::Pin<Box<dyn futures::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    buffer: String,
}

#[derive(Debug)]
pub struct Received {
    pub id: i64,
    pub name: String,
    pub data: Value,
}

impl Events {
    pub async fn open(base: &str, last_event_id: Option<i64>) -> Self {
        let mut request = reqwest::Client::new().get(format!("{base}/v1/moves/stream"));
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id.to_string());
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Self {
            body: Box::pin(response.bytes_stream()),
            buffer: String::new(),
        }
    }

    /// The next event (keep-alive comments skipped), failing after `wait`.
    pub async fn next(&mut self, wait: Duration) -> Received {
        tokio::time::timeout(wait, async {
            loop {
                if let Some(end) = self.buffer.find("\n\n") {
                    let block: String = self.buffer.drain(..end + 2).collect();
                    let (mut id, mut name, mut data) = (None, None, String::new());
                    for line in block.lines() {
                        if let Some(value) = line.strip_prefix("id:") {
                            id = Some(value.trim().parse().unwrap());
                        } else if let Some(value) = line.strip_prefix("event:") {
                            name = Some(value.trim().to_owned());
                        } else if let Some(value) = line.strip_prefix("data:") {
                            data.push_str(value.trim_start());
                        }
                    }
                    if let (Some(id), Some(name)) = (id, name) {
                        return Received {
                            id,
                            name,
                            data: serde_json::from_str(&data).unwrap(),
                        };
                    }
                    continue;
                }
                let chunk = self
                    .body
                    .next()
                    .await
                    .expect("the stream stays open")
                    .unwrap();
                self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
            }
        })
        .await
        .expect("an event arrives in time")
    }

    /// Nothing more arrives within `wait`.
    async fn assert_quiet(&mut self, wait: Duration) {
        if let Ok(event) = tokio::time::timeout(wait, self.next(wait * 2)).await {
            panic!("unexpected event {event:?}");
        }
    }
}

struct Setup {
    url: String,
    key: String,
}

async fn setup() -> Setup {
    let (pool, url) = crate::helpers::fresh_database().await;
    talentflow::seed::load(&pool).await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    let (_, key) = db::keys::create(&mut conn, "live", Role::Editor)
        .await
        .unwrap();
    Setup { url, key }
}

async fn serve(url: &str) -> (std::process::Child, String) {
    let (child, port) = crate::embedded::serve_on(url, &[]).await;
    (child, format!("http://127.0.0.1:{port}"))
}

async fn write(key: &str, method: reqwest::Method, url: String, body: Option<Value>) -> Value {
    let mut request = reqwest::Client::new().request(method, url).bearer_auth(key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    response.json().await.unwrap_or(Value::Null)
}

async fn hire(setup: &Setup, base: &str, to: &str) -> String {
    let created = write(
        &setup.key,
        reqwest::Method::POST,
        format!("{base}/v1/moves"),
        Some(json!({"researcher": "michal-valko", "from": "meta", "to": to, "kind": "hire", "effective_on": "2025-06"})),
    )
    .await;
    created["id"].as_str().unwrap().to_owned()
}

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn writes_arrive_in_order_and_a_resumed_stream_misses_nothing() {
    let setup = setup().await;
    let (mut server, base) = serve(&setup.url).await;
    let mut events = Events::open(&base, None).await;

    let id = hire(&setup, &base, "openai").await;
    write(
        &setup.key,
        reqwest::Method::PATCH,
        format!("{base}/v1/moves/{id}"),
        Some(json!({"title": "Research Scientist"})),
    )
    .await;
    write(
        &setup.key,
        reqwest::Method::DELETE,
        format!("{base}/v1/moves/{id}"),
        None,
    )
    .await;

    let created = events.next(WAIT).await;
    let updated = events.next(WAIT).await;
    let deleted = events.next(WAIT).await;
    assert_eq!(
        [&created.name, &updated.name, &deleted.name],
        ["move.created", "move.updated", "move.deleted"]
    );
    assert!(created.id < updated.id && updated.id < deleted.id);
    for event in [&created, &updated, &deleted] {
        assert_eq!(event.data["id"], id.as_str());
    }
    assert_eq!(created.data["to"]["slug"], "openai");
    assert_eq!(created.data["researcher"]["name"], "Michal Valko");
    assert_eq!(updated.data["title"], "Research Scientist");
    drop(events);

    // Missed while away: two moves. A resumed stream gets both, in order, then live ones.
    let first = hire(&setup, &base, "microsoft").await;
    let second = hire(&setup, &base, "mistral-ai").await;
    let mut resumed = Events::open(&base, Some(deleted.id)).await;
    assert_eq!(resumed.next(WAIT).await.data["id"], first.as_str());
    assert_eq!(resumed.next(WAIT).await.data["id"], second.as_str());
    let live = hire(&setup, &base, "openai").await;
    assert_eq!(resumed.next(WAIT).await.data["id"], live.as_str());
    resumed.assert_quiet(Duration::from_millis(500)).await;

    // From the beginning: every event there is, in order.
    let mut replay = Events::open(&base, Some(0)).await;
    let mut ids = Vec::new();
    for _ in 0..6 {
        ids.push(replay.next(WAIT).await.id);
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");

    let bad = reqwest::Client::new()
        .get(format!("{base}/v1/moves/stream"))
        .header("last-event-id", "yesterday")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert_eq!(bad.headers()["content-type"], "application/problem+json");

    // Shutdown ends open streams instead of waiting out the grace period for them.
    let started = std::time::Instant::now();
    assert!(terminate(&mut server).success());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn two_server_processes_see_each_others_events() {
    let setup = setup().await;
    let (mut one, base_one) = serve(&setup.url).await;
    let (mut two, base_two) = serve(&setup.url).await;
    let mut on_two = Events::open(&base_two, None).await;
    let mut on_one = Events::open(&base_one, None).await;

    let written_on_one = hire(&setup, &base_one, "openai").await;
    let written_on_two = hire(&setup, &base_two, "microsoft").await;
    for events in [&mut on_one, &mut on_two] {
        let first = events.next(WAIT).await;
        let second = events.next(WAIT).await;
        assert_eq!(first.data["id"], written_on_one.as_str());
        assert_eq!(second.data["id"], written_on_two.as_str());
        assert!(first.id < second.id);
    }
    // Woken by the notification, not by the periodic look: well under its 5 s.
    let started = std::time::Instant::now();
    hire(&setup, &base_one, "mistral-ai").await;
    on_two.next(WAIT).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );

    assert!(terminate(&mut one).success());
    assert!(terminate(&mut two).success());
}

/// Event numbers follow commit order, not the order writes began: a transaction that started
/// first but commits last gets the larger number, so a reader at "everything after N" never
/// skips it.
#[tokio::test]
async fn events_are_numbered_in_commit_order() {
    let (pool, _) = crate::helpers::fresh_database().await;
    let audit = "INSERT INTO audit_log (actor_name, action, collection, record_id, after)
                 VALUES ('test', 'create', 'moves', gen_random_uuid(), $1) RETURNING id";
    let mut slow = pool.begin().await.unwrap();
    let slow_audit: i64 = sqlx::query_scalar(audit)
        .bind(json!({"which": "slow"}))
        .fetch_one(&mut *slow)
        .await
        .unwrap();
    let quick_audit: i64 = sqlx::query_scalar(audit)
        .bind(json!({"which": "quick"}))
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(
        slow_audit < quick_audit,
        "the slow write's audit row came first"
    );
    let seen = db::events::after(&pool, 0, 10).await.unwrap();
    assert_eq!(seen.len(), 1, "only the committed write is an event yet");
    assert_eq!(seen[0].record["which"], "quick");
    slow.commit().await.unwrap();
    let later = db::events::after(&pool, seen[0].seq, 10).await.unwrap();
    assert_eq!(
        later.len(),
        1,
        "the late commit comes after what was already seen"
    );
    assert_eq!(later[0].record["which"], "slow");
    // Other collections are not move events.
    sqlx::query(
        "INSERT INTO audit_log (actor_name, action, collection, record_id) VALUES ('test', 'create', 'companies', gen_random_uuid())",
    )
    .execute(&pool)
    .await
    .unwrap();
    assert!(
        db::events::after(&pool, later[0].seq, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

/// An idle stream gets keep-alive comments, so proxies and clients don't time it out; and a
/// client that stops reading holds up no one: another client still gets every event at once,
/// and the server's memory does not grow with what the stalled one has not read.
#[tokio::test]
async fn idle_streams_are_kept_alive_and_a_stalled_reader_holds_up_no_one() {
    let setup = setup().await;
    let (mut server, base) = serve(&setup.url).await;

    let mut idle = reqwest::Client::new()
        .get(format!("{base}/v1/moves/stream"))
        .send()
        .await
        .unwrap()
        .bytes_stream();
    let comment = tokio::time::timeout(Duration::from_secs(20), async {
        let mut seen = String::new();
        while let Some(chunk) = idle.next().await {
            seen.push_str(std::str::from_utf8(&chunk.unwrap()).unwrap());
            if seen.lines().any(|line| line.starts_with(':')) {
                return seen;
            }
        }
        panic!("the stream ended");
    })
    .await
    .expect("a keep-alive comment within 20 s");
    assert!(!comment.contains("event:"), "{comment}");

    // A reader that never reads after connecting, with a tiny receive buffer.
    let mut stalled = std::net::TcpStream::connect(base.trim_start_matches("http://")).unwrap();
    std::io::Write::write_all(
        &mut stalled,
        b"GET /v1/moves/stream?last_event_id=0 HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    .unwrap();
    let rss = |pid: u32| -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    let mut follower = Events::open(&base, None).await;
    let before = rss(server.id());
    let mut last = String::new();
    for _ in 0..200 {
        last = hire(&setup, &base, "openai").await;
    }
    let started = std::time::Instant::now();
    loop {
        if follower.next(WAIT).await.data["id"] == last.as_str() {
            break;
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let growth_kb = rss(server.id()).saturating_sub(before);
    assert!(growth_kb < 20_000, "the server grew by {growth_kb} kB");
    drop(stalled);
    assert!(terminate(&mut server).success());
}

async fn import_lines(setup: &Setup, base: &str, query: &str, lines: &[Value]) -> Value {
    let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let response = reqwest::Client::new()
        .post(format!("{base}/v1/import{query}"))
        .bearer_auth(&setup.key)
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn an_import_is_one_event_that_says_what_it_changed() {
    let setup = setup().await;
    let (mut server, base) = serve(&setup.url).await;
    let mut events = Events::open(&base, None).await;
    let before = hire(&setup, &base, "openai").await;
    assert_eq!(events.next(WAIT).await.data["id"], before.as_str());

    let lines = [
        json!({"type": "researcher", "name": "Imported Person", "slug": "imported-person"}),
        json!({"type": "move", "researcher": "imported-person", "from": "meta", "to": "openai", "kind": "hire", "effective_on": "2025-01"}),
        json!({"type": "move", "researcher": "imported-person", "from": "openai", "to": "mistral-ai", "kind": "hire", "effective_on": "2025-09"}),
    ];
    // A dry run changes nothing, and says nothing.
    import_lines(&setup, &base, "?dry_run=true", &lines).await;
    let report = import_lines(&setup, &base, "", &lines).await;
    let completed = events.next(WAIT).await;
    assert_eq!(completed.name, "import.completed");
    assert_eq!(completed.data["import_id"], report["import_id"]);
    assert_eq!(completed.data["by_type"]["move"]["created"], 2);
    assert_eq!(completed.data["by_type"]["researcher"]["created"], 1);
    assert!(completed.data["finished_at"].is_string());
    // Not one event per imported move: followers re-read instead.
    events.assert_quiet(Duration::from_millis(500)).await;

    // An import that changes no move has no event; the next single write is the next event.
    import_lines(
        &setup,
        &base,
        "",
        &[json!({"type": "company", "name": "Quiet Lab", "kind": "startup", "slug": "quiet-lab"})],
    )
    .await;
    let after = hire(&setup, &base, "quiet-lab").await;
    let next = events.next(WAIT).await;
    assert_eq!(
        (next.name.as_str(), &next.data["id"]),
        ("move.created", &json!(after))
    );
    assert!(next.id > completed.id);

    // A stream resumed from before the import gets the import's event, in its place.
    let mut resumed = Events::open(&base, Some(completed.id - 1)).await;
    assert_eq!(resumed.next(WAIT).await.name, "import.completed");
    assert_eq!(resumed.next(WAIT).await.data["id"], after.as_str());
    assert!(terminate(&mut server).success());
}
