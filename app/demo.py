"""The demo shop loaded by `flask seed demo` (and `make run`). Idempotent: run it twice and
nothing is duplicated. Its logins are published (README, the command's output), so it is
never loaded in production nor into a database that already holds a real shop's orders."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select

from app import db
from app.accounts import addresses, services as accounts, staff
from app.accounts.models import User
from app.db import transaction, utcnow
from app.security.passwords import DEMO_PASSWORD

STAFF = [
    ("admin@kade.lk", "admin", "Kade Admin"),
    ("support@kade.lk", "support_agent", "Support Agent"),
    ("orders@kade.lk", "order_manager", "Order Manager"),
]
CUSTOMERS = [
    ("nimal@example.lk", "Nimal Perera", "+94771234567", "si", "colombo", "Colombo 05"),
    ("kavitha@example.lk", "Kavitha Rajan", "+94772345678", "ta", "jaffna", "Jaffna"),
    ("sarah@example.lk", "Sarah Fernando", "+94713456789", "en", "galle", "Galle"),
]


class DemoRefused(Exception):
    """The demo shop must not be loaded here."""


def _refuse_where_real() -> None:
    if current_app.config["KADE_ENV"] == "production":
        raise DemoRefused("refused: the demo shop, with its published passwords, is never "
                          "loaded in production (KADE_ENV=production)")
    from app.orders.models import Order

    # A database the demo was loaded into before may hold the orders someone tried out
    # there (`make run` again keeps them); any other database with orders is a real shop's.
    demo_accounts = [accounts.email_index(email) for email, *_ in (*STAFF, *CUSTOMERS)]
    seeded_before = db.session.scalar(
        select(func.count()).select_from(User).where(User.email_index.in_(demo_accounts)))
    orders = db.session.scalar(select(func.count()).select_from(Order))
    if orders and not seeded_before:
        raise DemoRefused(f"refused: this database already holds a real shop's orders "
                          f"({orders}); load the demo shop only into a new database")


def _staff_line(email: str, role: str, name: str) -> str:
    user = accounts.find_by_email(email)
    if user is None:
        code = staff.create_staff(email=email, role=role, password=DEMO_PASSWORD,
                                  name=name).enrolment_code
    elif user.totp_enrolled_at is None:  # codes are not kept: a fresh one each run
        code = staff.issue_enrolment_code(user.id, actor=None)
    else:
        return f"staff     {email:<22} {DEMO_PASSWORD}  ({role}; authenticator set up)"
    return f"staff     {email:<22} {DEMO_PASSWORD}  ({role}; enrolment code {code})"


def load_demo() -> list[str]:
    """Load the demo shop and return what to print. Raises DemoRefused (nothing is
    created) in production and on a database holding orders of non-demo customers."""
    _refuse_where_real()
    lines = [_staff_line(email, role, name) for email, role, name in STAFF]
    for email, name, phone, locale, district, city in CUSTOMERS:
        if accounts.find_by_email(email) is None:
            with transaction():
                user = accounts.register(name=name, email=email, phone=phone,
                                         password=DEMO_PASSWORD, locale=locale)
                user.email_verified_at = utcnow()
                addresses.add_address(user.id, addresses.AddressInput(
                    recipient=name, phone=phone, line1="12 Temple Road", city=city,
                    district=district, postal_code="10100" if district == "colombo" else None))
        lines.append(f"customer  {email:<22} {DEMO_PASSWORD}")
    db.session.commit()
    # Imported here: the catalog and checkout demo loaders need the app's full model set.
    from app.catalog.demo import load_catalog
    from app.checkout.delivery import ensure_starter_options
    from app.checkout.demo import load_demo_orders
    from app.content.demo import load_details
    from app.plans.demo import load_demo_plans
    from app.promotions.demo import load_demo_promotions
    from app.wallet.demo import load_demo_credit

    ensure_starter_options()
    load_details()
    catalog_lines = load_catalog()
    order_lines = load_demo_orders()  # before the promotions: the demo orders stay as they were
    credit_lines = load_demo_credit([email for email, *_ in CUSTOMERS])
    db.session.commit()
    from app.recommendations.nightly import compute as compute_recommendations

    compute_recommendations()  # the strips have the demo orders to show at once
    return [*catalog_lines, *order_lines, *load_demo_promotions(), *load_demo_plans(),
            *credit_lines,
            "Demo logins (password for all):", *lines]
