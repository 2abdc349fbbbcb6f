//! Clients generated from the served spec work unmodified against the real binary: the binary on
//! a fresh database with the demo data serves `/openapi.json`, three validators check it, and a
//! Python client (openapi-python-client) and TypeScript types (openapi-typescript, used through
//! openapi-fetch) are generated from it and taken on a tour of the API (`tests/clients/tour.py`,
//! `tests/clients/tour.ts`). The tours use only what was generated, so a spec that says something
//! other than what the server does fails here: in a validator, in the generator, in `tsc`, or in
//! a tour's assertions. A failure is a bug in the code or in the spec: fix whichever is wrong,
//! never the check.
//!
//! Needs `python3` with `venv`, Node.js 20.19+ and npm. The pinned Python tools
//! (`tests/clients/requirements.txt`) are installed from PyPI into `target/clients-venv`, and the
//! pinned npm packages (`tests/clients/package-lock.json`) with `npm ci` into
//! `tests/clients/node_modules`, when missing or of another version. Without the tools the test
//! fails and says what is missing: a skipped test would look like a passing one. Everything it
//! writes (the spec, the generated clients, each tool's output, the server log) lands in
//! `target/clients/`.

use std::{
    fmt::Write as _,
    fs,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Instant,
};

use serde_json::Value;

use crate::demo_server::{DemoServer, npm_ci, require_node};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/clients`: the tours, the pins and the linters' configuration.
fn sources() -> PathBuf {
    root().join("tests/clients")
}

fn out() -> PathBuf {
    root().join("target/clients")
}

fn venv() -> PathBuf {
    root().join("target/clients-venv")
}

/// A requirement's name as pip compares names (`typing_extensions` is `typing-extensions`), with
/// its pinned version.
fn normalized(requirement: &str) -> Option<(String, String)> {
    let (name, version) = requirement.trim().split_once("==")?;
    let name = name.to_lowercase().replace(['_', '.'], "-");
    Some((name, version.trim().to_owned()))
}

/// Pins of the requirements file that the venv does not have at that version.
fn missing_pins(requirements: &str) -> Vec<String> {
    let python = venv().join("bin/python");
    let frozen = Command::new(&python)
        .args(["-m", "pip", "freeze", "--disable-pip-version-check"])
        .stdin(Stdio::null())
        .output();
    let installed: Vec<(String, String)> = match frozen {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(normalized)
            .collect(),
        _ => Vec::new(),
    };
    requirements
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .filter_map(|line| normalized(line).map(|pin| (line.trim().to_owned(), pin)))
        .filter(|(_, pin)| !installed.contains(pin))
        .map(|(line, _)| line)
        .collect()
}

/// The pinned Python tools in `target/clients-venv`, installed when any pin is missing or at
/// another version. The caller holds the test's lock.
fn install_python_tools() {
    let requirements_file = sources().join("requirements.txt");
    let requirements = fs::read_to_string(&requirements_file).unwrap();
    if missing_pins(&requirements).is_empty() {
        return;
    }
    let venv = venv();
    let made = Command::new("python3")
        .args(["-m", "venv", "--clear"])
        .arg(&venv)
        .stdin(Stdio::null())
        .output();
    match made {
        Err(error) => panic!(
            "this test needs `python3` on PATH ({error}) to install the tools of {} into {}",
            requirements_file.display(),
            venv.display()
        ),
        Ok(made) => assert!(
            made.status.success(),
            "this test needs `python3` with the `venv` module (Debian: apt-get install \
             python3-venv) to install the tools of {} into {}:\n{}",
            requirements_file.display(),
            venv.display(),
            String::from_utf8_lossy(&made.stderr)
        ),
    }
    let pip = Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
        .arg(&requirements_file)
        .stdin(Stdio::null())
        .output()
        .expect("the venv's pip runs");
    assert!(
        pip.status.success(),
        "pip install -r {} failed (is PyPI reachable?):\n{}{}",
        requirements_file.display(),
        String::from_utf8_lossy(&pip.stdout),
        String::from_utf8_lossy(&pip.stderr)
    );
    let missing = missing_pins(&requirements);
    assert!(
        missing.is_empty(),
        "after pip install, the venv still lacks {missing:?}"
    );
}

fn bin(tool: &str) -> PathBuf {
    sources().join("node_modules/.bin").join(tool)
}

/// The steps run so far: each tool's output is printed, saved to `target/clients/<step>.log`,
/// and a failed step is remembered; the test fails at the end with all of them.
#[derive(Default)]
struct Steps {
    summary: String,
    failures: Vec<String>,
}

impl Steps {
    /// Runs `command` as step `name`; true when it succeeded and `accept` finds nothing wrong
    /// with its output (stdout and stderr together).
    fn run(
        &mut self,
        name: &str,
        command: &mut Command,
        accept: impl FnOnce(&str) -> Result<(), String>,
    ) -> bool {
        let started = Instant::now();
        let output = command.stdin(Stdio::null()).output();
        let elapsed = started.elapsed();
        let (status, text) = match output {
            Ok(output) => (
                Some(output.status),
                format!(
                    "{}{}",
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                ),
            ),
            Err(error) => (None, format!("could not start {command:?}: {error}")),
        };
        let log = out().join(format!("{name}.log"));
        fs::write(&log, &text).unwrap();
        println!("──── {name} ({elapsed:.1?}) ────\n{}", text.trim_end());
        let verdict = match status {
            Some(status) if status.success() => accept(&text),
            Some(status) => Err(format!("exited with {status}")),
            None => Err("did not start".to_owned()),
        };
        let ok = verdict.is_ok();
        if let Err(why) = verdict {
            self.failures.push(format!(
                "{name}: {why}; see its output above or in {}",
                log.display()
            ));
        }
        let _ = writeln!(
            self.summary,
            "{:<28} {:>6.1?}  {}",
            name,
            elapsed,
            if ok { "ok" } else { "FAILED" }
        );
        ok
    }

    fn skip(&mut self, name: &str, because: &str) {
        let _ = writeln!(self.summary, "{name:<28}         skipped: {because}");
    }
}

fn everything(_: &str) -> Result<(), String> {
    Ok(())
}

/// The generator warns of what it could not generate. Only the NDJSON bodies of the bulk
/// export and import are expected: openapi-python-client has no NDJSON support. Anything else
/// is a part of the spec the generated client silently lacks.
fn only_ndjson_warnings(output: &str) -> Result<(), String> {
    const EXPECTED: [&str; 2] = [
        "WARNING parsing GET /v1/export within bulk.",
        "WARNING parsing POST /v1/import within bulk.",
    ];
    let unexpected: Vec<&str> = output
        .lines()
        .filter(|line| line.starts_with("WARNING") || line.starts_with("ERROR"))
        .filter(|line| !EXPECTED.iter().any(|expected| line.starts_with(expected)))
        .collect();
    if unexpected.is_empty() {
        Ok(())
    } else {
        Err(format!("unexpected generator warnings: {unexpected:?}"))
    }
}

#[tokio::test]
async fn generated_python_and_typescript_clients_work_unmodified_against_the_served_spec() {
    let out = out();
    fs::create_dir_all(&out).unwrap();
    // Two `cargo test` runs at once (two people in one checkout) must not install or write
    // `target/clients` together.
    let lock = fs::File::create(root().join("target/clients.lock")).unwrap();
    lock.lock().expect("the clients lock is taken");

    let installing = Instant::now();
    // @redocly/cli needs Node.js 20.19.
    require_node((20, 19), "the generated-clients test");
    npm_ci(&sources());
    install_python_tools();
    println!("the tools are installed ({:.1?})", installing.elapsed());

    let server = DemoServer::start(&out, &[]).await;
    let (base, editor) = (server.base.clone(), server.editor.clone());
    let client = reqwest::Client::new();
    let started = Instant::now();

    // 1. The spec as served, pretty-printed so the tools' line numbers point somewhere.
    let served = client
        .get(format!("{base}/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    let spec: Value = served.json().await.expect("/openapi.json is JSON");
    assert!(
        spec["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "OpenAPI 3.1: {}",
        spec["openapi"]
    );
    let spec_file = out.join("openapi.json");
    fs::write(&spec_file, serde_json::to_string_pretty(&spec).unwrap()).unwrap();

    let mut steps = Steps::default();
    let path = format!(
        "{}:{}",
        venv().join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );

    // 2. Three validators, 0 errors each; warnings are printed, not failures.
    steps.run(
        "openapi-spec-validator",
        Command::new(venv().join("bin/openapi-spec-validator")).arg(&spec_file),
        everything,
    );
    steps.run(
        "redocly-lint",
        Command::new(bin("redocly"))
            .args(["lint", "--extends=recommended", "--max-problems=1000"])
            .arg(&spec_file)
            .current_dir(&out)
            .env("REDOCLY_TELEMETRY", "off")
            .env("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true"),
        everything,
    );
    steps.run(
        "spectral-lint",
        Command::new(bin("spectral"))
            .arg("lint")
            .arg("--ruleset")
            .arg(sources().join(".spectral.yaml"))
            .args(["--fail-severity", "error"])
            .arg(&spec_file)
            .current_dir(&out),
        everything,
    );

    // 3. The Python client, and the tour through it.
    let python = out.join("python");
    let _ = fs::remove_dir_all(&python);
    let generated = steps.run(
        "openapi-python-client",
        Command::new(venv().join("bin/openapi-python-client"))
            .arg("generate")
            .arg("--path")
            .arg(&spec_file)
            .arg("--output-path")
            .arg(python.join("talentflow_client"))
            .args(["--meta", "none", "--overwrite"])
            .current_dir(&out)
            // Its post-hooks run `ruff`: the pinned one, from the venv.
            .env("PATH", &path),
        only_ndjson_warnings,
    );
    if generated {
        steps.run(
            "tour.py",
            Command::new(venv().join("bin/python"))
                .arg(sources().join("tour.py"))
                .current_dir(&out)
                .env("BASE_URL", &base)
                .env("EDITOR_KEY", &editor)
                .env("PYTHON_CLIENT_DIR", &python)
                .env("PYTHONDONTWRITEBYTECODE", "1"),
            everything,
        );
    } else {
        steps.skip("tour.py", "no client");
    }

    // 4. TypeScript: types, `tsc --strict`, and the tour compiled and run with node. The paths
    // are the ones tests/clients/tsconfig.json names.
    let ts = out.join("ts");
    let ts_out = out.join("ts-out");
    let _ = fs::remove_dir_all(&ts);
    let _ = fs::remove_dir_all(&ts_out);
    fs::create_dir_all(&ts).unwrap();
    let tsconfig = sources().join("tsconfig.json");
    let typed = steps.run(
        "openapi-typescript",
        Command::new(bin("openapi-typescript"))
            .arg(&spec_file)
            .arg("--output")
            .arg(ts.join("schema.d.ts"))
            .current_dir(&out),
        everything,
    ) && steps.run(
        "tsc-strict-noEmit",
        Command::new(bin("tsc"))
            .arg("-p")
            .arg(&tsconfig)
            .args(["--strict", "--noEmit", "--pretty", "false"]),
        everything,
    ) && steps.run(
        "tsc-emit",
        Command::new(bin("tsc"))
            .arg("-p")
            .arg(&tsconfig)
            .args(["--strict", "--pretty", "false"]),
        everything,
    );
    if typed {
        // The compiled tour is an ES module that imports openapi-fetch from tests/clients.
        fs::write(ts_out.join("package.json"), "{\"type\": \"module\"}\n").unwrap();
        std::os::unix::fs::symlink(sources().join("node_modules"), ts_out.join("node_modules"))
            .unwrap();
        steps.run(
            "tour.ts",
            Command::new("node")
                .arg(ts_out.join("tour.js"))
                .current_dir(&out)
                .env("BASE_URL", &base)
                .env("EDITOR_KEY", &editor),
            everything,
        );
    } else {
        steps.skip("tour.ts", "no types or they did not compile");
    }

    let elapsed = started.elapsed();
    let server_log = server.log.clone();
    let status = server.stop();

    fs::write(out.join("summary.txt"), &steps.summary).unwrap();
    println!(
        "──── summary ({elapsed:.1?} after the server was ready) ────\n{}\noutputs in {}, server log {}",
        steps.summary.trim_end(),
        out.display(),
        server_log.display()
    );
    assert!(
        steps.failures.is_empty(),
        "{} step(s) failed:\n{}",
        steps.failures.len(),
        steps.failures.join("\n")
    );
    assert!(status.success(), "talentflow exited with {status}");
}
