"""Kade: the app factory. Nothing runs at import; `create_app()` builds a configured app."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from apiflask import APIFlask
from werkzeug.routing import IntegerConverter

from app import (
    compression,
    config as config_module,
    db,
    headers,
    layout_parts,
    page_cache,
    personal_pages,
    plans,
    promotions,
    request_guard,
    static_assets,
    template_urls,
)
from app.extensions import babel, csrf, htmx, limiter, login_manager
from app.flask_app import KadeFlask
from app.security import pii

ROOT = Path(__file__).resolve().parent.parent


class DatabaseIdConverter(IntegerConverter):
    """`<int:…>` limited to 0 … 2 147 483 647 by its pattern. (A `max` check would run after
    the match, and werkzeug then answers 405 instead of 404.)"""

    regex = (r"(?:[0-9]{1,9}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}"
             r"|2147[0-3][0-9]{5}|21474[0-7][0-9]{4}|214748[0-2][0-9]{3}"
             r"|2147483[0-5][0-9]{2}|21474836[0-3][0-9]|214748364[0-7])")


def create_app(config: dict | None = None) -> APIFlask:
    settings = config_module.from_environment()
    settings.update(config or {})
    config_module.check_production(settings)
    _check_smtp_url(settings)

    app = KadeFlask(
        __name__,
        title="Kade API",
        version="1.0.0",
        json_errors=False,  # pages stay HTML; the API blueprint answers problem+json itself
        spec_path="/api/v1/openapi.json",
        docs_path=None,  # the docs UI loads scripts from a CDN, which our CSP refuses
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=settings["INSTANCE_PATH"],
    )
    app.config.update(settings)
    # Ids in URLs fit the database's integer: /staff/users/3000000000 is a 404, not a
    # PostgreSQL overflow error.
    app.url_map.converters["int"] = DatabaseIdConverter
    if settings.get("PROXY_COUNT"):
        # Behind N trusted proxies, the client's address and scheme come from X-Forwarded-*;
        # rate limits and the audit log need the real address, not the load balancer's.
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = settings["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", settings["DATABASE_URL"])
    compression.init_app(app)  # first, so that its hook runs last, on the finished answer
    static_assets.init_app(app)

    from app.ops import logs

    logs.configure(app)
    pii.configure(app.config["PII_KEYS"], app.config["PII_INDEX_KEY"])
    db.init_app(app)
    from app.reports import database as report_database

    report_database.init_app(app)  # the reports' own connection (replica or time-limited)
    _init_metrics(app)
    from app.recommendations import visitors

    visitors.init_app(app)  # a signed-out shopper's first-party id, joined at sign-in
    _init_extensions(app)
    headers.init_app(app, template_nonce=page_cache.template_nonce)
    personal_pages.init_app(app)
    _register_templates(app)
    plans.init_app(app)  # before promotions: member prices come first in the pipeline
    promotions.init_app(app)
    _register_blueprints(app)
    _register_error_pages(app)
    _register_cli(app)
    request_guard.init_app(app)  # last, so that its hook runs first
    if app.config.get("LOCAL_SCHEDULE"):
        from app.queue import start_local_schedule

        start_local_schedule(app)
    return app


def _init_metrics(app) -> None:
    """/metrics: requests and pools counted here, orders and payments counted when they
    commit, the outboxes, queues and backups read at each scrape (app/ops/metrics.py)."""
    from app.ops import gauges, metrics
    from app.orders.models import Order
    from app.payments.models import Payment
    from app.reports import database as report_database

    metrics.init_app(app)
    metrics.watch_pool(app.extensions[report_database.ENGINE_KEY], "reports")
    metrics.count_committed(Order, metrics.ORDERS_PLACED, lambda order: (order.channel,))
    metrics.count_committed(Payment, metrics.PAYMENTS,
                            lambda payment: (payment.method, payment.status), changed="status")
    for reader in gauges.READERS:
        metrics.add_gauges(reader)


def _check_smtp_url(settings) -> None:
    """A misspelt SMTP_URL fails here, at start, not at the first mail (or, worse, in
    clear): only smtps://, smtp:// with STARTTLS, and the explicit smtp+insecure:// go."""
    from app.notifications.transports import smtp_security

    if settings.get("SMTP_URL"):
        try:
            smtp_security(settings["SMTP_URL"])
        except ValueError as exc:
            raise RuntimeError(str(exc)) from None


def _init_extensions(app) -> None:
    from flask_babel import lazy_gettext as _l

    from app import i18n
    from app.accounts import sessions
    from app.notifications import services as notifications

    csrf.init_app(app)
    # Templates ask for the token through the page cache, which keeps a marker in pages it
    # stores and puts each visitor's own token there (app/page_cache.py).
    app.jinja_env.globals["csrf_token"] = page_cache.csrf_token
    app.jinja_env.globals["page_cache_rendering"] = page_cache.rendering
    # Flask-WTF also hands templates its own csrf_token through a context processor; a later
    # processor wins, so this one puts ours back.
    app.context_processor(lambda: {"csrf_token": page_cache.csrf_token})
    htmx.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale,
                   timezone_selector=i18n.select_timezone,
                   default_translation_directories=str(ROOT / "app" / "translations"))
    i18n.install_template_gettext(app.jinja_env)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    # "basic": a changed IP or browser marks the session not fresh. "strong" would sign a
    # shopper out every time their phone moves from Wi-Fi to mobile data.
    login_manager.session_protection = "basic"
    login_manager.user_loader(sessions.user_for)
    # The remember-me cookie names a server-side session that ends with the session itself.
    app.config["REMEMBER_COOKIE_DURATION"] = timedelta(days=app.config["CUSTOMER_SESSION_DAYS"])
    notifications.init_app(app)
    _register_event_handlers(app)


def _register_event_handlers(app) -> None:
    """Each domain's reactions to events and what it asks of the domains below
    (app/<domain>/handlers.py), registered here, once the app is built, not when a service
    is imported."""
    from app.catalog import handlers as _catalog  # noqa: F401
    from app.checkout import handlers as _checkout  # noqa: F401
    from app.events import services as events
    from app.orders import handlers as _orders  # noqa: F401
    from app.payments import handlers as _payments  # noqa: F401
    from app.plans import handlers as _plans  # noqa: F401
    from app.recommendations import handlers as _recommendations  # noqa: F401
    from app.support import handlers as _support  # noqa: F401

    events.init_app(app)


def _register_templates(app) -> None:
    from jinja2 import pass_context

    from app import i18n
    from app.accounts.districts import district_name
    from app.accounts.phones import display_phone
    from app.content.views import ShopName

    @app.template_filter("money")
    @pass_context
    def money(context, cents):
        # The page's language as the context processor below found it once (a listing
        # formats fifty prices; asking Flask-Babel for each cost more than the formatting).
        locale = context.get("current_locale") or i18n.current_language()
        return i18n.format_lkr(cents, locale)

    app.add_template_filter(i18n.local_time, "local_time")
    template_urls.init_app(app)
    layout_parts.init_app(app)
    app.add_template_global(district_name)
    app.add_template_global(display_phone)

    @app.context_processor
    def _globals():
        return {"languages": i18n.LANGUAGES, "current_locale": i18n.current_language(),
                "shop_name": ShopName()}


def _register_blueprints(app) -> None:
    # The notification choices' routes join the accounts blueprint (imported here, not by
    # app.accounts.views, which they import for the blueprint).
    from app.accounts import notification_views  # noqa: F401
    from app.accounts.views import bp as accounts_bp
    from app.api import bp as api_bp
    from app.backoffice import bp as staff_bp
    from app.catalog import below_product
    from app.catalog.search_views import bp as search_bp
    from app.catalog.views import bp as catalog_bp
    from app.checkout.views import bp as checkout_bp, cart_link_html
    from app.checkout.voucher_views import bp as vouchers_bp
    from app.content.views import bp as content_bp
    from app.ops.views import bp as ops_bp
    from app.orders.views import bp as orders_bp
    from app.pages import bp as pages_bp
    from app.payments.link_views import bp as payment_links_bp
    from app.payments.slip_views import bp as payment_slips_bp
    from app.payments.views import bp as payments_bp
    from app.plans.views import bp as plans_bp
    from app.promotions.views import bp as promotions_bp
    from app.recommendations.views import (
        below_product as often_bought_together,
        bp as recommendations_bp,
    )

    # Likewise a guest's question about their order joins the orders blueprint and page.
    from app.support import order_questions  # noqa: F401
    from app.support.views import bp as support_bp
    from app.wallet.views import bp as wallet_bp

    app.register_blueprint(pages_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(catalog_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(promotions_bp)
    app.register_blueprint(recommendations_bp)
    # "Often bought together" (and the view noted) in the strips fetched under a product page.
    below_product.register(often_bought_together)
    app.register_blueprint(checkout_bp)
    # A kept page's cart link, put in on every visit: checkout's, made once per count.
    page_cache.cart_link_from(app, cart_link_html)
    app.register_blueprint(vouchers_bp)
    app.register_blueprint(orders_bp)
    app.register_blueprint(payments_bp)
    app.register_blueprint(payment_slips_bp)
    app.register_blueprint(payment_links_bp)
    app.register_blueprint(support_bp)
    app.register_blueprint(wallet_bp)
    app.register_blueprint(plans_bp)
    app.register_blueprint(content_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(ops_bp)
    app.register_blueprint(api_bp)


def _register_error_pages(app) -> None:
    from app.pages.errors import register

    register(app)


def _register_cli(app) -> None:
    from app.cli import register

    register(app)
