"""The staff back office at /staff: one module per area it manages.

Every route is guarded (guards.py); pages show only the areas the signed-in role may use, and
the services check the same permissions again.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.backoffice.guards import error_page, staff_verified
from app.errors import DomainError
from app.pages.errors import error_page as site_error_page
from app.security.roles import ROLE_LABELS, Permission, Role, can

bp = Blueprint("staff", __name__, url_prefix="/staff")

# The menu's groups, in order: staff find an area by what they are doing, not in a row of a
# dozen links.
GROUPS = {
    "sell": _l("Sell"),
    "catalogue": _l("Catalogue"),
    "customers": _l("Customers"),
    "shop": _l("Shop"),
}

# The areas that exist, in menu order: (endpoint, label, permission needed, endpoint prefix of
# its pages, menu group). An area appears here when its pages do; until then the menu does
# not mention it.
AREAS = [
    ("staff.order_list", _l("Orders"), Permission.MANAGE_ORDERS, "staff.order", "sell"),
    ("staff.payment_list", _l("Payments"), Permission.MANAGE_PAYMENTS, "staff.payment",
     "sell"),
    ("staff.promotion_list", _l("Promotions"), Permission.MANAGE_PROMOTIONS,
     "staff.promotion", "sell"),
    ("staff.plan_list", _l("Plans and points"), Permission.MANAGE_PROMOTIONS,
     "staff.plan", "sell"),
    ("staff.offer_list", _l("Personal offers"), Permission.MANAGE_PROMOTIONS,
     "staff.offer", "sell"),
    ("staff.report_sales", _l("Reports"), Permission.VIEW_REPORTS, "staff.report", "sell"),
    ("staff.catalog_list", _l("Catalog"), Permission.MANAGE_CATALOG, "staff.catalog",
     "catalogue"),
    ("staff.stock_list", _l("Stock"), Permission.MANAGE_INVENTORY, "staff.stock",
     "catalogue"),
    ("staff.delivery_list", _l("Delivery"), Permission.MANAGE_ORDERS, "staff.delivery",
     "catalogue"),
    ("staff.customer_list", _l("Customers"), Permission.GIVE_CREDIT, "staff.customer",
     "customers"),
    ("staff.support_list", _l("Support"), Permission.MANAGE_SUPPORT, "staff.support",
     "customers"),
    ("staff.content_list", _l("Shop pages"), Permission.MANAGE_CONTENT, "staff.content",
     "customers"),
    ("staff.user_list", _l("Staff"), Permission.MANAGE_STAFF, "staff.user", "shop"),
    ("staff.job_list", _l("Jobs"), Permission.MANAGE_JOBS, "staff.job", "shop"),
    ("staff.backup_list", _l("Backups"), Permission.MANAGE_JOBS, "staff.backup", "shop"),
    ("staff.audit_log", _l("Audit log"), Permission.READ_AUDIT_LOG, "staff.audit", "shop"),
]


@bp.before_request
def _every_route_is_guarded():
    """Fail closed: a route without a guard decorator answers 403 to everyone."""
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "staff_access", None) is None:
        abort(403)


@bp.after_request
def _no_store(response):
    # Back-office pages carry staff data and, while enrolling, the TOTP secret: no copies in
    # the browser's cache or a shared proxy. A view that already forbids storing (a
    # customer's slip: "private, no-store") keeps its own words.
    if "no-store" not in response.headers.get("Cache-Control", ""):
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.context_processor
def _shell():
    if not staff_verified():
        return {"staff_areas": [], "staff_role_label": None, "role_labels": ROLE_LABELS}
    here = request.endpoint or ""
    areas = [{"endpoint": endpoint, "label": label, "current": here.startswith(prefix),
              "group": group}
             for endpoint, label, permission, prefix, group in AREAS
             if can(current_user.role, permission)]
    groups = [{"label": label, "areas": [a for a in areas if a["group"] == key]}
              for key, label in GROUPS.items()]
    return {"staff_areas": areas, "staff_groups": [g for g in groups if g["areas"]],
            "staff_here": next((a["label"] for a in areas if a["current"]), None),
            "staff_role_label": ROLE_LABELS[Role(current_user.role)],
            "role_labels": ROLE_LABELS}


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    """A service said no (Forbidden, NotFound …): answer inside the shell for verified staff."""
    if staff_verified():
        return error_page(exc.status, exc.message)
    return site_error_page(exc.status, exc.message, getattr(exc, "retry_after", None))


from app.backoffice import (  # noqa: E402, F401  (routes)
    audit,
    auth,
    backups,
    catalog,
    catalog_imports,
    catalog_products,
    content,
    customers,
    delivery,
    home,
    inventory,
    jobs,
    offers,
    orders,
    payments,
    phone_orders,
    plans,
    promotions,
    reports,
    security,
    staff_users,
    support,
)
