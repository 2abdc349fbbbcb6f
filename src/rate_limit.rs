//! Rate limits: sustained requests per second with bursts, per API key, or per client address
//! for requests without a (known) key. Over the limit: 429 with `Retry-After`. Every limited
//! response carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`.

use std::{collections::HashMap, net::SocketAddr, num::NonZeroU32, sync::Mutex, time::Duration};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{HeaderName, HeaderValue, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use governor::{
    Quota, RateLimiter,
    clock::{Clock, DefaultClock},
    middleware::StateInformationMiddleware,
    state::keyed::DefaultKeyedStateStore,
};
use uuid::Uuid;

use crate::{app::AppState, domain::key::hash_secret, error::ApiError};

type Limiter =
    RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock, StateInformationMiddleware>;

pub const LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
pub const REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
pub const RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

/// Remembered keys are only used to pick a bucket; this bounds the memory they take.
const MAX_REMEMBERED_KEYS: usize = 10_000;

pub struct RateLimits {
    limiter: Limiter,
    clock: DefaultClock,
    per_second: u32,
    burst: u32,
    /// Hashes of secrets seen to be valid, and their key ids. A request whose key is not (yet)
    /// known here counts against its address, so that made-up keys cannot each get a bucket.
    known_keys: Mutex<HashMap<Vec<u8>, Uuid>>,
}

impl RateLimits {
    /// None when `per_second` is 0 (limits off).
    pub fn new(per_second: u32, burst: u32) -> Option<Self> {
        let rate = NonZeroU32::new(per_second)?;
        let burst = NonZeroU32::new(burst.max(per_second)).unwrap_or(rate);
        let limiter = RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
            .with_middleware::<StateInformationMiddleware>();
        Some(Self {
            limiter,
            clock: DefaultClock::default(),
            per_second,
            burst: burst.get(),
            known_keys: Mutex::new(HashMap::new()),
        })
    }

    /// Called when a key authenticates: later requests with it count against the key.
    pub fn remember_key(&self, secret: &str, key_id: Uuid) {
        let Ok(mut known) = self.known_keys.lock() else {
            return;
        };
        if known.len() >= MAX_REMEMBERED_KEYS {
            known.clear();
        }
        known.insert(hash_secret(secret), key_id);
    }

    /// The key's bucket when the request carries a key known to be valid, else its address's.
    /// Also returns the secret when it is not known yet, to be checked once allowed through.
    fn bucket(&self, request: &Request) -> (String, Option<String>) {
        let secret = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(crate::extract::bearer_secret);
        if let Some(secret) = secret
            && let Ok(known) = self.known_keys.lock()
            && let Some(id) = known.get(&hash_secret(secret))
        {
            return (format!("key:{id}"), None);
        }
        let address = match request.extensions().get::<ConnectInfo<SocketAddr>>() {
            Some(ConnectInfo(address)) => format!("address:{}", address.ip()),
            None => "address:unknown".to_owned(),
        };
        (address, secret.map(str::to_owned))
    }

    /// Forgets buckets that are full again, so memory follows the active clients.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }

    fn seconds_to_full(&self, remaining: u32) -> u64 {
        let missing = u64::from(self.burst.saturating_sub(remaining));
        missing.div_ceil(u64::from(self.per_second))
    }
}

fn number(value: u64) -> HeaderValue {
    HeaderValue::from(value)
}

pub async fn limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(limits) = state.rate_limits.clone() else {
        return next.run(request).await;
    };
    if matches!(request.uri().path(), "/healthz" | "/readyz") {
        return next.run(request).await;
    }
    let (bucket, unknown_secret) = limits.bucket(&request);
    match limits.limiter.check_key(&bucket) {
        Ok(snapshot) => {
            // A key seen for the first time: learn whether it is valid (public reads never
            // look), so that its next requests count against the key, not the address.
            if let Some(secret) = unknown_secret
                && let Ok(Some(actor)) = crate::db::keys::authenticate(&state.pool, &secret).await
                && let Some(key_id) = actor.key_id
            {
                limits.remember_key(&secret, key_id);
            }
            let remaining = snapshot.remaining_burst_capacity();
            let mut response = next.run(request).await;
            let headers = response.headers_mut();
            headers.insert(LIMIT, number(u64::from(limits.burst)));
            headers.insert(REMAINING, number(u64::from(remaining)));
            headers.insert(RESET, number(limits.seconds_to_full(remaining)));
            response
        }
        Err(not_until) => {
            let wait: Duration = not_until.wait_time_from(limits.clock.now());
            let retry_after = wait.as_secs_f64().ceil().max(1.0) as u64;
            tracing::info!(bucket, retry_after, "rate limit exceeded");
            let mut response = ApiError::TooManyRequests { retry_after }.into_response();
            let headers = response.headers_mut();
            headers.insert(header::RETRY_AFTER, number(retry_after));
            headers.insert(LIMIT, number(u64::from(limits.burst)));
            headers.insert(REMAINING, number(0));
            headers.insert(RESET, number(retry_after));
            response
        }
    }
}
