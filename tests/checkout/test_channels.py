"""One place-order service for every channel: the storefront, the app, staff taking an order
by phone, a plan's renewal. The channel is kept on the order; staff may place for a customer
(no per-phone pace limit for them) and, with the permission, give a discount with a reason."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import db
from app.audit.models import AuditEntry
from app.checkout import cart as carts
from app.checkout.services import place_order
from app.checkout.staff_discount import StaffDiscount
from app.errors import Forbidden, Invalid
from app.orders.documents import invoice_pdf
from tests.checkout.factories import (
    customer_order,
    guest_cart,
    guest_choices,
    place_guest_order,
    starter_delivery,
    stocked,
)
from tests.factories import make_customer, make_staff
from tests.orders.test_documents import pdf_text


@pytest.fixture()
def tea(db_session):
    starter_delivery()
    return stocked("Ceylon tea", units=50, price_cents=1_000_00)


def _staff_order(tea, actor, quantity=2, choices_payment="cod", **kwargs):
    cart = guest_cart((tea, quantity))
    return place_order(cart, guest_choices(payment_method=choices_payment), channel="phone",
                       actor=actor, **kwargs)[0]


def test_the_storefront_and_a_customer_order_say_web(tea):
    guest = place_guest_order(tea)
    customer = customer_order(make_customer(), (tea, 1))

    assert (guest.channel, customer.channel) == ("web", "web")


def test_an_order_staff_take_by_phone_says_so_and_who_took_it(tea):
    manager = make_staff("order_manager")

    order = _staff_order(tea, manager)

    assert order.channel == "phone"
    first = order.events[0]
    assert (first.actor_kind, first.actor_id) == ("staff", manager.id)
    assert order.total_cents == 2 * 1_000_00 + order.delivery_fee_cents


def test_staff_are_not_held_to_the_hourly_limit_of_orders_per_phone(tea, app, monkeypatch):
    monkeypatch.setitem(app.config, "ORDERS_PER_PHONE_PER_HOUR", 1)
    manager = make_staff("order_manager")

    orders = [_staff_order(tea, manager, quantity=1) for _ in range(3)]

    assert len({o.number for o in orders}) == 3


def test_staff_are_not_held_to_the_cap_of_orders_waiting_for_payment(tea, app, monkeypatch):
    # A caller with orders to pay already may still order by phone: staff take the order
    # (the cap stops scripts holding stock), and a shopper on the same number is refused.
    monkeypatch.setitem(app.config, "UNPAID_ORDERS_PER_PHONE", 1)
    manager = make_staff("order_manager")

    taken = [_staff_order(tea, manager, quantity=1, choices_payment="bank_transfer")
             for _ in range(2)]
    with pytest.raises(Invalid) as refused:
        place_order(guest_cart((tea, 1)), guest_choices(payment_method="bank_transfer"))

    assert [order.status for order in taken] == ["pending_payment"] * 2
    assert refused.value.field == "payment_method"
    assert "orders waiting for payment" in str(refused.value.message)


def test_a_person_without_the_orders_permission_cannot_place_for_someone(tea):
    with pytest.raises(Forbidden):
        _staff_order(tea, make_staff("catalog_manager"))


def test_a_discount_without_the_permission_is_refused_and_nothing_is_placed(tea):
    manager = make_staff("order_manager")
    cart = guest_cart((tea, 2))

    with pytest.raises(Forbidden):
        place_order(cart, guest_choices(), channel="phone", actor=manager,
                    discount=StaffDiscount("Loyal customer", amount_cents=500_00))

    db.session.refresh(cart)
    assert cart.status == "open" and cart.order_number is None
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "orders.discount")) is None


def test_a_shopper_cannot_give_themselves_a_staff_discount(tea):
    customer = make_customer()
    cart = carts.open_cart(user_id=customer.id)
    carts.add_item(cart, tea.id, 1)

    with pytest.raises(Forbidden):
        place_order(cart, guest_choices(contact=None), user=customer, actor=customer,
                    discount=StaffDiscount("I asked nicely", percent=50))


def test_a_discount_with_the_permission_is_audited_with_its_reason_and_on_the_invoice(tea):
    admin = make_staff("admin")

    order = _staff_order(tea, admin, discount=StaffDiscount(
        "  Parcel arrived late last time ", amount_cents=300_00))

    assert order.discount_cents == 300_00
    assert order.total_cents == 2 * 1_000_00 - 300_00 + order.delivery_fee_cents
    [given] = order.adjustments_of("order")
    assert (given.rule, given.amount_cents) == ("staff", 300_00)
    assert given.label("en") == "Discount from the shop"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "orders.discount"))
    assert (entry.actor_id, entry.target_id) == (admin.id, order.number)
    assert entry.details == {"reason": "Parcel arrived late last time", "amount_cents": 300_00}
    note = [e for e in order.events if e.kind == "note"]
    assert [(e.public, e.note) for e in note] == [
        (False, "Discount from the shop (Rs 300.00): Parcel arrived late last time")]
    text = pdf_text(invoice_pdf(order))
    assert "Discount from the shop" in text and "300.00" in text


def test_a_percentage_discount_is_taken_from_the_goods_and_never_below_zero(tea):
    admin = make_staff("admin")

    tenth = _staff_order(tea, admin, discount=StaffDiscount("Bulk", percent=10))
    everything = _staff_order(tea, admin, discount=StaffDiscount("Gift", percent=100))
    more_than_all = _staff_order(tea, admin, discount=StaffDiscount("Oops",
                                                                    amount_cents=10_000_00))

    assert tenth.discount_cents == 200_00
    assert everything.discount_cents == 2_000_00
    assert more_than_all.discount_cents == 2_000_00
    assert more_than_all.total_cents == more_than_all.delivery_fee_cents


@pytest.mark.parametrize(("discount", "field"), [
    (StaffDiscount("", amount_cents=100_00), "discount_reason"),
    (StaffDiscount("x" * 201, amount_cents=100_00), "discount_reason"),
    (StaffDiscount("Both", amount_cents=100_00, percent=5), "discount"),
    (StaffDiscount("Neither"), "discount"),
    (StaffDiscount("Too much", percent=101), "discount"),
    (StaffDiscount("Negative", amount_cents=-5), "discount"),
])
def test_a_discount_that_does_not_make_sense_is_refused_on_its_field(tea, discount, field):
    with pytest.raises(Invalid) as refused:
        _staff_order(tea, make_staff("admin"), discount=discount)

    assert refused.value.field == field


def test_an_unknown_channel_is_a_programming_error(tea):
    with pytest.raises(ValueError, match="channel"):
        place_order(guest_cart(tea), guest_choices(), channel="fax")
