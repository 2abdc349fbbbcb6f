//! Projects and rosters, press reports, deals, compensation and signals.

use axum::{
    body::Body,
    http::{Method, Request, header},
};
use serde_json::{Value, json};

use crate::helpers::{Response, TestApp};

async fn put_roster(
    app: &TestApp,
    project: &str,
    roster: Value,
    if_match: Option<&str>,
) -> Response {
    let mut request = Request::builder()
        .method(Method::PUT)
        .uri(format!("/v1/projects/{project}/contributors"))
        .header(header::AUTHORIZATION, format!("Bearer {}", app.editor))
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(tag) = if_match {
        request = request.header(header::IF_MATCH, tag);
    }
    app.send(request.body(Body::from(roster.to_string())).unwrap())
        .await
}

fn slugs_of(list: &Value, path: &str) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            item.pointer(path)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

async fn world() -> TestApp {
    let app = TestApp::new().await;
    for name in ["Meta", "Mistral AI", "Microsoft", "Inflection AI", "OpenAI"] {
        app.company(name).await;
    }
    for name in ["Guillaume Lample", "Timothee Lacroix", "Hugo Touvron"] {
        app.researcher(name).await;
    }
    app
}

#[tokio::test]
async fn a_roster_is_replaced_whole_or_not_at_all() {
    let app = world().await;
    let project = app
        .create(
            "projects",
            json!({"name": "Llama", "company": "meta", "released_on": "2023-02"}),
        )
        .await;
    assert_eq!(project["company"]["slug"], "meta");
    assert_eq!(project["released_on"], "2023-02-01");
    assert_eq!(project["contributor_count"], 0);

    let roster = json!([{"researcher": "hugo-touvron", "role": "author"}, {"researcher": "guillaume-lample", "role": "author"}]);
    let replaced = put_roster(&app, "llama", roster, None).await;
    assert_eq!(
        slugs_of(replaced.ok(200), "/researcher/slug"),
        ["hugo-touvron", "guillaume-lample"]
    );
    let etag = replaced.header("etag").unwrap().to_owned();

    // One unknown researcher (and one listed twice): both named, nothing changes.
    let bad = json!([{"researcher": "timothee-lacroix"}, {"researcher": "nobody"}, {"researcher": "timothee-lacroix"}]);
    let refused = put_roster(&app, "llama", bad, None).await;
    refused.problem(422);
    assert_eq!(refused.error_fields(), ["[1].researcher", "[2].researcher"]);
    let unchanged = app.get("/v1/projects/llama/contributors").await;
    assert_eq!(
        slugs_of(unchanged.ok(200), "/researcher/slug"),
        ["hugo-touvron", "guillaume-lample"]
    );
    assert_eq!(unchanged.header("etag"), Some(etag.as_str()));
    assert_eq!(
        app.get("/v1/projects/llama").await.ok(200)["contributor_count"],
        2
    );

    // If-Match guards the roster too.
    put_roster(&app, "llama", json!([]), Some("\"stale\""))
        .await
        .problem(412);
    let emptied = put_roster(&app, "llama", json!([]), Some(&etag)).await;
    assert!(emptied.ok(200)["data"].as_array().unwrap().is_empty());

    // The project's history holds the roster before and after.
    let history = app.get("/v1/projects/llama/history").await;
    let latest = &history.ok(200)["data"][0];
    assert_eq!(
        latest["before"]["contributors"].as_array().unwrap().len(),
        2
    );
    assert_eq!(latest["after"]["contributors"], json!([]));
}

#[tokio::test]
async fn moves_filter_by_project_contributors() {
    let app = world().await;
    app.create("projects", json!({"name": "Llama", "company": "meta"}))
        .await;
    put_roster(
        &app,
        "llama",
        json!([{"researcher": "guillaume-lample"}, {"researcher": "timothee-lacroix"}]),
        None,
    )
    .await
    .ok(200);
    for researcher in ["guillaume-lample", "timothee-lacroix"] {
        app.create(
            "moves",
            json!({"researcher": researcher, "from": "meta", "to": "mistral-ai", "kind": "founding", "effective_on": "2023"}),
        )
        .await;
    }
    app.hire("hugo-touvron", None, "openai", "2024").await;
    let moves = app.get("/v1/moves?project=llama&sort=effective_on").await;
    let mut names = slugs_of(moves.ok(200), "/researcher/slug");
    names.sort();
    assert_eq!(names, ["guillaume-lample", "timothee-lacroix"]);
    app.get("/v1/moves?project=no-such-project")
        .await
        .problem(422);
    assert_eq!(
        slugs_of(
            app.get("/v1/projects?researcher=guillaume-lample")
                .await
                .ok(200),
            "/slug"
        ),
        ["llama"]
    );
}

#[tokio::test]
async fn press_reports_are_checked_and_belong_to_their_project() {
    let app = world().await;
    app.create("projects", json!({"name": "Llama", "company": "meta"}))
        .await;
    app.create("projects", json!({"name": "Llama 2", "company": "meta"}))
        .await;
    let source = app.source("The Information").await;
    let created = app
        .post("/v1/projects/llama/reports", json!({"roster_size": 14, "departed": 7, "reported_on": "2024-03", "source": source["id"]}))
        .await;
    let report = created.ok(201).clone();
    assert_eq!(report["qualifier"], "exactly");
    assert_eq!(report["project"]["slug"], "llama");
    assert_eq!(report["source"]["publisher"], "The Information");
    let uri = created.header("location").unwrap().to_owned();
    assert_eq!(app.get(&uri).await.ok(200)["departed"], 7);

    let too_many = app
        .post(
            "/v1/projects/llama/reports",
            json!({"roster_size": 14, "departed": 15, "reported_on": "2024"}),
        )
        .await;
    too_many.problem(422);
    assert_eq!(too_many.error_fields(), ["departed"]);
    let missing = app
        .post(
            "/v1/projects/llama/reports",
            json!({"qualifier": "roughly"}),
        )
        .await;
    missing.problem(422);
    assert_eq!(
        missing.error_fields(),
        ["departed", "qualifier", "reported_on"]
    );
    app.post(
        "/v1/projects/nothing/reports",
        json!({"departed": 1, "reported_on": "2024"}),
    )
    .await
    .problem(404);

    let id = report["id"].as_str().unwrap();
    app.get(&format!("/v1/projects/llama-2/reports/{id}"))
        .await
        .problem(404);
    let patched = app.patch(&uri, json!({"qualifier": "at_least"})).await;
    assert_eq!(patched.ok(200)["qualifier"], "at_least");
    let listed = app.get("/v1/projects/llama/reports").await;
    assert_eq!(listed.ok(200)["data"].as_array().unwrap().len(), 1);
    // A project with reports cannot be deleted until they are.
    app.delete("/v1/projects/llama").await.problem(409);
    assert_eq!(app.delete(&uri).await.status.as_u16(), 204);
    assert_eq!(app.delete("/v1/projects/llama").await.status.as_u16(), 204);
}

#[tokio::test]
async fn a_deal_lists_its_moves() {
    let app = world().await;
    let source = app.source("Microsoft").await;
    let deal = app
        .create(
            "deals",
            json!({"kind": "license_and_hire", "acquirer": "microsoft", "target": "inflection-ai", "announced_on": "2024-03-19",
                   "sources": [{"source": source["id"]}]}),
        )
        .await;
    let deal_id = deal["id"].as_str().unwrap().to_owned();
    assert_eq!(deal["acquirer"]["slug"], "microsoft");
    assert_eq!(deal["move_count"], 0);
    app.researcher("Mustafa Suleyman").await;
    let moved = app
        .create(
            "moves",
            json!({"researcher": "mustafa-suleyman", "from": "inflection-ai", "to": "microsoft", "kind": "acquihire",
                   "effective_on": "2024-03-19", "deal": deal_id}),
        )
        .await;
    assert_eq!(moved["deal"]["id"], deal_id.as_str());
    assert_eq!(moved["deal"]["target"]["slug"], "inflection-ai");
    app.hire("hugo-touvron", None, "microsoft", "2024").await;

    let of_deal = app.get(&format!("/v1/deals/{deal_id}/moves")).await;
    assert_eq!(
        slugs_of(of_deal.ok(200), "/researcher/slug"),
        ["mustafa-suleyman"]
    );
    assert_eq!(
        slugs_of(
            app.get(&format!("/v1/moves?deal={deal_id}")).await.ok(200),
            "/researcher/slug"
        ),
        ["mustafa-suleyman"]
    );
    assert_eq!(
        app.get(&format!("/v1/deals/{deal_id}")).await.ok(200)["move_count"],
        1
    );
    assert_eq!(
        slugs_of(
            app.get("/v1/deals?company=inflection-ai").await.ok(200),
            "/acquirer/slug"
        ),
        ["microsoft"]
    );

    // The target goes on existing; the deal cannot be deleted while moves belong to it.
    app.get("/v1/companies/inflection-ai").await.ok(200);
    app.delete(&format!("/v1/deals/{deal_id}"))
        .await
        .problem(409);
    let same_sides = app
        .post(
            "/v1/deals",
            json!({"kind": "acquihire", "acquirer": "meta", "target": "meta"}),
        )
        .await;
    same_sides.problem(422);
    let unknown = app
        .post("/v1/moves", json!({"researcher": "hugo-touvron", "to": "meta", "kind": "hire", "effective_on": "2024",
                                  "deal": "0190a000-0000-7000-8000-00000000beef"}))
        .await;
    unknown.problem(422);
    assert_eq!(unknown.error_fields(), ["deal"]);
}

#[tokio::test]
async fn compensation_ranges_are_checked_and_filterable() {
    let app = world().await;
    let meta = app
        .create("compensation", json!({"company": "meta", "role": "AI researcher", "currency": "usd", "annual_max": 2000000, "reported_on": "2024-03"}))
        .await;
    assert_eq!(meta["currency"], "USD");
    assert_eq!(meta["annual_min"], json!(null));
    app.create(
        "compensation",
        json!({"company": "openai", "role": "AI Researcher", "currency": "USD", "annual_min": 5000000, "annual_max": 10000000,
               "basis": "total", "reported_on": "2024-03"}),
    )
    .await;

    let inverted = app
        .post("/v1/compensation", json!({"company": "meta", "role": "r", "currency": "USD", "annual_min": 3, "annual_max": 2, "reported_on": "2024"}))
        .await;
    inverted.problem(422);
    assert_eq!(inverted.error_fields(), ["annual_min"]);
    let open = app
        .post(
            "/v1/compensation",
            json!({"company": "meta", "role": "r", "currency": "USD", "reported_on": "2024"}),
        )
        .await;
    open.problem(422);
    let bad = app
        .post("/v1/compensation", json!({"company": "nowhere", "role": "r", "currency": "DOLLARS", "annual_max": -1, "reported_on": "2024", "basis": "cash"}))
        .await;
    bad.problem(422);
    assert_eq!(bad.error_fields(), ["currency", "annual_max", "basis"]);

    assert_eq!(
        slugs_of(
            app.get("/v1/compensation?role=ai%20researcher")
                .await
                .ok(200),
            "/company/slug"
        )
        .len(),
        2
    );
    assert_eq!(
        slugs_of(
            app.get("/v1/compensation?company=openai").await.ok(200),
            "/company/slug"
        ),
        ["openai"]
    );
    assert!(
        slugs_of(
            app.get("/v1/compensation?since=2025").await.ok(200),
            "/company/slug"
        )
        .is_empty()
    );
    let patched = app
        .patch(
            &format!("/v1/compensation/{}", meta["id"].as_str().unwrap()),
            json!({"annual_min": 3000000}),
        )
        .await;
    patched.problem(422);
}

#[tokio::test]
async fn signals_are_filterable_by_company_kind_and_date() {
    let app = world().await;
    let source = app.source("The Information").await;
    let signal = app
        .create(
            "signals",
            json!({"kind": "ceo_outreach", "company": "meta", "description": "The CEO wrote to researchers himself.",
                   "reported_on": "2024-03", "sources": [{"source": source["id"], "quote": null}]}),
        )
        .await;
    assert_eq!(
        signal["sources"][0]["source"]["publisher"],
        "The Information"
    );
    app.create("signals", json!({"kind": "hiring_freeze", "company": "openai", "description": "Paused hiring.", "reported_on": "2023"})).await;
    assert_eq!(
        slugs_of(app.get("/v1/signals?company=meta").await.ok(200), "/kind"),
        ["ceo_outreach"]
    );
    assert_eq!(
        slugs_of(
            app.get("/v1/signals?kind=hiring_freeze").await.ok(200),
            "/company/slug"
        ),
        ["openai"]
    );
    assert_eq!(
        slugs_of(app.get("/v1/signals?since=2024").await.ok(200), "/kind"),
        ["ceo_outreach"]
    );
    let bad = app.post("/v1/signals", json!({"kind": "poaching", "company": "meta", "description": " ", "reported_on": "2024"})).await;
    bad.problem(422);
    assert_eq!(bad.error_fields(), ["kind", "description"]);
    app.get("/v1/signals?kind=poaching").await.problem(400);
}

#[tokio::test]
async fn the_demo_data_tells_the_story_and_loads_once() {
    let app = TestApp::with_demo_data().await;
    let audit_rows = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM audit_log")
            .fetch_one(&app.pool)
            .await
            .unwrap()
    };
    let before = audit_rows().await;
    talentflow::seed::load(&app.pool).await.unwrap();
    assert_eq!(audit_rows().await, before, "a second load changes nothing");

    let roster = app.get("/v1/projects/llama/contributors").await;
    let names = slugs_of(roster.ok(200), "/researcher/name");
    assert_eq!(names.len(), 14);
    assert_eq!(names[0], "Hugo Touvron");
    assert_eq!(names[13], "Guillaume Lample");
    let reports = app.get("/v1/projects/llama/reports").await;
    let report = &reports.ok(200)["data"][0];
    assert_eq!(
        (report["departed"].as_i64(), report["roster_size"].as_i64()),
        (Some(7), Some(14))
    );
    let llama2 = app.get("/v1/projects/llama-2/reports").await;
    assert_eq!(llama2.ok(200)["data"][0]["qualifier"], "at_least");
    assert_eq!(llama2.json["data"][0]["roster_size"], 68);

    let deals = app.get("/v1/deals?acquirer=microsoft").await;
    let deal = deals.ok(200)["data"][0].clone();
    assert_eq!(deal["kind"], "license_and_hire");
    let moves = app
        .get(&format!("/v1/deals/{}/moves", deal["id"].as_str().unwrap()))
        .await;
    let mut moved = slugs_of(moves.ok(200), "/researcher/slug");
    moved.sort();
    assert_eq!(moved, ["karen-simonyan", "mustafa-suleyman"]);

    let pay = app.get("/v1/compensation?role=AI%20researcher").await;
    let by_company: Vec<(String, Value, Value)> = pay.ok(200)["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["company"]["slug"].as_str().unwrap().to_owned(),
                r["annual_min"].clone(),
                r["annual_max"].clone(),
            )
        })
        .collect();
    assert!(by_company.contains(&("meta".to_owned(), json!(null), json!(2_000_000))));
    assert!(by_company.contains(&("openai".to_owned(), json!(5_000_000), json!(10_000_000))));
    let signals = app.get("/v1/signals?company=meta").await;
    let mut kinds = slugs_of(signals.ok(200), "/kind");
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "ceo_outreach",
            "offers_without_interview",
            "retention_raise"
        ]
    );
    // Tracked attrition differs from the reported one: only two departures are recorded.
    let departures = app.get("/v1/moves?project=llama&from=meta").await;
    assert_eq!(departures.ok(200)["data"].as_array().unwrap().len(), 2);
    // Both are known only to "2023", the year Llama came out ("2023-02"): they count as
    // departures, with an order against the release that is uncertain.
    let attrition = app.get("/v1/projects/llama/attrition").await;
    let attrition = attrition.ok(200);
    assert_eq!(
        (
            attrition["roster_size"].as_i64(),
            attrition["departed"].as_i64(),
            attrition["departed_uncertain"].as_i64(),
            attrition["remaining"].as_i64()
        ),
        (Some(14), Some(2), Some(2), Some(12))
    );
    let mut left: Vec<(&str, &str, bool)> = attrition["departures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["researcher"]["name"].as_str().unwrap(),
                d["move"]["to"]["name"].as_str().unwrap(),
                d["date_certain"].as_bool().unwrap(),
            )
        })
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            ("Guillaume Lample", "Mistral AI", false),
            ("Timothée Lacroix", "Mistral AI", false)
        ]
    );
    assert_eq!(
        attrition["destinations"][0]["company"]["name"],
        "Mistral AI"
    );
    assert_eq!(attrition["destinations"][0]["count"], 2);

    // Meta's monthly balance: the two departures known only to "2023" are in no month (they
    // were drawn as a January outflow); Michal Valko's arrival is in March 2024.
    let balance = app.get("/v1/companies/meta/balance").await;
    let balance = balance.ok(200);
    assert_eq!(balance["series"][0]["period_start"], "2024-03-01");
    assert_eq!(balance["series"][0]["inflow"], 1);
    assert_eq!(balance["series"].as_array().unwrap().len(), 1);
    assert_eq!(
        balance["unplaced"],
        json!([{"period": "2023", "inflow": 0, "outflow": 2, "net": -2}])
    );
    assert_eq!(
        balance["totals"],
        json!({"inflow": 1, "outflow": 2, "net": -1})
    );
}
