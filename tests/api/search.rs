//! Search over crowded names: the first records by name among equals, the exact name first,
//! answers that follow every write (rename, alias, delete, merge), and a full name typed with a
//! slip in each word still found. The misspellings of the demo data are in `analytics.rs`.
//!
//! The crowds are bigger than `limit` and the queries mostly single words on purpose: search
//! reads only the first `limit` records of each word it keeps a list of (migration 0018), so
//! a list left stale by a write shows here as a record missing or one too few, and a single
//! word is never answered by the full scan that would hide it.

use serde_json::{Value, json};

use crate::helpers::TestApp;

/// (type, slug) of each hit, in order.
fn hits(body: &Value) -> Vec<(String, String)> {
    body.as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["type"].as_str().unwrap().to_owned(),
                h["slug"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn researchers(slugs: &[&str]) -> Vec<(String, String)> {
    slugs
        .iter()
        .map(|s| ("researcher".to_owned(), (*s).to_owned()))
        .collect()
}

const FIRST_NAMES: [&str; 30] = [
    "Ada", "Ben", "Cai", "Dov", "Eli", "Fay", "Gus", "Hal", "Ida", "Jon", "Kai", "Lea", "Max",
    "Ned", "Oda", "Pia", "Quy", "Rex", "Sol", "Tia", "Uma", "Vik", "Wes", "Xia", "Yan", "Zed",
    "Zia", "Zoe", "Zola", "Zora",
];

#[tokio::test]
async fn search_on_a_crowded_surname_answers_the_first_by_name_and_the_exact_name_first() {
    let app = TestApp::new().await;
    for first in FIRST_NAMES {
        app.researcher(&format!("{first} Wang")).await;
    }
    // Everyone matches "Wang" equally well, so the first five by name win.
    assert_eq!(
        hits(app.get("/v1/search?q=Wang&limit=5").await.ok(200)),
        researchers(&["ada-wang", "ben-wang", "cai-wang", "dov-wang", "eli-wang"])
    );
    // The last of them by name, asked for by full name, comes first, in either word order.
    for q in ["Zora%20Wang", "wang%20zora"] {
        let body = app.get(&format!("/v1/search?q={q}&limit=5")).await;
        let found = hits(body.ok(200));
        assert_eq!(found.len(), 5, "{found:?}");
        assert_eq!(found[0], ("researcher".to_owned(), "zora-wang".to_owned()));
        assert_eq!(body.json[0]["score"], 1.0);
    }
    // A middle initial still matches the full name better than other first names do.
    app.researcher("Max Q. Wang").await;
    let found = hits(app.get("/v1/search?q=Max%20Wang&limit=2").await.ok(200));
    assert_eq!(found, researchers(&["max-wang", "max-q-wang"]));
}

async fn quorvex(app: &TestApp) -> Vec<(String, String)> {
    hits(app.get("/v1/search?q=quorvex&limit=5").await.ok(200))
}

#[tokio::test]
async fn search_follows_renames_aliases_and_deletes() {
    let app = TestApp::new().await;
    for first in &FIRST_NAMES[..8] {
        app.researcher(&format!("{first} Quorvex")).await;
    }
    assert_eq!(
        quorvex(&app).await,
        researchers(&[
            "ada-quorvex",
            "ben-quorvex",
            "cai-quorvex",
            "dov-quorvex",
            "eli-quorvex"
        ])
    );

    // Renamed out of the crowd: no longer found by the old name, and found by the new one.
    app.patch("/v1/researchers/ada-quorvex", json!({"name": "Ada Zembla"}))
        .await
        .ok(200);
    assert_eq!(
        quorvex(&app).await,
        researchers(&[
            "ben-quorvex",
            "cai-quorvex",
            "dov-quorvex",
            "eli-quorvex",
            "fay-quorvex"
        ])
    );
    assert_eq!(
        hits(app.get("/v1/search?q=zembla").await.ok(200)),
        researchers(&["ada-quorvex"])
    );

    // An alias added is found, and one taken away no longer is.
    app.patch(
        "/v1/researchers/ben-quorvex",
        json!({"aliases": ["Plimsoll"]}),
    )
    .await
    .ok(200);
    assert_eq!(
        hits(app.get("/v1/search?q=plimsoll").await.ok(200)),
        researchers(&["ben-quorvex"])
    );
    app.patch("/v1/researchers/ben-quorvex", json!({"aliases": []}))
        .await
        .ok(200);
    assert!(hits(app.get("/v1/search?q=plimsoll").await.ok(200)).is_empty());

    // A deleted researcher is not found, and the next one by name takes its place.
    assert_eq!(
        app.delete("/v1/researchers/cai-quorvex")
            .await
            .status
            .as_u16(),
        204
    );
    assert_eq!(
        quorvex(&app).await,
        researchers(&[
            "ben-quorvex",
            "dov-quorvex",
            "eli-quorvex",
            "fay-quorvex",
            "gus-quorvex"
        ])
    );
    assert!(
        hits(
            app.get("/v1/search?q=Cai%20Quorvex&limit=100")
                .await
                .ok(200)
        )
        .iter()
        .all(|(_, slug)| slug != "cai-quorvex")
    );
}

#[tokio::test]
async fn search_finds_a_merged_researcher_under_the_one_it_was_merged_into() {
    let app = TestApp::new().await;
    app.researcher("Kwabena Threlkeld").await;
    app.researcher("Kwabena Osei").await;
    app.post(
        "/v1/researchers/kwabena-threlkeld/merge",
        json!({"into": "kwabena-osei"}),
    )
    .await
    .ok(200);
    assert_eq!(
        hits(app.get("/v1/search?q=threlkeld").await.ok(200)),
        researchers(&["kwabena-osei"])
    );
    assert_eq!(
        hits(app.get("/v1/search?q=kwabena").await.ok(200)),
        researchers(&["kwabena-osei"])
    );
}

#[tokio::test]
async fn search_finds_a_full_name_with_a_slip_in_each_word() {
    let app = TestApp::new().await;
    // "wililam" is not like "william" by itself; only the whole name is like the whole query.
    // The other Kims come first by name and are not like it at all.
    for name in [
        "Ada Kim",
        "Ben Kim",
        "Cai Kim",
        "William Kim",
        "William Moss",
    ] {
        app.researcher(name).await;
    }
    let found = hits(app.get("/v1/search?q=Wililam%20Kim&limit=3").await.ok(200));
    assert_eq!(
        found.first(),
        Some(&("researcher".to_owned(), "william-kim".to_owned()))
    );
    app.get("/v1/search?q=Wililam%20Kim&limit=0")
        .await
        .problem(400);
}
