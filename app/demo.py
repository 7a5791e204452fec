"""The demo shop loaded by `flask seed demo` (and `make run`). Idempotent: run it twice and
nothing is duplicated. The catalog part arrives with the catalog domain."""

from __future__ import annotations

from app import db
from app.accounts import addresses, services as accounts, staff
from app.db import transaction, utcnow

DEMO_PASSWORD = "kade-demo-2026"  # noqa: S105 — published demo logins, never for production

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


def load_demo() -> list[str]:
    lines = []
    for email, role, name in STAFF:
        if accounts.find_by_email(email) is None:
            staff.create_staff(email=email, role=role, password=DEMO_PASSWORD, name=name)
        lines.append(f"staff     {email:<22} {DEMO_PASSWORD}  ({role}; enrol TOTP at /staff)")
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

    ensure_starter_options()
    catalog_lines = load_catalog()
    return [*catalog_lines, *load_demo_orders(), "Demo logins (password for all):", *lines]
