"""Settings read from the environment; with nothing set, Kade runs embedded.

Embedded default: SQLite under the instance folder, jobs in-process, mail and SMS written as
files, keys generated once and kept in the instance folder. Production must set SECRET_KEY,
PII_KEYS, PII_INDEX_KEY, DATABASE_URL, PUBLIC_URL, SMTP_URL and SMS_GATEWAY_URL; `create_app`
refuses to start without them there.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The merchant id the local PayHere sandbox uses when none is configured (development only).
PAYHERE_DEMO_MERCHANT_ID = "1000000"


def _instance_path() -> Path:
    return Path(os.environ.get("KADE_INSTANCE_PATH", PROJECT_ROOT / "instance")).resolve()


def _kept_secret(instance: Path, name: str, make) -> str:
    """A development secret made once and kept, so restarts keep sessions and PII readable."""
    path = instance / name
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    value = make()
    path.write_text(value)
    path.chmod(0o600)
    return value


def _new_pii_keys() -> str:
    return "k1:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _new_index_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def from_environment() -> dict:
    env = os.environ.get("KADE_ENV", "development")
    production = env == "production"
    instance = _instance_path()
    config = {
        # --- The instance: what kind of install this is, where its files live, its address.
        # PUBLIC_URL is the shop's address in mailed links (required in production, see
        # check_production); PROXY_COUNT the reverse proxies in front that set X-Forwarded-*.
        "KADE_ENV": env,
        "INSTANCE_PATH": str(instance),
        "PUBLIC_URL": os.environ.get("PUBLIC_URL") or None,
        "SHOP_NAME": os.environ.get("SHOP_NAME", "Kade"),
        "PROXY_COUNT": int(os.environ.get("PROXY_COUNT", "0")),
        # --- Security: cookies travel over HTTPS only, except on a developer's own machine;
        # the CSRF token lives as long as the session (tests may turn CSRF off); requests are
        # capped in size. SECRET_KEY, PII_KEYS, PII_INDEX_KEY and BACKUP_KEYS come last, below.
        "SESSION_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", production),
        "REMEMBER_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", production),
        "SESSION_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_ENABLED": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 25 * 1024 * 1024,
        # --- Sign-in and sessions: LOGIN_MAX_FAILURES wrong passwords in a row make an email
        # wait LOGIN_LOCK_SECONDS. A back-office session signs in again after
        # STAFF_IDLE_MINUTES idle and ends STAFF_SESSION_HOURS after its sign-in however busy
        # (a copied staff cookie cannot be kept alive by using it); a new staff member's
        # one-time code works STAFF_ENROLMENT_DAYS; a shopper's sign-in (and "keep me signed
        # in") lasts at most CUSTOMER_SESSION_DAYS.
        "LOGIN_MAX_FAILURES": int(os.environ.get("LOGIN_MAX_FAILURES", "10")),
        "LOGIN_LOCK_SECONDS": int(os.environ.get("LOGIN_LOCK_SECONDS", "900")),
        "STAFF_IDLE_MINUTES": int(os.environ.get("STAFF_IDLE_MINUTES", "30")),
        "STAFF_SESSION_HOURS": int(os.environ.get("STAFF_SESSION_HOURS", "12")),
        "STAFF_ENROLMENT_DAYS": int(os.environ.get("STAFF_ENROLMENT_DAYS", "7")),
        "CUSTOMER_SESSION_DAYS": int(os.environ.get("CUSTOMER_SESSION_DAYS", "30")),
        # --- Rate limits (Flask-Limiter), counted in Redis when REDIS_URL is set. Redis down
        # must not take the shop down: limits fall back to this process's memory.
        "RATELIMIT_ENABLED": _flag("RATELIMIT_ENABLED", True),
        "RATELIMIT_STORAGE_URI": os.environ.get("REDIS_URL") or "memory://",
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # --- Database and Redis: the embedded default is SQLite in the instance folder, and
        # no Redis (jobs then run in-process).
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{instance / 'kade.db'}"),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        # Reports (app/reports) read from DATABASE_REPLICA_URL, a read replica, when it is
        # set; otherwise from the primary. Either way each report statement is cut off after
        # REPORT_STATEMENT_TIMEOUT_MS (PostgreSQL), so a heavy report cannot hold connections
        # and locks that checkout needs; longer reports run as a job.
        "DATABASE_REPLICA_URL": os.environ.get("DATABASE_REPLICA_URL") or None,
        # A hot standby (docs/RECOVERY.md, "Hot standby and failover"): DATABASE_URL lists
        # the primary and the standby with target_session_attrs=read-write, so new
        # connections go to whichever takes writes; a host that does not answer is given up
        # after DATABASE_CONNECT_TIMEOUT seconds (2 at the least) and the next one tried.
        # `flask ops promote` promotes the standby at DATABASE_STANDBY_URL (one host).
        "DATABASE_CONNECT_TIMEOUT": int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "3")),
        "DATABASE_STANDBY_URL": os.environ.get("DATABASE_STANDBY_URL") or None,
        # Each process's connection pool (app/db.py): kept open, and extra at a rush.
        # gunicorn.conf.py gives the back office's pool (KADE_POOL=staff) 2 + 2.
        "DATABASE_POOL_SIZE": int(os.environ.get("DATABASE_POOL_SIZE", "5")),
        "DATABASE_MAX_OVERFLOW": int(os.environ.get("DATABASE_MAX_OVERFLOW", "10")),
        "REPORT_STATEMENT_TIMEOUT_MS": int(os.environ.get("REPORT_STATEMENT_TIMEOUT_MS",
                                                          "15000")),
        # Shopper events (app/recommendations/tracking.py): what visitors view, search, put in
        # the cart and buy, buffered for the recommender. 0 records nothing (the strips and
        # offers then work from orders alone); bench/catalog.py --events measures the cost.
        "SHOPPER_EVENTS": os.environ.get("SHOPPER_EVENTS", "1") != "0",
        # Personal offers (app/recommendations/offers.py): at most this many offer decisions
        # (sent or held out) per customer in any 7 days, over every offer template.
        "PERSONAL_OFFERS_PER_WEEK": int(os.environ.get("PERSONAL_OFFERS_PER_WEEK", "1")),
        # --- Jobs and the outbox. LOCAL_SCHEDULE (`make run`, no Redis) runs the periodic
        # jobs in a thread of the web process; with Redis `python -m jobs.scheduler` does.
        # Outbox delivery (app/notifications/services.py): how long a claimed message is one
        # delivery's before a sweep may take it again (never less than an attempt may last),
        # the waits (seconds) after each failed attempt, the last one ending in "gave up", and
        # how long the mail server or SMS gateway may take to answer.
        "LOCAL_SCHEDULE": _flag("KADE_LOCAL_SCHEDULE", False),
        "OUTBOX_LEASE_SECONDS": int(os.environ.get("OUTBOX_LEASE_SECONDS", "300")),
        "OUTBOX_RETRY_INTERVALS": os.environ.get("OUTBOX_RETRY_INTERVALS",
                                                 "10,60,300,900,1800,3600,3600"),
        "OUTBOX_SEND_TIMEOUT_SECONDS": float(os.environ.get("OUTBOX_SEND_TIMEOUT_SECONDS", "20")),
        # Domain events (app/events): how long a claimed handling is one worker's, the
        # first retry's delay (doubling, at most an hour), the attempts before it is failed
        # for staff to see, and extra modules of handlers to register (tests, add-ons).
        "EVENTS_LEASE_SECONDS": int(os.environ.get("EVENTS_LEASE_SECONDS", "300")),
        "EVENTS_RETRY_SECONDS": int(os.environ.get("EVENTS_RETRY_SECONDS", "30")),
        "EVENTS_MAX_ATTEMPTS": int(os.environ.get("EVENTS_MAX_ATTEMPTS", "8")),
        "EVENT_HANDLER_MODULES": os.environ.get("KADE_EVENT_HANDLER_MODULES", ""),
        # --- Mail and SMS: unset, messages are written as files under OUTBOX_DIR. SMTP_URL is
        # smtps:// or smtp:// (STARTTLS required), plain SMTP only as smtp+insecure://;
        # SMTP_CA_FILE a PEM bundle trusted besides the system's (a relay with a private CA).
        "SMTP_URL": os.environ.get("SMTP_URL") or None,
        "SMTP_CA_FILE": os.environ.get("SMTP_CA_FILE") or None,
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Kade <no-reply@kade.lk>"),
        "SMS_GATEWAY_URL": os.environ.get("SMS_GATEWAY_URL") or None,
        "SMS_USER_ID": os.environ.get("SMS_USER_ID") or None,
        "SMS_API_KEY": os.environ.get("SMS_API_KEY") or None,
        "SMS_SENDER_ID": os.environ.get("SMS_SENDER_ID", "Kade"),
        "OUTBOX_DIR": os.environ.get("KADE_OUTBOX_DIR", str(instance / "outbox")),
        # --- Uploads (app/storage.py): a local folder by default, or s3://bucket/prefix at
        # AWS_ENDPOINT_URL (also the backups' S3 store); MEDIA_PUBLIC_URL a CDN or bucket
        # address pictures are linked from.
        "MEDIA_URL": os.environ.get("MEDIA_URL", f"file://{instance / 'media'}"),
        "MEDIA_PUBLIC_URL": os.environ.get("MEDIA_PUBLIC_URL") or None,
        "AWS_ENDPOINT_URL": os.environ.get("AWS_ENDPOINT_URL") or None,
        # --- Backups (app/ops/backups): where they go (file:///path or s3://bucket/prefix),
        # how long they are kept (every snapshot for BACKUP_KEEP_ALL_HOURS, then the day's last
        # one for BACKUP_KEEP_DAILY_DAYS), and the age past which staff are alerted.
        # PostgreSQL's continuous archiving: the pgBackRest stanza and its configuration file
        # (scripts/pgbackrest-setup.sh writes both; unset: nightly logical dumps only), and how
        # a restore starts the restored cluster (unset: pg_ctl on pg1-path).
        "BACKUP_URL": os.environ.get("BACKUP_URL", f"file://{instance / 'backups'}"),
        "BACKUP_KEEP_ALL_HOURS": int(os.environ.get("BACKUP_KEEP_ALL_HOURS", "48")),
        "BACKUP_KEEP_DAILY_DAYS": int(os.environ.get("BACKUP_KEEP_DAILY_DAYS", "30")),
        "BACKUP_MAX_AGE_MINUTES": int(os.environ.get("BACKUP_MAX_AGE_MINUTES", "15")),
        "PGBACKREST_STANZA": os.environ.get("PGBACKREST_STANZA") or None,
        "PGBACKREST_CONFIG": os.environ.get("PGBACKREST_CONFIG") or None,
        "PG_START_COMMAND": os.environ.get("PG_START_COMMAND") or None,
        # --- Operations: /metrics answers only `Authorization: Bearer <METRICS_TOKEN>` when
        # it is set; in production without it /metrics is a 404 (app/ops/views.py).
        "METRICS_TOKEN": os.environ.get("METRICS_TOKEN") or None,
        # --- Caches, per process. Storefront pages for visitors not signed in are kept
        # PAGE_CACHE_SECONDS (app/page_cache.py): stock shown and staff edits may lag that
        # long; off (0) outside production, so a developer sees an edit at once. Running
        # promotions are kept PROMOTIONS_CACHE_SECONDS, so a listing never asks for them per
        # card; a staff change clears this process's copy at once, others' within that time
        # (app/promotions/offers.py).
        "PAGE_CACHE_SECONDS": int(os.environ.get("PAGE_CACHE_SECONDS",
                                                 "10" if production else "0")),
        "PROMOTIONS_CACHE_SECONDS": int(os.environ.get("PROMOTIONS_CACHE_SECONDS", "5")),
        # The shop's reference data every page reads (its details in the footer, the
        # categories, the delivery promise, translated filter values) is kept
        # REFERENCE_CACHE_SECONDS whether or not the page cache is on (app/memo.py
        # `reference`): a staff edit shows at once in the process that made it, in others
        # within that time.
        "REFERENCE_CACHE_SECONDS": int(os.environ.get("REFERENCE_CACHE_SECONDS", "10")),
        # --- The shop's details on invoices, packing slips, the contact page and the footer;
        # staff may save others in the back office (app.content): these are the defaults.
        # VAT is shown only when the shop is registered (SHOP_VAT_NUMBER set), at
        # SHOP_VAT_PERCENT included in prices. SHOP_WHATSAPP is a mobile number, SHOP_HOURS
        # English.
        "SHOP_ADDRESS": os.environ.get("SHOP_ADDRESS", "No. 1, Galle Road, Colombo 03"),
        "SHOP_PHONE": os.environ.get("SHOP_PHONE", "+94 11 234 5678"),
        "SHOP_EMAIL": os.environ.get("SHOP_EMAIL", "hello@kade.lk"),
        "SHOP_WHATSAPP": os.environ.get("SHOP_WHATSAPP") or None,
        "SHOP_HOURS": os.environ.get("SHOP_HOURS") or None,
        "SHOP_VAT_NUMBER": os.environ.get("SHOP_VAT_NUMBER") or None,
        "SHOP_VAT_PERCENT": int(os.environ.get("SHOP_VAT_PERCENT", "18")),
        # --- Orders and checkout. A bank-transfer order unpaid UNPAID_ORDER_HOURS is
        # cancelled and its stock released; its customer is reminded once when fewer than
        # PAYMENT_REMINDER_HOURS are left (app/orders/reminders.py). Abuse limits, web and API
        # together: orders placed from one client address (Flask-Limiter syntax); orders one
        # mobile number or customer places within an hour; orders waiting for payment (bank
        # transfer, card) one mobile number or customer, and one delivery address, may have
        # at once (app.payments.limits).
        "UNPAID_ORDER_HOURS": int(os.environ.get("UNPAID_ORDER_HOURS", "72")),
        "PAYMENT_REMINDER_HOURS": int(os.environ.get("PAYMENT_REMINDER_HOURS", "24")),
        # A payment link (SMS and mail, app.payments.links) opens PayHere's checkout for its
        # order this many hours after it was sent; then its page offers a fresh one.
        "PAYMENT_LINK_HOURS": int(os.environ.get("PAYMENT_LINK_HOURS", "24")),
        "CHECKOUT_RATE_LIMIT": os.environ.get("CHECKOUT_RATE_LIMIT",
                                              "10 per minute; 100 per hour"),
        "ORDERS_PER_PHONE_PER_HOUR": int(os.environ.get("ORDERS_PER_PHONE_PER_HOUR", "10")),
        "UNPAID_ORDERS_PER_PHONE": int(os.environ.get("UNPAID_ORDERS_PER_PHONE", "3")),
        "UNPAID_ORDERS_PER_PLACE": int(os.environ.get("UNPAID_ORDERS_PER_PLACE", "3")),
        # --- Payments. PayHere: the merchant (card payments are offered only when set), its
        # sandbox rather than the live checkout, and its Merchant API for refunds (a business
        # app's id and secret; without them a refund is recorded for staff to pay back by
        # hand). PAYHERE_API_URL overrides the sandbox or live address (tests point it at a
        # server on 127.0.0.1). Whether PayHere takes a partial `amount` is not documented:
        # off, partial refunds are manual.
        "PAYHERE_MERCHANT_ID": os.environ.get("PAYHERE_MERCHANT_ID") or None,
        "PAYHERE_MERCHANT_SECRET": os.environ.get("PAYHERE_MERCHANT_SECRET") or None,
        "PAYHERE_SANDBOX": _flag("PAYHERE_SANDBOX", not production),
        "PAYHERE_APP_ID": os.environ.get("PAYHERE_APP_ID") or None,
        "PAYHERE_APP_SECRET": os.environ.get("PAYHERE_APP_SECRET") or None,
        "PAYHERE_API_URL": os.environ.get("PAYHERE_API_URL") or None,
        "PAYHERE_PARTIAL_REFUNDS": _flag("PAYHERE_PARTIAL_REFUNDS", False),
        # The local sandbox: a page of our own that plays PayHere's hosted checkout (pay,
        # fail or cancel, then a signed notification), so `make run` and the browser tests
        # pay by card with no network. On by default in development when no PayHere
        # merchant is configured; never in production (app.payments.checkout_flow checks).
        "PAYHERE_LOCAL_SANDBOX": _flag(
            "PAYHERE_LOCAL_SANDBOX",
            env == "development" and not os.environ.get("PAYHERE_MERCHANT_ID")),
        # Where bank-transfer customers send the money, shown on the order page and in the
        # order mail: one item a line, lines separated by "|" (an environment variable holds
        # no newline well). The embedded default is a made-up account for trying things out.
        "SHOP_BANK_DETAILS": os.environ.get("SHOP_BANK_DETAILS") or (
            None if production else
            "Bank: Commercial Bank of Ceylon PLC | Branch: Kollupitiya | "
            "Account name: Kade (Private) Limited | Account number: 1000 2345 6789"),
    }
    if (config["PAYHERE_LOCAL_SANDBOX"] and config["PAYHERE_SANDBOX"] and not production
            and not config["PAYHERE_MERCHANT_ID"]):
        # Not a PayHere merchant: only the local sandbox accepts it. The secret is made
        # once and kept, like the other development secrets.
        config["PAYHERE_MERCHANT_ID"] = PAYHERE_DEMO_MERCHANT_ID
        config["PAYHERE_MERCHANT_SECRET"] = config["PAYHERE_MERCHANT_SECRET"] or _kept_secret(
            instance, "payhere_merchant_secret",
            lambda: base64.b64encode(secrets.token_bytes(30)).decode())
    secret_names = {
        "SECRET_KEY": lambda: secrets.token_urlsafe(48),
        "PII_KEYS": _new_pii_keys,
        "PII_INDEX_KEY": _new_index_key,
        "BACKUP_KEYS": lambda: "b1:" + _new_index_key(),
    }
    for name, make in secret_names.items():
        value = os.environ.get(name)
        if not value and not production:
            value = _kept_secret(instance, name.lower(), make)
        config[name] = value
    return config


def check_production(config: dict) -> None:
    """Refuse to serve real shoppers with development defaults."""
    if config["KADE_ENV"] != "production":
        return
    # Without SMTP_URL and SMS_GATEWAY_URL messages would be written to files on the server,
    # and customers would never get their order mails or reset links.
    required = ("SECRET_KEY", "PII_KEYS", "PII_INDEX_KEY", "BACKUP_KEYS", "PUBLIC_URL",
                "SMTP_URL", "SMS_GATEWAY_URL")
    missing = [k for k in required if not config.get(k)]
    if config["DATABASE_URL"] == f"sqlite:///{Path(config['INSTANCE_PATH']) / 'kade.db'}":
        missing.append("DATABASE_URL")  # the embedded default is not for real shoppers
    if missing:
        raise RuntimeError(f"KADE_ENV=production needs these settings: {', '.join(missing)}")
