"""Every domain's tables, imported together for Alembic and for tests that build schemas."""


def import_all() -> None:
    import app.accounts.models  # noqa: F401
    import app.audit.models  # noqa: F401
    import app.catalog.models  # noqa: F401
    import app.checkout.models  # noqa: F401
    import app.content.models  # noqa: F401
    import app.events.models  # noqa: F401
    import app.inventory.models  # noqa: F401
    import app.notifications.models  # noqa: F401
    import app.ops.backups.models  # noqa: F401
    import app.orders.models  # noqa: F401
    import app.payments.models  # noqa: F401
    import app.plans.models  # noqa: F401
    import app.promotions.models  # noqa: F401
    import app.recommendations.models  # noqa: F401
    import app.reports.models  # noqa: F401
    import app.support.models  # noqa: F401
    import app.wallet.models  # noqa: F401
