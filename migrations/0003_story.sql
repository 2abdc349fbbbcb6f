-- The rest of the story: projects with author rosters and press figures about them, deals
-- (acqui-hires), compensation reports and recruiting signals.

CREATE TABLE projects (
    id                 uuid PRIMARY KEY,
    slug               text NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    company_id         uuid REFERENCES companies (id),
    released_on        date,
    released_precision text CHECK (released_precision IN ('day', 'month', 'year')),
    url                text,
    search_text        text NOT NULL GENERATED ALWAYS AS (tf_search_text(name, '{}')) STORED,
    version            bigint NOT NULL DEFAULT 1,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    deleted_at         timestamptz,
    CONSTRAINT projects_released_precision_set CHECK ((released_on IS NULL) = (released_precision IS NULL))
);
CREATE UNIQUE INDEX projects_slug_key ON projects (slug) WHERE deleted_at IS NULL;
CREATE INDEX projects_name_idx ON projects (name, id) WHERE deleted_at IS NULL;
CREATE INDEX projects_created_idx ON projects (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX projects_company_idx ON projects (company_id, name, id) WHERE deleted_at IS NULL;
CREATE INDEX projects_search_idx ON projects USING gin (search_text gin_trgm_ops);

-- The author roster, in the order printed. Replaced as a whole (PUT).
CREATE TABLE project_contributors (
    project_id    uuid NOT NULL REFERENCES projects (id),
    researcher_id uuid NOT NULL REFERENCES researchers (id),
    position      integer NOT NULL,
    role          text,
    PRIMARY KEY (project_id, researcher_id)
);
CREATE INDEX project_contributors_researcher_idx ON project_contributors (researcher_id);

-- Figures the press reported about a project's roster ("7 of 14 have left").
CREATE TABLE project_reports (
    id                 uuid PRIMARY KEY,
    project_id         uuid NOT NULL REFERENCES projects (id),
    roster_size        integer CHECK (roster_size > 0),
    departed           integer NOT NULL CHECK (departed >= 0),
    qualifier          text NOT NULL CHECK (qualifier IN ('exactly', 'at_least', 'about')),
    reported_on        date NOT NULL,
    reported_precision text NOT NULL CHECK (reported_precision IN ('day', 'month', 'year')),
    source_id          uuid REFERENCES sources (id),
    notes              text,
    version            bigint NOT NULL DEFAULT 1,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    deleted_at         timestamptz,
    CONSTRAINT project_reports_departed_within_roster CHECK (roster_size IS NULL OR departed <= roster_size)
);
CREATE INDEX project_reports_project_idx ON project_reports (project_id, reported_on DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX project_reports_source_idx ON project_reports (source_id);

CREATE TABLE deals (
    id                  uuid PRIMARY KEY,
    kind                text NOT NULL CHECK (kind IN ('acquisition', 'acquihire', 'license_and_hire')),
    acquirer_id         uuid NOT NULL REFERENCES companies (id),
    target_id           uuid NOT NULL REFERENCES companies (id),
    announced_on        date,
    announced_precision text CHECK (announced_precision IN ('day', 'month', 'year')),
    people_moved        integer CHECK (people_moved >= 0),
    value_usd           bigint CHECK (value_usd >= 0),
    notes               text,
    version             bigint NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    deleted_at          timestamptz,
    CONSTRAINT deals_parties_differ CHECK (acquirer_id <> target_id),
    CONSTRAINT deals_announced_precision_set CHECK ((announced_on IS NULL) = (announced_precision IS NULL))
);
CREATE INDEX deals_announced_idx ON deals (announced_on DESC NULLS LAST, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX deals_created_idx ON deals (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX deals_acquirer_idx ON deals (acquirer_id) WHERE deleted_at IS NULL;
CREATE INDEX deals_target_idx ON deals (target_id) WHERE deleted_at IS NULL;
CREATE INDEX deals_kind_idx ON deals (kind) WHERE deleted_at IS NULL;

CREATE TABLE deal_sources (
    deal_id   uuid NOT NULL REFERENCES deals (id),
    source_id uuid NOT NULL REFERENCES sources (id),
    position  integer NOT NULL,
    quote     text,
    PRIMARY KEY (deal_id, source_id)
);
CREATE INDEX deal_sources_source_idx ON deal_sources (source_id);

ALTER TABLE moves ADD COLUMN deal_id uuid REFERENCES deals (id);
CREATE INDEX moves_deal_idx ON moves (deal_id, effective_on DESC, id DESC) WHERE deleted_at IS NULL;

CREATE TABLE compensation_reports (
    id                 uuid PRIMARY KEY,
    company_id         uuid NOT NULL REFERENCES companies (id),
    role               text NOT NULL CHECK (length(role) BETWEEN 1 AND 200),
    currency           text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    -- Whole currency units a year; either bound may be open ("up to $2M").
    annual_min         bigint CHECK (annual_min >= 0),
    annual_max         bigint CHECK (annual_max >= 0),
    basis              text CHECK (basis IN ('base', 'total')),
    reported_on        date NOT NULL,
    reported_precision text NOT NULL CHECK (reported_precision IN ('day', 'month', 'year')),
    source_id          uuid REFERENCES sources (id),
    notes              text,
    version            bigint NOT NULL DEFAULT 1,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    deleted_at         timestamptz,
    CONSTRAINT compensation_has_a_bound CHECK (annual_min IS NOT NULL OR annual_max IS NOT NULL),
    CONSTRAINT compensation_min_not_above_max CHECK (annual_min IS NULL OR annual_max IS NULL OR annual_min <= annual_max)
);
CREATE INDEX compensation_reported_idx ON compensation_reports (reported_on DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX compensation_created_idx ON compensation_reports (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX compensation_company_idx ON compensation_reports (company_id, reported_on DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX compensation_role_idx ON compensation_reports (lower(role), reported_on DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX compensation_source_idx ON compensation_reports (source_id);

CREATE TABLE signals (
    id                 uuid PRIMARY KEY,
    kind               text NOT NULL CHECK (kind IN ('ceo_outreach', 'offers_without_interview', 'retention_raise', 'hiring_freeze', 'other')),
    company_id         uuid NOT NULL REFERENCES companies (id),
    description        text NOT NULL CHECK (length(description) BETWEEN 1 AND 5000),
    reported_on        date NOT NULL,
    reported_precision text NOT NULL CHECK (reported_precision IN ('day', 'month', 'year')),
    version            bigint NOT NULL DEFAULT 1,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    deleted_at         timestamptz
);
CREATE INDEX signals_reported_idx ON signals (reported_on DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX signals_created_idx ON signals (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX signals_company_idx ON signals (company_id, reported_on DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX signals_kind_idx ON signals (kind, reported_on DESC, id DESC) WHERE deleted_at IS NULL;

CREATE TABLE signal_sources (
    signal_id uuid NOT NULL REFERENCES signals (id),
    source_id uuid NOT NULL REFERENCES sources (id),
    position  integer NOT NULL,
    quote     text,
    PRIMARY KEY (signal_id, source_id)
);
CREATE INDEX signal_sources_source_idx ON signal_sources (source_id);
