-- Rate limits shared by every talentflow process on this database (issue 15): one token bucket
-- per key or client address. Processes lease a few tokens at a time from it (src/rate_limit.rs),
-- so N processes together admit no more than one bucket allows.
--
-- Unlogged: a bucket is worth nothing after a crash (it refills anyway), and its constant
-- updates should not fill the WAL or travel to replicas.
CREATE UNLOGGED TABLE rate_limit_buckets (
    bucket      text PRIMARY KEY,
    tokens      double precision NOT NULL,
    refilled_at timestamptz NOT NULL
);

-- Refills the bucket for the time since its last refill (at `rate` tokens a second, up to
-- `burst`), then takes up to `wanted` whole tokens from it. Returns how many it took and what
-- is left. A bucket seen for the first time starts full. One round trip, one row lock.
CREATE FUNCTION tf_take_rate_tokens(
    p_bucket text,
    p_burst double precision,
    p_rate double precision,
    p_wanted integer,
    OUT granted integer,
    OUT left_over double precision
) LANGUAGE plpgsql AS $$
DECLARE
    now_ timestamptz := clock_timestamp();
    available double precision;
BEGIN
    INSERT INTO rate_limit_buckets AS b (bucket, tokens, refilled_at)
    VALUES (p_bucket, p_burst, now_)
    ON CONFLICT (bucket) DO UPDATE
        SET tokens = least(p_burst,
                           b.tokens + p_rate * extract(epoch FROM now_ - b.refilled_at)::double precision),
            refilled_at = now_
    RETURNING tokens INTO available;
    granted := least(p_wanted, floor(available))::integer;
    left_over := available - granted;
    IF granted > 0 THEN
        UPDATE rate_limit_buckets SET tokens = left_over WHERE bucket = p_bucket;
    END IF;
END
$$;
