//! The replica check: a few times a second, the primary's write position and each replica's
//! state and replay position, which decide the rotation and feed `/readyz` and `/metrics`.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use sqlx::PgPool;

use super::{Health, ReplicaState, Replicas};
use crate::db::replication::{ReplicaReport, replica_report, write_position};

/// How often replicas are checked: the precision of the lag in seconds, and how long a replica
/// that came back waits to be read from again.
pub const CHECK_INTERVAL: Duration = Duration::from_millis(200);

/// A check that takes longer than this counts as the replica being down.
const CHECK_TIMEOUT: Duration = Duration::from_secs(1);

/// Checks until the process ends.
pub async fn run(replicas: Arc<Replicas>, primary: PgPool) {
    let mut every = tokio::time::interval(CHECK_INTERVAL);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        check(&replicas, &primary).await;
    }
}

/// One round: the primary's position first, so that each replica's lag is measured against a
/// position at least as new as its own.
pub async fn check(replicas: &Replicas, primary: &PgPool) {
    match tokio::time::timeout(CHECK_TIMEOUT, write_position(primary)).await {
        Ok(Ok(position)) => replicas.note_primary_position(Instant::now(), position),
        // The primary's own troubles show in `/readyz`; the replicas are still judged against
        // the positions seen so far.
        Ok(Err(err)) => tracing::debug!(error = %err, "the primary's position could not be read"),
        Err(_) => tracing::debug!("the primary's position was not read in time"),
    }
    let reports = futures::future::join_all(replicas.all().iter().map(|replica| async {
        tokio::time::timeout(CHECK_TIMEOUT, replica_report(&replica.pool)).await
    }))
    .await;
    for (replica, report) in replicas.all().iter().zip(reports) {
        let before = replica.state();
        let health = match report {
            Ok(Ok(ReplicaReport::Replaying(replayed))) => {
                replica.note_replayed(replayed);
                let lag = replicas.lag_of(Instant::now(), replica.replayed());
                let seconds = lag.map_or(0.0, |lag| lag.seconds);
                if seconds > replicas.max_lag.as_secs_f64() {
                    Health {
                        state: ReplicaState::Lagging,
                        lag,
                        problem: Some(format!(
                            "{seconds:.1} s behind the primary, more than the {} s allowed",
                            replicas.max_lag.as_secs()
                        )),
                    }
                } else {
                    Health {
                        state: ReplicaState::InRotation,
                        lag,
                        problem: None,
                    }
                }
            }
            Ok(Ok(ReplicaReport::NotInRecovery)) => Health {
                state: ReplicaState::Promoted,
                lag: None,
                problem: Some(
                    "it is not in recovery: promoted, or not a replica at all".to_owned(),
                ),
            },
            Ok(Err(err)) => Health {
                state: ReplicaState::Down,
                lag: None,
                problem: Some(format!("it does not answer: {err}")),
            },
            Err(_) => Health {
                state: ReplicaState::Down,
                lag: None,
                problem: Some(format!(
                    "it did not answer within {} ms",
                    CHECK_TIMEOUT.as_millis()
                )),
            },
        };
        if health.state != before {
            match &health.problem {
                None => tracing::info!(replica = %replica.name, "replica in rotation"),
                Some(problem) => {
                    tracing::warn!(replica = %replica.name, state = ?health.state, problem, "replica out of rotation")
                }
            }
        }
        record_metrics(&replica.name, &health);
        replica.set(health);
    }
}

fn record_metrics(name: &str, health: &Health) {
    let label = name.to_owned();
    metrics::gauge!("talentflow_replica_in_rotation", "replica" => label.clone()).set(
        if health.state == ReplicaState::InRotation {
            1.0
        } else {
            0.0
        },
    );
    if let Some(lag) = health.lag {
        metrics::gauge!("talentflow_replica_lag_seconds", "replica" => label.clone())
            .set(lag.seconds);
        metrics::gauge!("talentflow_replica_lag_bytes", "replica" => label).set(lag.bytes as f64);
    }
}
