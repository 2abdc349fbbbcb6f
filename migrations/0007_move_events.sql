-- The change stream of moves: every audit row about a move gets an event number when its
-- transaction commits, in commit order. A reader that has seen event N has seen every event
-- before N, so "everything after N" (an SSE client's Last-Event-ID) never misses one that
-- committed late. Audit ids cannot serve: they are handed out at insert time, so a long
-- transaction can commit an id below one a reader has already passed.
CREATE SEQUENCE move_event_numbers;

CREATE TABLE move_events (
    seq       bigint PRIMARY KEY,
    audit_id  bigint NOT NULL UNIQUE REFERENCES audit_log (id)
);

-- Runs at commit (a deferred constraint trigger). The advisory lock is held until the
-- transaction has committed and become visible, so numbers are taken in commit order; the
-- wait is only for the instant between another writer's numbering and its commit.
CREATE FUNCTION tf_number_move_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    number bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('talentflow.move_events'));
    number := nextval('move_event_numbers');
    INSERT INTO move_events (seq, audit_id) VALUES (number, NEW.id);
    -- Wakes the streams of every server process; they read the events from the table.
    PERFORM pg_notify('talentflow_move_events', number::text);
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER audit_log_move_events AFTER INSERT ON audit_log
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.collection = 'moves')
    EXECUTE FUNCTION tf_number_move_event();

-- Moves written before this migration are history, not events: streams start after them.
