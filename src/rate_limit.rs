//! Rate limits: sustained requests per second with bursts, per API key, or per client address
//! for requests without a (known) key. Over the limit: 429 with `Retry-After`. Every limited
//! response carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`.
//!
//! The buckets live in Postgres (`db::rate_limits`), shared by every process on the database,
//! so N processes behind a load balancer admit what one bucket allows, not N times it. Asking
//! the database on every request would cost a write per read; instead a process leases a few
//! tokens at a time ([`RateLimits::lease_size`]) and spends them locally. Every admitted request
//! spends a token taken from the shared bucket, so together the processes never admit more
//! than the limit. A lease not spent within [`LEASE_TIME`] is dropped, so a process may refuse
//! a little early while others hold unspent leases: at most (processes − 1) × lease size
//! requests, for at most a second. No crate keeps token buckets in Postgres; governor, used
//! before, keeps them in one process's memory.

use std::{
    collections::HashMap,
    fmt,
    net::{IpAddr, SocketAddr},
    sync::Mutex,
    time::{Duration, Instant},
};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{HeaderName, HeaderValue, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use uuid::Uuid;

use crate::{app::AppState, domain::key::hash_secret, error::ApiError};

pub const LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
pub const REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
pub const RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

/// Remembered keys are only used to pick a bucket; this bounds the memory they take.
const MAX_REMEMBERED_KEYS: usize = 10_000;

/// How long leased tokens may be spent before they are dropped.
pub const LEASE_TIME: Duration = Duration::from_secs(1);

pub struct RateLimits {
    per_second: u32,
    burst: u32,
    /// Tokens a process takes from the shared bucket at a time.
    lease_size: u32,
    /// Tokens leased from each bucket and not spent yet.
    leases: Mutex<HashMap<Bucket, Lease>>,
    /// Hashes of secrets seen to be valid, and their key ids. A request whose key is not (yet)
    /// known here counts against its address, so that made-up keys cannot each get a bucket.
    known_keys: Mutex<HashMap<Vec<u8>, Uuid>>,
}

/// Whose tokens a request spends. Named in the database by its `Display`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Bucket {
    Key(Uuid),
    Address(Option<IpAddr>),
}

impl fmt::Display for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Key(id) => write!(f, "key:{id}"),
            Self::Address(Some(ip)) => write!(f, "address:{ip}"),
            Self::Address(None) => f.write_str("address:unknown"),
        }
    }
}

struct Lease {
    tokens: u32,
    /// What the shared bucket had left when the lease was taken.
    shared_left: f64,
    until: Instant,
}

/// Whether a request may go on.
enum Decision {
    Allowed { remaining: u32 },
    Refused { retry_after: u64 },
}

impl RateLimits {
    /// None when `per_second` is 0 (limits off).
    pub fn new(per_second: u32, burst: u32) -> Option<Self> {
        if per_second == 0 {
            return None;
        }
        let burst = burst.max(per_second);
        Some(Self {
            per_second,
            burst,
            lease_size: Self::lease_size(per_second, burst),
            leases: Mutex::new(HashMap::new()),
            known_keys: Mutex::new(HashMap::new()),
        })
    }

    /// A twentieth of a second at the full rate, and no more than a tenth of the burst: one
    /// statement per bucket every 50 ms at most, and a small error between processes. Low
    /// limits lease one token at a time and are exact.
    pub fn lease_size(per_second: u32, burst: u32) -> u32 {
        (per_second / 20).min(burst / 10).max(1)
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
    fn bucket(&self, request: &Request) -> (Bucket, Option<String>) {
        let secret = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(crate::extract::bearer_secret);
        if let Some(secret) = secret
            && let Ok(known) = self.known_keys.lock()
            && let Some(&id) = known.get(&hash_secret(secret))
        {
            return (Bucket::Key(id), None);
        }
        let address = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(address)| address.ip());
        (Bucket::Address(address), secret.map(str::to_owned))
    }

    /// Spends a leased token of the bucket, or leases more from the shared bucket.
    async fn take(&self, pool: &sqlx::PgPool, bucket: Bucket) -> Result<Decision, sqlx::Error> {
        if let Ok(mut leases) = self.leases.lock()
            && let Some(lease) = leases.get_mut(&bucket)
            && lease.tokens > 0
            && lease.until > Instant::now()
        {
            lease.tokens -= 1;
            return Ok(Decision::Allowed {
                remaining: lease.tokens + lease.shared_left as u32,
            });
        }
        let taken = crate::db::rate_limits::take(
            pool,
            &bucket.to_string(),
            self.burst,
            self.per_second,
            self.lease_size,
        )
        .await?;
        if taken.granted == 0 {
            let missing = (1.0 - taken.left_over).max(0.0);
            let retry_after = (missing / f64::from(self.per_second)).ceil().max(1.0) as u64;
            return Ok(Decision::Refused { retry_after });
        }
        let lease = Lease {
            tokens: taken.granted - 1,
            shared_left: taken.left_over,
            until: Instant::now() + LEASE_TIME,
        };
        let remaining = lease.tokens + lease.shared_left as u32;
        if let Ok(mut leases) = self.leases.lock() {
            leases.insert(bucket, lease);
        }
        Ok(Decision::Allowed { remaining })
    }

    /// Drops expired leases here and full buckets in the database, so memory and rows follow
    /// the active clients.
    pub async fn forget_idle(&self, pool: &sqlx::PgPool) {
        if let Ok(mut leases) = self.leases.lock() {
            let now = Instant::now();
            leases.retain(|_, lease| lease.until > now);
            leases.shrink_to_fit();
        }
        if let Err(err) =
            crate::db::rate_limits::forget_full(pool, self.burst, self.per_second).await
        {
            tracing::warn!(error = %err, "forgetting full rate-limit buckets failed");
        }
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
    let decision = match limits.take(&state.pool, bucket).await {
        Ok(decision) => decision,
        Err(err) => {
            // The limiter must not turn a database hiccup into refusals of its own: the
            // request goes on (and meets the database's state itself).
            tracing::warn!(error = %err, %bucket, "rate limit not checked: the bucket could not be read");
            return next.run(request).await;
        }
    };
    match decision {
        Decision::Allowed { remaining } => {
            // A key seen for the first time: learn whether it is valid (public reads never
            // look), so that its next requests count against the key, not the address.
            if let Some(secret) = unknown_secret
                && let Ok(Some(actor)) = crate::db::keys::authenticate(&state.pool, &secret).await
                && let Some(key_id) = actor.key_id
            {
                limits.remember_key(&secret, key_id);
            }
            let mut response = next.run(request).await;
            let headers = response.headers_mut();
            headers.insert(LIMIT, number(u64::from(limits.burst)));
            headers.insert(REMAINING, number(u64::from(remaining)));
            headers.insert(RESET, number(limits.seconds_to_full(remaining)));
            response
        }
        Decision::Refused { retry_after } => {
            tracing::info!(%bucket, retry_after, "rate limit exceeded");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leases_are_a_twentieth_of_a_second_and_at_most_a_tenth_of_the_burst() {
        assert_eq!(RateLimits::lease_size(1, 3), 1);
        assert_eq!(RateLimits::lease_size(100, 200), 5);
        assert_eq!(RateLimits::lease_size(100, 100), 5);
        assert_eq!(RateLimits::lease_size(1000, 50), 5);
        assert_eq!(RateLimits::lease_size(1_000_000, 2_000_000), 50_000);
    }
}
