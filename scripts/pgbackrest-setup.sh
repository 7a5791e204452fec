#!/usr/bin/env bash
# Set a running PostgreSQL cluster up for continuous WAL archiving with pgBackRest.
# Idempotent: run it again with the same arguments and it changes nothing that is right
# already (the conf is rewritten, the restart and the first full backup happen only once).
#
#   scripts/pgbackrest-setup.sh --stanza kade --pgdata /var/lib/postgresql/15/main \
#       --config /etc/pgbackrest/pgbackrest.conf --repo-path /var/lib/pgbackrest
#
#   scripts/pgbackrest-setup.sh --stanza kade --pgdata /var/lib/postgresql/15/main \
#       --config /etc/pgbackrest/pgbackrest.conf --s3-endpoint s3.eu-west-1.amazonaws.com \
#       --s3-bucket kade-backups --s3-region eu-west-1   # keys from AWS_ACCESS_KEY_ID etc.
#
# Steps: write the pgbackrest.conf (0640, group postgres: it holds the repository keys),
# ALTER SYSTEM archive_mode/archive_command/archive_timeout, restart when archive_mode was
# off, stanza-create, check, and a first full backup when the repository holds none.
# Run as root or as the cluster's owner; pgBackRest and psql run as the owner.
# Then point the app at it: PGBACKREST_STANZA and PGBACKREST_CONFIG (see docs/RECOVERY.md).

set -euo pipefail

usage() {
    cat >&2 <<'EOF'
usage: pgbackrest-setup.sh --stanza NAME --pgdata DIR --config FILE [options]

Cluster (every option also reads the environment variable in brackets):
  --stanza NAME            pgBackRest stanza name                  [PGBACKREST_STANZA]
  --pgdata DIR             the cluster's data directory            [PGDATA]
  --config FILE            pgbackrest.conf to write                [PGBACKREST_CONFIG]
  --port N                 PostgreSQL port (5432)                  [PGPORT]
  --socket DIR             PostgreSQL's unix socket directory [PG_SOCKET_DIR]
                           (/var/run/postgresql)
  --restart-command CMD    how to restart PostgreSQL (default: pg_ctl -D DIR -w restart)
                                                                   [PG_RESTART_COMMAND]
Repository (a folder, or an S3 bucket when --s3-bucket is given):
  --repo-path PATH         folder, or the prefix inside the bucket
                           (/var/lib/pgbackrest; /pgbackrest on S3) [PGBACKREST_REPO_PATH]
  --s3-endpoint HOST       S3 endpoint host                        [PGBACKREST_S3_ENDPOINT]
  --s3-port N              S3 endpoint TLS port (443)              [PGBACKREST_S3_PORT]
  --s3-bucket NAME         S3 bucket (must exist)                  [PGBACKREST_S3_BUCKET]
  --s3-region NAME         S3 region (us-east-1)                   [AWS_DEFAULT_REGION]
  --s3-key KEY             access key                              [AWS_ACCESS_KEY_ID]
  --s3-key-secret SECRET   secret key                              [AWS_SECRET_ACCESS_KEY]
  --s3-uri-style host|path path for MinIO/moto-style stores (host) [PGBACKREST_S3_URI_STYLE]
  --s3-verify-tls y|n      n only for a self-signed test endpoint (y)
                                                                   [PGBACKREST_S3_VERIFY_TLS]
  --cipher-pass PASS       encrypt the repository (aes-256-cbc)    [PGBACKREST_CIPHER_PASS]
                           (strongly advised off this host; keep a copy offline)
Tuning:
  --archive-timeout T      PostgreSQL archive_timeout (30s)        [PG_ARCHIVE_TIMEOUT]
  --retention-full N       full backups kept (4)                   [PGBACKREST_RETENTION_FULL]
  --log-path DIR           pgBackRest logs (/var/log/pgbackrest)   [PGBACKREST_LOG_PATH]
  --lock-path DIR          pgBackRest locks (/tmp/pgbackrest)      [PGBACKREST_LOCK_PATH]
  --spool-path DIR         enables asynchronous archiving, spooling here
                                                                   [PGBACKREST_SPOOL_PATH]
  --no-backup              skip the first full backup
EOF
    exit 2
}

die() { echo "pgbackrest-setup: ERROR: $*" >&2; exit 1; }
log() { echo "pgbackrest-setup: $*" >&2; }

STANZA=${PGBACKREST_STANZA:-}
PGDATA_DIR=${PGDATA:-}
CONFIG=${PGBACKREST_CONFIG:-}
PORT=${PGPORT:-5432}
SOCKET=${PG_SOCKET_DIR:-/var/run/postgresql}
RESTART_COMMAND=${PG_RESTART_COMMAND:-}
REPO_PATH=${PGBACKREST_REPO_PATH:-}
S3_ENDPOINT=${PGBACKREST_S3_ENDPOINT:-}
S3_PORT=${PGBACKREST_S3_PORT:-443}
S3_BUCKET=${PGBACKREST_S3_BUCKET:-}
S3_REGION=${AWS_DEFAULT_REGION:-us-east-1}
S3_KEY=${AWS_ACCESS_KEY_ID:-}
S3_KEY_SECRET=${AWS_SECRET_ACCESS_KEY:-}
S3_URI_STYLE=${PGBACKREST_S3_URI_STYLE:-host}
S3_VERIFY_TLS=${PGBACKREST_S3_VERIFY_TLS:-y}
CIPHER_PASS=${PGBACKREST_CIPHER_PASS:-}
ARCHIVE_TIMEOUT=${PG_ARCHIVE_TIMEOUT:-30s}
RETENTION_FULL=${PGBACKREST_RETENTION_FULL:-4}
LOG_PATH=${PGBACKREST_LOG_PATH:-/var/log/pgbackrest}
LOCK_PATH=${PGBACKREST_LOCK_PATH:-/tmp/pgbackrest}
SPOOL_PATH=${PGBACKREST_SPOOL_PATH:-}
FIRST_BACKUP=1

while (($#)); do
    opt=$1
    case $opt in
        -h|--help) usage ;;
        --no-backup) FIRST_BACKUP=; shift; continue ;;
    esac
    (($# >= 2)) || { echo "pgbackrest-setup: $opt needs a value" >&2; usage; }
    val=$2
    shift 2
    case $opt in
        --stanza) STANZA=$val ;;
        --pgdata) PGDATA_DIR=$val ;;
        --config) CONFIG=$val ;;
        --port) PORT=$val ;;
        --socket) SOCKET=$val ;;
        --restart-command) RESTART_COMMAND=$val ;;
        --repo-path) REPO_PATH=$val ;;
        --s3-endpoint) S3_ENDPOINT=$val ;;
        --s3-port) S3_PORT=$val ;;
        --s3-bucket) S3_BUCKET=$val ;;
        --s3-region) S3_REGION=$val ;;
        --s3-key) S3_KEY=$val ;;
        --s3-key-secret) S3_KEY_SECRET=$val ;;
        --s3-uri-style) S3_URI_STYLE=$val ;;
        --s3-verify-tls) S3_VERIFY_TLS=$val ;;
        --cipher-pass) CIPHER_PASS=$val ;;
        --archive-timeout) ARCHIVE_TIMEOUT=$val ;;
        --retention-full) RETENTION_FULL=$val ;;
        --log-path) LOG_PATH=$val ;;
        --lock-path) LOCK_PATH=$val ;;
        --spool-path) SPOOL_PATH=$val ;;
        *) echo "pgbackrest-setup: unknown option $opt" >&2; usage ;;
    esac
done

[[ -n $STANZA && -n $PGDATA_DIR && -n $CONFIG ]] || usage
[[ $STANZA =~ ^[A-Za-z0-9_.-]+$ ]] || die "stanza '$STANZA': letters, digits, '_', '.', '-' only"
[[ $PORT =~ ^[0-9]+$ ]] || die "port '$PORT' is not a number"
[[ $PGDATA_DIR == /* && $CONFIG == /* ]] || die "--pgdata and --config must be absolute paths"
[[ -f $PGDATA_DIR/PG_VERSION ]] || die "$PGDATA_DIR is not a PostgreSQL data directory"
command -v pgbackrest >/dev/null || die "pgbackrest is not installed (apt-get install pgbackrest)"
if [[ -n $S3_BUCKET ]]; then
    [[ -n $S3_ENDPOINT ]] || die "--s3-bucket needs --s3-endpoint"
    [[ -n $S3_KEY && -n $S3_KEY_SECRET ]] \
        || die "S3 needs keys: --s3-key/--s3-key-secret or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
    [[ $S3_URI_STYLE == host || $S3_URI_STYLE == path ]] || die "--s3-uri-style is host or path"
    [[ $S3_VERIFY_TLS == y || $S3_VERIFY_TLS == n ]] || die "--s3-verify-tls is y or n"
    REPO_PATH=${REPO_PATH:-/pgbackrest}
else
    REPO_PATH=${REPO_PATH:-/var/lib/pgbackrest}
fi

# The cluster's owner runs pgBackRest, psql and pg_ctl: PostgreSQL refuses root, and files
# pgBackRest wrote as root (repository, locks, logs) would be unwritable for archive-push.
OWNER=$(stat -c %U "$PGDATA_DIR")
as_owner() {
    if [[ $(id -un) == "$OWNER" ]]; then "$@"
    elif [[ $EUID -eq 0 ]]; then (cd / && runuser -u "$OWNER" -- "$@")
    else die "run as root or as $OWNER (the owner of $PGDATA_DIR)"
    fi
}
psql_owner() { as_owner psql -h "$SOCKET" -p "$PORT" -U "$OWNER" -d postgres -XAtq -v ON_ERROR_STOP=1 "$@"; }
pgbr() { as_owner pgbackrest --config="$CONFIG" --stanza="$STANZA" "$@"; }

psql_owner -c 'select 1' >/dev/null \
    || die "PostgreSQL does not answer on $SOCKET port $PORT: start it first"

# --- the configuration file --------------------------------------------------------------------

owned_dir() {  # DIR: create it for the owner (a no-op when it exists)
    if [[ ! -d $1 ]]; then
        mkdir -p "$1"
        chown "$OWNER": "$1" 2>/dev/null || true
        chmod 750 "$1"
    fi
}
owned_dir "$LOG_PATH"
owned_dir "$LOCK_PATH"
[[ -n $S3_BUCKET ]] || owned_dir "$REPO_PATH"
[[ -z $SPOOL_PATH ]] || owned_dir "$SPOOL_PATH"
mkdir -p "$(dirname "$CONFIG")"

conf=$(mktemp)
trap 'rm -f "$conf"' EXIT
{
    echo "# Written by scripts/pgbackrest-setup.sh; see scripts/pgbackrest.conf.example."
    echo "[global]"
    if [[ -n $S3_BUCKET ]]; then
        echo "repo1-type=s3"
        echo "repo1-s3-endpoint=$S3_ENDPOINT"
        echo "repo1-storage-port=$S3_PORT"
        echo "repo1-s3-bucket=$S3_BUCKET"
        echo "repo1-s3-region=$S3_REGION"
        echo "repo1-s3-key=$S3_KEY"
        echo "repo1-s3-key-secret=$S3_KEY_SECRET"
        echo "repo1-s3-uri-style=$S3_URI_STYLE"
        echo "repo1-storage-verify-tls=$S3_VERIFY_TLS"
    else
        echo "repo1-type=posix"
    fi
    echo "repo1-path=$REPO_PATH"
    if [[ -n $CIPHER_PASS ]]; then
        echo "repo1-cipher-type=aes-256-cbc"
        echo "repo1-cipher-pass=$CIPHER_PASS"
    fi
    echo "repo1-retention-full=$RETENTION_FULL"
    echo "repo1-retention-diff=7"
    echo "start-fast=y"
    echo "compress-type=zst"
    echo "repo1-bundle=y"
    echo "process-max=2"
    echo "log-path=$LOG_PATH"
    echo "lock-path=$LOCK_PATH"
    echo "log-level-console=warn"
    echo "log-level-file=info"
    if [[ -n $SPOOL_PATH ]]; then
        echo "archive-async=y"
        echo "spool-path=$SPOOL_PATH"
    fi
    echo
    echo "[$STANZA]"
    echo "pg1-path=$PGDATA_DIR"
    echo "pg1-port=$PORT"
    echo "pg1-socket-path=$SOCKET"
    echo "pg1-user=$OWNER"
} >"$conf"
if ! cmp -s "$conf" "$CONFIG" 2>/dev/null; then
    install -m 0640 "$conf" "$CONFIG"
    log "wrote $CONFIG"
fi
chown "root:$(id -gn "$OWNER")" "$CONFIG" 2>/dev/null || true  # readable by the owner's group

# --- PostgreSQL's side -------------------------------------------------------------------------

archive_command="pgbackrest --config=$CONFIG --stanza=$STANZA archive-push %p"
sql_quote() { printf "'%s'" "${1//\'/\'\'}"; }
psql_owner -c "ALTER SYSTEM SET archive_mode = 'on'" \
    -c "ALTER SYSTEM SET archive_command = $(sql_quote "$archive_command")" \
    -c "ALTER SYSTEM SET archive_timeout = $(sql_quote "$ARCHIVE_TIMEOUT")" \
    -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.2  # the reload is asynchronous: let pending_restart catch up
if [[ $(psql_owner -c "SHOW archive_mode") != on ]] \
    || [[ $(psql_owner -c "SELECT bool_or(pending_restart) FROM pg_settings") == t ]]; then
    log "restarting PostgreSQL (archive_mode needs a restart)"
    if [[ -n $RESTART_COMMAND ]]; then
        bash -c "$RESTART_COMMAND"
    else
        pg_ctl=/usr/lib/postgresql/$(cat "$PGDATA_DIR/PG_VERSION")/bin/pg_ctl
        [[ -x $pg_ctl ]] || pg_ctl=pg_ctl
        as_owner "$pg_ctl" -D "$PGDATA_DIR" -w -t 120 -m fast restart >/dev/null
    fi
    [[ $(psql_owner -c "SHOW archive_mode") == on ]] || die "archive_mode is still off after the restart"
fi

# --- the stanza, a check, the first full backup ------------------------------------------------

pgbr --log-level-console=warn stanza-create
pgbr --log-level-console=warn check
log "check passed: WAL reaches the repository"
if [[ -n $FIRST_BACKUP ]]; then
    info=$(pgbr info --output=json)  # not piped into grep -q: an early exit is a SIGPIPE
    if [[ $info == *'"label"'* ]]; then
        log "the repository holds a backup already: no new one"
    else
        log "first full backup"
        pgbr --log-level-console=warn backup --type=full
    fi
fi
log "done: PGBACKREST_STANZA=$STANZA PGBACKREST_CONFIG=$CONFIG"
