//! The dashboard in a real browser: the real binary on a fresh database with the demo data, and
//! `tests/browser/dashboard.mjs` driving Debian's headless Chromium through playwright-core. It
//! checks the Sankey, the company view, the typo-forgiving search, the project view and the live
//! feed, then saves `docs/dashboard.png` (the README shows it).
//!
//! Needs Node.js 20+ and Chromium (`/usr/bin/chromium`, or `CHROMIUM`); `.ci/run` installs
//! Chromium. The pinned playwright-core is installed with `npm ci` into
//! `tests/browser/node_modules` on the first run; it downloads no browser. Without either tool
//! the test fails and says what is missing: a skipped browser test would look like a passing one.

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Instant,
};

use crate::demo_server::{DemoServer, npm_ci, require_node};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn chromium() -> PathBuf {
    let path =
        PathBuf::from(std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()));
    assert!(
        path.exists(),
        "the browser test needs Chromium at {} (Debian: apt-get install -y chromium; or set CHROMIUM)",
        path.display()
    );
    path
}

#[tokio::test]
async fn dashboard_shows_flows_search_and_live_moves_in_headless_chromium() {
    let browser_dir = root().join("tests/browser");
    let chromium = chromium();
    // playwright-core requires Node.js 20.
    require_node((20, 0), "the browser test");
    npm_ci(&browser_dir);

    let server = DemoServer::start(&root().join("target/browser"), &[]).await;
    let (base, editor) = (server.base.clone(), server.editor.clone());

    let screenshot = root().join("docs/dashboard.png");
    std::fs::create_dir_all(screenshot.parent().unwrap()).unwrap();
    let started = Instant::now();
    let run = Command::new("node")
        .arg("dashboard.mjs")
        .current_dir(&browser_dir)
        .env("BASE_URL", &base)
        .env("EDITOR_KEY", &editor)
        .env("SCREENSHOT", &screenshot)
        .env("CHROMIUM", &chromium)
        .stdin(Stdio::null())
        .output()
        .expect("node runs");
    let elapsed = started.elapsed();

    let server_log = server.log.clone();
    let status = server.stop();

    println!(
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    println!(
        "the browser run took {elapsed:.1?}; screenshot {}, server log {}",
        screenshot.display(),
        server_log.display()
    );
    assert!(
        run.status.success(),
        "the dashboard failed in the browser (exit {}); see the output above and {}",
        run.status,
        server_log.display()
    );
    assert!(status.success(), "talentflow exited with {status}");
}
