#!/bin/sh
# The streaming replica of `docker compose --profile replicas up`, in the official postgres
# image: on an empty data directory, copy the primary with `pg_basebackup -R` through the
# replication slot `$REPLICA_SLOT` (created if missing), then run as a hot standby. On later
# starts the copy is there and replication resumes from the slot. Arguments go to `postgres`.
#
# Connection settings come from the libpq environment (PGHOST, PGPORT, PGUSER, PGPASSWORD,
# PGDATABASE); tests/api/docker.rs runs this script against a local primary.
set -eu
: "${PGDATA:?PGDATA names the data directory}"
: "${REPLICA_SLOT:=talentflow_replica}"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    # Wait for the primary to accept connections (compose also waits for its healthcheck).
    until pg_isready -q; do sleep 1; done
    psql -v ON_ERROR_STOP=1 -qAtc "SELECT pg_create_physical_replication_slot('$REPLICA_SLOT')
        WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = '$REPLICA_SLOT')" >/dev/null
    mkdir -p "$PGDATA"
    chmod 700 "$PGDATA"
    pg_basebackup -D "$PGDATA" -R -S "$REPLICA_SLOT" -X stream -c fast
fi

# Feedback keeps a vacuum on the primary from cancelling long reads here.
exec postgres -c hot_standby_feedback=on "$@"
