-- Idempotent POSTs: the first response to (key holder, Idempotency-Key) is kept and replayed to
-- retries. In Postgres, so that every server process agrees.
CREATE TABLE idempotency_keys (
    holder       uuid NOT NULL REFERENCES api_keys (id),
    key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    -- SHA-256 of method, path and body: the same key with another request is refused.
    request_hash bytea NOT NULL,
    -- Null while the first request is still running.
    status       smallint,
    headers      jsonb,
    body         bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz,
    PRIMARY KEY (holder, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
