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
        "KADE_ENV": env,
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{instance / 'kade.db'}"),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        # smtps:// or smtp:// (STARTTLS required); plain SMTP only as smtp+insecure://.
        "SMTP_URL": os.environ.get("SMTP_URL") or None,
        # A CA bundle (PEM) to trust besides the system's, for a relay with a private CA.
        "SMTP_CA_FILE": os.environ.get("SMTP_CA_FILE") or None,
        "SMS_GATEWAY_URL": os.environ.get("SMS_GATEWAY_URL") or None,
        "SMS_USER_ID": os.environ.get("SMS_USER_ID") or None,
        "SMS_API_KEY": os.environ.get("SMS_API_KEY") or None,
        "SMS_SENDER_ID": os.environ.get("SMS_SENDER_ID", "Kade"),
        # Outbox delivery: how long a claimed message is someone's before another relay may
        # take it, and RQ's retry intervals (seconds) for a delivery that failed.
        "OUTBOX_LEASE_SECONDS": int(os.environ.get("OUTBOX_LEASE_SECONDS", "300")),
        "OUTBOX_RETRY_INTERVALS": os.environ.get("OUTBOX_RETRY_INTERVALS", "10,60,300"),
        # Domain events (app/events): how long a claimed handling is one worker's, the
        # first retry's delay (doubling, at most an hour), the attempts before it is failed
        # for staff to see, and extra modules of handlers to register (tests, add-ons).
        "EVENTS_LEASE_SECONDS": int(os.environ.get("EVENTS_LEASE_SECONDS", "300")),
        "EVENTS_RETRY_SECONDS": int(os.environ.get("EVENTS_RETRY_SECONDS", "30")),
        "EVENTS_MAX_ATTEMPTS": int(os.environ.get("EVENTS_MAX_ATTEMPTS", "8")),
        "EVENT_HANDLER_MODULES": os.environ.get("KADE_EVENT_HANDLER_MODULES", ""),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Kade <no-reply@kade.lk>"),
        "OUTBOX_DIR": os.environ.get("KADE_OUTBOX_DIR", str(instance / "outbox")),
        # Backups (app/ops/backups): where they go (file:///path or s3://bucket/prefix), how
        # long they are kept (every snapshot for BACKUP_KEEP_ALL_HOURS, then the day's last
        # one for BACKUP_KEEP_DAILY_DAYS), and the age past which staff are alerted.
        # BACKUP_KEYS is separate from PII_KEYS: a leaked backup key opens no live data.
        "BACKUP_URL": os.environ.get("BACKUP_URL", f"file://{instance / 'backups'}"),
        "BACKUP_KEEP_ALL_HOURS": int(os.environ.get("BACKUP_KEEP_ALL_HOURS", "48")),
        "BACKUP_KEEP_DAILY_DAYS": int(os.environ.get("BACKUP_KEEP_DAILY_DAYS", "30")),
        "BACKUP_MAX_AGE_MINUTES": int(os.environ.get("BACKUP_MAX_AGE_MINUTES", "15")),
        # PostgreSQL's continuous archiving: the pgBackRest stanza and its configuration file
        # (scripts/pgbackrest-setup.sh writes both). Unset: nightly logical dumps only.
        # Storefront pages for visitors not signed in are kept this many seconds per process
        # (app/page_cache.py): stock shown and staff edits may lag that long. Off (0) by
        # default outside production, so a developer sees an edit at once.
        "PAGE_CACHE_SECONDS": int(os.environ.get("PAGE_CACHE_SECONDS",
                                                 "10" if production else "0")),
        # Running promotions are loaded once per process and kept this many seconds, so a
        # listing never asks for them per card; a staff change clears this process's copy
        # at once, other processes within this time (app/promotions/offers.py).
        "PROMOTIONS_CACHE_SECONDS": int(os.environ.get("PROMOTIONS_CACHE_SECONDS", "5")),
        # /metrics answers only `Authorization: Bearer <METRICS_TOKEN>` when this is set; in
        # production without it /metrics is a 404 (app/ops/views.py).
        "METRICS_TOKEN": os.environ.get("METRICS_TOKEN") or None,
        "PGBACKREST_STANZA": os.environ.get("PGBACKREST_STANZA") or None,
        "PGBACKREST_CONFIG": os.environ.get("PGBACKREST_CONFIG") or None,
        # How a restore starts the restored cluster again; unset: pg_ctl on pg1-path.
        "PG_START_COMMAND": os.environ.get("PG_START_COMMAND") or None,
        # Uploaded images: a local folder by default, or s3://bucket/prefix.
        "MEDIA_URL": os.environ.get("MEDIA_URL", f"file://{instance / 'media'}"),
        "MEDIA_PUBLIC_URL": os.environ.get("MEDIA_PUBLIC_URL") or None,
        "AWS_ENDPOINT_URL": os.environ.get("AWS_ENDPOINT_URL") or None,
        "SHOP_NAME": os.environ.get("SHOP_NAME", "Kade"),
        # The shop's address for links in mail (required in production: see check_production).
        "PUBLIC_URL": os.environ.get("PUBLIC_URL") or None,
        # Cookies travel over HTTPS only, except on a developer's own machine.
        "SESSION_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", production),
        "REMEMBER_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", production),
        "SESSION_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "RATELIMIT_ENABLED": _flag("RATELIMIT_ENABLED", True),
        "RATELIMIT_STORAGE_URI": os.environ.get("REDIS_URL") or "memory://",
        # Redis down must not take the shop down: limits fall back to this process's memory.
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # Consecutive wrong passwords before an account waits LOGIN_LOCK_SECONDS.
        "LOGIN_MAX_FAILURES": int(os.environ.get("LOGIN_MAX_FAILURES", "10")),
        "LOGIN_LOCK_SECONDS": int(os.environ.get("LOGIN_LOCK_SECONDS", "900")),
        "STAFF_IDLE_MINUTES": int(os.environ.get("STAFF_IDLE_MINUTES", "30")),
        # A back-office session ends this long after its sign-in however busy it is, so a
        # copied staff cookie cannot be kept alive by using it.
        "STAFF_SESSION_HOURS": int(os.environ.get("STAFF_SESSION_HOURS", "12")),
        # How long the one-time code for a new staff member's first sign-in stays valid.
        "STAFF_ENROLMENT_DAYS": int(os.environ.get("STAFF_ENROLMENT_DAYS", "7")),
        # A shopper's session (and the "keep me signed in" cookie) lasts at most this long.
        "CUSTOMER_SESSION_DAYS": int(os.environ.get("CUSTOMER_SESSION_DAYS", "30")),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "MAX_CONTENT_LENGTH": 25 * 1024 * 1024,
        # How many reverse proxies (load balancer, nginx) stand in front and set X-Forwarded-*.
        "PROXY_COUNT": int(os.environ.get("PROXY_COUNT", "0")),
        # Orders waiting for payment (bank transfer) are cancelled after this many hours.
        # `make run` (no Redis): run the periodic jobs (outbox sweep, expiry, stock alerts) in
        # a thread of the web process. With Redis, `python -m jobs.scheduler` does it.
        "LOCAL_SCHEDULE": _flag("KADE_LOCAL_SCHEDULE", False),
        "UNPAID_ORDER_HOURS": int(os.environ.get("UNPAID_ORDER_HOURS", "72")),
        # Abuse limits of checkout (web and API together). Orders placed from one client
        # address (Flask-Limiter, in Redis when set); orders one mobile number or customer
        # places within an hour; orders waiting for payment (bank transfer, card) one mobile
        # number or customer, and one delivery address, may have at once (app.payments.limits).
        "CHECKOUT_RATE_LIMIT": os.environ.get("CHECKOUT_RATE_LIMIT",
                                              "10 per minute; 100 per hour"),
        "ORDERS_PER_PHONE_PER_HOUR": int(os.environ.get("ORDERS_PER_PHONE_PER_HOUR", "10")),
        "UNPAID_ORDERS_PER_PHONE": int(os.environ.get("UNPAID_ORDERS_PER_PHONE", "3")),
        "UNPAID_ORDERS_PER_PLACE": int(os.environ.get("UNPAID_ORDERS_PER_PLACE", "3")),
        # The shop's details on invoices and packing slips; VAT is shown only when the shop
        # is registered (SHOP_VAT_NUMBER set), at SHOP_VAT_PERCENT included in prices. Staff
        # may save other details in the back office (app.content): these are the defaults.
        "SHOP_ADDRESS": os.environ.get("SHOP_ADDRESS", "No. 1, Galle Road, Colombo 03"),
        "SHOP_PHONE": os.environ.get("SHOP_PHONE", "+94 11 234 5678"),
        "SHOP_EMAIL": os.environ.get("SHOP_EMAIL", "hello@kade.lk"),
        "SHOP_WHATSAPP": os.environ.get("SHOP_WHATSAPP") or None,  # a mobile number
        "SHOP_HOURS": os.environ.get("SHOP_HOURS") or None,  # in English
        "SHOP_VAT_NUMBER": os.environ.get("SHOP_VAT_NUMBER") or None,
        "SHOP_VAT_PERCENT": int(os.environ.get("SHOP_VAT_PERCENT", "18")),
        "PAYHERE_MERCHANT_ID": os.environ.get("PAYHERE_MERCHANT_ID") or None,
        "PAYHERE_MERCHANT_SECRET": os.environ.get("PAYHERE_MERCHANT_SECRET") or None,
        "PAYHERE_SANDBOX": _flag("PAYHERE_SANDBOX", not production),
        # PayHere's Merchant API (refunds): a business app's id and secret. Without them a
        # refund is recorded for staff to pay back by hand. PAYHERE_API_URL overrides the
        # sandbox or live address (tests point it at a server on 127.0.0.1). Whether PayHere
        # takes a partial `amount` is not documented: off, partial refunds are manual.
        "PAYHERE_APP_ID": os.environ.get("PAYHERE_APP_ID") or None,
        "PAYHERE_APP_SECRET": os.environ.get("PAYHERE_APP_SECRET") or None,
        "PAYHERE_API_URL": os.environ.get("PAYHERE_API_URL") or None,
        "PAYHERE_PARTIAL_REFUNDS": _flag("PAYHERE_PARTIAL_REFUNDS", False),
        # Where bank-transfer customers send the money, shown on the order page and in the
        # order mail: one item a line, lines separated by "|" (an environment variable holds
        # no newline well). The embedded default is a made-up account for trying things out.
        "SHOP_BANK_DETAILS": os.environ.get("SHOP_BANK_DETAILS") or (
            None if production else
            "Bank: Commercial Bank of Ceylon PLC | Branch: Kollupitiya | "
            "Account name: Kade (Private) Limited | Account number: 1000 2345 6789"),
        # The local sandbox: a page of our own that plays PayHere's hosted checkout (pay,
        # fail or cancel, then a signed notification), so `make run` and the browser tests
        # pay by card with no network. On by default in development when no PayHere
        # merchant is configured; never in production (app.payments.checkout_flow checks).
        "PAYHERE_LOCAL_SANDBOX": _flag(
            "PAYHERE_LOCAL_SANDBOX",
            env == "development" and not os.environ.get("PAYHERE_MERCHANT_ID")),
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
