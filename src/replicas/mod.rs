//! Reads from Postgres streaming replicas (issue 15). With `DATABASE_READ_URL`, the GET handlers
//! that only read take their database through [`routing::ReadDb`]: a replica in rotation, or the
//! primary. A read that carries a consistency token is answered by a replica only once that
//! replica has replayed past the token (waiting up to `TALENTFLOW_REPLICA_WAIT_MS`), else by the
//! primary. [`monitor`] checks every replica a few times a second and takes the ones that are
//! down, lagging past `TALENTFLOW_MAX_REPLICA_LAG` or promoted out of rotation.
//!
//! Postgres's own replication does the copying; this module only decides where a read goes.

pub mod monitor;
pub mod routing;

use std::{
    collections::VecDeque,
    sync::{
        Mutex, RwLock,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use serde::Serialize;
use sqlx::{PgPool, postgres::PgConnectOptions};
use utoipa::ToSchema;

use crate::{
    config::{Config, redact_password},
    db::replication::{Lsn, ReplicaReport, replica_report},
};

/// Where a replica stands, as `/readyz` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicaState {
    /// Not checked yet (the process just started): not read from until it is.
    Unknown,
    /// Replaying and close enough behind the primary: reads go here.
    InRotation,
    /// Replaying, but further behind than `TALENTFLOW_MAX_REPLICA_LAG`.
    Lagging,
    /// No longer in recovery: it was promoted and follows the primary no more.
    Promoted,
    /// Not answering (or answering with errors).
    Down,
}

impl ReplicaState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::InRotation => "in_rotation",
            Self::Lagging => "lagging",
            Self::Promoted => "promoted",
            Self::Down => "down",
        }
    }
}

/// How far behind the primary a replica was when last checked.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Lag {
    /// WAL the primary had written that the replica had not replayed.
    pub bytes: u64,
    /// How long ago the primary was first seen past the replica's position: the age of the
    /// oldest write the replica lacks, to within the check interval (0 when it lacks none).
    pub seconds: f64,
}

#[derive(Debug, Clone)]
struct Health {
    state: ReplicaState,
    lag: Option<Lag>,
    /// Why it is down or not in rotation, for `/readyz` and the log.
    problem: Option<String>,
}

pub struct Replica {
    /// `replica-1`, `replica-2`, … in `DATABASE_READ_URL` order: the label in metrics.
    pub name: String,
    /// The URL without its password.
    pub address: String,
    pub pool: PgPool,
    /// The furthest replay position seen there (replay only moves forward).
    replayed: AtomicU64,
    health: RwLock<Health>,
}

/// Where a read was answered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    Primary,
    Replica { index: usize, lag: Option<Lag> },
}

pub struct Replicas {
    replicas: Vec<Replica>,
    /// How long a read with a token waits for a replica to replay past it.
    pub wait: Duration,
    max_lag: Duration,
    /// Round robin over the replicas in rotation.
    next: AtomicUsize,
    /// The primary's write position at each check, oldest first: a replica's lag in time is
    /// read off it (how long ago the primary passed the replica's position).
    primary_positions: Mutex<VecDeque<(Instant, Lsn)>>,
}

/// The longest a replica's pool waits for a connection: a replica that stopped answering
/// must not hold a read for the whole request timeout when the primary could answer it.
const MAX_REPLICA_ACQUIRE: Duration = Duration::from_secs(2);

impl Replicas {
    /// The replicas of `DATABASE_READ_URL`, or None when it is unset. Their pools connect
    /// lazily, so a replica that is down at start does not keep the service from starting.
    pub fn from_config(config: &Config) -> anyhow::Result<Option<Self>> {
        let urls: Vec<&str> = config
            .database_read_url
            .iter()
            .map(|url| url.trim())
            .filter(|url| !url.is_empty())
            .collect();
        if urls.is_empty() {
            return Ok(None);
        }
        let wait = config.replica_wait();
        let mut replicas = Vec::with_capacity(urls.len());
        for (i, url) in urls.into_iter().enumerate() {
            let options: PgConnectOptions = url.parse().map_err(|err| {
                anyhow::anyhow!(
                    "DATABASE_READ_URL entry {} is not a PostgreSQL URL: {err}",
                    i + 1
                )
            })?;
            let pool = crate::db::pool_options(config.database.db_max_connections)
                .min_connections(0)
                .acquire_timeout(wait.clamp(Duration::from_millis(250), MAX_REPLICA_ACQUIRE))
                .connect_lazy_with(crate::db::session_options(options));
            replicas.push(Replica {
                name: format!("replica-{}", i + 1),
                address: redact_password(url),
                pool,
                replayed: AtomicU64::new(0),
                health: RwLock::new(Health {
                    state: ReplicaState::Unknown,
                    lag: None,
                    problem: None,
                }),
            });
        }
        Ok(Some(Self {
            replicas,
            wait,
            max_lag: config.max_replica_lag(),
            next: AtomicUsize::new(0),
            primary_positions: Mutex::new(VecDeque::new()),
        }))
    }

    pub fn all(&self) -> &[Replica] {
        &self.replicas
    }

    /// The database a read goes to. Without a token: the next replica in rotation. With one:
    /// a replica in rotation known to have replayed past it, else the next one once it has
    /// (asked every few milliseconds, within `wait`). The primary when no replica can.
    pub async fn choose(&self, token: Option<Lsn>) -> Target {
        let in_rotation: Vec<usize> = (0..self.replicas.len())
            .filter(|&i| self.replicas[i].state() == ReplicaState::InRotation)
            .collect();
        if in_rotation.is_empty() {
            return Target::Primary;
        }
        let turn = self.next.fetch_add(1, Ordering::Relaxed);
        let pick = |candidates: &[usize]| candidates[turn % candidates.len()];
        let Some(token) = token else {
            return self.replica_target(pick(&in_rotation));
        };
        let caught_up: Vec<usize> = in_rotation
            .iter()
            .copied()
            .filter(|&i| self.replicas[i].replayed() >= token)
            .collect();
        if !caught_up.is_empty() {
            return self.replica_target(pick(&caught_up));
        }
        let index = pick(&in_rotation);
        if self.wait_for(index, token).await {
            self.replica_target(index)
        } else {
            Target::Primary
        }
    }

    fn replica_target(&self, index: usize) -> Target {
        Target::Replica {
            index,
            lag: self.replicas[index].lag(),
        }
    }

    /// Asks the replica how far it has replayed until it is past `token`, for at most `wait`.
    async fn wait_for(&self, index: usize, token: Lsn) -> bool {
        let replica = &self.replicas[index];
        let deadline = Instant::now() + self.wait;
        let mut pause = Duration::from_millis(1);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, replica_report(&replica.pool)).await {
                Ok(Ok(ReplicaReport::Replaying(replayed))) => {
                    replica.note_replayed(replayed);
                    if replayed >= token {
                        return true;
                    }
                }
                Ok(Ok(ReplicaReport::NotInRecovery)) => {
                    replica.set_out(ReplicaState::Promoted, "it is no longer in recovery".into());
                    return false;
                }
                Ok(Err(err)) => {
                    self.mark_failed(
                        index,
                        &format!("asking it how far it has replayed failed: {err}"),
                    );
                    return false;
                }
                Err(_) => return false,
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            tokio::time::sleep(pause.min(left)).await;
            pause = (pause * 2).min(Duration::from_millis(20));
        }
    }

    /// A read on the replica failed: out of rotation until the next good check.
    pub fn mark_failed(&self, index: usize, problem: &str) {
        let replica = &self.replicas[index];
        if replica.state() != ReplicaState::Down {
            tracing::warn!(replica = %replica.name, problem, "replica taken out of rotation");
        }
        replica.set_out(ReplicaState::Down, problem.to_owned());
    }

    /// Notes the primary's position at a check, keeping as much history as a lag past the
    /// limit needs to be told from one within it.
    fn note_primary_position(&self, now: Instant, position: Lsn) {
        let Ok(mut positions) = self.primary_positions.lock() else {
            return;
        };
        if positions.back().is_none_or(|&(_, last)| last != position) {
            positions.push_back((now, position));
        }
        let keep = self.max_lag * 2 + Duration::from_secs(10);
        while positions.len() > 1
            && positions
                .front()
                .is_some_and(|&(at, _)| now.duration_since(at) > keep)
        {
            positions.pop_front();
        }
    }

    /// The replica's lag behind the primary's positions seen so far.
    fn lag_of(&self, now: Instant, replayed: Lsn) -> Option<Lag> {
        let positions = self.primary_positions.lock().ok()?;
        let &(_, newest) = positions.back()?;
        // The first position the primary was seen at that the replica has not reached: the
        // replica lacks what was written before then (a lower bound, within one interval).
        let behind_since = positions
            .iter()
            .find(|&&(_, position)| position > replayed)
            .map(|&(at, _)| at);
        Some(Lag {
            bytes: newest.0.saturating_sub(replayed.0),
            seconds: behind_since.map_or(0.0, |at| now.duration_since(at).as_secs_f64()),
        })
    }
}

impl Replica {
    pub fn state(&self) -> ReplicaState {
        self.health.read().map_or(ReplicaState::Down, |h| h.state)
    }

    pub fn lag(&self) -> Option<Lag> {
        self.health.read().ok().and_then(|h| h.lag)
    }

    pub fn problem(&self) -> Option<String> {
        self.health.read().ok().and_then(|h| h.problem.clone())
    }

    fn replayed(&self) -> Lsn {
        Lsn(self.replayed.load(Ordering::Relaxed))
    }

    fn note_replayed(&self, position: Lsn) {
        self.replayed.fetch_max(position.0, Ordering::Relaxed);
    }

    fn set(&self, health: Health) {
        if let Ok(mut current) = self.health.write() {
            *current = health;
        }
    }

    fn set_out(&self, state: ReplicaState, problem: String) {
        if let Ok(mut current) = self.health.write() {
            current.state = state;
            current.problem = Some(problem);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replicas(max_lag: Duration) -> Replicas {
        Replicas {
            replicas: Vec::new(),
            wait: Duration::from_secs(1),
            max_lag,
            next: AtomicUsize::new(0),
            primary_positions: Mutex::new(VecDeque::new()),
        }
    }

    /// Replicas whose pools never connect (nothing listens there): `choose` must decide from
    /// what the checks found without asking them.
    fn with_states(states: &[(ReplicaState, u64)]) -> Replicas {
        let mut set = replicas(Duration::from_secs(30));
        set.wait = Duration::from_millis(50);
        for (i, &(state, replayed)) in states.iter().enumerate() {
            set.replicas.push(Replica {
                name: format!("replica-{}", i + 1),
                address: String::new(),
                pool: sqlx::postgres::PgPoolOptions::new()
                    .acquire_timeout(Duration::from_millis(10))
                    .connect_lazy("postgres://nobody@127.0.0.1:1/none")
                    .unwrap(),
                replayed: AtomicU64::new(replayed),
                health: RwLock::new(Health {
                    state,
                    lag: None,
                    problem: None,
                }),
            });
        }
        set
    }

    fn index(target: Target) -> Option<usize> {
        match target {
            Target::Primary => None,
            Target::Replica { index, .. } => Some(index),
        }
    }

    #[tokio::test]
    async fn reads_take_turns_over_the_replicas_in_rotation_only() {
        let set = with_states(&[
            (ReplicaState::InRotation, 0),
            (ReplicaState::Down, 0),
            (ReplicaState::InRotation, 0),
            (ReplicaState::Lagging, 0),
            (ReplicaState::Promoted, 0),
            (ReplicaState::Unknown, 0),
        ]);
        let mut picked = Vec::new();
        for _ in 0..4 {
            picked.push(index(set.choose(None).await));
        }
        assert_eq!(picked, [Some(0), Some(2), Some(0), Some(2)]);

        let none = with_states(&[(ReplicaState::Down, 0), (ReplicaState::Lagging, 0)]);
        assert_eq!(none.choose(None).await, Target::Primary);
    }

    #[tokio::test]
    async fn a_token_goes_to_a_replica_known_past_it_and_else_to_the_primary() {
        let set = with_states(&[
            (ReplicaState::InRotation, 100),
            (ReplicaState::InRotation, 500),
        ]);
        for _ in 0..3 {
            assert_eq!(index(set.choose(Some(Lsn(400))).await), Some(1));
        }
        // Both are behind, and asking them fails (nothing listens): the primary answers, and
        // the replica that could not be asked leaves the rotation.
        let started = Instant::now();
        assert_eq!(set.choose(Some(Lsn(600))).await, Target::Primary);
        assert!(started.elapsed() < Duration::from_secs(1));
        let states: Vec<ReplicaState> = set.all().iter().map(Replica::state).collect();
        assert_eq!(
            states.iter().filter(|&&s| s == ReplicaState::Down).count(),
            1
        );
    }

    #[test]
    fn lag_is_the_age_of_the_first_primary_position_the_replica_lacks() {
        let set = replicas(Duration::from_secs(30));
        let start = Instant::now();
        let at = |ms| start + Duration::from_millis(ms);
        assert_eq!(
            set.lag_of(at(0), Lsn(0)),
            None,
            "no primary position seen yet"
        );
        set.note_primary_position(at(0), Lsn(100));
        set.note_primary_position(at(200), Lsn(100));
        set.note_primary_position(at(400), Lsn(250));
        set.note_primary_position(at(600), Lsn(300));

        let caught_up = set.lag_of(at(700), Lsn(300)).unwrap();
        assert_eq!((caught_up.bytes, caught_up.seconds), (0, 0.0));
        // It has 100 (seen at 0 ms) but not 250 (first seen at 400 ms).
        let behind = set.lag_of(at(700), Lsn(120)).unwrap();
        assert_eq!(behind.bytes, 180);
        assert!((behind.seconds - 0.3).abs() < 1e-9, "{behind:?}");
        // Behind everything seen: at least as old as the oldest position.
        let far = set.lag_of(at(700), Lsn(50)).unwrap();
        assert!((far.seconds - 0.7).abs() < 1e-9, "{far:?}");
    }

    #[test]
    fn old_primary_positions_are_forgotten_but_the_newest_is_kept() {
        let set = replicas(Duration::from_secs(1));
        let start = Instant::now();
        set.note_primary_position(start, Lsn(1));
        set.note_primary_position(start + Duration::from_secs(5), Lsn(2));
        set.note_primary_position(start + Duration::from_secs(20), Lsn(3));
        let positions = set.primary_positions.lock().unwrap();
        assert_eq!(
            positions.iter().map(|&(_, p)| p.0).collect::<Vec<_>>(),
            vec![3],
            "1 s of allowed lag keeps 12 s"
        );
    }
}
