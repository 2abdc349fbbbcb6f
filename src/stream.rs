//! Streamed output (CSV lists, NDJSON exports) fed by a producer task through a bounded
//! channel: the producer waits while the consumer is slow, gives up on one that has stopped
//! reading (so it does not hold a database connection forever), and a failure part-way ends
//! the stream with an error rather than looking like a complete, shorter file.

use std::{
    io,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use axum::body::{Body, Bytes};
use tokio::sync::mpsc;

/// A consumer that takes no chunk for this long is given up on.
pub const STALLED_AFTER: Duration = Duration::from_secs(60);

pub fn channel() -> (Feed, Drain) {
    let (tx, rx) = mpsc::channel(4);
    let failed = Arc::new(AtomicBool::new(false));
    (
        Feed {
            tx,
            failed: failed.clone(),
        },
        Drain { rx, failed },
    )
}

pub struct Feed {
    tx: mpsc::Sender<Result<Bytes, io::Error>>,
    failed: Arc<AtomicBool>,
}

impl Feed {
    /// False when the producer should stop: the consumer is gone, or has stalled (then the
    /// stream ends as failed).
    pub async fn send(&self, chunk: Bytes) -> bool {
        match tokio::time::timeout(STALLED_AFTER, self.tx.send(Ok(chunk))).await {
            Ok(sent) => sent.is_ok(),
            Err(_) => {
                tracing::warn!("stream consumer stopped reading; giving up");
                self.failed.store(true, Ordering::SeqCst);
                false
            }
        }
    }

    /// Ends the stream as failed.
    pub fn fail(&self) {
        self.failed.store(true, Ordering::SeqCst);
    }
}

pub struct Drain {
    rx: mpsc::Receiver<Result<Bytes, io::Error>>,
    failed: Arc<AtomicBool>,
}

impl Drain {
    /// The next chunk; after the last one, an error if the producer failed.
    pub async fn recv(&mut self) -> Option<Result<Bytes, io::Error>> {
        match self.rx.recv().await {
            Some(item) => Some(item),
            None if self.failed.swap(false, Ordering::SeqCst) => {
                Some(Err(io::Error::other("the stream failed part-way")))
            }
            None => None,
        }
    }

    /// Fused: a body may be polled again after its end (the gzip layer does), and a bare
    /// `unfold` panics when it is.
    pub fn into_body(self) -> Body {
        use futures::StreamExt;
        Body::from_stream(
            futures::stream::unfold(self, |mut drain| async move {
                drain.recv().await.map(|item| (item, drain))
            })
            .fuse(),
        )
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;

    use super::*;

    #[tokio::test]
    async fn a_finished_body_can_be_polled_again() {
        let (feed, drain) = channel();
        let mut body = drain.into_body();
        assert!(feed.send(Bytes::from_static(b"row\n")).await);
        drop(feed);
        let first = body.frame().await.unwrap().unwrap();
        assert_eq!(first.into_data().unwrap(), "row\n");
        assert!(body.frame().await.is_none());
        assert!(body.frame().await.is_none(), "polled after the end");
    }
}
