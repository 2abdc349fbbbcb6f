use serde_json::{Value, json};

use crate::helpers::TestApp;

fn ids(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn walk(
    app: &TestApp,
    first_uri: &str,
    mut between_pages: impl AsyncFnMut(usize),
) -> Vec<String> {
    let mut seen = Vec::new();
    let mut uri = first_uri.to_owned();
    for page_number in 0.. {
        let page = app.get(&uri).await;
        let body = page.ok(200).clone();
        seen.extend(ids(&body));
        match body["next_cursor"].as_str() {
            None => break,
            Some(cursor) => uri = format!("{first_uri}&cursor={cursor}"),
        }
        between_pages(page_number).await;
    }
    seen
}

#[tokio::test]
async fn pages_neither_skip_nor_repeat_rows_when_rows_are_inserted_between_pages() {
    let app = TestApp::new().await;
    app.company("Meta").await;
    app.researcher("Ada").await;
    // Many moves share a date, so the id must break ties.
    let mut original = Vec::new();
    for i in 0..23 {
        let date = format!("2024-0{}", 1 + i % 3);
        original.push(
            app.hire("ada", None, "meta", &date).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let seen = walk(&app, "/v1/moves?limit=5", async |page_number| {
        // Rows before, inside and after the part already read.
        for date in ["2023-01", "2024-02", "2025-01"] {
            app.hire("ada", None, "meta", date).await;
        }
        let _ = page_number;
    })
    .await;
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "a row was repeated");
    for id in &original {
        assert!(seen.contains(id), "row {id} was skipped");
    }
}

#[tokio::test]
async fn every_sort_walks_all_rows_once() {
    let app = TestApp::new().await;
    for i in 0..12 {
        app.company(&format!("Company {}", (b'a' + (i * 7 % 12) as u8) as char))
            .await;
    }
    for sort in ["name", "-name", "created_at", "-created_at"] {
        let seen = walk(
            &app,
            &format!("/v1/companies?sort={sort}&limit=5"),
            async |_| {},
        )
        .await;
        assert_eq!(seen.len(), 12, "sort {sort}");
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 12, "sort {sort}");
    }
    let names: Vec<String> = app.get("/v1/companies?sort=-name&limit=3").await.ok(200)["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["Company l", "Company k", "Company j"]);
}

#[tokio::test]
async fn limit_is_bounded_and_total_is_optional() {
    let app = TestApp::new().await;
    for name in ["A", "B", "C"] {
        app.company(name).await;
    }
    let page = app.get("/v1/companies?limit=2").await;
    let body = page.ok(200);
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    assert!(body["next_cursor"].is_string());
    assert!(body.get("total").is_none());
    assert_eq!(
        app.get("/v1/companies?limit=2&include_total=true")
            .await
            .ok(200)["total"],
        3
    );
    assert_eq!(
        app.get("/v1/companies?limit=500").await.ok(200)["next_cursor"],
        json!(null)
    );
    for bad in [
        "limit=0",
        "limit=501",
        "limit=-1",
        "limit=ten",
        "include_total=maybe",
    ] {
        app.get(&format!("/v1/companies?{bad}")).await.problem(400);
    }
}

#[tokio::test]
async fn tampered_or_foreign_cursors_are_400_not_500() {
    let app = TestApp::new().await;
    for name in ["A", "B", "C"] {
        app.company(name).await;
    }
    let cursor = app.get("/v1/companies?limit=1").await.ok(200)["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut tampered = cursor.clone();
    tampered.insert(3, 'x');
    app.get(&format!("/v1/companies?cursor={tampered}"))
        .await
        .problem(400);
    app.get("/v1/companies?cursor=%00%01").await.problem(400);
    // A cursor of one sort used with another.
    let other = app
        .get(&format!("/v1/companies?sort=-created_at&cursor={cursor}"))
        .await;
    other.problem(400);
    assert_eq!(other.error_fields(), ["cursor"]);
    // A well-formed cursor whose key does not fit the sort (a name where a date belongs).
    use base64::Engine;
    let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(br#"{"s":"-effective_on","k":"'; DROP TABLE moves; --","i":"0190a000-0000-7000-8000-000000000001"}"#);
    app.get(&format!("/v1/moves?cursor={forged}"))
        .await
        .problem(400);
    app.get("/v1/companies?sort=size").await.problem(400);
}

#[tokio::test]
async fn forged_cursor_keys_the_database_would_refuse_are_400() {
    let app = TestApp::new().await;
    use base64::Engine;
    let forge =
        |json: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json.as_bytes());
    let id = "0190a000-0000-7000-8000-000000000001";
    for (uri, json) in [
        (
            "/v1/companies",
            format!(r#"{{"s":"name","k":"\u0000","i":"{id}"}}"#),
        ),
        (
            "/v1/moves",
            format!(r#"{{"s":"-effective_on","k":"-5000-01-01","i":"{id}"}}"#),
        ),
        (
            "/v1/moves",
            format!(r#"{{"s":"-created_at","k":"9999-01-01T00:00:00Z","i":"{id}"}}"#),
        ),
    ] {
        let response = app.get(&format!("{uri}?cursor={}", forge(&json))).await;
        response.problem(400);
    }
}

/// `company=` pages over moves to and from the company, interleaved by date and sharing
/// dates, in both orders and with other filters: every page is the next slice of the whole.
#[tokio::test]
async fn company_pages_merge_arrivals_and_departures_in_order() {
    let app = TestApp::new().await;
    for name in ["Meta", "OpenAI"] {
        app.company(name).await;
    }
    app.researcher("Ada").await;
    for i in 0..17 {
        let date = format!("2024-0{}", 1 + i % 4);
        let (from, to) = if i % 3 == 0 {
            (Some("meta"), "openai")
        } else {
            (Some("openai"), "meta")
        };
        app.hire("ada", from, to, &date).await;
    }
    // Not Meta's: never listed.
    app.hire("ada", None, "openai", "2024-02").await;
    for query in [
        "company=meta",
        "company=meta&sort=effective_on",
        "company=meta&sort=-created_at",
        "company=meta&since=2024-02&until=2024-03",
        "company=meta&from=openai",
    ] {
        let whole = app
            .get(&format!("/v1/moves?{query}&limit=500"))
            .await
            .ok(200)
            .clone();
        let paged = walk(&app, &format!("/v1/moves?{query}&limit=3"), async |_| {}).await;
        assert_eq!(paged, ids(&whole), "{query}");
        let expected = match query {
            "company=meta&since=2024-02&until=2024-03" => 8,
            "company=meta&from=openai" => 11,
            _ => 17,
        };
        assert_eq!(paged.len(), expected, "{query}");
    }
    // The same order as the unfiltered list with the other company's moves taken out.
    let all = app.get("/v1/moves?limit=500").await.ok(200).clone();
    let metas: Vec<String> = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["from"]["slug"] == "meta" || m["to"]["slug"] == "meta")
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        walk(&app, "/v1/moves?company=meta&limit=4", async |_| {}).await,
        metas
    );
}
