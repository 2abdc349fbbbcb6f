//! `GET /v1/moves/stream`: moves as they are created, updated and deleted, as Server-Sent
//! Events, resumable with `Last-Event-ID`.

use super::support::FinishQuery;
use crate::domain::form::Check;
use std::{collections::VecDeque, convert::Infallible, time::Duration};

use axum::{
    extract::State,
    http::HeaderMap,
    response::sse::{Event, KeepAlive, Sse},
};
use futures::Stream;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    app::AppState,
    db::{self, events::MoveEvent},
    error::ApiResult,
    extract::ApiQuery,
    openapi::ListErrors,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(stream))
}

/// Events read from the database per query: what a stream holds in memory at most.
const BATCH: i64 = 100;
/// How often a stream looks for events without being woken (a missed notification).
const RECHECK: Duration = Duration::from_secs(5);
const KEEP_ALIVE: Duration = Duration::from_secs(15);

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StreamParams {
    /// Start after this event, as the `Last-Event-ID` header does (the header wins); `0`
    /// replays every event. Without either, the stream starts with the next change.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 9_223_372_036_854_775_807_i64)]
    last_event_id: Option<String>,
}

/// Changes to moves as Server-Sent Events: `move.created`, `move.updated` and `move.deleted`,
/// each with `id:` (its number, increasing in commit order) and `data:` (the move as
/// `GET /v1/moves/{id}` shows it; for a delete, as it was). An import's moves have no event
/// each: an import that created or updated moves sends one `import.completed` when it commits,
/// with `data:` its `import_id`, `actor`, `finished_at` and report (counts per type); a client
/// that keeps a view of the moves re-reads them then. A client that reconnects with
/// `Last-Event-ID` gets every event it missed, then live ones. Comments keep idle
/// connections open every 15 s. Events written through any server process reach every one.
#[utoipa::path(get, path = "/v1/moves/stream", tag = "moves",
    params(StreamParams,
        ("Last-Event-ID" = Option<i64>, Header, minimum = 0, maximum = 9_223_372_036_854_775_807_i64,
            description = "The last event id the client has seen")),
    responses((status = 200, description = "The stream (never ends on its own)", body = String,
        content_type = "text/event-stream"), ListErrors))]
async fn stream(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<StreamParams>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let mut check = Check::default();
    let header = headers
        .get("last-event-id")
        .map(|v| v.to_str().unwrap_or("\u{fffd}").to_owned());
    let (field, given) = match header {
        Some(value) => ("Last-Event-ID", Some(value)),
        None => ("last_event_id", params.last_event_id),
    };
    let after = check.optional(field, given, |text| {
        text.trim()
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| {
                "must be an event id from this stream (a whole number, 0 or more)".to_owned()
            })
    });
    check.finish_query()?;
    let after = match after {
        Some(after) => after,
        None => db::events::latest(&state.pool).await?,
    };
    let follower = Follower {
        after,
        pending: VecDeque::new(),
        wake: state.changes.subscribe(),
        state,
    };
    let events = futures::stream::unfold(follower, |mut follower| async move {
        let event = follower.next().await?;
        Some((Ok(event), follower))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

/// One client's position in the stream. It reads the next batch only when the client has
/// taken the last one, so a slow client holds at most one batch and slows no one else.
struct Follower {
    after: i64,
    pending: VecDeque<MoveEvent>,
    wake: tokio::sync::broadcast::Receiver<()>,
    state: AppState,
}

impl Follower {
    /// The next event, waiting for it as long as it takes; `None` once the server shuts down.
    async fn next(&mut self) -> Option<Event> {
        let shutdown = self.state.changes.shutdown.clone();
        loop {
            if let Some(event) = self.pending.pop_front() {
                self.after = event.seq;
                return Some(to_sse(event));
            }
            if shutdown.is_cancelled() {
                return None;
            }
            match db::events::after(&self.state.pool, self.after, BATCH).await {
                Ok(events) if !events.is_empty() => {
                    self.pending.extend(events);
                    continue;
                }
                Ok(_) => {}
                // The database is away: keep the connection (keep-alives go on) and look again.
                Err(err) => tracing::debug!(error = %err, "reading move events failed"),
            }
            tokio::select! {
                () = shutdown.cancelled() => return None,
                _ = self.wake.recv() => {}
                () = tokio::time::sleep(RECHECK) => {}
            }
        }
    }
}

fn to_sse(event: MoveEvent) -> Event {
    let name = match event.action.as_str() {
        "create" => "move.created",
        "delete" => "move.deleted",
        "import" => "import.completed",
        _ => "move.updated",
    };
    Event::default()
        .id(event.seq.to_string())
        .event(name)
        .data(event.record.to_string())
}
