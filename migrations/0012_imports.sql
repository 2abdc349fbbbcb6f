-- Imports as records: an import is written once, and the audit rows it writes refer to it, so
-- a record's history says which import created or changed it. The change stream gets one
-- `import.completed` event per import that changed moves, instead of one event per move: a
-- million-move import would otherwise be a million events to number at commit (with a
-- notification each) and a million messages for every follower, who is better served by
-- "re-read" and the counts.

CREATE TABLE imports (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor_key_id  uuid REFERENCES api_keys (id),
    actor_name    text NOT NULL,
    started_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    -- The import's report (lines, records, created/updated/unchanged per type), set when it ends.
    report        jsonb,
    -- Moves the import created or updated: an import that changed none has no event.
    moves_changed bigint NOT NULL DEFAULT 0
);

-- The import that wrote an audit row. An import sets `talentflow.import_id` for its own
-- transaction (set_config(..., true)), so every row it writes gets it, whichever code path
-- writes the row; outside an import the setting is unset or '' and the column is NULL.
ALTER TABLE audit_log ADD COLUMN import_id bigint REFERENCES imports (id)
    DEFAULT nullif(current_setting('talentflow.import_id', true), '')::bigint;

-- A move's own event only when no import wrote it: the import's event covers its moves.
DROP TRIGGER audit_log_move_events ON audit_log;
CREATE CONSTRAINT TRIGGER audit_log_move_events AFTER INSERT ON audit_log
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.collection = 'moves' AND NEW.import_id IS NULL)
    EXECUTE FUNCTION tf_number_move_event();

-- An event is a move's audit row or an import.
ALTER TABLE move_events ALTER COLUMN audit_id DROP NOT NULL;
ALTER TABLE move_events ADD COLUMN import_id bigint UNIQUE REFERENCES imports (id);
ALTER TABLE move_events ADD CONSTRAINT move_events_one_subject
    CHECK ((audit_id IS NULL) <> (import_id IS NULL));

-- 0007's numbering, now for both kinds of event: the same lock, sequence and notification,
-- with the subject an audit row (its trigger on audit_log) or an import (its trigger on imports).
CREATE OR REPLACE FUNCTION tf_number_move_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    number bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('talentflow.move_events'));
    number := nextval('move_event_numbers');
    IF TG_TABLE_NAME = 'imports' THEN
        INSERT INTO move_events (seq, import_id) VALUES (number, NEW.id);
    ELSE
        INSERT INTO move_events (seq, audit_id) VALUES (number, NEW.id);
    END IF;
    -- Wakes the streams of every server process; they read the events from the table.
    PERFORM pg_notify('talentflow_move_events', number::text);
    RETURN NULL;
END
$$;

-- Fires when the import records its outcome (the last write of its transaction).
CREATE CONSTRAINT TRIGGER imports_move_events AFTER UPDATE OF moves_changed ON imports
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.moves_changed > 0 AND OLD.moves_changed = 0)
    EXECUTE FUNCTION tf_number_move_event();

