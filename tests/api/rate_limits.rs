use axum::http::Method;

use crate::helpers::TestApp;

#[tokio::test]
async fn over_the_limit_is_429_with_retry_after_and_ratelimit_headers() {
    let app = TestApp::with_config(|config| {
        config.rate_limit = 1;
        config.rate_burst = 3;
    })
    .await;
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let response = app.get("/v1/companies").await;
        response.ok(200);
        assert_eq!(response.header("ratelimit-limit"), Some("3"));
        remaining.push(
            response
                .header("ratelimit-remaining")
                .unwrap()
                .parse::<u32>()
                .unwrap(),
        );
        assert!(response.header("ratelimit-reset").is_some());
    }
    assert_eq!(remaining, [2, 1, 0]);

    let limited = app.get("/v1/companies").await;
    limited.problem(429);
    let retry_after: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry_after), "Retry-After {retry_after}");
    assert_eq!(limited.header("ratelimit-remaining"), Some("0"));
    // Probes are never limited.
    app.get("/healthz").await.ok(200);
}

#[tokio::test]
async fn a_key_has_its_own_budget_apart_from_anonymous_clients() {
    let app = TestApp::with_config(|config| {
        config.rate_limit = 1;
        config.rate_burst = 2;
    })
    .await;
    let editor = app.editor.clone();
    // The first request with the key counts against the address; from then on, against the key.
    app.call(Method::GET, "/v1/companies", Some(&editor), None)
        .await
        .ok(200);
    app.get("/v1/companies").await.ok(200);
    app.get("/v1/companies").await.problem(429);
    let with_key = app
        .call(Method::GET, "/v1/companies", Some(&editor), None)
        .await;
    with_key.ok(200);
    assert_eq!(with_key.header("ratelimit-remaining"), Some("1"));
    // Made-up keys do not get fresh budgets.
    app.call(Method::GET, "/v1/companies", Some("tf_made_up"), None)
        .await
        .problem(429);
}

#[tokio::test]
async fn zero_turns_rate_limits_off() {
    let app = TestApp::new().await;
    for _ in 0..50 {
        let response = app.get("/v1/companies").await;
        response.ok(200);
        assert!(response.header("ratelimit-limit").is_none());
    }
}
