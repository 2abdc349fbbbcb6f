//! The real binary serving a fresh database with the demo data, for the tests that drive it with
//! outside tools (Schemathesis, generated clients, a browser): one way to start it, give the
//! tools an editor key, keep its log, and stop it however the test ends.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    time::{Duration, Instant},
};

use crate::embedded::{BINARY, free_port, terminate, wait_ready};

pub struct DemoServer {
    /// `http://127.0.0.1:<port>`
    pub base: String,
    /// The secret of an editor key.
    pub editor: String,
    /// Where the server's output goes.
    pub log: PathBuf,
    child: Option<Child>,
}

impl DemoServer {
    /// Ready when this returns. `settings` are environment variables on top of the defaults
    /// (no rate limit: these tools send thousands of requests from one address; warnings only
    /// in the log). The log is `out/server.log`.
    pub async fn start(out: &Path, settings: &[(&str, &str)]) -> Self {
        let (pool, url) = crate::helpers::fresh_database().await;
        talentflow::seed::load(&pool)
            .await
            .expect("demo data loads");
        let mut conn = pool.acquire().await.unwrap();
        let (_, editor) = talentflow::db::keys::create(
            &mut conn,
            "outside tools",
            talentflow::domain::key::Role::Editor,
        )
        .await
        .unwrap();
        drop(conn);
        pool.close().await;

        std::fs::create_dir_all(out).unwrap();
        let log = out.join("server.log");
        let file = std::fs::File::create(&log).unwrap();
        let port = free_port();
        let mut command = Command::new(BINARY);
        command
            .arg("serve")
            .env("DATABASE_URL", &url)
            .env("TALENTFLOW_BIND", format!("127.0.0.1:{port}"))
            .env("TALENTFLOW_RATE_LIMIT", "0")
            .env("TALENTFLOW_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file);
        for (name, value) in settings {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("talentflow starts");
        let base = format!("http://127.0.0.1:{port}");
        wait_ready(&reqwest::Client::new(), &base, &mut child).await;
        Self {
            base,
            editor,
            log,
            child: Some(child),
        }
    }

    /// SIGTERM, and how the process exited.
    pub fn stop(mut self) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        terminate(&mut child)
    }
}

impl Drop for DemoServer {
    /// A test that failed half-way: stop the server anyway, forcibly if it will not go.
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
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

/// Node.js of at least `minimum` (major, minor) and npm on PATH, or a failure that says so: a
/// skipped test would look like a passing one.
pub fn require_node(minimum: (u32, u32), needed_by: &str) {
    let version = match Command::new("node").arg("--version").output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        _ => panic!(
            "{needed_by} needs Node.js {}.{}+ and npm on PATH (`node --version` failed)",
            minimum.0, minimum.1
        ),
    };
    let numbers: Vec<u32> = version
        .trim_start_matches('v')
        .split('.')
        .map(|n| n.parse().unwrap_or(0))
        .collect();
    assert!(
        numbers.as_slice() >= [minimum.0, minimum.1].as_slice(),
        "{needed_by} needs Node.js {}.{}+; found {version}",
        minimum.0,
        minimum.1
    );
    let npm = Command::new("npm").arg("--version").output();
    assert!(
        npm.is_ok_and(|out| out.status.success()),
        "{needed_by} needs npm on PATH (`npm --version` failed)"
    );
}

/// `npm ci` from the committed lock file in `dir`, when a package of its `package.json` is
/// missing from `node_modules` or at another version than pinned.
pub fn npm_ci(dir: &Path) {
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("package.json")).unwrap()).unwrap();
    let installed = manifest["devDependencies"]
        .as_object()
        .unwrap()
        .iter()
        .all(|(name, pin)| {
            std::fs::read_to_string(dir.join("node_modules").join(name).join("package.json"))
                .ok()
                .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
                .is_some_and(|package| package["version"] == *pin)
        });
    if installed {
        return;
    }
    let npm = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("npm runs");
    assert!(
        npm.status.success(),
        "npm ci in {} failed (is the npm registry reachable?):\n{}{}",
        dir.display(),
        String::from_utf8_lossy(&npm.stdout),
        String::from_utf8_lossy(&npm.stderr)
    );
}
