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
