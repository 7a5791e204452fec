#!/usr/bin/env bash
# Make a hot standby of a running PostgreSQL primary: streaming replication through a
# replication slot, started and checked. Run it where the standby is to live.
#
#   # one machine (tests, demos): the primary on 5432, the standby on 5433 beside it
#   scripts/standby.sh --primary-host 127.0.0.1 --primary-port 5432 \
#       --pgdata /var/lib/postgresql/15/standby --port 5433 --socket /var/run/postgresql
#
#   # two machines, on the standby host (its own cluster stopped, its data directory empty)
#   REPLICATION_PASSWORD=... scripts/standby.sh --primary-host db1.internal \
#       --pgdata /var/lib/postgresql/15/main --no-start --synchronous
#   systemctl start postgresql@15-main   # then run it again: it waits for streaming
#
# Steps: on the primary, a replication role and a physical replication slot (so the primary
# keeps the WAL the standby has not received yet, however long it is away); pg_basebackup -R
# of the primary into --pgdata (primary_conninfo and primary_slot_name written for us); the
# standby's own port and socket; start it; wait until the primary sees it streaming. With
# --synchronous, the primary's commits then wait for this standby (synchronous_standby_names,
# synchronous_commit = on): no committed order is lost in a failover, at the price of a
# round trip per commit and commits that wait while the standby is down.
# Run as root or as the cluster owner (--owner): pg_basebackup and pg_ctl run as the owner.
# Promote it with `flask ops promote` (docs/RECOVERY.md, "Hot standby and failover").

set -euo pipefail

usage() {
    cat >&2 <<'EOF'
usage: standby.sh --pgdata DIR [options]

The primary (every option also reads the environment variable in brackets):
  --primary-host HOST      where the primary listens (127.0.0.1)   [PRIMARY_HOST]
  --primary-port N         its port (5432)                         [PRIMARY_PORT]
  --primary-user NAME      a superuser there, for the role, the slot and the synchronous
                           setting (postgres)                      [PRIMARY_USER]
  --replication-user NAME  the role the standby streams as (replicator) [REPLICATION_USER]
  --replication-password P its password, set on the role and written to the standby's
                           primary_conninfo (none: trust or .pgpass) [REPLICATION_PASSWORD]
  --slot NAME              the physical replication slot (standby1) [REPLICATION_SLOT]
  --synchronous            the primary's commits wait for this standby to flush them
The standby:
  --pgdata DIR             its data directory: absent or empty      [PGDATA]
  --port N                 its port (written to its conf; default: the primary's conf)
                                                                   [PGPORT]
  --socket DIR             its unix socket directory (default: the primary's conf)
  --owner NAME             who runs it (postgres)                   [PG_OWNER]
  --pg-bin DIR             PostgreSQL's binaries (/usr/lib/postgresql/<newest>/bin)
  --log-file FILE          pg_ctl's log (DIR.log beside the data directory)
  --start-command CMD      how to start it (default: pg_ctl -D DIR -l FILE -w start)
  --no-start               leave it stopped (start it with your service manager, then
                           run this again to wait for streaming and, with --synchronous,
                           switch the primary over)
EOF
    exit 2
}

die() { echo "standby: ERROR: $*" >&2; exit 1; }
log() { echo "standby: $*" >&2; }

PRIMARY_HOST=${PRIMARY_HOST:-127.0.0.1}
PRIMARY_PORT=${PRIMARY_PORT:-5432}
PRIMARY_USER=${PRIMARY_USER:-postgres}
REPLICATION_USER=${REPLICATION_USER:-replicator}
REPLICATION_PASSWORD=${REPLICATION_PASSWORD:-}
SLOT=${REPLICATION_SLOT:-standby1}
SYNCHRONOUS=
PGDATA_DIR=${PGDATA:-}
PORT=${PGPORT:-}
SOCKET=
OWNER=${PG_OWNER:-postgres}
PG_BIN=
LOG_FILE=
START_COMMAND=
START=1

while (($#)); do
    opt=$1
    case $opt in
        -h|--help) usage ;;
        --synchronous) SYNCHRONOUS=1; shift; continue ;;
        --no-start) START=; shift; continue ;;
    esac
    (($# >= 2)) || { echo "standby: $opt needs a value" >&2; usage; }
    val=$2
    shift 2
    case $opt in
        --primary-host) PRIMARY_HOST=$val ;;
        --primary-port) PRIMARY_PORT=$val ;;
        --primary-user) PRIMARY_USER=$val ;;
        --replication-user) REPLICATION_USER=$val ;;
        --replication-password) REPLICATION_PASSWORD=$val ;;
        --slot) SLOT=$val ;;
        --pgdata) PGDATA_DIR=$val ;;
        --port) PORT=$val ;;
        --socket) SOCKET=$val ;;
        --owner) OWNER=$val ;;
        --pg-bin) PG_BIN=$val ;;
        --log-file) LOG_FILE=$val ;;
        --start-command) START_COMMAND=$val ;;
        *) echo "standby: unknown option $opt" >&2; usage ;;
    esac
done

[[ -n $PGDATA_DIR ]] || usage
[[ $PGDATA_DIR == /* ]] || die "--pgdata must be an absolute path"
[[ $PRIMARY_PORT =~ ^[0-9]+$ ]] || die "primary port '$PRIMARY_PORT' is not a number"
[[ -z $PORT || $PORT =~ ^[0-9]+$ ]] || die "port '$PORT' is not a number"
# The slot's name is also the standby's application_name, which synchronous_standby_names
# matches: keep it to what both accept unquoted.
[[ $SLOT =~ ^[a-z0-9_]+$ ]] || die "slot '$SLOT': lower-case letters, digits and '_' only"
[[ $REPLICATION_USER =~ ^[A-Za-z0-9_]+$ ]] || die "replication user: letters, digits, '_' only"
if [[ -z $PG_BIN ]]; then
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    PG_BIN=${PG_BIN:-$(dirname "$(command -v pg_basebackup)")}
fi
[[ -x $PG_BIN/pg_basebackup ]] || die "no pg_basebackup in $PG_BIN (--pg-bin)"
LOG_FILE=${LOG_FILE:-$PGDATA_DIR.log}
id "$OWNER" >/dev/null 2>&1 || die "no user $OWNER (--owner)"

as_owner() {
    if [[ $(id -un) == "$OWNER" ]]; then "$@"
    elif [[ $EUID -eq 0 ]]; then (cd / && runuser -u "$OWNER" -- "$@")
    else die "run as root or as $OWNER (--owner)"
    fi
}
# psql on the primary, as its superuser. The password (if any) comes from PGPASSWORD or
# ~/.pgpass, as for any psql; the replication password is not the superuser's.
primary_sql() {
    PGPASSWORD=${PRIMARY_PASSWORD:-${PGPASSWORD:-}} "$PG_BIN/psql" -h "$PRIMARY_HOST" \
        -p "$PRIMARY_PORT" -U "$PRIMARY_USER" -d postgres -XAtq -v ON_ERROR_STOP=1 "$@"
}
sql_quote() { printf "'%s'" "${1//\'/\'\'}"; }

primary_sql -c 'select 1' >/dev/null \
    || die "the primary does not answer on $PRIMARY_HOST port $PRIMARY_PORT as $PRIMARY_USER"
[[ $(primary_sql -c 'select pg_is_in_recovery()') == f ]] \
    || die "$PRIMARY_HOST:$PRIMARY_PORT is a standby itself: point --primary-host at the primary"
[[ $(primary_sql -c "select setting from pg_settings where name = 'wal_level'") != minimal ]] \
    || die "the primary runs with wal_level = minimal: set it to replica and restart it"

# --- the primary's side: the role and the slot (kept when they exist) --------------------------

role_sql="CREATE ROLE $REPLICATION_USER WITH REPLICATION LOGIN"
[[ -z $REPLICATION_PASSWORD ]] || role_sql+=" PASSWORD $(sql_quote "$REPLICATION_PASSWORD")"
if [[ $(primary_sql -c "select count(*) from pg_roles where rolname = '$REPLICATION_USER'") == 0 ]]
then
    primary_sql -c "$role_sql" >/dev/null
    log "created the replication role $REPLICATION_USER on the primary"
elif [[ -n $REPLICATION_PASSWORD ]]; then
    primary_sql -c "ALTER ROLE $REPLICATION_USER WITH REPLICATION LOGIN PASSWORD $(sql_quote "$REPLICATION_PASSWORD")" >/dev/null
fi

slot_active=$(primary_sql -c \
    "select coalesce(bool_or(active), false) from pg_replication_slots where slot_name = '$SLOT'")
slot_exists=$(primary_sql -c "select count(*) from pg_replication_slots where slot_name = '$SLOT'")

# --- the standby: a base backup, unless it is there already (run again after --no-start) -------

conninfo="host=$PRIMARY_HOST port=$PRIMARY_PORT user=$REPLICATION_USER application_name=$SLOT"
if [[ -f $PGDATA_DIR/standby.signal ]]; then
    log "$PGDATA_DIR holds a standby already: no new base backup"
else
    [[ ! -e $PGDATA_DIR || -z $(ls -A "$PGDATA_DIR") ]] \
        || die "$PGDATA_DIR is not empty (and not a standby): never overwritten; empty it first"
    [[ $slot_active == f ]] || die "slot $SLOT is in use by another standby: pick another --slot"
    if [[ $slot_exists == 0 ]]; then
        # Reserved now (immediately_reserve), so the WAL from the base backup's start on is
        # kept until this standby has streamed it.
        primary_sql -c "select pg_create_physical_replication_slot('$SLOT', true)" >/dev/null
        log "created the replication slot $SLOT on the primary"
    fi
    mkdir -p "$PGDATA_DIR"
    chown "$OWNER": "$PGDATA_DIR" 2>/dev/null || true
    chmod 700 "$PGDATA_DIR"
    log "base backup of $PRIMARY_HOST:$PRIMARY_PORT into $PGDATA_DIR"
    # -R writes primary_conninfo (with application_name, and the password when one was
    # used) and primary_slot_name into postgresql.auto.conf, and creates standby.signal.
    # -X stream copies the WAL written meanwhile over a second connection.
    PGPASSWORD=$REPLICATION_PASSWORD as_owner "$PG_BIN/pg_basebackup" -d "$conninfo" \
        -D "$PGDATA_DIR" -R -S "$SLOT" -X stream -c fast --no-password \
        || die "pg_basebackup failed: does the primary's pg_hba.conf let $REPLICATION_USER in for replication from here?"
    {
        echo
        echo "# Written by scripts/standby.sh."
        [[ -z $PORT ]] || echo "port = $PORT"
        [[ -z $SOCKET ]] || echo "unix_socket_directories = '$SOCKET'"
        echo "hot_standby = on"
        # The standby doubles as the reports' replica: without feedback, a report reading
        # rows that VACUUM on the primary removes is cancelled on the standby.
        echo "hot_standby_feedback = on"
        # Once promoted it has no standby of its own: a synchronous_standby_names copied
        # from the primary would make every commit on it wait for ever.
        echo "synchronous_standby_names = ''"
        # The primary's archive_command comes along and stays idle while this is a standby;
        # once promoted it archives into the same pgBackRest repository, so install
        # pgBackRest with the same pgbackrest.conf on this host (docs/RECOVERY.md).
    } | as_owner tee -a "$PGDATA_DIR/postgresql.auto.conf" >/dev/null
fi

# --- start it, and wait until the primary sees it streaming -----------------------------------

if [[ -n $START ]]; then
    if as_owner "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then
        log "the standby runs already"
    elif [[ -n $START_COMMAND ]]; then
        bash -c "$START_COMMAND"
    else
        as_owner "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$LOG_FILE" -w -t 120 start >/dev/null \
            || die "the standby did not start: see $LOG_FILE"
    fi
fi

streaming() {
    primary_sql -c "select count(*) from pg_stat_replication
                    where application_name = '$SLOT' and state = 'streaming'"
}
if [[ $(streaming) == 0 ]]; then
    if [[ -z $START ]]; then
        log "made; not started (--no-start). Start it, then run this again to check it streams."
        [[ -z $SYNCHRONOUS ]] || log "--synchronous is applied only once it streams"
        exit 0
    fi
    for _ in $(seq 1 600); do
        [[ $(streaming) == 0 ]] || break
        sleep 0.1
    done
    [[ $(streaming) != 0 ]] || die "the standby does not stream after 60 s: see $LOG_FILE"
fi
log "streaming from $PRIMARY_HOST:$PRIMARY_PORT through slot $SLOT"

# --- synchronous commits, only once it streams (before, every commit would wait) ---------------

if [[ -n $SYNCHRONOUS ]]; then
    primary_sql -c "ALTER SYSTEM SET synchronous_standby_names = 'FIRST 1 ($SLOT)'" \
        -c "ALTER SYSTEM SET synchronous_commit = 'on'" -c "SELECT pg_reload_conf()" >/dev/null
    for _ in $(seq 1 300); do
        state=$(primary_sql -c "select sync_state from pg_stat_replication
                                where application_name = '$SLOT'")
        [[ $state != sync ]] || break
        sleep 0.1
    done
    [[ $state == sync ]] || die "the primary does not treat $SLOT as synchronous (sync_state $state)"
    log "synchronous: commits on the primary wait for $SLOT"
fi
log "done: standby $SLOT in $PGDATA_DIR${PORT:+ on port $PORT}"
