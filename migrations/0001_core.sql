-- Core records: companies, researchers, sources, moves, plus API keys and the audit log.
-- Enumerations are text with CHECK constraints so that adding a value is a one-line migration
-- and the Rust side decodes them as plain strings.

CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Case- and accent-folded text with punctuation turned into single spaces: "Karén-Simonyan" -> "karen simonyan".
-- Declared IMMUTABLE (with the dictionary named explicitly) so generated columns and indexes can use it.
CREATE FUNCTION tf_fold(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT btrim(lower(regexp_replace(public.unaccent('public.unaccent'::regdictionary, t), '[[:space:][:punct:]]+', ' ', 'g'))) $$;

-- " name alias1 alias2 ": every word is preceded by a space, so "LIKE '% ' || prefix || '%'" is a
-- word-prefix match that a trigram index can answer.
CREATE FUNCTION tf_search_text(name text, aliases text[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT ' ' || tf_fold(name || ' ' || coalesce(array_to_string(aliases, ' '), '')) || ' ' $$;

CREATE TABLE companies (
    id                uuid PRIMARY KEY,
    slug              text NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind              text NOT NULL CHECK (kind IN ('big_tech', 'ai_lab', 'startup', 'academia', 'government', 'other')),
    parent_id         uuid REFERENCES companies (id),
    aliases           text[] NOT NULL DEFAULT '{}',
    country           text CHECK (country ~ '^[A-Z]{2}$'),
    website           text,
    founded_on        date,
    founded_precision text CHECK (founded_precision IN ('day', 'month', 'year')),
    search_text       text NOT NULL GENERATED ALWAYS AS (tf_search_text(name, aliases)) STORED,
    version           bigint NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    deleted_at        timestamptz,
    CONSTRAINT companies_parent_not_self CHECK (parent_id <> id),
    CONSTRAINT companies_founded_precision_set CHECK ((founded_on IS NULL) = (founded_precision IS NULL))
);
-- Slugs are unique among live records; a deleted record gives its slug back.
CREATE UNIQUE INDEX companies_slug_key ON companies (slug) WHERE deleted_at IS NULL;
CREATE INDEX companies_name_idx ON companies (name, id) WHERE deleted_at IS NULL;
CREATE INDEX companies_created_idx ON companies (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX companies_kind_idx ON companies (kind, name, id) WHERE deleted_at IS NULL;
CREATE INDEX companies_country_idx ON companies (country, name, id) WHERE deleted_at IS NULL;
CREATE INDEX companies_parent_idx ON companies (parent_id) WHERE deleted_at IS NULL;
CREATE INDEX companies_search_idx ON companies USING gin (search_text gin_trgm_ops);

CREATE TABLE researchers (
    id          uuid PRIMARY KEY,
    slug        text NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    aliases     text[] NOT NULL DEFAULT '{}',
    orcid       text CHECK (orcid ~ '^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$'),
    openalex_id text CHECK (openalex_id ~ '^A\d+$'),
    homepage    text,
    topics      text[] NOT NULL DEFAULT '{}',
    search_text text NOT NULL GENERATED ALWAYS AS (tf_search_text(name, aliases)) STORED,
    version     bigint NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE UNIQUE INDEX researchers_slug_key ON researchers (slug) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX researchers_orcid_key ON researchers (orcid) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX researchers_openalex_key ON researchers (openalex_id) WHERE deleted_at IS NULL;
CREATE INDEX researchers_name_idx ON researchers (name, id) WHERE deleted_at IS NULL;
CREATE INDEX researchers_created_idx ON researchers (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX researchers_topics_idx ON researchers USING gin (topics) WHERE deleted_at IS NULL;
CREATE INDEX researchers_search_idx ON researchers USING gin (search_text gin_trgm_ops);

CREATE TABLE sources (
    id                  uuid PRIMARY KEY,
    url                 text,
    publisher           text,
    title               text,
    published_on        date,
    published_precision text CHECK (published_precision IN ('day', 'month', 'year')),
    language            text,
    search_text         text NOT NULL GENERATED ALWAYS AS (tf_search_text(coalesce(title, ''), ARRAY[coalesce(publisher, '')])) STORED,
    version             bigint NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    deleted_at          timestamptz,
    CONSTRAINT sources_identifiable CHECK (url IS NOT NULL OR publisher IS NOT NULL OR title IS NOT NULL),
    CONSTRAINT sources_published_precision_set CHECK ((published_on IS NULL) = (published_precision IS NULL))
);
CREATE UNIQUE INDEX sources_url_key ON sources (url) WHERE deleted_at IS NULL AND url IS NOT NULL;
CREATE INDEX sources_published_idx ON sources (published_on DESC NULLS LAST, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX sources_created_idx ON sources (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX sources_publisher_idx ON sources (publisher) WHERE deleted_at IS NULL;
CREATE INDEX sources_search_idx ON sources USING gin (search_text gin_trgm_ops);

CREATE TABLE moves (
    id                  uuid PRIMARY KEY,
    researcher_id       uuid NOT NULL REFERENCES researchers (id),
    from_company_id     uuid REFERENCES companies (id),
    to_company_id       uuid REFERENCES companies (id),
    kind                text NOT NULL CHECK (kind IN ('hire', 'departure', 'acquihire', 'founding', 'return')),
    title               text,
    effective_on        date NOT NULL,
    effective_precision text NOT NULL CHECK (effective_precision IN ('day', 'month', 'year')),
    announced_on        date,
    announced_precision text CHECK (announced_precision IN ('day', 'month', 'year')),
    confidence          text NOT NULL CHECK (confidence IN ('confirmed', 'reported', 'rumored')),
    notes               text,
    version             bigint NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    deleted_at          timestamptz,
    CONSTRAINT moves_has_a_side CHECK (from_company_id IS NOT NULL OR to_company_id IS NOT NULL),
    CONSTRAINT moves_sides_differ CHECK (from_company_id <> to_company_id),
    -- A departure has no known destination; every other kind names one.
    CONSTRAINT moves_destination_matches_kind CHECK ((kind = 'departure') = (to_company_id IS NULL)),
    CONSTRAINT moves_announced_precision_set CHECK ((announced_on IS NULL) = (announced_precision IS NULL))
);
-- Every list filter is paired with the default sort (newest effective_on first, then id) so a
-- filtered page is an index range scan, not a sort of all matches.
CREATE INDEX moves_effective_idx ON moves (effective_on DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX moves_created_idx ON moves (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX moves_researcher_idx ON moves (researcher_id, effective_on DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX moves_from_idx ON moves (from_company_id, effective_on DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX moves_to_idx ON moves (to_company_id, effective_on DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX moves_kind_idx ON moves (kind, effective_on DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX moves_confidence_idx ON moves (confidence, effective_on DESC, id DESC) WHERE deleted_at IS NULL;

CREATE TABLE move_sources (
    move_id   uuid NOT NULL REFERENCES moves (id),
    source_id uuid NOT NULL REFERENCES sources (id),
    position  integer NOT NULL,
    quote     text,
    PRIMARY KEY (move_id, source_id)
);
CREATE INDEX move_sources_source_idx ON move_sources (source_id);

CREATE TABLE api_keys (
    id           uuid PRIMARY KEY,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    role         text NOT NULL CHECK (role IN ('editor', 'admin')),
    -- SHA-256 of the secret; the secret itself is never stored.
    secret_hash  bytea NOT NULL UNIQUE,
    prefix       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);

CREATE TABLE audit_log (
    id           bigserial PRIMARY KEY,
    occurred_at  timestamptz NOT NULL DEFAULT now(),
    actor_key_id uuid REFERENCES api_keys (id),
    actor_name   text NOT NULL,
    action       text NOT NULL CHECK (action IN ('create', 'update', 'delete')),
    collection   text NOT NULL,
    record_id    uuid NOT NULL,
    before       jsonb,
    after        jsonb
);
CREATE INDEX audit_log_record_idx ON audit_log (collection, record_id, id DESC);
