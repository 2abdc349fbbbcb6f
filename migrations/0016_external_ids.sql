-- Identifiers in the open registers that ingest matches records by (issue 16).
--
-- Companies get their ROR id (bare, `05x2bcf33`), OpenAlex institution id (`I…`) and Wikidata
-- item (`Q…`); researchers, who had ORCID and OpenAlex ids, get their Wikidata item. Each is
-- unique among live records, like the slug.
--
-- `known_ids` holds the other identifiers a record answers to: a second OpenAlex profile of one
-- person (OpenAlex splits authors), and the identifiers of a record merged into this one. A
-- record's own fields are not repeated here; matching asks the fields first, then this table.

ALTER TABLE companies
    ADD COLUMN ror         text CHECK (ror ~ '^0[a-z0-9]{6}[0-9]{2}$'),
    ADD COLUMN openalex_id text CHECK (openalex_id ~ '^I[0-9]+$'),
    ADD COLUMN wikidata_id text CHECK (wikidata_id ~ '^Q[0-9]+$');
CREATE UNIQUE INDEX companies_ror_key ON companies (ror) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX companies_openalex_key ON companies (openalex_id) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX companies_wikidata_key ON companies (wikidata_id) WHERE deleted_at IS NULL;

ALTER TABLE researchers ADD COLUMN wikidata_id text CHECK (wikidata_id ~ '^Q[0-9]+$');
CREATE UNIQUE INDEX researchers_wikidata_key ON researchers (wikidata_id) WHERE deleted_at IS NULL;

CREATE TABLE known_ids (
    collection text NOT NULL CHECK (collection IN ('companies', 'researchers')),
    scheme     text NOT NULL CHECK (scheme IN ('ror', 'openalex', 'wikidata', 'orcid')),
    value      text NOT NULL,
    record_id  uuid NOT NULL,
    PRIMARY KEY (collection, scheme, value)
);
CREATE INDEX known_ids_record_idx ON known_ids (record_id);
