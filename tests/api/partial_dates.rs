//! Partial dates are intervals, in SQL as in Rust: `tf_period_end` (migration 0008) is the last
//! day `PartialDate::end` gives, and a list's `since`/`until` keep every record whose date may
//! lie in the period.

use serde_json::{Value, json};
use talentflow::domain::partial_date::{PartialDate, Placement};

use crate::helpers::TestApp;

#[tokio::test]
async fn the_sql_period_end_is_the_domain_one_for_every_day_month_and_year() {
    let app = TestApp::new().await;
    let mut texts = Vec::new();
    for year in [1800, 1900, 2000, 2023, 2024, 2100, 2200] {
        texts.push(format!("{year}"));
        for month in 1..=12 {
            texts.push(format!("{year}-{month:02}"));
            for day in [1, 28, 29, 30, 31] {
                texts.push(format!("{year}-{month:02}-{day:02}"));
            }
        }
    }
    let dates: Vec<PartialDate> = texts
        .iter()
        .filter_map(|t| PartialDate::parse(t).ok())
        .collect();
    let firsts: Vec<_> = dates.iter().map(|d| d.start).collect();
    let precisions: Vec<&str> = dates.iter().map(|d| d.precision.as_str()).collect();
    let ends: Vec<chrono::NaiveDate> = sqlx::query_scalar(
        "SELECT tf_period_end(f, p) FROM unnest($1::date[], $2::text[]) WITH ORDINALITY AS t(f, p, n) ORDER BY n",
    )
    .bind(&firsts)
    .bind(&precisions)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(dates.len() > 400);
    for (date, end) in dates.iter().zip(ends) {
        assert_eq!(end, date.end(), "{date}");
    }
}

fn researchers_of(page: &Value) -> Vec<String> {
    let mut names: Vec<String> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["researcher"]["slug"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

/// Hand-computed: which of a day, a month and a year date may lie in each period.
#[tokio::test]
async fn lists_keep_every_move_that_may_lie_in_the_period() {
    let app = TestApp::new().await;
    for name in ["Lab", "Elsewhere"] {
        app.company(name).await;
    }
    let moves = [
        ("Day", "2023-06-15"),
        ("Month", "2023-06"),
        ("Year", "2023"),
    ];
    for (name, date) in moves {
        app.researcher(name).await;
        app.hire(&name.to_lowercase(), Some("lab"), "elsewhere", date)
            .await;
    }
    for (period, expected) in [
        ("since=2023-06-16", &["month", "year"][..]),
        ("since=2023-07", &["year"]),
        ("since=2024", &[]),
        ("until=2023-05", &["year"]),
        ("until=2023-06-01", &["month", "year"]),
        ("until=2022", &[]),
        (
            "since=2023-06-15&until=2023-06-15",
            &["day", "month", "year"],
        ),
        ("since=2023-02&until=2023-03", &["year"]),
        ("since=2023&until=2023", &["day", "month", "year"]),
    ] {
        for list in ["/v1/moves?kind=hire", "/v1/moves?company=lab"] {
            let page = app
                .get(&format!("{list}&{period}&include_total=true"))
                .await;
            let page = page.ok(200);
            assert_eq!(researchers_of(page), expected, "{list}&{period}");
            assert_eq!(page["total"], expected.len(), "{list}&{period}");
            // The domain's rule says the same of each.
            for m in page["data"].as_array().unwrap() {
                let date = PartialDate::parse(&match m["effective_precision"].as_str().unwrap() {
                    "day" => m["effective_on"].as_str().unwrap().to_owned(),
                    "month" => m["effective_on"].as_str().unwrap()[..7].to_owned(),
                    _ => m["effective_on"].as_str().unwrap()[..4].to_owned(),
                })
                .unwrap();
                let bound = |name: &str, end: bool| {
                    period
                        .split('&')
                        .find_map(|p| p.strip_prefix(&format!("{name}=")))
                        .map(|t| {
                            let d = PartialDate::parse(t).unwrap();
                            if end { d.end() } else { d.start }
                        })
                };
                assert_ne!(
                    date.placement(bound("since", false), bound("until", true)),
                    Placement::Outside
                );
            }
        }
    }
}

#[tokio::test]
async fn every_dated_list_filters_by_overlap() {
    let app = TestApp::new().await;
    for body in [
        json!({"publisher": "Year Press", "published_on": "2023"}),
        json!({"publisher": "Day Press", "published_on": "2023-01-10"}),
    ] {
        app.create("sources", body).await;
    }
    let page = app.get("/v1/sources?since=2023-06").await;
    let publishers: Vec<&str> = page.ok(200)["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["publisher"].as_str().unwrap())
        .collect();
    assert_eq!(publishers, ["Year Press"]);
}

/// A balance bucket holds a move only when the move's whole date lies in it: a move known to a
/// year is beside a month or quarter series (`unplaced`), and one that only may lie in
/// `since`..`until` is counted apart (`uncertain`). Hand-computed.
#[tokio::test]
async fn balance_buckets_hold_only_moves_that_lie_in_them() {
    let app = TestApp::new().await;
    for name in ["Lab", "Elsewhere"] {
        app.company(name).await;
    }
    for (name, from, to, date) in [
        ("A", "lab", "elsewhere", "2023-03-15"),
        ("B", "lab", "elsewhere", "2023-03"),
        ("C", "lab", "elsewhere", "2023"),
        ("D", "elsewhere", "lab", "2023-06"),
        ("E", "elsewhere", "lab", "2024"),
    ] {
        app.researcher(name).await;
        app.hire(&name.to_lowercase(), Some(from), to, date).await;
    }
    let balance = |query: &'static str| {
        let app = &app;
        async move {
            let answer = app.get(&format!("/v1/companies/lab/balance?{query}")).await;
            answer.ok(200).clone()
        }
    };
    let series = |answer: &Value| -> Vec<(String, i64, i64)> {
        answer["series"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["period_start"].as_str().unwrap().to_owned(),
                    p["inflow"].as_i64().unwrap(),
                    p["outflow"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let pair = |totals: &Value| {
        (
            totals["inflow"].as_i64().unwrap(),
            totals["outflow"].as_i64().unwrap(),
        )
    };
    let s = |d: &str, i, o| (d.to_owned(), i, o);

    let monthly = balance("interval=month").await;
    assert_eq!(
        series(&monthly),
        [
            s("2023-03-01", 0, 2),
            s("2023-04-01", 0, 0),
            s("2023-05-01", 0, 0),
            s("2023-06-01", 1, 0)
        ]
    );
    assert_eq!(
        monthly["unplaced"],
        json!([
            {"period": "2023", "inflow": 0, "outflow": 1, "net": -1},
            {"period": "2024", "inflow": 1, "outflow": 0, "net": 1}
        ])
    );
    assert_eq!(
        pair(&monthly["totals"]),
        (2, 3),
        "series and unplaced add up"
    );
    assert_eq!(pair(&monthly["uncertain"]), (0, 0));

    let quarterly = balance("interval=quarter").await;
    assert_eq!(
        series(&quarterly),
        [s("2023-01-01", 0, 2), s("2023-04-01", 1, 0)]
    );
    assert_eq!(quarterly["unplaced"], monthly["unplaced"]);

    let yearly = balance("interval=year").await;
    assert_eq!(
        series(&yearly),
        [s("2023-01-01", 1, 3), s("2024-01-01", 1, 0)]
    );
    assert_eq!(yearly["unplaced"], json!([]));

    // From 10 March: March 2023 (B) and 2023 (C) may or may not be in it; 15 March (A) is.
    let cut = balance("interval=month&since=2023-03-10&until=2023-06").await;
    assert_eq!(
        series(&cut),
        [
            s("2023-03-01", 0, 1),
            s("2023-04-01", 0, 0),
            s("2023-05-01", 0, 0),
            s("2023-06-01", 1, 0)
        ]
    );
    assert_eq!(cut["unplaced"], json!([]));
    assert_eq!(pair(&cut["totals"]), (1, 1));
    assert_eq!(pair(&cut["uncertain"]), (0, 2));

    // All of 2023: C lies in it, but in no month.
    let year_2023 = balance("interval=month&since=2023&until=2023").await;
    assert_eq!(series(&year_2023).len(), 12);
    assert_eq!(
        year_2023["unplaced"],
        json!([{"period": "2023", "inflow": 0, "outflow": 1, "net": -1}])
    );
    assert_eq!(pair(&year_2023["totals"]), (1, 3));
    assert_eq!(pair(&year_2023["uncertain"]), (0, 0));
}

/// Flows and the leaderboard with `since`/`until` count the moves that lie in the period and,
/// apart, those that only may. Hand-computed.
#[tokio::test]
async fn flows_and_leaderboard_count_uncertain_moves_apart() {
    let app = TestApp::new().await;
    for name in ["Lab", "Elsewhere"] {
        app.company(name).await;
    }
    for (name, from, to, date) in [
        ("A", "lab", "elsewhere", "2023-03-15"),
        ("B", "lab", "elsewhere", "2023-03"),
        ("C", "lab", "elsewhere", "2023"),
        ("D", "elsewhere", "lab", "2023-06"),
        ("E", "elsewhere", "lab", "2024"),
    ] {
        app.researcher(name).await;
        app.hire(&name.to_lowercase(), Some(from), to, date).await;
    }
    let flows = |query: &'static str| {
        let app = &app;
        async move {
            let answer = app.get(&format!("/v1/flows?{query}")).await;
            let answer = answer.ok(200).clone();
            let slug = |id: &Value| {
                answer["nodes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|n| &n["id"] == id)
                    .unwrap()["slug"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            };
            let mut links: Vec<(String, String, i64, i64)> = answer["links"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| {
                    (
                        slug(&l["source"]),
                        slug(&l["target"]),
                        l["count"].as_i64().unwrap(),
                        l["uncertain"].as_i64().unwrap(),
                    )
                })
                .collect();
            links.sort();
            (
                answer["total_moves"].as_i64().unwrap(),
                answer["uncertain_moves"].as_i64().unwrap(),
                links,
            )
        }
    };
    let link = |s: &str, t: &str, n, u| (s.to_owned(), t.to_owned(), n, u);
    assert_eq!(
        flows("").await,
        (
            5,
            0,
            vec![
                link("elsewhere", "lab", 2, 0),
                link("lab", "elsewhere", 3, 0)
            ]
        )
    );
    assert_eq!(
        flows("since=2023-03-10&until=2023-06").await,
        (
            2,
            2,
            vec![
                link("elsewhere", "lab", 1, 0),
                link("lab", "elsewhere", 1, 2)
            ]
        )
    );
    assert_eq!(
        flows("since=2023-03-10&until=2023-06&roll_up=parent").await,
        (
            2,
            2,
            vec![
                link("elsewhere", "lab", 1, 0),
                link("lab", "elsewhere", 1, 2)
            ]
        )
    );
    assert_eq!(
        flows("since=2023&until=2023").await,
        (
            4,
            0,
            vec![
                link("elsewhere", "lab", 1, 0),
                link("lab", "elsewhere", 3, 0)
            ]
        )
    );
    // From July 2023: only "2023" may be in it, and "2024" is; a link of uncertain moves alone
    // has no certain count to rank by, so only the totals show it.
    assert_eq!(
        flows("since=2023-07").await,
        (1, 1, vec![link("elsewhere", "lab", 1, 0)])
    );

    for roll_up in ["", "&roll_up=parent"] {
        let board = app
            .get(&format!(
                "/v1/leaderboard?since=2023-03-10&until=2023-06&metric=outflow{roll_up}"
            ))
            .await;
        let board = board.ok(200);
        let row = |slug: &str| {
            let row = board
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["company"]["slug"] == slug)
                .unwrap();
            (
                row["inflow"].as_i64().unwrap(),
                row["outflow"].as_i64().unwrap(),
                row["uncertain_inflow"].as_i64().unwrap(),
                row["uncertain_outflow"].as_i64().unwrap(),
            )
        };
        assert_eq!(row("lab"), (1, 1, 0, 2), "{roll_up}");
        assert_eq!(row("elsewhere"), (1, 1, 2, 0), "{roll_up}");
    }
}

/// Two moves of one researcher dated to overlapping periods have no certain order: the
/// timeline keeps them by first day and says the stint between them is uncertain.
#[tokio::test]
async fn a_stint_between_moves_of_uncertain_order_says_so() {
    let app = TestApp::new().await;
    for name in ["X", "Lab", "Y", "Z"] {
        app.company(name).await;
    }
    app.researcher("Ri").await;
    app.hire("ri", Some("x"), "lab", "2024").await;
    app.hire("ri", Some("lab"), "y", "2024-03").await;
    app.hire("ri", Some("y"), "z", "2025-01-10").await;
    let timeline = app.get("/v1/researchers/ri/timeline").await;
    let stints: Vec<(String, bool, bool)> = timeline.ok(200)["stints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["company"]["slug"].as_str().unwrap().to_owned(),
                s["order_certain"].as_bool().unwrap(),
                s["current"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        stints,
        [
            ("x".to_owned(), true, false),
            // Joined in "2024", left in "2024-03": either may have come first.
            ("lab".to_owned(), false, false),
            ("y".to_owned(), true, false),
            ("z".to_owned(), true, true),
        ]
    );
}

/// Flows, leaderboard and balance, for every period of a grid whose ends fall on, just inside
/// and just outside month and year boundaries, count exactly the moves that
/// `PartialDate::placement` puts inside the period, and apart those it says may be in it: the
/// SQL's bounds over the maintained counts are the domain rule.
#[tokio::test]
async fn period_counts_follow_the_domain_rule_for_every_period() {
    let app = TestApp::new().await;
    for name in ["Lab", "Elsewhere"] {
        app.company(name).await;
    }
    let dates = [
        "2022-12-31",
        "2023-01-01",
        "2023-01-15",
        "2023-01-31",
        "2023-02-01",
        "2023-02-28",
        "2023-03-31",
        "2023-12-31",
        "2024-01-01",
        "2022-12",
        "2023-01",
        "2023-02",
        "2023-03",
        "2023-06",
        "2023-12",
        "2024-01",
        "2022",
        "2023",
        "2024",
    ];
    // (date, whether the move leaves the lab)
    let mut moves = Vec::new();
    for (n, date) in dates.iter().enumerate() {
        let leaves = n % 3 != 0;
        let (from, to) = if leaves {
            ("lab", "elsewhere")
        } else {
            ("elsewhere", "lab")
        };
        app.researcher(&format!("M{n}")).await;
        app.hire(&format!("m{n}"), Some(from), to, date).await;
        moves.push((PartialDate::parse(date).unwrap(), leaves));
    }
    let day = |text: &str| Some(text.parse::<chrono::NaiveDate>().unwrap());
    let sinces = [
        None,
        day("2022-12-31"),
        day("2023-01-01"),
        day("2023-01-02"),
        day("2023-01-31"),
        day("2023-02-01"),
        day("2023-02-15"),
        day("2023-12-31"),
        day("2024-01-01"),
    ];
    let untils = [
        None,
        day("2023-01-01"),
        day("2023-01-30"),
        day("2023-01-31"),
        day("2023-02-28"),
        day("2023-03-15"),
        day("2023-12-30"),
        day("2023-12-31"),
        day("2024-06-30"),
    ];
    let mut periods = 0;
    for since in sinces {
        for until in untils {
            if since.zip(until).is_some_and(|(s, u)| s > u) {
                continue;
            }
            periods += 1;
            // (inside in, inside out, maybe in, maybe out) for the lab
            let mut expected = [0i64; 4];
            for (date, leaves) in &moves {
                let side = usize::from(*leaves);
                match date.placement(since, until) {
                    Placement::Inside => expected[side] += 1,
                    Placement::Maybe => expected[2 + side] += 1,
                    Placement::Outside => {}
                }
            }
            let mut query = String::new();
            if let Some(since) = since {
                query.push_str(&format!("since={since}&"));
            }
            if let Some(until) = until {
                query.push_str(&format!("until={until}&"));
            }

            let flows = app.get(&format!("/v1/flows?{query}")).await;
            let flows = flows.ok(200);
            assert_eq!(
                (
                    flows["total_moves"].as_i64(),
                    flows["uncertain_moves"].as_i64()
                ),
                (
                    Some(expected[0] + expected[1]),
                    Some(expected[2] + expected[3])
                ),
                "flows?{query}"
            );

            let board = app.get(&format!("/v1/leaderboard?{query}")).await;
            let lab = board
                .ok(200)
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["company"]["slug"] == "lab")
                .map(|r| {
                    ["inflow", "outflow", "uncertain_inflow", "uncertain_outflow"]
                        .map(|field| r[field].as_i64().unwrap())
                })
                .unwrap_or_default();
            assert_eq!(lab, expected, "leaderboard?{query}");

            let balance = app
                .get(&format!("/v1/companies/lab/balance?interval=month&{query}"))
                .await;
            let balance = balance.ok(200);
            let totals = &balance["totals"];
            let uncertain = &balance["uncertain"];
            assert_eq!(
                [
                    &totals["inflow"],
                    &totals["outflow"],
                    &uncertain["inflow"],
                    &uncertain["outflow"]
                ]
                .map(|n| n.as_i64().unwrap()),
                expected,
                "balance?{query}"
            );
            let placed = |field: &str| -> i64 {
                ["series", "unplaced"]
                    .iter()
                    .flat_map(|part| balance[*part].as_array().unwrap())
                    .map(|point| point[field].as_i64().unwrap())
                    .sum()
            };
            assert_eq!(
                [placed("inflow"), placed("outflow")],
                [expected[0], expected[1]],
                "balance series and unplaced add up to the totals, ?{query}"
            );
        }
    }
    assert_eq!(periods, 59);
}
