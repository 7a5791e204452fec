"""The JSON API for the mobile app: /api/v1 (see docs/API.md).

    blueprint.py    the blueprint: problem+json errors, CSRF exemption, document settings
    auth.py         bearer tokens (HTTPTokenAuth) -> the current customer
    problems.py     errors as application/problem+json (RFC 9457)
    field_errors.py validation errors as translated `{field, message}`
    schemas.py      request and response bodies (pydantic)
    pagination.py   ?page=&per_page= -> {items, page, per_page, total}
    openapi.py      the OpenAPI 3.1 document at /api/v1/openapi.json
    accounts.py     /auth/* and /me
    addresses.py    /me/addresses
    catalog.py      /categories, /products, /products/{slug} (public, no token)
    catalog_schemas.py  the catalogue's query strings and answers
    promotions.py   /promotions: the public promotions running now (no token)
    promotion_schemas.py  its answers
    cart.py         /cart, /cart/items, /delivery-options (and the out-of-stock problem)
    checkout.py     /checkout (with Idempotency-Key)
    orders.py       /orders, /orders/{number}, /orders/{number}/cancel
    notifications.py  /me/notifications (SMS updates, offers by email and SMS)
    checkout_schemas.py  the cart's, checkout's and orders' query strings, bodies and answers
    support.py      /support/tickets, /support/tickets/{number}[/messages] (my questions)
    wallet.py       /me/wallet, /me/points (my store credit, my points); wallet_schemas.py
    plans.py        /plans, /me/subscription (my plan); plan_schemas.py
    recommendations.py  /me/recommendations, /products/{slug}/related
"""

from app.api import (  # noqa: F401  (their routes join the blueprint)
    accounts,
    addresses,
    cart,
    catalog,
    checkout,
    notifications,
    orders,
    plans,
    promotions,
    recommendations,
    support,
    wallet,
)
from app.api.blueprint import bp

__all__ = ["bp"]
