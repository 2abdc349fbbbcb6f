//! Imports at the size analysts load: a 50,000-move file with its companies, researchers,
//! sources and projects, written whole with its history and exact counts while the service
//! goes on answering; and a large file whose bad lines are scattered through it, refused whole
//! with every bad line named.

use std::time::{Duration, Instant};

use axum::{
    body::Body,
    http::{Request, header},
};
use serde_json::{Value, json};

use crate::{
    analytics::counts_out_of_step,
    helpers::{Response, TestApp},
};

async fn import(app: &TestApp, body: String) -> Response {
    let request = Request::post("/v1/import")
        .header(header::AUTHORIZATION, format!("Bearer {}", app.editor))
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .body(Body::from(body))
        .unwrap();
    app.send(request).await
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// A deterministic stand-in for randomness (no seed to manage, same file every run).
fn pick(n: usize, salt: usize, range: usize) -> usize {
    (n.wrapping_mul(2_654_435_761)
        .wrapping_add(salt.wrapping_mul(40_503))
        >> 3)
        % range
}

/// A valid ORCID iD (ISO 7064 11,2 check digit) made from a number.
fn orcid(n: usize) -> String {
    let body = format!("{n:015}");
    let total = body
        .bytes()
        .fold(0u32, |total, digit| (total + u32::from(digit - b'0')) * 2);
    let check = (12 - total % 11) % 11;
    let digits = format!(
        "{body}{}",
        if check == 10 {
            "X".to_owned()
        } else {
            check.to_string()
        }
    );
    (0..4)
        .map(|i| &digits[i * 4..i * 4 + 4])
        .collect::<Vec<_>>()
        .join("-")
}

struct File {
    lines: Vec<Value>,
    companies: usize,
    researchers: usize,
    sources: usize,
    moves: usize,
    citations: usize,
}

/// Companies (some under a parent), researchers (aliases, ORCID iDs), sources with ids, moves
/// of every precision with one or two citations, and two projects with rosters, in an order
/// where everything is named before it is referred to.
fn dataset(moves: usize) -> File {
    let (companies, researchers, sources) = (200, moves / 10, moves / 20);
    let mut lines = Vec::new();
    for c in 0..companies {
        let mut company = json!({"type": "company", "name": format!("Scale Lab {c}"),
            "slug": format!("scale-lab-{c}"), "kind": (["ai_lab", "big_tech", "startup", "academia"][c % 4]),
            "country": (["US", "GB", "FR"][c % 3]), "founded_on": format!("{}", 1990 + c % 30)});
        if c >= 20 && c % 7 == 0 {
            company["parent"] = json!(format!("scale-lab-{}", c % 20));
        }
        lines.push(company);
    }
    for r in 0..researchers {
        lines.push(
            json!({"type": "researcher", "name": format!("Scale Researcher {r}"),
            "slug": format!("scale-researcher-{r}"),
            "aliases": if r % 3 == 0 { vec![format!("S. Researcher {r}")] } else { vec![] },
            "orcid": if r % 2 == 0 { Some(orcid(r + 1)) } else { None }}),
        );
    }
    let source_ids: Vec<String> = (0..sources)
        .map(|s| format!("00000000-0000-4000-8000-{s:012}"))
        .collect();
    for (s, id) in source_ids.iter().enumerate() {
        lines.push(json!({"type": "source", "id": id, "url": format!("https://news.example.com/scale/{s}"),
            "publisher": (["The Information", "Bloomberg"][s % 2]), "title": format!("Moves, part {s}"),
            "published_on": format!("20{:02}-0{}-1{}", 15 + s % 10, 1 + s % 9, s % 10)}));
    }
    for p in 0..2 {
        lines.push(json!({"type": "project", "name": format!("Scale Project {p}"), "slug": format!("scale-project-{p}"),
            "company": format!("scale-lab-{p}"),
            "contributors": (0..30).map(|i| json!({"researcher": format!("scale-researcher-{}", p * 30 + i)})).collect::<Vec<_>>()}));
    }
    let mut citations = 0;
    for m in 0..moves {
        let from = pick(m, 1, companies);
        let to = (from + 1 + pick(m, 2, companies - 1)) % companies;
        let departure = m % 20 == 0;
        let year = 2015 + m % 10;
        let effective = match m % 10 {
            0 => format!("{year}"),
            1 | 2 => format!("{year}-{:02}", 1 + pick(m, 3, 12)),
            _ => format!("{year}-{:02}-{:02}", 1 + pick(m, 3, 12), 1 + pick(m, 4, 28)),
        };
        let cited: Vec<Value> = (0..1 + m % 2)
            .map(|i| json!({"source": source_ids[pick(m, 5 + i, sources)], "quote": format!("moved, says report {m}")}))
            .collect();
        // Two citations of one move must name two sources.
        let cited = if cited.len() == 2 && cited[0]["source"] == cited[1]["source"] {
            cited[..1].to_vec()
        } else {
            cited
        };
        citations += cited.len();
        let mut line = json!({"type": "move", "researcher": format!("scale-researcher-{}", m % researchers),
            "from": format!("scale-lab-{from}"), "kind": if departure { "departure" } else { "hire" },
            "effective_on": effective, "confidence": (["reported", "confirmed", "rumored"][m % 3]),
            "title": if m % 4 == 0 { Value::Null } else { json!("Research Scientist") },
            "sources": cited});
        if !departure {
            line["to"] = json!(format!("scale-lab-{to}"));
        }
        if m % 10 == 5 {
            // As an export writes them: with their ids.
            line["id"] = json!(move_id(m));
        }
        lines.push(line);
    }
    File {
        lines,
        companies,
        researchers,
        sources,
        moves,
        citations,
    }
}

/// The id the file gives its move `m` (every tenth move has one).
fn move_id(m: usize) -> String {
    format!("00000000-0000-4000-9000-{m:012}")
}

fn ndjson(lines: &[Value]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

#[tokio::test]
async fn fifty_thousand_moves_arrive_whole_with_history_and_exact_counts_while_the_service_answers()
{
    let app = TestApp::new().await;
    let file = dataset(50_000);
    let body = ndjson(&file.lines);

    // The service keeps answering reads and single writes while the import runs.
    let running = import(&app, body);
    let meanwhile = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let started = Instant::now();
        app.get("/v1/moves?limit=5").await.ok(200);
        app.post(
            "/v1/companies",
            json!({"name": "Written Meanwhile", "kind": "startup"}),
        )
        .await
        .ok(201);
        started.elapsed()
    };
    let (report, waited) = tokio::join!(running, meanwhile);
    let report = report.ok(200).clone();
    assert!(
        waited < Duration::from_secs(3),
        "a read and a write waited {waited:?} for the import"
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM imports WHERE finished_at > (SELECT max(created_at) FROM companies WHERE slug = 'written-meanwhile')").await,
        1,
        "the read and the write were answered before the import committed"
    );

    // A large import leaves the planner's statistics current, not to autovacuum.
    for table in ["moves", "move_sources", "sources", "researchers"] {
        assert_eq!(
            count(
                &app,
                &format!("SELECT count(*) FROM pg_stat_user_tables WHERE relname = '{table}' AND last_analyze IS NOT NULL"),
            )
            .await,
            1,
            "{table} was not analyzed"
        );
    }

    let import_id = report["import_id"].as_i64().expect("the import's id");
    let created = |kind: &str| report["by_type"][kind]["created"].as_u64().unwrap_or(0) as usize;
    assert_eq!(created("company"), file.companies);
    assert_eq!(created("researcher"), file.researchers);
    assert_eq!(created("source"), file.sources);
    assert_eq!(created("project"), 2);
    assert_eq!(created("move"), file.moves);
    assert_eq!(
        report["records"].as_u64().unwrap() as usize,
        file.lines.len()
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM moves").await as usize,
        file.moves
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM move_sources").await as usize,
        file.citations
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM project_contributors").await,
        60
    );
    // Every record has its creation in the history, from this import.
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) FROM audit_log WHERE import_id = {import_id} AND action = 'create'"
            )
        )
        .await as usize,
        file.lines.len()
    );

    // A sample of records: the history says who made them, in which import, and shows them
    // as the API does.
    let sample: Vec<(String, String)> = sqlx::query_as(
        "(SELECT 'moves', $1 UNION ALL SELECT 'moves', $2)
         UNION ALL (SELECT 'moves', id::text FROM moves ORDER BY id LIMIT 3)
         UNION ALL (SELECT 'moves', id::text FROM moves ORDER BY id DESC LIMIT 3)
         UNION ALL (SELECT 'researchers', slug FROM researchers ORDER BY slug LIMIT 2)
         UNION ALL (SELECT 'companies', slug FROM companies WHERE parent_id IS NOT NULL LIMIT 2)
         UNION ALL (SELECT 'sources', id::text FROM sources ORDER BY id DESC LIMIT 2)",
    )
    .bind(move_id(5))
    .bind(move_id(49_995))
    .fetch_all(&app.pool)
    .await
    .unwrap();
    for (collection, key) in sample {
        let record = app
            .get(&format!("/v1/{collection}/{key}"))
            .await
            .ok(200)
            .clone();
        let history = app.get(&format!("/v1/{collection}/{key}/history")).await;
        let entries = history.ok(200)["data"].as_array().unwrap().clone();
        assert_eq!(entries.len(), 1, "{collection} {key}: {}", history.text);
        assert_eq!(entries[0]["action"], "create");
        assert_eq!(entries[0]["import_id"], import_id);
        assert_eq!(entries[0]["actor"]["name"], report_actor(&app).await);
        let mut record = record;
        if collection == "researchers" {
            // Where a researcher works follows from the moves, which came after it.
            assert_eq!(entries[0]["after"]["current_company"], Value::Null);
            record["current_company"] = Value::Null;
        }
        assert_eq!(entries[0]["after"], record, "{collection} {key}");
    }

    // Analytics are exact after the import, and after one that updates some of its moves.
    assert_eq!(counts_out_of_step(&app).await, Vec::<String>::new());
    let leader = app
        .get("/v1/leaderboard?metric=inflow&limit=1")
        .await
        .ok(200)
        .clone();
    let top = leader[0]["company"]["id"].as_str().unwrap().to_owned();
    let inflow = count(
        &app,
        &format!("SELECT count(*) FROM moves WHERE to_company_id = '{top}'"),
    )
    .await;
    assert_eq!(leader[0]["inflow"].as_i64().unwrap(), inflow);

    let changed: Vec<(String,)> =
        sqlx::query_as("SELECT id::text FROM moves ORDER BY id LIMIT 300")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    let mut updates = Vec::new();
    for (i, (id,)) in changed.iter().enumerate() {
        let line = app.get(&format!("/v1/moves/{id}")).await.ok(200).clone();
        let mut update = json!({"type": "move", "id": id, "researcher": line["researcher"]["slug"],
            "from": line["from"]["slug"], "to": line["to"]["slug"], "kind": line["kind"],
            "effective_on": line["effective_on"], "confidence": line["confidence"], "title": line["title"],
            "sources": line["sources"].as_array().unwrap().iter()
                .map(|c| json!({"source": c["source"]["id"], "quote": c["quote"]})).collect::<Vec<_>>()});
        let date = line["effective_on"].as_str().unwrap();
        match line["effective_precision"].as_str().unwrap() {
            "year" => update["effective_on"] = json!(date[..4]),
            "month" => update["effective_on"] = json!(date[..7]),
            _ => {}
        }
        if i % 3 == 0 {
            // Moves to another month and company: counts leave one row for another.
            update["effective_on"] = json!("2030-01-15");
            update["kind"] = json!("departure");
            update["to"] = Value::Null;
        } else if i % 3 == 1 {
            update["title"] = json!("Chief Scientist");
        }
        updates.push(update);
    }
    let second = import(&app, ndjson(&updates)).await;
    let second = second.ok(200);
    assert_eq!(second["by_type"]["move"]["updated"], 200, "{second}");
    assert_eq!(second["by_type"]["move"]["unchanged"], 100, "{second}");
    assert_eq!(counts_out_of_step(&app).await, Vec::<String>::new());
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM moves WHERE effective_on = '2030-01-15' AND kind = 'departure'"
        )
        .await,
        100
    );
}

async fn report_actor(app: &TestApp) -> String {
    sqlx::query_scalar("SELECT actor_name FROM imports ORDER BY id LIMIT 1")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_large_file_with_bad_lines_scattered_through_it_is_refused_whole_with_each_named() {
    let app = TestApp::new().await;
    let mut text: Vec<String> = dataset(10_000).lines.iter().map(Value::to_string).collect();
    // Bad lines put among good ones, far apart; inserted in order, each lands at its index.
    let bad_field = 40;
    let duplicate_slug = 900;
    let unknown_reference = text.len() - 4_000;
    let defined_later = text.len() - 3_000;
    let not_json = text.len() - 10;
    let move_to = |researcher: &str, to: &str| {
        json!({"type": "move", "researcher": researcher, "from": "scale-lab-1", "to": to,
               "kind": "hire", "effective_on": "2024-05"})
        .to_string()
    };
    for (at, line) in [
        (bad_field, json!({"type": "company", "name": "Bad Field", "slug": "bad-field", "kind": "spaceship"}).to_string()),
        (duplicate_slug, json!({"type": "researcher", "name": "Twice", "slug": "scale-researcher-3"}).to_string()),
        (unknown_reference, move_to("scale-researcher-5", "no-such-lab")),
        // The researcher is defined at the end of the file: a reference must come after.
        (defined_later, move_to("late-comer", "scale-lab-2")),
        (not_json, "{\"type\": \"move\",".to_owned()),
    ] {
        text.insert(at, line);
    }
    text.push(
        json!({"type": "researcher", "name": "Late Comer", "slug": "late-comer"}).to_string(),
    );
    let body = text.join("\n") + "\n";

    let response = import(&app, body).await;
    response.problem(422);
    let errors = response.json["errors"].as_array().unwrap();
    let named: Vec<(u64, &str)> = errors
        .iter()
        .map(|e| (e["line"].as_u64().unwrap(), e["field"].as_str().unwrap()))
        .collect();
    let line = |index: usize| index as u64 + 1;
    assert_eq!(
        named,
        [
            (line(bad_field), "kind"),
            (line(duplicate_slug), "slug"),
            (line(unknown_reference), "to"),
            (line(defined_later), "researcher"),
            (line(not_json), "line"),
        ],
        "{}",
        response.text
    );
    assert!(
        errors[1]["message"]
            .as_str()
            .unwrap()
            .contains("already in this file at line 205"),
        "{}",
        errors[1]
    );
    assert_eq!(
        response.json["detail"],
        "5 line(s) are invalid; nothing was imported"
    );
    for table in [
        "companies",
        "researchers",
        "sources",
        "moves",
        "move_sources",
        "projects",
        "audit_log",
        "imports",
        "move_flow_pairs",
    ] {
        assert_eq!(
            count(&app, &format!("SELECT count(*) FROM {table}")).await,
            0,
            "{table} was written"
        );
    }
}

/// Starts an import whose request body stays open: `lines` are sent, and the server waits
/// for the rest. Answers the running request and the sender of the rest of its body.
async fn open_import(
    base: &str,
    key: &str,
    lines: &[Value],
) -> (
    tokio::task::JoinHandle<Result<reqwest::Response, reqwest::Error>>,
    tokio::sync::mpsc::Sender<Result<bytes::Bytes, std::io::Error>>,
) {
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<bytes::Bytes, std::io::Error>>(64);
    let body =
        reqwest::Body::wrap_stream(futures::stream::unfold(receiver, |mut receiver| async {
            receiver.recv().await.map(|chunk| (chunk, receiver))
        }));
    let request = reqwest::Client::new()
        .post(format!("{base}/v1/import"))
        .bearer_auth(key)
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send();
    let running = tokio::spawn(request);
    for chunk in lines.chunks(500) {
        sender.send(Ok(ndjson(chunk).into())).await.unwrap();
    }
    (running, sender)
}

/// Waits until another session's open transaction has written to `table`.
async fn wait_for_writer_of(pool: &sqlx::PgPool, table: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while writers_of(pool, table).await == 0 {
        assert!(Instant::now() < deadline, "the import never wrote {table}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Sends an import's lines, all but the last few, as a request body that stays open, and waits
/// until the server's transaction has written rows; the request task is returned running.
async fn half_sent_import(
    base: &str,
    key: &str,
    pool: &sqlx::PgPool,
) -> tokio::task::JoinHandle<Result<reqwest::Response, reqwest::Error>> {
    let lines = dataset(10_000).lines;
    let keep_back = 100;
    let (running, sender) = open_import(base, key, &lines[..lines.len() - keep_back]).await;
    // The projects' lines come before the moves, so by now companies, researchers, sources and
    // projects are written inside the import's transaction: wait to see it hold their locks.
    wait_for_writer_of(pool, "researchers").await;
    // Kept open: the server waits for the rest of the body.
    std::mem::forget(sender);
    running
}

/// Other sessions holding a write lock on the table (an open transaction that wrote to it).
async fn writers_of(pool: &sqlx::PgPool, table: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_locks
         WHERE relation = $1::regclass AND mode = 'RowExclusiveLock' AND pid <> pg_backend_pid()",
    )
    .bind(table)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn nothing_left_behind(pool: &sqlx::PgPool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while writers_of(pool, "researchers").await > 0 {
        assert!(
            Instant::now() < deadline,
            "the import's transaction is still open"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for table in [
        "companies",
        "researchers",
        "sources",
        "projects",
        "moves",
        "audit_log",
        "imports",
    ] {
        let rows: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
                .fetch_one(pool)
                .await
                .unwrap();
        assert_eq!(
            rows, 0,
            "{table} kept rows of an import that did not finish"
        );
    }
}

/// A fresh database with an editor key named `name`, served by the binary with `settings`.
async fn served_with_editor_key(
    name: &str,
    settings: &[(&str, &str)],
) -> (sqlx::PgPool, std::process::Child, String, String) {
    let (pool, url) = crate::helpers::fresh_database().await;
    let key = {
        let mut conn = pool.acquire().await.unwrap();
        talentflow::db::keys::create(&mut conn, name, talentflow::domain::key::Role::Editor)
            .await
            .unwrap()
            .1
    };
    let (server, port) = crate::embedded::serve_on(&url, settings).await;
    (pool, server, format!("http://127.0.0.1:{port}"), key)
}

#[tokio::test]
async fn an_import_cut_off_by_its_client_or_by_a_shutdown_leaves_nothing_behind() {
    let (pool, mut server, base, key) =
        served_with_editor_key("cut off", &[("TALENTFLOW_SHUTDOWN_GRACE", "2")]).await;

    // The client goes away mid-file.
    let running = half_sent_import(&base, &key, &pool).await;
    running.abort();
    nothing_left_behind(&pool).await;

    // The server is stopped mid-file.
    let running = half_sent_import(&base, &key, &pool).await;
    crate::embedded::terminate(&mut server);
    nothing_left_behind(&pool).await;
    running.abort();
}

/// An import counts its moves once, at its end (migration 0013): until then it holds no lock on
/// the count rows, so a single move between the same companies is written meanwhile instead of
/// waiting for the whole import.
#[tokio::test]
async fn a_running_import_does_not_hold_up_a_single_move_between_its_companies() {
    let (pool, mut server, base, key) = served_with_editor_key("meanwhile", &[]).await;
    let client = reqwest::Client::new();
    let post = |path: &str, body: Value| {
        client
            .post(format!("{base}{path}"))
            .bearer_auth(&key)
            .json(&body)
            .send()
    };
    for slug in ["lab-a", "lab-b"] {
        let created = post(
            "/v1/companies",
            json!({"name": slug, "slug": slug, "kind": "ai_lab"}),
        )
        .await
        .unwrap();
        assert_eq!(created.status(), 201);
    }
    let created = post(
        "/v1/researchers",
        json!({"name": "Single Writer", "slug": "single-writer"}),
    )
    .await
    .unwrap();
    assert_eq!(created.status(), 201);

    // The import's moves between the two companies are written (a project line ends their
    // batch), and the import stays open.
    let mut lines: Vec<Value> = (0..200)
        .map(|r| json!({"type": "researcher", "name": format!("Imported {r}"), "slug": format!("imported-{r}")}))
        .collect();
    lines.extend((0..200).map(|r| {
        json!({"type": "move", "researcher": format!("imported-{r}"),
        "from": "lab-a", "to": "lab-b", "kind": "hire", "effective_on": "2024-05-01"})
    }));
    lines.push(json!({"type": "project", "name": "Ends the batch", "slug": "ends-the-batch", "company": "lab-b"}));
    let (running, sender) = open_import(&base, &key, &lines).await;
    wait_for_writer_of(&pool, "projects").await;

    let single = post(
        "/v1/moves",
        json!({"researcher": "single-writer", "from": "lab-a", "to": "lab-b",
        "kind": "hire", "effective_on": "2024-05-01"}),
    );
    let Ok(single) = tokio::time::timeout(Duration::from_secs(10), single).await else {
        crate::embedded::terminate(&mut server);
        panic!("the single move waited for the import");
    };
    assert_eq!(single.unwrap().status(), 201);

    // The import ends: its 200 moves and the single one are all counted.
    drop(sender);
    let finished = running.await.unwrap().unwrap();
    assert_eq!(finished.status(), 200, "{}", finished.text().await.unwrap());
    let inflow: i32 = sqlx::query_scalar(
        "SELECT t.inflow FROM company_flow_totals t JOIN companies c ON c.id = t.company_id WHERE c.slug = 'lab-b' AND t.min_confidence = 0",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(inflow, 201);
    let pair: i32 =
        sqlx::query_scalar("SELECT moves FROM move_flow_pairs WHERE min_confidence = 0")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(pair, 201);
    crate::embedded::terminate(&mut server);
}
