"""Gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app` (see Procfile).

Everything a host may want to tune comes from the environment, so the same file serves a PaaS
(which sets PORT and WEB_CONCURRENCY) and a VM behind a reverse proxy.
"""

import multiprocessing
import os

# PaaS hosts hand the port to listen on in PORT; bind all interfaces because the load balancer
# or reverse proxy reaches us from outside the container.
bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"

# Gunicorn's rule of thumb; WEB_CONCURRENCY lets a small host run fewer workers.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# A few threads per worker absorb requests that wait on the database or an S3 upload.
threads = int(os.environ.get("GUNICORN_THREADS", "2"))

# The app is built once in the master and forked: a worker then starts in milliseconds, not
# the ~3 s of importing and building the app, so a worker replaced (max_requests, a crash)
# does not stall the requests queued on it. Nothing in create_app opens a connection; the
# post_fork hook below drops any pooled one all the same, so no two processes share one.
preload_app = True

# A worker stuck this long is killed and replaced; a deploy gives in-flight requests
# graceful_timeout seconds to finish before the old workers go.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5

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
    # gauges so /metrics does not report them forever.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
