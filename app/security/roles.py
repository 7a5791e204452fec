"""Staff roles and what each may do. Services check these; views only hide what cannot be used."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l

from app.errors import Forbidden


class Role(enum.StrEnum):
    ADMIN = "admin"
    CATALOG_MANAGER = "catalog_manager"
    ORDER_MANAGER = "order_manager"
    SUPPORT_AGENT = "support_agent"
    MARKETING = "marketing"


ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.CATALOG_MANAGER: _l("Catalog manager"),
    Role.ORDER_MANAGER: _l("Order manager"),
    Role.SUPPORT_AGENT: _l("Support agent"),
    Role.MARKETING: _l("Marketing"),
}


class Permission(enum.StrEnum):
    VIEW_BACKOFFICE = "backoffice.view"
    READ_AUDIT_LOG = "audit.read"
    MANAGE_STAFF = "staff.manage"
    MANAGE_CATALOG = "catalog.manage"
    MANAGE_INVENTORY = "inventory.manage"
    MANAGE_ORDERS = "orders.manage"
    # Take money off an order by hand (a phone order's goodwill): admins only, audited.
    DISCOUNT_ORDERS = "orders.discount"
    MANAGE_PAYMENTS = "payments.manage"
    MANAGE_SUPPORT = "support.manage"
    MANAGE_PROMOTIONS = "promotions.manage"
    VIEW_REPORTS = "reports.view"
    MANAGE_JOBS = "jobs.manage"
    MANAGE_CONTENT = "content.manage"  # the shop's pages and details (app.content)
    # Put store credit in a customer's wallet by hand (goodwill): audited, with a reason.
    # Also opens the back office's customer pages (their wallet).
    GIVE_CREDIT = "wallet.credit"
    # Correct a wallet either way (take credit off): admins only, audited, with a reason.
    ADJUST_WALLETS = "wallet.adjust"


_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.CATALOG_MANAGER: frozenset(
        {Permission.VIEW_BACKOFFICE, Permission.MANAGE_CATALOG, Permission.MANAGE_INVENTORY}
    ),
    Role.ORDER_MANAGER: frozenset(
        {Permission.VIEW_BACKOFFICE, Permission.MANAGE_ORDERS, Permission.MANAGE_PAYMENTS,
         Permission.MANAGE_INVENTORY, Permission.VIEW_REPORTS, Permission.GIVE_CREDIT}
    ),
    Role.SUPPORT_AGENT: frozenset({Permission.VIEW_BACKOFFICE, Permission.MANAGE_SUPPORT,
                                   Permission.GIVE_CREDIT}),
    Role.MARKETING: frozenset(
        {Permission.VIEW_BACKOFFICE, Permission.MANAGE_PROMOTIONS, Permission.VIEW_REPORTS,
         Permission.MANAGE_CONTENT}
    ),
}


def permissions_of(role: str | None) -> frozenset[Permission]:
    if not role:
        return frozenset()
    try:
        return _GRANTS[Role(role)]
    except ValueError:
        return frozenset()


def can(role: str | None, permission: Permission) -> bool:
    return permission in permissions_of(role)


def require(actor, permission: Permission) -> None:
    """Services call this first. `actor` None is the system itself (jobs, the command line,
    the demo loader); a person needs the permission. Raises Forbidden."""
    if actor is not None and not can(actor.role, permission):
        raise Forbidden()
