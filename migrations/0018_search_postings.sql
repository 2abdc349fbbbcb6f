-- Search without reading every record that shares a trigram with the query (issue 17).
--
-- The trigram indexes on `search_text` find the records whose text is like the query, but on a
-- crowded name ("Wang" in 100,000 researchers) they hand back tens of thousands of rows that
-- each have to be rechecked and scored before the best 20 are known. A record scores by the
-- words of it most like the query, so records whose best match is the same word (or pair of
-- words) score the same, and among equals the first by (name, id) win: the best records for a
-- word are the first few of its records in (name, id) order, and a posting list per word,
-- sorted that way, answers them by reading a handful of index entries. The
-- search (src/db/search.rs) takes its candidates from here and still scores and filters them
-- against `search_text` itself, so a stale posting can never put a wrong or deleted record in
-- an answer; it could only leave a right one out, which is why the triggers below keep them in
-- step with every write.

-- The keys a record's `search_text` is found by: each of its words; each pair of adjacent words,
-- the two sorted ('wei wang' and 'wang wei' are both 'wang wei': trigram similarity ignores
-- word order, so both score 1 for either query); and each pair of words one apart, sorted with
-- ' _ ' between (' max n chen ' has 'max n', 'chen n' and 'chen _ max', so "Max Chen" finds
-- "Max N. Chen"; `tf_fold` turns '_' into a space, so no word holds one). Words are cut
-- to 100 characters so that a key, with the name beside it, always fits in a btree entry
-- (names and aliases have up to 200 characters, which folding can lengthen); no real word is
-- that long. The search derives a query's keys with this same function.
CREATE FUNCTION tf_search_keys(search_text text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$
    WITH w AS (
        SELECT left(word, 100) AS word, n
        FROM unnest(string_to_array(btrim(search_text), ' ')) WITH ORDINALITY AS t(word, n)
        WHERE word <> ''
    )
    SELECT coalesce(array_agg(DISTINCT key), '{}') FROM (
        SELECT word AS key FROM w
        UNION ALL
        SELECT least(a.word, b.word) || CASE b.n - a.n WHEN 1 THEN ' ' ELSE ' _ ' END
               || greatest(a.word, b.word)
        FROM w a JOIN w b ON b.n - a.n IN (1, 2)
    ) keys
$$;

-- One row per live record and key. `name` is there so that a key's records are read in the
-- order the search ranks equals in.
CREATE TABLE search_postings (
    kind text NOT NULL CHECK (kind IN ('researcher', 'company', 'project')),
    word text NOT NULL,
    name text NOT NULL,
    id   uuid NOT NULL,
    PRIMARY KEY (kind, word, name, id)
);

-- The distinct single words, so that the words like the query are found by a trigram index
-- over a few thousand short strings rather than over every record. Deliberately without a
-- unique constraint: a transaction inserting a new word would otherwise make every other
-- writer of that word wait for its commit (an import can hold one open for minutes) and
-- could deadlock with another doing the same in the other order. A word two writers add at
-- once is listed twice, which the search does not notice (it asks which words are like the
-- query, as a set). A word whose last record went away stays: it then finds no postings.
CREATE TABLE search_words (word text NOT NULL);
CREATE INDEX search_words_word_idx ON search_words (word);
CREATE INDEX search_words_trgm_idx ON search_words USING gin (word gin_trgm_ops);

-- Inserts: once per statement over all its rows, so the importer's one INSERT … FROM UNNEST of
-- thousands of records (and COPY) costs one pass rather than one trigger call per record.
CREATE FUNCTION tf_search_postings_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    WITH keys AS MATERIALIZED (
        SELECT k.word, n.name, n.id
        FROM new_rows n CROSS JOIN LATERAL unnest(tf_search_keys(n.search_text)) AS k(word)
        WHERE n.deleted_at IS NULL
    ), posted AS (
        INSERT INTO search_postings (kind, word, name, id)
        SELECT TG_ARGV[0], word, name, id FROM keys
    )
    INSERT INTO search_words (word)
    SELECT DISTINCT word FROM keys k
    WHERE word NOT LIKE '% %' AND NOT EXISTS (SELECT FROM search_words w WHERE w.word = k.word);
    RETURN NULL;
END
$$;

-- Updates and deletes: per row, and only for the rows whose searchable text, name or liveness
-- changed (the triggers' WHEN), so the many updates that touch neither (a version bump, a new
-- homepage) cost nothing. A soft delete takes the record out; a merge is a soft delete of one
-- record and an update of the other's aliases.
CREATE FUNCTION tf_search_postings_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.deleted_at IS NULL THEN
        DELETE FROM search_postings
        WHERE kind = TG_ARGV[0] AND word = ANY (tf_search_keys(OLD.search_text))
          AND name = OLD.name AND id = OLD.id;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.deleted_at IS NULL THEN
        INSERT INTO search_postings (kind, word, name, id)
        SELECT TG_ARGV[0], k, NEW.name, NEW.id FROM unnest(tf_search_keys(NEW.search_text)) k;
        INSERT INTO search_words (word)
        SELECT k FROM unnest(tf_search_keys(NEW.search_text)) k
        WHERE k NOT LIKE '% %' AND NOT EXISTS (SELECT FROM search_words w WHERE w.word = k);
    END IF;
    RETURN NULL;
END
$$;

-- The same three triggers on each table whose names search reads.
DO $$
DECLARE
    target record;
BEGIN
    FOR target IN SELECT * FROM (VALUES ('researchers', 'researcher'), ('companies', 'company'),
                                        ('projects', 'project')) AS t(tab, kind)
    LOOP
        EXECUTE format(
            'CREATE TRIGGER %1$s_search_inserted AFTER INSERT ON %1$I
                 REFERENCING NEW TABLE AS new_rows
                 FOR EACH STATEMENT EXECUTE FUNCTION tf_search_postings_inserted(%2$L)',
            target.tab, target.kind);
        EXECUTE format(
            'CREATE TRIGGER %1$s_search_updated AFTER UPDATE ON %1$I FOR EACH ROW
                 WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.search_text IS DISTINCT FROM NEW.search_text
                       OR (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL))
                 EXECUTE FUNCTION tf_search_postings_changed(%2$L)',
            target.tab, target.kind);
        EXECUTE format(
            'CREATE TRIGGER %1$s_search_deleted AFTER DELETE ON %1$I FOR EACH ROW
                 EXECUTE FUNCTION tf_search_postings_changed(%2$L)',
            target.tab, target.kind);
    END LOOP;
END
$$;

-- The records already there.
INSERT INTO search_postings (kind, word, name, id)
SELECT t.kind, k.word, t.name, t.id
FROM (
    SELECT 'researcher' AS kind, id, name, search_text FROM researchers WHERE deleted_at IS NULL
    UNION ALL
    SELECT 'company', id, name, search_text FROM companies WHERE deleted_at IS NULL
    UNION ALL
    SELECT 'project', id, name, search_text FROM projects WHERE deleted_at IS NULL
) t CROSS JOIN LATERAL unnest(tf_search_keys(t.search_text)) AS k(word);
INSERT INTO search_words (word)
SELECT DISTINCT word FROM search_postings WHERE word NOT LIKE '% %';
ANALYZE search_postings, search_words;
