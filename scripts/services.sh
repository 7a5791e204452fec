#!/usr/bin/env bash
# Provide PostgreSQL and Redis (and a browser, the backup tools, promtool, nginx) for Kade's
# test suites.
#
#   out=$(scripts/services.sh start) && eval "$out"   # exports TEST_POSTGRES_URL, TEST_REDIS_URL,
#                                                     # KADE_SERVICES_STATE
#   source scripts/services.sh start                  # the same, from an interactive bash
#   scripts/services.sh stop                          # stops only what `start` started
#   scripts/services.sh browser                       # installs Debian chromium + Noto fonts
#   scripts/services.sh ops-tools                     # installs promtool (Debian prometheus),
#                                                     # nginx and systemd-analyze (ops tests)
#
# Prefer `out=$(...) && eval "$out"` over `eval "$(...)"`: eval of an empty string succeeds,
# so the second form would hide a failure to start.
#
# For each backend, in order:
#   1. TEST_POSTGRES_URL / TEST_REDIS_URL already set: checked, then used as they are.
#      (DATABASE_URL / REDIS_URL are deliberately not used: the suites create and drop tables,
#      and those variables may point at a developer's real database.)
#   2. A server already answering on 127.0.0.1 (PostgreSQL 5432 with trust auth for user
#      postgres; Redis 6379): used. KADE_PG_PORT_PROBE / KADE_REDIS_PORT_PROBE change the port
#      probed, e.g. KADE_PG_PORT_PROBE=5999 pretends the local PostgreSQL is down.
#   3. Otherwise a throwaway server in a temp dir on a free port, installing the Debian package
#      first when it is missing and we are root. `stop` removes it again.
# stdout carries only `export` lines; everything said to a person goes to stderr.

# Sourced: run in a child (so `exit` and `set -e` cannot kill the caller's shell) and export
# its answer into the caller.
if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
    _kade_out=$(bash "${BASH_SOURCE[0]}" "$@") && eval "$_kade_out"
    _kade_rc=$?
    unset _kade_out
    return $_kade_rc
fi

set -euo pipefail

PG_PORT_PROBE=${KADE_PG_PORT_PROBE:-5432}
REDIS_PORT_PROBE=${KADE_REDIS_PORT_PROBE:-6379}

log() { echo "services: $*" >&2; }
die() { echo "services: ERROR: $*" >&2; exit 1; }
emit() { printf 'export %s=%q\n' "$1" "$2"; }  # %q: safe to eval whatever the value holds

is_root() { [[ $EUID -eq 0 ]]; }

# --- Debian packages ---------------------------------------------------------------------------

# Another apt/dpkg (e.g. a background install of chromium) may hold the lock; wait for it to
# finish rather than fail or break its run. 20 minutes covers a slow chromium download.
wait_for_apt() {
    local waited=0
    # (pgrep warns of a pattern over 15 characters, the length of a process name; each
    # name in it is within that, "unattended-upgr" being one's first 15: the warning is noise.)
    while pgrep -x 'apt-get|apt|dpkg|unattended-upgr' >/dev/null 2>&1; do
        ((waited % 30 == 0)) && log "waiting for another apt/dpkg to finish..."
        sleep 2
        waited=$((waited + 2))
        ((waited < 1200)) || die "apt/dpkg still busy after 20 minutes"
    done
}

APT_UPDATED=
apt_install() {
    is_root || die "packages missing ($*) and not root: install them, or set TEST_POSTGRES_URL/TEST_REDIS_URL"
    command -v apt-get >/dev/null || die "packages missing ($*) and no apt-get here"
    local apt=(apt-get -o DPkg::Lock::Timeout=1200 -q)
    export DEBIAN_FRONTEND=noninteractive
    wait_for_apt
    if [[ -z $APT_UPDATED ]]; then
        log "apt-get update"
        "${apt[@]}" update >&2 || die "apt-get update failed"
        APT_UPDATED=1
    fi
    log "apt-get install $*"
    "${apt[@]}" install -y "$@" >&2 || die "apt-get install $* failed"
}

pg_bindir() {  # newest installed server, e.g. /usr/lib/postgresql/15/bin
    local d
    d=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    [[ -n $d && -x $d/initdb ]] && echo "$d"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- state: what this script started, so `stop` touches nothing else --------------------------

STATE_DIR=
STATE=
new_state() {
    STATE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kade-services.XXXXXX")
    chmod 755 "$STATE_DIR"  # the postgres user must reach its data dir inside
    STATE=$STATE_DIR/state
    : >"$STATE"
}

# --- PostgreSQL --------------------------------------------------------------------------------

pg_answers() {  # URL: the server is up *and* lets us in (trust auth), not merely listening
    pg_isready -q -d "$1" -t 3 && psql "$1" -XAtqc 'select 1' >/dev/null 2>&1
}

as_pg_owner() {  # initdb and postgres refuse to run as root
    if is_root; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

start_throwaway_postgres() {
    local bindir dir port
    bindir=$(pg_bindir) || { apt_install --no-install-recommends postgresql; bindir=$(pg_bindir); } \
        || die "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin"
    dir=$STATE_DIR/pg
    mkdir "$dir"
    if is_root; then
        getent passwd postgres >/dev/null || die "no 'postgres' user to run a throwaway PostgreSQL"
        chown postgres: "$dir"
    fi
    port=$(free_port)
    log "starting a throwaway PostgreSQL ($bindir) on 127.0.0.1:$port in $dir"
    # C.UTF-8 as on Debian's own cluster: with plain C, pg_trgm treats Sinhala/Tamil letters as
    # non-word characters and substring search on them finds nothing.
    as_pg_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    # Record before starting so that a half-started server is still stopped on failure.
    echo "PG_DATA=$dir/data" >>"$STATE"
    echo "PG_BIN=$bindir" >>"$STATE"
    # Durability is pointless for a throwaway database; turning it off makes tests faster.
    # The socket goes in our dir: /var/run/postgresql may not exist or be writable.
    as_pg_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o \
        "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        >&2 || { cat "$dir/server.log" >&2; die "PostgreSQL did not start"; }
    PG_URL="postgresql://postgres@127.0.0.1:$port/postgres"
    pg_answers "$PG_URL" || die "throwaway PostgreSQL on port $port does not answer"
}

provide_postgres() {
    if [[ -n ${TEST_POSTGRES_URL:-} ]]; then
        command -v psql >/dev/null || apt_install --no-install-recommends postgresql-client
        pg_answers "$TEST_POSTGRES_URL" || die "TEST_POSTGRES_URL is set but does not answer"
        PG_URL=$TEST_POSTGRES_URL
        log "PostgreSQL: using TEST_POSTGRES_URL"
        return
    fi
    if ! command -v pg_isready >/dev/null || ! command -v psql >/dev/null; then
        apt_install --no-install-recommends postgresql
    fi
    local url="postgresql://postgres@127.0.0.1:$PG_PORT_PROBE/postgres"
    if pg_answers "$url"; then
        PG_URL=$url
        log "PostgreSQL: using the server on 127.0.0.1:$PG_PORT_PROBE"
    else
        log "PostgreSQL: nothing usable on 127.0.0.1:$PG_PORT_PROBE"
        start_throwaway_postgres
    fi
}

# --- Redis -------------------------------------------------------------------------------------

redis_answers() {  # URL
    [[ $(redis-cli -u "$1" ping 2>/dev/null) == PONG ]]
}

start_throwaway_redis() {
    local dir port
    command -v redis-server >/dev/null || apt_install --no-install-recommends redis-server
    command -v redis-server >/dev/null || die "redis-server is not installed"
    dir=$STATE_DIR/redis
    mkdir "$dir"
    port=$(free_port)
    log "starting a throwaway Redis on 127.0.0.1:$port in $dir"
    echo "REDIS_PIDFILE=$dir/redis.pid" >>"$STATE"
    # Nothing on disk: tests need no persistence, and a stray dump.rdb would leak between runs.
    redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save "" --appendonly no \
        --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >&2 \
        || die "redis-server did not start"
    REDIS_URL="redis://127.0.0.1:$port/0"
    local _
    for _ in $(seq 50); do redis_answers "$REDIS_URL" && return; sleep 0.1; done
    cat "$dir/redis.log" >&2
    die "throwaway Redis on port $port does not answer"
}

provide_redis() {
    # The server binary too, even when a Redis answers: tests/jobs start their own Redis
    # (to stop it in the middle of a test without touching the shared one).
    { command -v redis-cli && command -v redis-server; } >/dev/null \
        || apt_install --no-install-recommends redis-server
    if [[ -n ${TEST_REDIS_URL:-} ]]; then
        redis_answers "$TEST_REDIS_URL" || die "TEST_REDIS_URL is set but does not answer"
        REDIS_URL=$TEST_REDIS_URL
        log "Redis: using TEST_REDIS_URL"
        return
    fi
    local url="redis://127.0.0.1:$REDIS_PORT_PROBE/0"
    if redis_answers "$url"; then
        REDIS_URL=$url
        log "Redis: using the server on 127.0.0.1:$REDIS_PORT_PROBE"
    else
        log "Redis: nothing answers on 127.0.0.1:$REDIS_PORT_PROBE"
        start_throwaway_redis
    fi
}

# --- subcommands -------------------------------------------------------------------------------

stop_state() {  # STATE_FILE: stop what it lists, then remove its dir
    local state=$1 PG_DATA='' PG_BIN='' REDIS_PIDFILE=''
    [[ -f $state ]] || { log "nothing to stop ($state not found)"; return 0; }
    # shellcheck disable=SC1090  # our own KEY=value lines
    source "$state"
    if [[ -n $REDIS_PIDFILE && -s $REDIS_PIDFILE ]]; then
        log "stopping the throwaway Redis"
        local pid _
        pid=$(cat "$REDIS_PIDFILE")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    if [[ -n $PG_DATA && -f $PG_DATA/postmaster.pid ]]; then
        log "stopping the throwaway PostgreSQL"
        # immediate: nothing in it is worth a clean shutdown checkpoint
        as_pg_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w stop >&2 || true
    fi
    local dir
    dir=$(dirname "$state")
    [[ $dir == */kade-services.* ]] && rm -rf "$dir"
}

# --- backup tools ------------------------------------------------------------------------------

provide_backup_tools() {
    # The recovery tests archive WAL with pgBackRest and reach moto's S3 through stunnel (TLS,
    # which pgBackRest insists on); pg_dump/pg_restore come with the PostgreSQL client.
    local missing=()
    command -v pgbackrest >/dev/null || missing+=(pgbackrest)
    command -v stunnel4 >/dev/null || command -v stunnel >/dev/null || missing+=(stunnel4)
    command -v openssl >/dev/null || missing+=(openssl)
    command -v pg_dump >/dev/null || missing+=(postgresql-client)
    ((${#missing[@]} == 0)) || apt_install --no-install-recommends "${missing[@]}"
}

cmd_start() {
    new_state
    # Whatever fails below, do not leave half of the throwaway services running.
    trap 'rc=$?; if ((rc != 0)); then stop_state "$STATE"; fi' EXIT
    provide_postgres
    provide_redis
    provide_backup_tools
    emit TEST_POSTGRES_URL "$PG_URL"
    emit TEST_REDIS_URL "$REDIS_URL"
    emit KADE_SERVICES_STATE "$STATE"
}

cmd_stop() {
    local state=${1:-${KADE_SERVICES_STATE:-}}
    [[ -n $state ]] || die "stop: give the state file, or set KADE_SERVICES_STATE"
    stop_state "$state"
}

cmd_browser() {
    # Playwright's own browser download cannot work here; tests drive Debian's chromium.
    local missing=()
    [[ -x /usr/bin/chromium ]] || missing+=(chromium)
    # Noto: Sinhala and Tamil pages render as boxes without these fonts.
    dpkg -s fonts-noto-core >/dev/null 2>&1 || missing+=(fonts-noto-core)
    ((${#missing[@]} == 0)) || apt_install "${missing[@]}"
    [[ -x /usr/bin/chromium ]] || die "/usr/bin/chromium is missing"
    log "browser: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
}

stop_packaged_service() {
    # Where nothing forbids it (no policy-rc.d answering 101, as in Docker images), a server
    # package's postinst starts its server (Prometheus on :9090, nginx on :80) and enables it
    # at boot. The tests want only the binaries and run their own: stop that server and keep
    # it from coming back.
    local name=$1
    if [[ -d /run/systemd/system ]]; then
        systemctl disable --now "$name.service" >&2 || true
    elif [[ -x /etc/init.d/$name ]]; then
        "/etc/init.d/$name" stop >&2 || true
        update-rc.d "$name" disable >&2 || true
    fi
}

cmd_ops_tools() {
    # tests/ops/test_alert_rules.py checks ops/alerts.yml and ops/prometheus.yml and runs the
    # alerts' unit tests with promtool, which Debian ships only inside the server package.
    if ! command -v promtool >/dev/null; then
        apt_install --no-install-recommends prometheus
        stop_packaged_service prometheus
    fi
    command -v promtool >/dev/null || die "promtool is missing"
    log "promtool: $(promtool --version 2>&1 | head -n 1)"
    # tests/ops/test_proxy.py runs ops/nginx/kade.conf in front of the app's two pools.
    if ! command -v nginx >/dev/null && [[ ! -x /usr/sbin/nginx ]]; then
        apt_install --no-install-recommends nginx-light
        stop_packaged_service nginx
    fi
    [[ -x /usr/sbin/nginx ]] || command -v nginx >/dev/null || die "nginx is missing"
    log "nginx: $( (/usr/sbin/nginx -v || nginx -v) 2>&1 | head -n 1)"
    # tests/ops/test_deploy_files.py has systemd check the units in ops/systemd/.
    command -v systemd-analyze >/dev/null || apt_install --no-install-recommends systemd
    command -v systemd-analyze >/dev/null || die "systemd-analyze is missing"
}

case ${1:-} in
    start) cmd_start ;;
    stop) shift; cmd_stop "$@" ;;
    browser) cmd_browser ;;
    ops-tools) cmd_ops_tools ;;
    *) echo "usage: $0 start|stop [STATE_FILE]|browser|ops-tools" >&2; exit 2 ;;
esac
