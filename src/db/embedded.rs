//! A private PostgreSQL server for `talentflow serve` without `DATABASE_URL`, and for the tests.
//!
//! Postgres refuses to run as root, so when we are root every Postgres program runs as the
//! unprivileged `postgres` account (via `runuser`), in a data directory that account owns.
//! The server listens on 127.0.0.1 only, on a free port, with a generated password.

use std::{
    fs,
    io::Write,
    os::unix::fs::{MetadataExt, PermissionsExt},
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use anyhow::{Context, Result, anyhow, bail};

const SUPERUSER: &str = "talentflow";
pub const DATABASE: &str = "talentflow";

/// What becomes of the data directory once the process that started the server is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataDir {
    /// Kept: the demo's and a user's data survive restarts.
    Kept,
    /// Deleted (throw-away test clusters).
    RemovedWhenGone,
}

#[derive(Debug)]
pub struct EmbeddedPostgres {
    data_dir: PathBuf,
    keep: DataDir,
    cluster_dir: PathBuf,
    bin_dir: PathBuf,
    port: u16,
    password: String,
    /// Whether this process started the server (and so stops it), or found it running.
    started_here: bool,
}

/// `/proc/self` belongs to the process's effective user, which tells root apart without libc.
pub fn running_as_root() -> bool {
    fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

/// What [`EmbeddedPostgres::stop`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shutdown {
    Stopped,
    /// Another process started the server and keeps it running.
    Detached,
}

impl EmbeddedPostgres {
    /// Starts (initialising on first use) the server kept in `data_dir`, or attaches to the one
    /// already running there; `keep` says whether the data directory outlives this process.
    pub fn start(data_dir: &Path, keep: DataDir) -> Result<Self> {
        let bin_dir = find_bin_dir()?;
        let as_root = running_as_root();
        fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
        let data_dir = data_dir.canonicalize()?;
        let cluster_dir = data_dir.join("postgres");
        let password_file = data_dir.join("password");

        if as_root {
            let (uid, gid) = postgres_account()?;
            std::os::unix::fs::chown(&data_dir, Some(uid), Some(gid))?;
            check_reachable_by_postgres(&data_dir)?;
        }

        if !cluster_dir.join("PG_VERSION").exists() {
            init_cluster(&bin_dir, &data_dir, &cluster_dir, &password_file, as_root)?;
        }
        let password = fs::read_to_string(&password_file)
            .with_context(|| format!("cannot read {}", password_file.display()))?
            .trim()
            .to_owned();

        if let Some(port) = running_server_port(&cluster_dir) {
            tracing::info!(port, dir = %cluster_dir.display(), "attaching to the embedded Postgres already running");
            return Ok(Self {
                data_dir,
                keep,
                cluster_dir,
                bin_dir,
                port,
                password,
                started_here: false,
            });
        }

        let server = Self {
            data_dir,
            keep,
            cluster_dir,
            bin_dir,
            port: free_port()?,
            password,
            started_here: true,
        };
        server.launch()?;
        Ok(server)
    }

    /// Starts the server on its port and sets a watchdog on it.
    fn launch(&self) -> Result<()> {
        let log_file = self.data_dir.join("postgres.log");
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''",
            self.port
        );
        let output = postgres_command(&self.bin_dir.join("pg_ctl"), running_as_root())
            .arg("start")
            .arg("-D")
            .arg(&self.cluster_dir)
            .args(["-w", "-t", "60", "-s", "-o", &options, "-l"])
            .arg(&log_file)
            .stdin(Stdio::null())
            .output()
            .context("cannot run pg_ctl")?;
        if !output.status.success() {
            let log_tail = fs::read_to_string(&log_file).unwrap_or_default();
            let log_tail: Vec<&str> = log_tail.lines().rev().take(10).collect();
            bail!(
                "the embedded Postgres did not start: {}{}\n{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr),
                log_tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        self.watch_owner(&self.data_dir, self.keep)
    }

    /// Starts the server again on the same port after it stopped or crashed (the outage test
    /// kills it with -9). Retries while the old server's processes are still going away.
    pub fn start_again(&self) -> Result<()> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            match self.launch() {
                Ok(()) => return Ok(()),
                Err(err) if std::time::Instant::now() < deadline => {
                    tracing::debug!(error = %err, "Postgres not startable yet; retrying");
                    std::thread::sleep(std::time::Duration::from_millis(300));
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// The running server's process id (its postmaster), from `postmaster.pid`.
    pub fn postmaster_pid(&self) -> Option<u32> {
        fs::read_to_string(self.cluster_dir.join("postmaster.pid"))
            .ok()?
            .lines()
            .next()?
            .trim()
            .parse()
            .ok()
    }

    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{SUPERUSER}:{}@127.0.0.1:{}/{database}",
            self.password, self.port
        )
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Fast shutdown of a server this process started: open sessions are ended, the data is
    /// consistent on disk. A server this process only attached to belongs to the process that
    /// started it (a running `serve`), so it is left running.
    pub fn stop(&self) -> Result<Shutdown> {
        if !self.started_here {
            return Ok(Shutdown::Detached);
        }
        let status = postgres_command(&self.bin_dir.join("pg_ctl"), running_as_root())
            .arg("stop")
            .arg("-D")
            .arg(&self.cluster_dir)
            .args(["-m", "fast", "-w", "-s"])
            .stdin(Stdio::null())
            .status()?;
        if !status.success() {
            bail!("pg_ctl stop failed with {status}");
        }
        Ok(Shutdown::Stopped)
    }

    /// A hot standby of this server, kept in `data_dir`: a `pg_basebackup -R` copy that streams
    /// from this server through the replication slot `slot` (which the backup creates), started
    /// on a port of its own. The tests and the benchmark run talentflow against it.
    pub fn start_replica(&self, data_dir: &Path, slot: &str, keep: DataDir) -> Result<Self> {
        let as_root = running_as_root();
        fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
        let data_dir = data_dir.canonicalize()?;
        if as_root {
            let (uid, gid) = postgres_account()?;
            std::os::unix::fs::chown(&data_dir, Some(uid), Some(gid))?;
            check_reachable_by_postgres(&data_dir)?;
        }
        let cluster_dir = data_dir.join("postgres");
        // The password goes in the connection string, so `-R` writes it into the standby's
        // `primary_conninfo` and the standby can reconnect after a restart.
        let primary = format!(
            "host=127.0.0.1 port={} user={SUPERUSER} password={}",
            self.port, self.password
        );
        let output = postgres_command(&self.bin_dir.join("pg_basebackup"), as_root)
            .arg("-D")
            .arg(&cluster_dir)
            .args(["-d", &primary, "-R", "-C", "-S", slot])
            .args(["-X", "stream", "-c", "fast", "--no-sync"])
            .stdin(Stdio::null())
            .output()
            .context("cannot run pg_basebackup")?;
        if !output.status.success() {
            bail!(
                "pg_basebackup failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        // Without feedback, a vacuum on the primary can cancel a long read on the standby.
        fs::OpenOptions::new()
            .append(true)
            .open(cluster_dir.join("postgresql.auto.conf"))?
            .write_all(b"hot_standby_feedback = on\n")?;
        write_private(&data_dir.join("password"), &self.password)?;
        let replica = Self {
            data_dir,
            keep,
            cluster_dir,
            bin_dir: self.bin_dir.clone(),
            port: free_port()?,
            password: self.password.clone(),
            started_here: true,
        };
        replica.launch()?;
        Ok(replica)
    }

    /// Stops the server the way a crash would (`pg_ctl stop -m immediate`): no checkpoint,
    /// sessions cut. It recovers on its next start.
    pub fn stop_immediately(&self) -> Result<()> {
        let status = postgres_command(&self.bin_dir.join("pg_ctl"), running_as_root())
            .arg("stop")
            .arg("-D")
            .arg(&self.cluster_dir)
            .args(["-m", "immediate", "-w", "-s"])
            .stdin(Stdio::null())
            .status()?;
        if !status.success() {
            bail!("pg_ctl stop -m immediate failed with {status}");
        }
        Ok(())
    }

    /// A small shell process that outlives us: when this process is gone (even killed with -9)
    /// it stops the server, so no orphaned Postgres keeps running.
    fn watch_owner(&self, data_dir: &Path, keep: DataDir) -> Result<()> {
        let postmaster_pid = self
            .postmaster_pid()
            .ok_or_else(|| anyhow!("postmaster.pid has no pid"))?;
        let cleanup = if keep == DataDir::RemovedWhenGone {
            format!("; sleep 2; rm -rf '{}'", data_dir.display())
        } else {
            String::new()
        };
        let script = format!(
            "while kill -0 {owner} 2>/dev/null; do sleep 1; done; kill -INT {postmaster_pid} 2>/dev/null{cleanup}",
            owner = std::process::id()
        );
        Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start the embedded Postgres watchdog")?;
        Ok(())
    }
}

fn init_cluster(
    bin_dir: &Path,
    data_dir: &Path,
    cluster_dir: &Path,
    password_file: &Path,
    as_root: bool,
) -> Result<()> {
    use rand::{Rng, distributions::Alphanumeric};
    let password: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(32)
        .map(char::from)
        .collect();
    write_private(password_file, &password)?;
    // initdb reads the password from a file that the postgres account can read; removed after.
    let pwfile = data_dir.join("initdb.pw");
    write_private(&pwfile, &password)?;
    if as_root {
        let (uid, gid) = postgres_account()?;
        std::os::unix::fs::chown(&pwfile, Some(uid), Some(gid))?;
    }
    let output = postgres_command(&bin_dir.join("initdb"), as_root)
        .arg("-D")
        .arg(cluster_dir)
        .args([
            "-U",
            SUPERUSER,
            "--auth=scram-sha-256",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        ])
        .arg(format!("--pwfile={}", pwfile.display()))
        .stdin(Stdio::null())
        .output()
        .context("cannot run initdb")?;
    let _ = fs::remove_file(&pwfile);
    if !output.status.success() {
        let _ = fs::remove_dir_all(cluster_dir);
        bail!("initdb failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    Ok(())
}

fn write_private(path: &Path, contents: &str) -> Result<()> {
    let mut file = fs::File::create(path)?;
    file.set_permissions(fs::Permissions::from_mode(0o600))?;
    file.write_all(contents.as_bytes())?;
    Ok(())
}

/// A Postgres program, run as the `postgres` account when we are root.
fn postgres_command(program: &Path, as_root: bool) -> Command {
    if as_root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn postgres_account() -> Result<(u32, u32)> {
    let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            (fields.first() == Some(&"postgres") && fields.len() > 3)
                .then(|| Some((fields[2].parse().ok()?, fields[3].parse().ok()?)))
                .flatten()
        })
        .ok_or_else(|| {
            anyhow!(
                "running as root, the embedded Postgres needs an unprivileged `postgres` account \
                 (install PostgreSQL, which creates it), or set DATABASE_URL"
            )
        })
}

/// Every directory above the data directory must let the postgres account through.
fn check_reachable_by_postgres(data_dir: &Path) -> Result<()> {
    for dir in data_dir.ancestors().skip(1) {
        let mode = fs::metadata(dir)?.permissions().mode();
        if mode & 0o001 == 0 {
            bail!(
                "the postgres account cannot reach {} because {} is closed to other users; \
                 choose another TALENTFLOW_DATA_DIR (e.g. under /var/lib) or set DATABASE_URL",
                data_dir.display(),
                dir.display()
            );
        }
    }
    Ok(())
}

/// The port of a server already running on this cluster, from its `postmaster.pid`.
fn running_server_port(cluster_dir: &Path) -> Option<u16> {
    let contents = fs::read_to_string(cluster_dir.join("postmaster.pid")).ok()?;
    let mut lines = contents.lines();
    let pid: u32 = lines.next()?.trim().parse().ok()?;
    let port: u16 = lines.nth(2)?.trim().parse().ok()?;
    let alive = fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|comm| comm.trim() == "postgres")
        .unwrap_or(false);
    alive.then_some(port)
}

fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// `TALENTFLOW_PG_BIN`, else Debian's newest `/usr/lib/postgresql/<v>/bin`, else `initdb` on PATH.
pub fn find_bin_dir() -> Result<PathBuf> {
    let has_tools = |dir: &Path| {
        ["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|t| dir.join(t).is_file())
    };
    if let Some(dir) = std::env::var_os("TALENTFLOW_PG_BIN").map(PathBuf::from) {
        if has_tools(&dir) {
            return Ok(dir);
        }
        bail!(
            "TALENTFLOW_PG_BIN={} has no initdb, pg_ctl and postgres",
            dir.display()
        );
    }
    let mut debian: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, dir)| has_tools(dir))
        .collect();
    debian.sort();
    if let Some((_, dir)) = debian.pop() {
        return Ok(dir);
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .map(|dir| dir.join("initdb"))
        .find(|candidate| candidate.is_file())
        .and_then(|initdb| initdb.canonicalize().ok())
        .and_then(|initdb| initdb.parent().map(Path::to_path_buf))
        .filter(|dir| has_tools(dir));
    on_path.ok_or_else(|| {
        anyhow!(
            "no PostgreSQL server programs found (initdb, pg_ctl, postgres). Ways out: install \
             PostgreSQL (e.g. `apt-get install postgresql`), set DATABASE_URL to a running server, \
             or run `docker compose up`"
        )
    })
}
