"""Whose cart a request's is: a signed-in customer's, or a guest's named by the cart cookie.
Staff browsing the shop have none. Read by the checkout's pages and by other areas' pages
that must know what is in the cart (recommendations leave out what is already there)."""

from __future__ import annotations

from flask import g, request
from flask_login import current_user

from app.checkout import cart as carts
from app.checkout.models import Cart

CART_COOKIE = "kade_cart"


def is_staff() -> bool:
    return bool(current_user.is_authenticated and current_user.is_staff)


def customer_id() -> int | None:
    if current_user.is_authenticated and not current_user.is_staff:
        return current_user.id
    return None


def cookie_token() -> str | None:
    if current_user.is_authenticated:
        return None
    # A cart made during this request is not in the request's cookies yet.
    return g.get("new_cart_token") or request.cookies.get(CART_COOKIE)


def current_cart() -> Cart | None:
    """The shopper's open cart, if they have one (never made here)."""
    if is_staff():
        return None
    customer = customer_id()
    if customer is not None:
        return carts.find_cart(user_id=customer)
    return carts.find_cart(token=cookie_token())


def product_ids_in_cart() -> set[int]:
    """The products in the shopper's open cart: one query, no cart made, none for staff."""
    if is_staff():
        return set()
    return carts.product_ids(user_id=customer_id(), token=cookie_token())


def product_ids_in_customers_cart(customer: int) -> set[int]:
    """The products in a customer's open cart (the API, where the caller is a token's)."""
    return carts.product_ids(user_id=customer)
