//! Analytics over small hand-made data whose answers were worked out by hand.

use serde_json::{Value, json};

use talentflow::domain::moves::Confidence;

use crate::helpers::TestApp;

/// Google with Google DeepMind under it, Meta, OpenAI, Mistral AI; four researchers:
/// 1. ada: DeepMind → Meta, 2024-01-15
/// 2. bo:  DeepMind → Meta, 2024-01-31 (last day of the month)
/// 3. cy:  Google → DeepMind, 2024-02-01 (inside one parent)
/// 4. di:  Meta → OpenAI, 2024-02-29
/// 5. ada: leaves Meta for nowhere known, 2024-03
/// 6. cy:  DeepMind → Mistral AI (founding), 2024-03-10
async fn world() -> TestApp {
    let app = TestApp::new().await;
    app.create("companies", json!({"name": "Google", "kind": "big_tech"}))
        .await;
    app.create(
        "companies",
        json!({"name": "Google DeepMind", "kind": "ai_lab", "parent": "google"}),
    )
    .await;
    for name in ["Meta", "OpenAI", "Mistral AI"] {
        app.company(name).await;
    }
    for name in ["Ada", "Bo", "Cy", "Di"] {
        app.researcher(name).await;
    }
    app.hire("ada", Some("google-deepmind"), "meta", "2024-01-15")
        .await;
    app.hire("bo", Some("google-deepmind"), "meta", "2024-01-31")
        .await;
    app.hire("cy", Some("google"), "google-deepmind", "2024-02-01")
        .await;
    app.hire("di", Some("meta"), "openai", "2024-02-29").await;
    app.create("moves", json!({"researcher": "ada", "from": "meta", "kind": "departure", "effective_on": "2024-03"})).await;
    app.create(
        "moves",
        json!({"researcher": "cy", "from": "google-deepmind", "to": "mistral-ai", "kind": "founding", "effective_on": "2024-03-10"}),
    )
    .await;
    app
}

/// Links as (source slug, target slug, count), sorted.
fn links(flows: &Value) -> Vec<(String, String, i64)> {
    let slug = |id: &Value| {
        flows["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| &n["id"] == id)
            .unwrap()["slug"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let mut out: Vec<_> = flows["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                slug(&l["source"]),
                slug(&l["target"]),
                l["count"].as_i64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

fn s(a: &str, b: &str, n: i64) -> (String, String, i64) {
    (a.to_owned(), b.to_owned(), n)
}

#[tokio::test]
async fn flows_count_moves_between_companies_and_roll_up_to_parents() {
    let app = world().await;
    let plain = app.get("/v1/flows").await;
    let plain = plain.ok(200);
    assert_eq!(plain["total_moves"], 5);
    assert_eq!(
        links(plain),
        [
            s("google", "google-deepmind", 1),
            s("google-deepmind", "meta", 2),
            s("google-deepmind", "mistral-ai", 1),
            s("meta", "openai", 1)
        ]
    );

    // Under Google, the move from Google to DeepMind stays inside one parent: not a flow.
    let rolled = app.get("/v1/flows?roll_up=parent").await;
    let rolled = rolled.ok(200);
    assert_eq!(rolled["total_moves"], 4);
    assert_eq!(
        links(rolled),
        [
            s("google", "meta", 2),
            s("google", "mistral-ai", 1),
            s("meta", "openai", 1)
        ]
    );

    let big = app.get("/v1/flows?roll_up=parent&min_count=2").await;
    assert_eq!(links(big.ok(200)), [s("google", "meta", 2)]);
    assert_eq!(big.json["total_moves"], 4);
    assert_eq!(big.json["nodes"].as_array().unwrap().len(), 2);

    let january = app.get("/v1/flows?since=2024-01&until=2024-01").await;
    assert_eq!(links(january.ok(200)), [s("google-deepmind", "meta", 2)]);
    let founding = app.get("/v1/flows?kind=founding").await;
    assert_eq!(
        links(founding.ok(200)),
        [s("google-deepmind", "mistral-ai", 1)]
    );

    app.get("/v1/flows?roll_up=grandparent").await.problem(400);
    app.get("/v1/flows?since=2025&until=2024")
        .await
        .problem(400);
    app.get("/v1/flows?top=0").await.problem(400);
}

#[tokio::test]
async fn a_write_changes_the_next_answer() {
    let app = world().await;
    assert_eq!(app.get("/v1/flows").await.ok(200)["total_moves"], 5);
    app.hire("bo", Some("meta"), "openai", "2024-04").await;
    let after = app.get("/v1/flows").await;
    assert_eq!(after.ok(200)["total_moves"], 6);
    assert!(links(&after.json).contains(&s("meta", "openai", 2)));
    assert_eq!(
        app.get("/v1/companies/openai/balance").await.ok(200)["totals"]["inflow"],
        2
    );
}

#[tokio::test]
async fn every_kind_of_write_changes_the_maintained_counts() {
    let app = world().await;
    let total = |flows: &Value| flows["total_moves"].as_i64().unwrap();
    // A move re-dated out of the period leaves it, and joins the other.
    let late = app.hire("bo", Some("meta"), "openai", "2024-04-20").await;
    let id = late["id"].as_str().unwrap();
    let april = "/v1/flows?since=2024-04&until=2024-04";
    assert_eq!(total(app.get(april).await.ok(200)), 1);
    app.patch(
        &format!("/v1/moves/{id}"),
        json!({"effective_on": "2024-05-02"}),
    )
    .await
    .ok(200);
    assert_eq!(total(app.get(april).await.ok(200)), 0);
    assert_eq!(total(app.get("/v1/flows?since=2024-05").await.ok(200)), 1);
    // A changed destination moves the count from one link to another.
    app.patch(&format!("/v1/moves/{id}"), json!({"to": "mistral-ai"}))
        .await
        .ok(200);
    let all = app.get("/v1/flows").await;
    assert!(links(all.ok(200)).contains(&s("meta", "mistral-ai", 1)));
    assert!(links(&all.json).contains(&s("meta", "openai", 1)));
    // A deleted move is no longer counted, anywhere.
    app.delete(&format!("/v1/moves/{id}")).await;
    assert_eq!(total(app.get("/v1/flows").await.ok(200)), 5);
    assert_eq!(total(app.get("/v1/flows?since=2024-05").await.ok(200)), 0);
    // Re-parenting is read at query time: Meta under Google makes DeepMind → Meta internal.
    app.patch("/v1/companies/meta", json!({"parent": "google"}))
        .await
        .ok(200);
    let rolled = app.get("/v1/flows?roll_up=parent").await;
    assert_eq!(
        links(rolled.ok(200)),
        [s("google", "mistral-ai", 1), s("google", "openai", 1)]
    );
}

/// The maintained counts (migrations 0005, 0009 and 0015) less a recount from `moves`: no rows
/// when in step. Each rank's rows are recounted from the moves of that confidence or stronger,
/// ranked here by the order `Confidence::ALL` lists, not by the database's function.
pub(crate) async fn counts_out_of_step(app: &TestApp) -> Vec<String> {
    let order: Vec<String> = Confidence::ALL.iter().map(|c| c.to_string()).collect();
    sqlx::query_scalar(
        "WITH live AS (
             SELECT m.*, r.rank AS min_confidence FROM moves m
             JOIN generate_series(0, 3) AS r(rank) ON r.rank < array_position($1::text[], m.confidence)
             WHERE m.deleted_at IS NULL
         ),
         recount AS (
             SELECT 'month ' || concat_ws(' ', min_confidence, date_trunc('month', effective_on)::date, effective_precision, kind, from_company_id, to_company_id, count(*)) AS row
             FROM live GROUP BY min_confidence, date_trunc('month', effective_on), effective_precision, kind, from_company_id, to_company_id
             UNION ALL
             SELECT 'pair ' || concat_ws(' ', min_confidence, from_company_id, to_company_id, count(*)) FROM live GROUP BY min_confidence, from_company_id, to_company_id
             UNION ALL
             SELECT 'company ' || concat_ws(' ', company, min_confidence, month, precision, sum(i), sum(o), sum(k)) FROM (
                 SELECT to_company_id AS company, min_confidence, date_trunc('month', effective_on)::date AS month, effective_precision AS precision, 1 AS i, 0 AS o, 0 AS k FROM live WHERE to_company_id IS NOT NULL
                 UNION ALL
                 SELECT from_company_id, min_confidence, date_trunc('month', effective_on)::date, effective_precision, 0, 1, (to_company_id IS NOT NULL)::int FROM live WHERE from_company_id IS NOT NULL
             ) sides GROUP BY company, min_confidence, month, precision
             UNION ALL
             SELECT 'total ' || concat_ws(' ', company, min_confidence, sum(i), sum(o), sum(k)) FROM (
                 SELECT to_company_id AS company, min_confidence, 1 AS i, 0 AS o, 0 AS k FROM live WHERE to_company_id IS NOT NULL
                 UNION ALL
                 SELECT from_company_id, min_confidence, 0, 1, (to_company_id IS NOT NULL)::int FROM live WHERE from_company_id IS NOT NULL
             ) sides GROUP BY company, min_confidence
         ),
         kept AS (
             SELECT 'month ' || concat_ws(' ', min_confidence, month, precision, kind, from_company_id, to_company_id, moves) AS row FROM move_flow_months WHERE moves <> 0
             UNION ALL
             SELECT 'pair ' || concat_ws(' ', min_confidence, from_company_id, to_company_id, moves) FROM move_flow_pairs WHERE moves <> 0
             UNION ALL
             SELECT 'company ' || concat_ws(' ', company_id, min_confidence, month, precision, inflow, outflow, outflow_to_company) FROM company_flow_months WHERE inflow <> 0 OR outflow <> 0
             UNION ALL
             SELECT 'total ' || concat_ws(' ', company_id, min_confidence, inflow, outflow, outflow_to_company) FROM company_flow_totals WHERE inflow <> 0 OR outflow <> 0
         )
         (SELECT 'missing: ' || row FROM recount EXCEPT ALL SELECT 'missing: ' || row FROM kept)
         UNION ALL
         (SELECT 'extra: ' || row FROM kept EXCEPT ALL SELECT 'extra: ' || row FROM recount)",
    )
    .bind(order)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_maintained_counts_always_equal_a_recount() {
    let app = world().await;
    assert_eq!(counts_out_of_step(&app).await, Vec::<String>::new());
    let late = app.hire("bo", Some("meta"), "openai", "2024-04-20").await;
    let id = late["id"].as_str().unwrap();
    for patch in [
        json!({"effective_on": "2024-05-02"}),
        // A change of precision alone moves the count to another row.
        json!({"effective_on": "2024-05"}),
        json!({"effective_on": "2024"}),
        json!({"effective_on": "2024-05-02"}),
        json!({"to": "mistral-ai"}),
        json!({"kind": "departure", "to": null}),
        json!({"from": "google", "to": "meta", "kind": "hire"}),
        json!({"notes": "no change to any count"}),
        // A change of confidence alone moves the count between ranks.
        json!({"confidence": "inferred"}),
        json!({"confidence": "confirmed"}),
        json!({"confidence": "rumored", "effective_on": "2024-06"}),
    ] {
        app.patch(&format!("/v1/moves/{id}"), patch.clone())
            .await
            .ok(200);
        assert_eq!(
            counts_out_of_step(&app).await,
            Vec::<String>::new(),
            "after {patch}"
        );
    }
    app.delete(&format!("/v1/moves/{id}")).await;
    assert_eq!(counts_out_of_step(&app).await, Vec::<String>::new());

    // A bulk import writes many moves in one transaction; a failed one writes none.
    let lines = [
        json!({"type": "move", "researcher": "di", "from": "openai", "to": "meta", "kind": "hire", "effective_on": "2024-06", "confidence": "inferred"}),
        json!({"type": "move", "researcher": "ada", "from": null, "to": "openai", "kind": "hire", "effective_on": "2024-07-01", "confidence": "confirmed"}),
    ];
    let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let response = app
        .send(
            axum::http::Request::post("/v1/import")
                .header("authorization", format!("Bearer {}", app.editor))
                .header("content-type", "application/x-ndjson")
                .body(axum::body::Body::from(body))
                .unwrap(),
        )
        .await;
    response.ok(200);
    assert_eq!(counts_out_of_step(&app).await, Vec::<String>::new());
    assert_eq!(app.get("/v1/flows").await.ok(200)["total_moves"], 6);
}

/// A period that starts and ends inside months counts those months' days from the moves and
/// the whole months between from the maintained counts; both must agree with the hand count.
#[tokio::test]
async fn periods_with_partial_months_count_exactly_the_days_inside() {
    let app = world().await;
    // 2024-01-20 .. 2024-03-05: bo (01-31), cy inside Google (02-01), di (02-29), ada's
    // departure (03-01, no destination); not ada's hire (01-15) nor cy's founding (03-10).
    let flows = app.get("/v1/flows?since=2024-01-20&until=2024-03-05").await;
    assert_eq!(flows.ok(200)["total_moves"], 3);
    assert_eq!(
        links(&flows.json),
        [
            s("google", "google-deepmind", 1),
            s("google-deepmind", "meta", 1),
            s("meta", "openai", 1)
        ]
    );
    // Ada's departure is known only to "2024-03": it may or may not be by the 5th, so the
    // balance counts it apart (it was an outflow of the period while first days were compared).
    let meta = app
        .get("/v1/companies/meta/balance?since=2024-01-20&until=2024-03-05")
        .await;
    assert_eq!(
        meta.ok(200)["totals"],
        json!({"inflow": 1, "outflow": 1, "net": 0})
    );
    assert_eq!(
        meta.json["uncertain"],
        json!({"inflow": 0, "outflow": 1, "net": -1})
    );
    // Inside a single month: only the days asked for.
    let days = app.get("/v1/flows?since=2024-01-16&until=2024-01-31").await;
    assert_eq!(links(days.ok(200)), [s("google-deepmind", "meta", 1)]);
    let none = app.get("/v1/flows?since=2024-01-16&until=2024-01-30").await;
    assert_eq!(none.ok(200)["total_moves"], 0);
    // Days only, rolled up: bo leaves the Google group on the 31st.
    let google = app
        .get("/v1/companies/google/balance?since=2024-01-16&until=2024-01-31&roll_up=parent")
        .await;
    assert_eq!(
        google.ok(200)["totals"],
        json!({"inflow": 0, "outflow": 1, "net": -1})
    );
    let board = app
        .get("/v1/leaderboard?since=2024-01-16&until=2024-01-31&metric=inflow")
        .await;
    assert_eq!(board.ok(200)[0]["company"]["slug"], "meta");
    assert_eq!(board.json[0]["inflow"], 1);
    let leap = app
        .get("/v1/companies/meta/balance?since=2000-02-29&until=2000-02-29&roll_up=parent")
        .await;
    assert_eq!(leap.ok(200)["totals"]["inflow"], 0);
}

#[tokio::test]
async fn balance_counts_arrivals_and_departures_per_period() {
    let app = world().await;
    let meta = app.get("/v1/companies/meta/balance").await;
    let meta = meta.ok(200);
    let series: Vec<(String, i64, i64, i64)> = meta["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["period_start"].as_str().unwrap().to_owned(),
                p["inflow"].as_i64().unwrap(),
                p["outflow"].as_i64().unwrap(),
                p["net"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        series,
        [
            ("2024-01-01".to_owned(), 2, 0, 2),
            ("2024-02-01".to_owned(), 0, 1, -1),
            ("2024-03-01".to_owned(), 0, 1, -1)
        ]
    );
    assert_eq!(meta["totals"], json!({"inflow": 2, "outflow": 2, "net": 0}));
    assert_eq!(
        meta["gained_from"],
        json!([{"company": meta["gained_from"][0]["company"], "count": 2}])
    );
    assert_eq!(meta["gained_from"][0]["company"]["slug"], "google-deepmind");
    // The departure to nowhere known is in the totals but not in lost_to.
    assert_eq!(meta["lost_to"].as_array().unwrap().len(), 1);
    assert_eq!(meta["lost_to"][0]["company"]["slug"], "openai");

    let quarterly = app.get("/v1/companies/meta/balance?interval=quarter").await;
    let point = &quarterly.ok(200)["series"][0];
    assert_eq!(
        (
            point["period_start"].as_str(),
            point["inflow"].as_i64(),
            point["outflow"].as_i64()
        ),
        (Some("2024-01-01"), Some(2), Some(2))
    );

    // Rolled up, DeepMind is Google: the internal move is no flow, and February is empty.
    let google = app
        .get("/v1/companies/google-deepmind/balance?roll_up=parent")
        .await;
    let google = google.ok(200);
    assert_eq!(google["company"]["slug"], "google");
    assert_eq!(
        google["totals"],
        json!({"inflow": 0, "outflow": 3, "net": -3})
    );
    let months: Vec<i64> = google["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["outflow"].as_i64().unwrap())
        .collect();
    assert_eq!(months, [2, 0, 1]);

    // A fixed window gives every period, empty ones included.
    let window = app
        .get("/v1/companies/openai/balance?since=2023-12&until=2024-03")
        .await;
    assert_eq!(window.ok(200)["series"].as_array().unwrap().len(), 4);
    app.get("/v1/companies/meta/balance?interval=week")
        .await
        .problem(400);
    app.get("/v1/companies/nobody/balance").await.problem(404);
}

#[tokio::test]
async fn attrition_counts_departures_from_the_company_up_to_as_of() {
    let app = world().await;
    app.create(
        "projects",
        json!({"name": "Model X", "company": "meta", "released_on": "2023-12"}),
    )
    .await;
    let roster = json!([{"researcher": "ada"}, {"researcher": "bo"}, {"researcher": "di"}]);
    app.call(
        axum::http::Method::PUT,
        "/v1/projects/model-x/contributors",
        Some(&app.editor.clone()),
        Some(&roster),
    )
    .await
    .ok(200);
    app.post(
        "/v1/projects/model-x/reports",
        json!({"roster_size": 3, "departed": 3, "qualifier": "about", "reported_on": "2024-04"}),
    )
    .await
    .ok(201);

    let now = app.get("/v1/projects/model-x/attrition").await;
    let now = now.ok(200);
    assert_eq!(
        (
            now["roster_size"].as_i64(),
            now["departed"].as_i64(),
            now["remaining"].as_i64()
        ),
        (Some(3), Some(2), Some(1))
    );
    assert!((now["departure_rate"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);
    let who: Vec<&str> = now["departures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["researcher"]["slug"].as_str().unwrap())
        .collect();
    assert_eq!(who, ["di", "ada"]);
    assert_eq!(
        now["destinations"],
        json!([{"company": now["destinations"][0]["company"], "count": 1}])
    );
    assert_eq!(now["destinations"][0]["company"]["slug"], "openai");
    assert_eq!(now["reported"][0]["departed"], 3);

    // Di left on 29 February; Ada in March.
    let february = app
        .get("/v1/projects/model-x/attrition?as_of=2024-02")
        .await;
    assert_eq!(february.ok(200)["departed"], 1);
    let before = app
        .get("/v1/projects/model-x/attrition?as_of=2024-02-28")
        .await;
    assert_eq!(before.ok(200)["departed"], 0);
    app.get("/v1/projects/model-x/attrition?as_of=soon")
        .await
        .problem(400);
}

/// Dates known to a month or a year are intervals: a move is a departure unless it certainly
/// came before the release or after `as_of`, and it is uncertain when its interval overlaps
/// either. Hand-computed against a release in June 2023.
#[tokio::test]
async fn attrition_treats_partial_dates_as_intervals_against_the_release_and_as_of() {
    let app = TestApp::new().await;
    for name in ["Lab", "Elsewhere"] {
        app.company(name).await;
    }
    let leaving = [
        ("Year Of Release", "2023"), // overlaps June 2023: counts, uncertain
        ("Year Before", "2022"),     // certainly before: not a departure
        ("Month After", "2023-07"),  // certainly after: counts, certain
        ("Day In Release Month", "2023-06-15"), // inside June 2023: counts, uncertain
        ("Month Before", "2023-05"), // certainly before
        ("Year After", "2024"),      // certain by default (today), see as_of below
    ];
    let mut roster = Vec::new();
    for (name, _) in leaving {
        app.researcher(name).await;
    }
    for (name, date) in leaving {
        let slug = name.to_lowercase().replace(' ', "-");
        app.create(
            "moves",
            json!({"researcher": slug, "from": "lab", "to": "elsewhere", "kind": "hire", "effective_on": date}),
        )
        .await;
        roster.push(json!({"researcher": slug}));
    }
    app.create(
        "projects",
        json!({"name": "Model J", "company": "lab", "released_on": "2023-06"}),
    )
    .await;
    app.call(
        axum::http::Method::PUT,
        "/v1/projects/model-j/contributors",
        Some(&app.editor.clone()),
        Some(&json!(roster)),
    )
    .await
    .ok(200);

    let departures = |answer: &Value| -> Vec<(String, bool)> {
        answer["departures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["researcher"]["slug"].as_str().unwrap().to_owned(),
                    d["date_certain"].as_bool().unwrap(),
                )
            })
            .collect()
    };
    let now = app.get("/v1/projects/model-j/attrition").await;
    let now = now.ok(200);
    assert_eq!(
        (
            now["departed"].as_i64(),
            now["departed_uncertain"].as_i64(),
            now["remaining"].as_i64()
        ),
        (Some(4), Some(2), Some(2))
    );
    // In order of the first day of each move's interval.
    assert_eq!(
        departures(now),
        [
            ("year-of-release".to_owned(), false),
            ("day-in-release-month".to_owned(), false),
            ("month-after".to_owned(), true),
            ("year-after".to_owned(), true),
        ]
    );

    // As of mid-2024, the move known only to "2024" may or may not have happened yet.
    let mid = app
        .get("/v1/projects/model-j/attrition?as_of=2024-06")
        .await;
    let mid = mid.ok(200);
    assert_eq!(
        (mid["departed"].as_i64(), mid["departed_uncertain"].as_i64()),
        (Some(4), Some(3))
    );
    assert!(departures(mid).contains(&("year-after".to_owned(), false)));
    // As of the end of 2023 it certainly had not.
    let end_2023 = app.get("/v1/projects/model-j/attrition?as_of=2023").await;
    let end_2023 = end_2023.ok(200);
    assert_eq!(
        (
            end_2023["departed"].as_i64(),
            end_2023["departed_uncertain"].as_i64()
        ),
        (Some(3), Some(2))
    );
    // As of the release month's middle, the move of 15 June counts (certain against `as_of`,
    // uncertain against the release), the year of the release may have come after it.
    let mid_june = app
        .get("/v1/projects/model-j/attrition?as_of=2023-06-15")
        .await;
    assert_eq!(
        departures(mid_june.ok(200)),
        [
            ("year-of-release".to_owned(), false),
            ("day-in-release-month".to_owned(), false)
        ]
    );
}

#[tokio::test]
async fn a_timeline_is_honest_about_unknown_starts_and_ends() {
    let app = world().await;
    let cy = app.get("/v1/researchers/cy/timeline").await;
    let stints: Vec<(String, Value, Value, bool)> = cy.ok(200)["stints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["company"]["slug"].as_str().unwrap().to_owned(),
                s["started_on"].clone(),
                s["ended_on"].clone(),
                s["current"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        stints,
        [
            ("google".to_owned(), json!(null), json!("2024-02-01"), false),
            (
                "google-deepmind".to_owned(),
                json!("2024-02-01"),
                json!("2024-03-10"),
                false
            ),
            (
                "mistral-ai".to_owned(),
                json!("2024-03-10"),
                json!(null),
                true
            ),
        ]
    );
    assert_eq!(cy.json["moves"].as_array().unwrap().len(), 2);

    // Ada left Meta for nowhere known: no current stint, the end's precision kept.
    let ada = app.get("/v1/researchers/ada/timeline").await;
    let stints = ada.ok(200)["stints"].as_array().unwrap().clone();
    assert_eq!(stints.len(), 2);
    assert_eq!(stints[1]["company"]["slug"], "meta");
    assert_eq!(stints[1]["ended_on"], "2024-03-01");
    assert_eq!(stints[1]["ended_precision"], "month");
    assert!(stints.iter().all(|s| s["current"] == false));
    app.get("/v1/researchers/nobody/timeline")
        .await
        .problem(404);
}

#[tokio::test]
async fn the_leaderboard_ranks_by_net_inflow_or_outflow() {
    let app = world().await;
    let ranked = |body: &Value| -> Vec<(String, i64)> {
        body.as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["company"]["slug"].as_str().unwrap().to_owned(),
                    r["net"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let net = app.get("/v1/leaderboard").await;
    assert_eq!(
        ranked(net.ok(200)),
        [
            ("mistral-ai".to_owned(), 1),
            ("openai".to_owned(), 1),
            ("meta".to_owned(), 0),
            ("google".to_owned(), -1),
            ("google-deepmind".to_owned(), -2)
        ]
    );
    let outflow = app.get("/v1/leaderboard?metric=outflow&limit=1").await;
    assert_eq!(outflow.ok(200)[0]["company"]["slug"], "google-deepmind");
    assert_eq!(outflow.json[0]["outflow"], 3);
    let rolled = app
        .get("/v1/leaderboard?metric=outflow&roll_up=parent&limit=1")
        .await;
    assert_eq!(rolled.ok(200)[0]["company"]["slug"], "google");
    assert_eq!(rolled.json[0]["outflow"], 3);
    app.get("/v1/leaderboard?metric=fame").await.problem(400);
}

#[tokio::test]
async fn compensation_summary_gives_range_and_latest_per_company() {
    let app = world().await;
    for (company, min, max, on) in [
        ("meta", None, Some(2_000_000), "2024-03"),
        ("meta", Some(1_000_000), Some(1_500_000), "2023"),
        ("openai", Some(5_000_000), Some(10_000_000), "2024-03"),
    ] {
        app.create("compensation", json!({"company": company, "role": "AI researcher", "currency": "USD", "annual_min": min, "annual_max": max, "reported_on": on}))
            .await;
    }
    let summary = app
        .get("/v1/compensation/summary?role=ai%20researcher")
        .await;
    let rows = summary.ok(200).as_array().unwrap().clone();
    assert_eq!(rows[0]["company"]["slug"], "openai");
    assert_eq!(rows[1]["company"]["slug"], "meta");
    assert_eq!(
        (
            rows[1]["reports"].as_i64(),
            rows[1]["min"].as_i64(),
            rows[1]["max"].as_i64()
        ),
        (Some(2), Some(1_000_000), Some(2_000_000))
    );
    assert_eq!(rows[1]["latest"]["reported_on"], "2024-03-01");
    let recent = app.get("/v1/compensation/summary?since=2024").await;
    assert_eq!(recent.ok(200)[1]["reports"], 1);
}

#[tokio::test]
async fn search_forgives_misspellings() {
    let app = TestApp::with_demo_data().await;
    let first = |body: &Value| {
        (
            body[0]["type"].as_str().unwrap().to_owned(),
            body[0]["slug"].as_str().unwrap().to_owned(),
        )
    };
    assert_eq!(
        first(app.get("/v1/search?q=balko").await.ok(200)),
        ("researcher".to_owned(), "michal-valko".to_owned())
    );
    assert_eq!(
        first(app.get("/v1/search?q=deepmnd").await.ok(200)),
        ("company".to_owned(), "google-deepmind".to_owned())
    );
    assert_eq!(
        first(app.get("/v1/search?q=lama").await.ok(200)),
        ("project".to_owned(), "llama".to_owned())
    );
    let only = app.get("/v1/search?q=lama&types=company").await;
    assert!(
        only.ok(200)
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["type"] == "company")
    );
    assert!(
        app.get("/v1/search?q=zzzzqqq")
            .await
            .ok(200)
            .as_array()
            .unwrap()
            .is_empty()
    );
    app.get("/v1/search").await.problem(400);
    app.get("/v1/search?q=x&types=planet").await.problem(400);
}

/// More concurrent requests than the pool has connections: a handler that held one connection
/// while waiting for another would deadlock the pool here (and answer 503 after the wait).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn analytics_under_more_concurrency_than_connections() {
    let app = world().await;
    app.create(
        "projects",
        json!({"name": "Model X", "company": "meta", "released_on": "2023-12"}),
    )
    .await;
    let uris: Vec<String> = (0..24)
        .map(|i| {
            if i % 2 == 0 {
                "/v1/projects/model-x/attrition".to_owned()
            } else {
                "/v1/researchers/cy/timeline".to_owned()
            }
        })
        .collect();
    let responses = futures::future::join_all(uris.iter().map(|uri| app.get(uri))).await;
    for response in &responses {
        response.ok(200);
    }
}

/// `min_confidence` leaves out the weaker moves everywhere moves are counted or listed, from
/// the maintained counts (all time), the partial months read from `moves` (a period cut
/// inside months), and the lists. On the world: an `inferred` move into Meta and a `rumored`
/// one out of it are added to its six `reported` ones.
#[tokio::test]
async fn min_confidence_leaves_out_weaker_moves_in_every_analytic_and_list() {
    let app = world().await;
    app.researcher("Ed").await;
    app.create(
        "moves",
        json!({"researcher": "ed", "from": "openai", "to": "meta", "kind": "hire",
               "effective_on": "2024-01-20", "confidence": "inferred"}),
    )
    .await;
    app.create(
        "moves",
        json!({"researcher": "bo", "from": "meta", "to": "openai", "kind": "hire",
               "effective_on": "2024-02-10", "confidence": "rumored"}),
    )
    .await;
    let expected = [
        // (min_confidence, moves between two companies, Meta's arrivals, Meta's departures,
        // those in the period: Ada's departure in "2024-03" only may lie in it)
        ("", 7, 3, 3, 2),
        ("inferred", 7, 3, 3, 2),
        ("rumored", 6, 2, 3, 2),
        ("reported", 5, 2, 2, 1),
        ("confirmed", 0, 0, 0, 0),
    ];
    for (floor, links, arrivals, departures, departures_in_period) in expected {
        let q = if floor.is_empty() {
            String::new()
        } else {
            format!("min_confidence={floor}")
        };
        for (period, departures) in [
            ("", departures),
            ("since=2024-01-10&until=2024-03-20", departures_in_period),
        ] {
            let query = [q.as_str(), period]
                .into_iter()
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
                .join("&");
            let flows = app.get(&format!("/v1/flows?{query}")).await;
            assert_eq!(flows.ok(200)["total_moves"], links, "flows?{query}");
            let balance = app
                .get(&format!("/v1/companies/meta/balance?{query}"))
                .await;
            let totals = &balance.ok(200)["totals"];
            assert_eq!(
                (totals["inflow"].as_i64(), totals["outflow"].as_i64()),
                (Some(arrivals), Some(departures)),
                "balance?{query}"
            );
            let board = app.get(&format!("/v1/leaderboard?{query}")).await;
            let meta = board
                .ok(200)
                .as_array()
                .unwrap()
                .iter()
                .find(|row| row["company"]["slug"] == "meta")
                .map(|row| (row["inflow"].as_i64(), row["outflow"].as_i64()));
            let counted =
                (arrivals > 0 || departures > 0).then_some((Some(arrivals), Some(departures)));
            assert_eq!(meta, counted, "leaderboard?{query}");
        }
        // Meta's moves: the six that name it, less the weaker ones.
        let listed = app.get(&format!("/v1/companies/meta/moves?{q}")).await;
        let all = app.get(&format!("/v1/moves?include_total=true&{q}")).await;
        let bo = app.get(&format!("/v1/researchers/bo/timeline?{q}")).await;
        let meta_moves = arrivals + departures;
        assert_eq!(
            listed.ok(200)["data"].as_array().unwrap().len() as i64,
            meta_moves,
            "companies/meta/moves?{q}"
        );
        let total = all.ok(200)["total"].as_i64().unwrap();
        let bo_moves = bo.ok(200)["moves"].as_array().unwrap().len();
        match floor {
            "" | "inferred" => assert_eq!((total, bo_moves), (8, 2)),
            "rumored" => assert_eq!((total, bo_moves), (7, 2)),
            "reported" => assert_eq!((total, bo_moves), (6, 1)),
            _ => assert_eq!((total, bo_moves), (0, 0)),
        }
    }
    // Bo's rumoured move away from Meta is a departure from Model X unless it is left out.
    app.create(
        "projects",
        json!({"name": "Model X", "company": "meta", "released_on": "2023-12"}),
    )
    .await;
    app.call(
        axum::http::Method::PUT,
        "/v1/projects/model-x/contributors",
        Some(&app.editor.clone()),
        Some(&json!([{"researcher": "bo"}])),
    )
    .await
    .ok(200);
    let attrition = |q: &'static str| {
        let app = &app;
        async move {
            app.get(&format!("/v1/projects/model-x/attrition?{q}"))
                .await
                .ok(200)["departed"]
                .as_i64()
        }
    };
    assert_eq!(attrition("").await, Some(1));
    assert_eq!(attrition("min_confidence=rumored").await, Some(1));
    assert_eq!(attrition("min_confidence=reported").await, Some(0));
    for uri in [
        "/v1/flows?min_confidence=likely",
        "/v1/moves?min_confidence=REPORTED",
        "/v1/researchers/bo/timeline?min_confidence=",
    ] {
        let problem = app.get(uri).await;
        let problem = problem.problem(400);
        assert!(
            problem["errors"][0]["field"] == "min_confidence",
            "{uri}: {problem}"
        );
    }
    assert_eq!(counts_out_of_step(&app).await, Vec::<String>::new());
}

/// The counts are kept by the database's rank of a confidence, the API filters by the Rust
/// enum's order: they must be the same order.
#[tokio::test]
async fn the_database_ranks_confidences_in_the_documented_order() {
    let app = TestApp::new().await;
    for confidence in Confidence::ALL {
        let rank: i16 = sqlx::query_scalar("SELECT tf_confidence_rank($1)")
            .bind(confidence)
            .fetch_one(&app.pool)
            .await
            .unwrap();
        assert_eq!(
            rank,
            Confidence::parse(confidence).unwrap().rank(),
            "{confidence}"
        );
    }
}
