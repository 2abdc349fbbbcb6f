//! Plumbing of the live change stream: one wake-up signal per process, driven by Postgres
//! `NOTIFY`, so an event written through any server process reaches the streams of every one.
//! The signal carries nothing; streams read the events themselves from `move_events`, which
//! makes a lost or coalesced notification harmless.

use std::time::Duration;

use sqlx::{PgPool, postgres::PgListener};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// The channel the numbering trigger notifies (migration 0007).
pub const CHANNEL: &str = "talentflow_move_events";

#[derive(Clone)]
pub struct Changes {
    wake: broadcast::Sender<()>,
    /// Cancelled when the server starts shutting down: open streams end, so connections drain.
    pub shutdown: CancellationToken,
}

impl Default for Changes {
    fn default() -> Self {
        // Capacity 1 is enough: a wake-up that finds another pending says the same thing.
        let (wake, _) = broadcast::channel(1);
        Self {
            wake,
            shutdown: CancellationToken::new(),
        }
    }
}

impl Changes {
    pub fn subscribe(&self) -> broadcast::Receiver<()> {
        self.wake.subscribe()
    }

    /// Listens for notifications until shutdown, reconnecting after errors. Streams are woken
    /// after every (re)connection too, since notifications sent meanwhile are lost.
    pub async fn listen(self, pool: PgPool) {
        loop {
            let listening = async {
                let mut listener = PgListener::connect_with(&pool).await?;
                listener.listen(CHANNEL).await?;
                let _ = self.wake.send(());
                loop {
                    listener.recv().await?;
                    let _ = self.wake.send(());
                }
            };
            let result: Result<(), sqlx::Error> = tokio::select! {
                () = self.shutdown.cancelled() => return,
                result = listening => result,
            };
            if let Err(err) = result {
                tracing::warn!(error = %err, "listening for move events failed; retrying");
            }
            tokio::select! {
                () = self.shutdown.cancelled() => return,
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }
}
