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
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use crate::embedded::{BINARY, free_port, terminate, wait_ready};

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

/// Node.js 20 or later: playwright-core requires it.
fn check_node() {
    let version = Command::new("node").arg("--version").output();
    let version = match version {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_string(),
        _ => panic!("the browser test needs Node.js 20+ and npm on PATH (`node --version` failed)"),
    };
    let major: u32 = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    assert!(
        major >= 20,
        "the browser test needs Node.js 20+ for playwright-core; found {version}"
    );
}

/// `npm ci` from the committed lock file, once: the same playwright-core everywhere.
fn install_playwright(dir: &Path) {
    if dir
        .join("node_modules/playwright-core/package.json")
        .exists()
    {
        return;
    }
    let npm = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("the browser test needs npm on PATH to install playwright-core");
    assert!(
        npm.status.success(),
        "npm ci in {} failed (is the npm registry reachable?):\n{}{}",
        dir.display(),
        String::from_utf8_lossy(&npm.stdout),
        String::from_utf8_lossy(&npm.stderr)
    );
}

/// Stops the server however the test ends; the normal path stops it first with `terminate`.
struct Server(Option<Child>);

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[tokio::test]
async fn dashboard_shows_flows_search_and_live_moves_in_headless_chromium() {
    let browser_dir = root().join("tests/browser");
    let chromium = chromium();
    check_node();
    install_playwright(&browser_dir);

    let (pool, url) = crate::helpers::fresh_database().await;
    talentflow::seed::load(&pool)
        .await
        .expect("demo data loads");
    let mut conn = pool.acquire().await.unwrap();
    let (_, editor) = talentflow::db::keys::create(
        &mut conn,
        "browser test",
        talentflow::domain::key::Role::Editor,
    )
    .await
    .unwrap();
    drop(conn);

    let out = root().join("target/browser");
    std::fs::create_dir_all(&out).unwrap();
    let server_log = out.join("server.log");
    let log = std::fs::File::create(&server_log).unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = Server(Some(
        Command::new(BINARY)
            .arg("serve")
            .env("DATABASE_URL", &url)
            .env("TALENTFLOW_BIND", format!("127.0.0.1:{port}"))
            .env("TALENTFLOW_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("talentflow starts"),
    ));
    wait_ready(&reqwest::Client::new(), &base, server.0.as_mut().unwrap()).await;

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

    let status = terminate(server.0.as_mut().unwrap());
    server.0 = None;

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
