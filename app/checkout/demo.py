"""Demo orders, so the back office and "My orders" have something to show after `make run`.
Placed through the real cart and checkout services, as a shopper would."""

from __future__ import annotations

from sqlalchemy import func, select

from app import db
from app.accounts import addresses, services as accounts
from app.catalog.models import Product, Variant
from app.checkout import cart as carts
from app.checkout.services import CheckoutChoices, place_order
from app.inventory import services as inventory
from app.orders import services as orders
from app.orders.models import Order

# (customer email, payment method, delivery option, how far the order has come)
DEMO_ORDERS = (
    ("sarah@example.lk", "cod", "island-wide", ("shipped", "delivered")),
    ("nimal@example.lk", "cod", "colombo-same-day", ()),
    ("kavitha@example.lk", "bank_transfer", "island-wide", ()),
)


def _goods_in_stock(limit: int) -> list[int]:
    variant_ids = db.session.scalars(
        select(Variant.id).join(Product).where(Product.status == "published",
                                               Product.kind == "product", Variant.is_active)
        .order_by(Variant.id).limit(limit * 4)).all()
    units = inventory.available(list(variant_ids))
    return [variant_id for variant_id in variant_ids if units[variant_id] >= 3][:limit]


def load_demo_orders() -> list[str]:
    if db.session.scalar(select(func.count()).select_from(Order)):
        return []
    goods = _goods_in_stock(6)
    placed = []
    for index, (email, method, option, progress) in enumerate(DEMO_ORDERS):
        user = accounts.find_by_email(email)
        if user is None or len(goods) < 2 * index + 2:
            continue
        cart = carts.open_cart(user_id=user.id)
        carts.add_item(cart, goods[2 * index], 1)
        carts.add_item(cart, goods[2 * index + 1], 2)
        [address] = addresses.list_addresses(user.id)[:1]
        order, _ = place_order(cart, CheckoutChoices(
            payment_method=method, delivery_option=option, address_id=address.id,
            locale=user.locale), user=user)
        for status in progress:
            orders.change_status(order.number, status, note=None)
        placed.append(order.number)
    return [f"Demo orders: {', '.join(placed)}"] if placed else []
