//! Headers and limits: security headers on every kind of response, nothing about the server's
//! internals, CORS that never hands credentials to an arbitrary origin, and clients that send
//! their headers too slowly are disconnected.

use std::{
    io::{Read, Write},
    net::TcpStream,
    time::{Duration, Instant},
};

use axum::http::Method;

use crate::{embedded::terminate, helpers::TestApp};

#[tokio::test]
async fn every_kind_of_response_carries_the_security_headers_and_no_internals() {
    let app = TestApp::with_demo_data().await;
    for (uri, status) in [
        ("/v1/companies", 200),
        ("/v1/companies/meta", 200),
        ("/v1/companies/no-such-company", 404),
        ("/v1/companies?limit=0", 400),
        ("/v1/nowhere", 404),
        ("/healthz", 200),
        ("/openapi.json", 200),
    ] {
        let response = app.get(uri).await;
        assert_eq!(response.status.as_u16(), status, "{uri}");
        assert_eq!(
            response.header("x-content-type-options"),
            Some("nosniff"),
            "{uri}"
        );
        assert_eq!(response.header("x-frame-options"), Some("DENY"), "{uri}");
        assert_eq!(
            response.header("referrer-policy"),
            Some("no-referrer"),
            "{uri}"
        );
        assert_eq!(
            response.header("content-security-policy"),
            Some("default-src 'none'; frame-ancestors 'none'"),
            "{uri}"
        );
        for internal in ["server", "x-powered-by"] {
            assert_eq!(response.header(internal), None, "{uri} names the server");
        }
        for leak in ["sqlx", "postgres", "panicked", "src/", "SQLSTATE"] {
            assert!(!response.text.contains(leak), "{uri} leaks `{leak}`");
        }
    }
    // The docs page is HTML with scripts of its own: framing and sniffing still refused.
    let docs = app.get("/docs/").await;
    assert_eq!(docs.status, 200);
    assert_eq!(docs.header("x-frame-options"), Some("DENY"));
    assert_eq!(docs.header("x-content-type-options"), Some("nosniff"));
}

#[tokio::test]
async fn cors_never_gives_an_arbitrary_origin_credentials() {
    async fn preflight(app: &TestApp, origin: &'static str) -> crate::helpers::Response {
        let request = axum::http::Request::builder()
            .method(Method::OPTIONS)
            .uri("/v1/companies")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .body(axum::body::Body::empty())
            .unwrap();
        app.send(request).await
    }
    // Default: no origins allowed.
    let closed = TestApp::new().await;
    let response = preflight(&closed, "https://evil.example").await;
    assert_eq!(response.header("access-control-allow-origin"), None);
    assert_eq!(response.header("access-control-allow-credentials"), None);

    // A list: the listed origin is named back, another is not.
    let listed =
        TestApp::with_config(|c| c.cors_origins = vec!["https://dash.example".into()]).await;
    let response = preflight(&listed, "https://dash.example").await;
    assert_eq!(
        response.header("access-control-allow-origin"),
        Some("https://dash.example")
    );
    assert_eq!(response.header("access-control-allow-credentials"), None);
    let response = preflight(&listed, "https://evil.example").await;
    assert_eq!(response.header("access-control-allow-origin"), None);

    // `*`: any origin, as the literal `*` (never the caller's origin), and never credentials.
    let open = TestApp::with_config(|c| c.cors_origins = vec!["*".into()]).await;
    let response = preflight(&open, "https://evil.example").await;
    assert_eq!(response.header("access-control-allow-origin"), Some("*"));
    assert_eq!(response.header("access-control-allow-credentials"), None);
}

/// A client that starts a request and then sends its headers a byte at a time is cut off
/// after the header timeout; meanwhile normal clients are served.
#[tokio::test]
async fn clients_that_send_headers_too_slowly_are_disconnected() {
    let (pool, url) = crate::helpers::fresh_database().await;
    drop(pool);
    let (mut server, port) =
        crate::embedded::serve_on(&url, &[("TALENTFLOW_HEADER_TIMEOUT", "2")]).await;
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();

    let slow = std::thread::spawn(move || {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let started = Instant::now();
        let request = b"GET /v1/companies HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
        for byte in request {
            if stream.write_all(&[*byte]).is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
            if started.elapsed() > Duration::from_secs(15) {
                break;
            }
        }
        // The server has given up on us: the connection is closed (maybe after a 408).
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest);
        (
            started.elapsed(),
            String::from_utf8_lossy(&rest).into_owned(),
        )
    });
    // Served while the slow client dribbles.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let ok = client
        .get(format!("{base}/v1/companies"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);

    let (took, answer) = tokio::task::spawn_blocking(move || slow.join().unwrap())
        .await
        .unwrap();
    assert!(
        took < Duration::from_secs(8),
        "the slow client was cut off after {took:?} (answer {answer:?})"
    );
    assert!(
        !answer.contains("200 OK"),
        "the slow request was not served: {answer}"
    );
    assert!(terminate(&mut server).success());
}

/// The dashboard's files come from the binary: `/` leads there, each file has its type and a
/// tag to revalidate with, and nothing else can be fetched through it.
#[tokio::test]
async fn the_dashboard_is_served_from_the_binary() {
    let app = TestApp::new().await;
    let root = app.get("/").await;
    assert_eq!(root.status.as_u16(), 307);
    assert_eq!(root.header("location"), Some("/dashboard"));

    let page = app.get("/dashboard").await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let policy = page.header("content-security-policy").unwrap();
    assert!(policy.starts_with("default-src 'self'"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"));
    assert_eq!(page.header("x-frame-options"), Some("DENY"));

    for (file, content_type) in [
        ("app.js", "text/javascript; charset=utf-8"),
        ("style.css", "text/css; charset=utf-8"),
        ("vendor/echarts.min.js", "text/javascript; charset=utf-8"),
        ("vendor/LICENSE-echarts.txt", "text/plain; charset=utf-8"),
    ] {
        let response = app.get(&format!("/dashboard/{file}")).await;
        assert_eq!(response.status, 200, "{file}");
        assert_eq!(
            response.header("content-type"),
            Some(content_type),
            "{file}"
        );
        assert!(!response.text.is_empty(), "{file}");
        let tag = response.header("etag").unwrap().to_owned();
        let request = axum::http::Request::get(format!("/dashboard/{file}"))
            .header("if-none-match", &tag)
            .body(axum::body::Body::empty())
            .unwrap();
        assert_eq!(app.send(request).await.status.as_u16(), 304, "{file}");
    }
    for missing in [
        "/dashboard/nope.js",
        "/dashboard/../Cargo.toml",
        "/dashboard/vendor/",
    ] {
        app.get(missing).await.problem(404);
    }
}

#[tokio::test]
async fn large_answers_are_gzipped_for_clients_that_ask_and_small_ones_never() {
    use axum::{body::Body, http::Request};
    use tower::ServiceExt;

    let app = TestApp::with_demo_data().await;
    let get = |uri: &str, gzip: bool| {
        let mut request = Request::builder().uri(uri);
        if gzip {
            request = request.header("accept-encoding", "gzip");
        }
        request.body(Body::empty()).unwrap()
    };

    let plain = app.send(get("/v1/moves?limit=200", false)).await;
    assert_eq!(plain.status, 200);
    assert!(
        plain.text.len() > 1024,
        "the demo's moves make a large page"
    );
    assert_eq!(plain.header("content-encoding"), None, "not asked for");

    let response = app
        .router
        .clone()
        .oneshot(get("/v1/moves?limit=200", true))
        .await
        .unwrap();
    assert_eq!(
        response
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap()),
        Some("gzip")
    );
    let compressed = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    assert!(compressed.len() < plain.text.len() / 2, "it is compressed");
    let mut unzipped = String::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_string(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, plain.text, "the same answer");

    // A body under 1 KiB (one company) is sent as it is, even to a client that accepts gzip.
    let small = app.send(get("/v1/companies/meta", true)).await;
    assert_eq!(small.status, 200);
    assert!(
        (100..1024).contains(&small.text.len()),
        "{}",
        small.text.len()
    );
    assert_eq!(small.header("content-encoding"), None);
}
