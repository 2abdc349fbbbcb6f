//! `docker compose up` without a Docker engine (none runs on the machines this is built on):
//! what the image build needs is checked against the sources, and what the compose file runs is
//! run, twice on one database, with the real binary standing in for the image's.

use std::{
    collections::BTreeSet,
    path::{Component, Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use crate::embedded::{BINARY, free_port, temp_dir, terminate};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(root().join(relative))
        .unwrap_or_else(|err| panic!("cannot read {relative}: {err}"))
}

/// The sources of the build stage's `COPY` instructions (the stage that runs `cargo build`),
/// as paths relative to the build context.
fn build_stage_copies(dockerfile: &str) -> Vec<String> {
    let mut stages: Vec<Vec<String>> = Vec::new();
    for line in dockerfile.lines().map(str::trim) {
        let mut words = line.split_whitespace();
        match words.next().map(str::to_ascii_uppercase).as_deref() {
            Some("FROM") => stages.push(vec![line.to_owned()]),
            Some(_) if !line.starts_with('#') => {
                if let Some(stage) = stages.last_mut() {
                    stage.push(line.to_owned());
                }
            }
            _ => {}
        }
    }
    let build = stages
        .iter()
        .find(|stage| stage.iter().any(|l| l.contains("cargo build")))
        .expect("the Dockerfile has a stage that runs `cargo build`");
    let mut sources = Vec::new();
    for line in build {
        let words: Vec<&str> = line.split_whitespace().collect();
        if !words[0].eq_ignore_ascii_case("COPY") {
            continue;
        }
        // `COPY --from=…` copies from another stage or image, not from the context.
        if words.iter().any(|w| w.starts_with("--from")) {
            continue;
        }
        let arguments: Vec<&str> = words[1..]
            .iter()
            .copied()
            .filter(|w| !w.starts_with("--"))
            .collect();
        let (_, copied) = arguments.split_last().expect("COPY has a destination");
        sources.extend(copied.iter().map(|s| normalize(Path::new(s))));
    }
    sources
}

/// `a/./b/../c` → `a/c`, relative to the crate root, `/`-separated.
fn normalize(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            Component::ParentDir => {
                parts.pop();
            }
            _ => {}
        }
    }
    parts.join("/")
}

/// Every path the crate reads at compile time: `include_str!`, `include_bytes!` and `include!`
/// (relative to the file that has them; through `concat!`, the literal prefix, a folder) and
/// `sqlx::migrate!` (relative to the crate root). Also the manifest, lock file and sources.
fn compile_time_inputs() -> BTreeSet<String> {
    let mut inputs: BTreeSet<String> = ["Cargo.toml", "Cargo.lock", "src"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    if root().join("build.rs").exists() {
        inputs.insert("build.rs".to_owned());
    }
    let mut files = vec![root().join("src")];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let folder = path.parent().unwrap().strip_prefix(root()).unwrap();
        for (macro_name, relative_to_file) in [
            ("include_str!(", true),
            ("include_bytes!(", true),
            ("include!(", true),
            ("migrate!(", false),
        ] {
            for (at, _) in text.match_indices(macro_name) {
                let after = text[at + macro_name.len()..].trim_start();
                let after = after.strip_prefix("concat!(").unwrap_or(after).trim_start();
                let literal = after
                    .strip_prefix('"')
                    .and_then(|rest| rest.split_once('"'))
                    .map(|(literal, _)| literal);
                let Some(literal) = literal else {
                    // The macro's own definition or a path built from a variable: nothing to check.
                    assert!(
                        !after.starts_with('"'),
                        "{}: cannot read the path of {macro_name}",
                        path.display()
                    );
                    continue;
                };
                // `migrate!()` with no path reads `migrations/`.
                let literal = if literal.is_empty() {
                    "migrations"
                } else {
                    literal
                };
                let full = if relative_to_file {
                    folder.join(literal)
                } else {
                    PathBuf::from(literal)
                };
                inputs.insert(normalize(&full));
            }
        }
    }
    inputs
}

/// `folder` is normalized: the context's root (`COPY . .`) is the empty path.
fn lies_under(path: &str, folder: &str) -> bool {
    folder.is_empty() || path == folder || path.starts_with(&format!("{folder}/"))
}

/// `.dockerignore` patterns (Go's `filepath.Match` plus `**`, with `!` exceptions, the last
/// matching line deciding); a pattern that matches a folder excludes what is in it.
fn docker_ignores(patterns: &str, path: &str) -> bool {
    let mut ignored = false;
    for line in patterns.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (exception, pattern) = match line.strip_prefix('!') {
            Some(pattern) => (true, pattern),
            None => (false, line),
        };
        let pattern = normalize(Path::new(pattern.trim_start_matches('/')));
        let parts: Vec<&str> = path.split('/').collect();
        // The path itself, or any folder above it.
        let matched = (1..=parts.len()).any(|n| glob(&pattern, &parts[..n].join("/")));
        if matched {
            ignored = !exception;
        }
    }
    ignored
}

fn glob(pattern: &str, path: &str) -> bool {
    fn segments(pattern: &[&str], path: &[&str]) -> bool {
        match (pattern.first(), path.first()) {
            (None, None) => true,
            (Some(&"**"), _) => {
                segments(&pattern[1..], path) || (!path.is_empty() && segments(pattern, &path[1..]))
            }
            (Some(p), Some(s)) => {
                word(p.as_bytes(), s.as_bytes()) && segments(&pattern[1..], &path[1..])
            }
            _ => false,
        }
    }
    fn word(pattern: &[u8], text: &[u8]) -> bool {
        match (pattern.first(), text.first()) {
            (None, None) => true,
            (Some(b'*'), _) => {
                word(&pattern[1..], text) || (!text.is_empty() && word(pattern, &text[1..]))
            }
            (Some(b'?'), Some(_)) => word(&pattern[1..], &text[1..]),
            (Some(p), Some(t)) if p == t => word(&pattern[1..], &text[1..]),
            _ => false,
        }
    }
    let pattern: Vec<&str> = pattern.split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    segments(&pattern, &path)
}

/// What the build needs but the Dockerfile does not copy, or `.dockerignore` leaves out.
fn missing_build_inputs(dockerfile: &str, dockerignore: &str) -> Vec<String> {
    let copied = build_stage_copies(dockerfile);
    compile_time_inputs()
        .into_iter()
        .filter_map(|input| {
            if !copied.iter().any(|folder| lies_under(&input, folder)) {
                Some(format!("{input}: not copied by the build stage"))
            } else if docker_ignores(dockerignore, &input) {
                Some(format!("{input}: excluded by .dockerignore"))
            } else {
                None
            }
        })
        .collect()
}

#[test]
fn the_image_build_copies_every_file_the_binary_embeds() {
    let inputs = compile_time_inputs();
    for known in ["migrations", "seed/demo.ndjson", "assets/dashboard"] {
        assert!(
            inputs.contains(known),
            "the scan missed {known}: {inputs:?}"
        );
    }
    let missing = missing_build_inputs(&read("Dockerfile"), &read(".dockerignore"));
    assert!(
        missing.is_empty(),
        "the Docker build would fail; copy these in the Dockerfile's build stage:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_build_input_check_catches_a_forgotten_folder_and_an_ignored_one() {
    // The Dockerfile before `COPY assets` was added: the dashboard is missing.
    let without_assets = "FROM rust AS build\nCOPY Cargo.toml Cargo.lock build.rs ./\nCOPY src src\n\
        COPY migrations migrations\nCOPY seed seed\nRUN cargo build --release --locked\n\
        FROM debian\nCOPY --from=build /src/target/release/talentflow /usr/local/bin/\n";
    let missing = missing_build_inputs(without_assets, "target\n");
    assert_eq!(missing, ["assets/dashboard: not copied by the build stage"]);
    let everything = "FROM rust AS build\nCOPY . .\nRUN cargo build --release\n";
    assert!(missing_build_inputs(everything, "target\n.git\n").is_empty());
    assert_eq!(
        missing_build_inputs(everything, "**/*.ndjson\n"),
        ["seed/demo.ndjson: excluded by .dockerignore"]
    );
    assert_eq!(
        missing_build_inputs(everything, "assets\n!assets/dashboard\nseed/\n"),
        ["seed/demo.ndjson: excluded by .dockerignore"]
    );
}

/// The parts of docker-compose.yml this test runs.
struct Compose {
    entrypoint: Vec<String>,
    healthcheck: Vec<String>,
}

fn compose() -> Compose {
    let service = &compose_service("talentflow");
    let healthcheck = yaml_strings(&service["healthcheck"]["test"]);
    let (form, command) = healthcheck.split_first().unwrap();
    assert_eq!(form, "CMD", "the healthcheck runs a command of the image");
    assert!(
        service["depends_on"]["db"]["condition"] == "service_healthy",
        "talentflow waits for Postgres"
    );
    Compose {
        entrypoint: yaml_strings(&service["entrypoint"]),
        healthcheck: command.to_vec(),
    }
}

/// A folder whose `talentflow` is the binary under test, to put first on PATH, as the image's
/// `/usr/local/bin/talentflow` is.
fn image_path() -> String {
    let bin = temp_dir("image-bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(BINARY, bin.join("talentflow")).unwrap();
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

fn healthy(compose: &Compose, path: &str, bind: &str) -> bool {
    let (program, args) = compose.healthcheck.split_first().unwrap();
    Command::new(program)
        .args(args)
        .env("PATH", path)
        .env("TALENTFLOW_BIND", bind)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

fn start_service(compose: &Compose, path: &str, database_url: &str, bind: &str) -> Child {
    let (program, args) = compose.entrypoint.split_first().unwrap();
    Command::new(program)
        .args(args)
        .env("PATH", path)
        .env("DATABASE_URL", database_url)
        // The image's environment (Dockerfile `ENV`) on a port of this test's.
        .env("TALENTFLOW_BIND", bind)
        .env("TALENTFLOW_LOG", "warn")
        .stdin(Stdio::null())
        .spawn()
        .expect("the compose entrypoint starts")
}

fn wait_healthy(compose: &Compose, path: &str, bind: &str, service: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while !healthy(compose, path, bind) {
        if let Some(status) = service.try_wait().unwrap() {
            panic!("the compose entrypoint exited with {status}");
        }
        assert!(Instant::now() < deadline, "never healthy");
        std::thread::sleep(Duration::from_millis(200));
    }
}

async fn researchers(base: &str) -> serde_json::Value {
    reqwest::get(format!("{base}/v1/researchers?include_total=true&q=valko"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn compose_starts_the_service_healthy_on_a_fresh_volume_and_again_on_a_used_one() {
    let compose = compose();
    let path = image_path();
    let (pool, url) = crate::helpers::fresh_database().await;
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let base = format!("http://{bind}");
    assert!(!healthy(&compose, &path, &bind), "healthy with no server");

    // First `docker compose up`: an empty database is migrated and seeded.
    let mut service = start_service(&compose, &path, &url, &bind);
    wait_healthy(&compose, &path, &bind, &mut service);
    let first = researchers(&base).await;
    assert_eq!(first["data"][0]["name"], "Michal Valko");
    let count = |pool| async move {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM researchers")
            .fetch_one(pool)
            .await
            .unwrap()
    };
    let seeded = count(&pool).await;
    assert!(terminate(&mut service).success());
    assert!(
        !healthy(&compose, &path, &bind),
        "healthy after the server stopped"
    );

    // Second `docker compose up` on the same volume: migrations and demo data already there.
    let mut service = start_service(&compose, &path, &url, &bind);
    wait_healthy(&compose, &path, &bind, &mut service);
    assert_eq!(researchers(&base).await, first);
    assert_eq!(count(&pool).await, seeded, "the second start added nothing");
    assert!(terminate(&mut service).success());
}

fn compose_file() -> serde_yaml_ng::Value {
    serde_yaml_ng::from_str(&read("docker-compose.yml")).expect("docker-compose.yml is YAML")
}

/// A service of docker-compose.yml, as YAML.
fn compose_service(name: &str) -> serde_yaml_ng::Value {
    let service = compose_file()["services"][name].clone();
    assert!(
        !service.is_null(),
        "docker-compose.yml has no service {name}"
    );
    service
}

fn yaml_strings(value: &serde_yaml_ng::Value) -> Vec<String> {
    value
        .as_sequence()
        .unwrap_or_else(|| panic!("expected a list, found {value:?}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

fn environment(service: &serde_yaml_ng::Value) -> Vec<(String, String)> {
    service["environment"]
        .as_mapping()
        .expect("an environment mapping")
        .iter()
        .map(|(k, v)| {
            let value = match v {
                serde_yaml_ng::Value::String(s) => s.clone(),
                other => serde_yaml_ng::to_string(other).unwrap().trim().to_owned(),
            };
            (k.as_str().unwrap().to_owned(), value)
        })
        .collect()
}

/// Every file a service mounts from the repository exists, and what it is mounted as.
fn mounted_files() -> Vec<(String, String)> {
    let file = compose_file();
    let mut mounts = Vec::new();
    for (_, service) in file["services"].as_mapping().unwrap() {
        for volume in service["volumes"].as_sequence().into_iter().flatten() {
            let volume = volume.as_str().unwrap();
            if let Some(local) = volume.strip_prefix("./") {
                let (source, target) = local.split_once(':').unwrap();
                mounts.push((
                    source.to_owned(),
                    target.split(':').next().unwrap().to_owned(),
                ));
            }
        }
    }
    mounts
}

#[test]
fn the_replicas_profile_wires_a_replica_two_processes_and_a_load_balancer() {
    for (source, _) in mounted_files() {
        assert!(
            root().join(&source).is_file(),
            "{source} is mounted but missing"
        );
    }
    let profile = |name: &str| yaml_strings(&compose_service(name)["profiles"]);
    for name in ["replica", "api-1", "api-2", "lb"] {
        assert_eq!(profile(name), ["replicas"], "{name}");
    }
    for name in ["api-1", "api-2"] {
        let env: std::collections::HashMap<String, String> =
            environment(&compose_service(name)).into_iter().collect();
        assert!(
            env["DATABASE_URL"].contains("@db:5432/"),
            "{name} writes to db"
        );
        assert!(
            env["DATABASE_READ_URL"].contains("@replica:5432/"),
            "{name} reads from the replica"
        );
    }
    // The load balancer sends to both processes, on the port they listen on (the image's
    // TALENTFLOW_BIND), and listens where compose publishes it.
    let nginx = read("deploy/nginx.conf");
    let dockerfile = read("Dockerfile");
    let image_port = dockerfile
        .lines()
        .find_map(|l| l.trim().strip_prefix("ENV TALENTFLOW_BIND=0.0.0.0:"))
        .expect("the image binds a port");
    for name in ["api-1", "api-2"] {
        assert!(
            nginx.contains(&format!("server {name}:{image_port};")),
            "nginx sends to {name}:{image_port}"
        );
    }
    let published = yaml_strings(&compose_service("lb")["ports"]);
    let (_, inside) = published[0].split_once(':').unwrap();
    assert!(
        nginx.contains(&format!("listen {inside};")),
        "nginx listens on {inside}"
    );
}

/// The compose replica's own script, run against a local primary the way the container runs
/// it (its environment, with the host names made local): it copies the primary and runs as a
/// hot standby, and the API processes' command with their environment reads from it. Started
/// again on its data, it skips the copy.
#[tokio::test]
async fn the_replicas_profile_replica_script_makes_a_hot_standby_the_api_processes_read_from() {
    use talentflow::db::{
        self,
        embedded::{DataDir, EmbeddedPostgres, find_bin_dir, running_as_root},
    };
    let primary = EmbeddedPostgres::start(&temp_dir("compose-primary"), DataDir::RemovedWhenGone)
        .expect("a primary");
    let primary_url = primary.url(db::embedded::DATABASE);
    db::create_database_if_missing(&primary.url("postgres"), db::embedded::DATABASE)
        .await
        .unwrap();
    let pool = db::connect(&primary_url, 2).await.unwrap();
    db::migrate(&pool).await.unwrap();
    talentflow::seed::load(&pool).await.unwrap();
    let password = url::Url::parse(&primary_url)
        .unwrap()
        .password()
        .unwrap()
        .to_owned();

    let parent = temp_dir("compose-replica");
    std::fs::create_dir_all(&parent).unwrap();
    if running_as_root() {
        Command::new("chown")
            .args(["postgres:postgres", parent.to_str().unwrap()])
            .status()
            .unwrap();
    }
    let replica_port = free_port();
    let service = compose_service("replica");
    // A copy beside the data, as the container has it mounted: the checkout may be closed to
    // the `postgres` account (a clone in a private temporary folder is).
    let script = parent.join("replica-entrypoint.sh");
    std::fs::copy(root().join("deploy/replica-entrypoint.sh"), &script).unwrap();
    assert_eq!(
        yaml_strings(&service["entrypoint"]),
        ["sh", "/etc/talentflow/replica-entrypoint.sh"]
    );
    assert!(mounted_files().contains(&(
        "deploy/replica-entrypoint.sh".to_owned(),
        "/etc/talentflow/replica-entrypoint.sh".to_owned()
    )));
    let start_replica = || {
        let bin = find_bin_dir().unwrap();
        let mut env: Vec<(String, String)> = environment(&service)
            .into_iter()
            .map(|(name, value)| match name.as_str() {
                "PGHOST" => (name, "127.0.0.1".to_owned()),
                "PGPASSWORD" => (name, password.clone()),
                "PGDATA" => (name, parent.join("pgdata").display().to_string()),
                _ => (name, value),
            })
            .collect();
        env.push(("PGPORT".to_owned(), primary.port().to_string()));
        env.push((
            "PATH".to_owned(),
            format!("{}:/usr/bin:/bin", bin.display()),
        ));
        let mut command = if running_as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--", "env"]);
            command
        } else {
            Command::new("env")
        };
        command
            .args(env.iter().map(|(k, v)| format!("{k}={v}")))
            .arg("sh")
            .arg(&script)
            .args(["-p", &replica_port.to_string()])
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "unix_socket_directories=",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            // Postgres logs to stderr: kept beside the data for a failure's reader.
            .stderr(std::fs::File::create(parent.join("replica.log")).unwrap())
            .spawn()
            .expect("the replica script runs")
    };
    /// The replica, stopped (fast) when dropped. Stopped through `pg_ctl`: as root the child
    /// is `runuser`, which does not pass a signal on to the server.
    struct Stopped(Child, std::path::PathBuf);
    impl Drop for Stopped {
        fn drop(&mut self) {
            let pg_ctl = find_bin_dir().unwrap().join("pg_ctl");
            let mut command = if running_as_root() {
                let mut command = Command::new("runuser");
                command.args(["-u", "postgres", "--"]).arg(pg_ctl);
                command
            } else {
                Command::new(pg_ctl)
            };
            let _ = command
                .arg("stop")
                .arg("-D")
                .arg(&self.1)
                .args(["-m", "fast", "-w", "-s"])
                .stdin(Stdio::null())
                .status();
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let replica_url = format!(
        "postgres://talentflow:{password}@127.0.0.1:{replica_port}/{}",
        db::embedded::DATABASE
    );
    let standby = |url: String| async move {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(pool) = db::connect(&url, 1).await
                && let Ok(true) = sqlx::query_scalar::<_, bool>("SELECT pg_is_in_recovery()")
                    .fetch_one(&pool)
                    .await
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the replica never became a standby"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let replica = Stopped(start_replica(), parent.join("pgdata"));
    standby(replica_url.clone()).await;

    // api-1's command with its environment, hosts made local.
    let api = compose_service("api-1");
    let local = |url: &str| {
        url.replace(
            "talentflow:talentflow@db:5432",
            &format!("talentflow:{password}@127.0.0.1:{}", primary.port()),
        )
        .replace(
            "talentflow:talentflow@replica:5432",
            &format!("talentflow:{password}@127.0.0.1:{replica_port}"),
        )
    };
    let bind = format!("127.0.0.1:{}", free_port());
    let path = image_path();
    let (program, args) = {
        let entrypoint = yaml_strings(&api["entrypoint"]);
        let (program, args) = entrypoint.split_first().unwrap();
        (program.clone(), args.to_vec())
    };
    let mut command = Command::new(program);
    command
        .args(args)
        .env("PATH", &path)
        .env("TALENTFLOW_BIND", &bind);
    for (name, value) in environment(&api) {
        command.env(&name, local(&value));
    }
    command.env("TALENTFLOW_LOG", "warn").stdin(Stdio::null());
    let mut server = command.spawn().unwrap();
    let compose_main = compose();
    wait_healthy(&compose_main, &path, &bind, &mut server);
    let base = format!("http://{bind}");
    let in_rotation = || async {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready: serde_json::Value = reqwest::get(format!("{base}/readyz"))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if ready["databases"][1]["state"] == "in_rotation" {
                return;
            }
            assert!(Instant::now() < deadline, "{ready}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    in_rotation().await;
    let read = reqwest::get(format!("{base}/v1/researchers?q=valko"))
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    assert!(
        read.headers().contains_key("talentflow-replica-lag"),
        "the replica answered"
    );

    // Stopped and started again on its data: no second copy, replication resumes.
    drop(replica);
    let copied_at = std::fs::metadata(parent.join("pgdata/PG_VERSION"))
        .unwrap()
        .modified()
        .unwrap();
    let replica = Stopped(start_replica(), parent.join("pgdata"));
    standby(replica_url).await;
    assert_eq!(
        std::fs::metadata(parent.join("pgdata/PG_VERSION"))
            .unwrap()
            .modified()
            .unwrap(),
        copied_at,
        "the data was not copied again"
    );
    in_rotation().await;
    assert!(terminate(&mut server).success());
    drop(replica);
    let _ = std::fs::remove_dir_all(&parent);
}
