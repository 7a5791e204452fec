"""Gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app` (see Procfile).

One file for both pools of the same code: the storefront (pages and API; the default) and,
with KADE_POOL=staff, the back office. A proxy (ops/nginx/kade.conf) sends /staff to the
staff pool, so a slow report or a crashed back office holds none of the storefront's workers
or database connections. Everything a host may want to tune comes from the environment, so
the same file serves a PaaS (which sets PORT and WEB_CONCURRENCY) and a VM behind a reverse
proxy.
"""

import multiprocessing
import os
import tempfile
from pathlib import Path

POOL = os.environ.get("KADE_POOL", "web")
if POOL not in ("web", "staff"):
    raise SystemExit(f"KADE_POOL must be web or staff, not {POOL!r}")
STAFF = POOL == "staff"

# PaaS hosts hand the port to listen on in PORT; bind all interfaces because the load balancer
# or reverse proxy reaches us from outside the container. The staff pool listens on
# STAFF_PORT (else PORT, as a process manager like honcho hands each process its own; else
# 8001).
if STAFF:
    bind = f"0.0.0.0:{os.environ.get('STAFF_PORT') or os.environ.get('PORT') or '8001'}"
else:
    bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"

# The storefront: gunicorn's rule of thumb; WEB_CONCURRENCY lets a small host run fewer. The
# back office: a few staff at a time, so two workers (STAFF_CONCURRENCY), whatever the cores.
workers = (int(os.environ.get("STAFF_CONCURRENCY", "2")) if STAFF
           else int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1)))
# A few threads per worker absorb requests that wait on the database or an S3 upload.
threads = int(os.environ.get("GUNICORN_THREADS", "2"))

# Each process's database pool (app/db.py): the storefront's workers take up to
# DATABASE_POOL_SIZE + DATABASE_MAX_OVERFLOW connections each (5 + 10); the back office's
# fewer, so a burst of reports cannot take the connections PostgreSQL has for shoppers
# (max_connections is shared: workers x (size + overflow) of both pools, plus the worker and
# the scheduler, must fit in it).
if STAFF:
    os.environ.setdefault("DATABASE_POOL_SIZE", "2")
    os.environ.setdefault("DATABASE_MAX_OVERFLOW", "2")

# prometheus-client's multiprocess mode: each worker counts into files of its own in this
# folder and a scrape of any worker adds them all up (app/ops/metrics.py). One folder per
# pool, emptied here, before the app is loaded: another pool's files, or a previous run's,
# would be counted too. Set before prometheus-client is first imported (it picks its mode
# then), which the app's loading does after this file.
_metrics = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _metrics:
    Path(_metrics).mkdir(parents=True, exist_ok=True)
    for _stale in Path(_metrics).glob("*.db"):
        _stale.unlink()
    _made_metrics = None
else:
    _made_metrics = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(
        prefix=f"kade-metrics-{POOL}-")

# The app is built once in the master and forked: a worker then starts in milliseconds, not
# the ~3 s of importing and building the app, so a worker replaced (max_requests, a crash)
# does not stall the requests queued on it. Nothing in create_app opens a connection; the
# post_fork hook below drops any pooled one all the same, so no two processes share one.
preload_app = True

# A worker stuck this long is killed and replaced; a deploy gives in-flight requests
# graceful_timeout seconds to finish before the old workers go. Staff pages may run a report
# for up to REPORT_STATEMENT_TIMEOUT_MS (15 s) and build a download: a longer leash there.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120" if STAFF else "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
proc_name = f"kade-{POOL}"

# Replace each worker after a while so a slow leak cannot grow forever; the jitter stops all
# workers restarting at once. At a few hundred requests a second per worker, 1000 meant a
# restart every few seconds, each emptying that worker's page cache.
max_requests = 20000
max_requests_jitter = 2000

# Logs go to stderr, where the platform collects them. No gunicorn access log: it prints the
# raw request line, whose path or query may hold a reset or order-link token. The app writes
# one JSON line per request naming the route instead (app/ops/logs.py), and the logger class
# keeps request lines out of gunicorn's own messages too, even if --access-logfile is given.
accesslog = None
errorlog = "-"
logger_class = "app.ops.server_log.RouteOnlyLogger"
loglevel = os.environ.get("LOG_LEVEL", "info")

# Trust X-Forwarded-* (client address, https) only from the proxy in front of us. Gunicorn's
# default is 127.0.0.1; set FORWARDED_ALLOW_IPS to the load balancer's addresses, or "*" when
# nothing but the load balancer can reach this port.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_fork(server, worker):
    # Database pools built in the master (preload_app) must not be shared with the workers.
    from app.db import after_fork

    after_fork()


def child_exit(server, worker):
    # prometheus-client in multiprocess mode keeps one file per worker; drop a dead worker's
    # live gauges (connections in use) so /metrics does not report them forever. Its
    # counters stay: the requests it served happened.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _made_metrics:  # a folder this file made, not one the host named
        import shutil

        shutil.rmtree(_made_metrics, ignore_errors=True)
