"""The customer's orders under their data rights: in the copy of their data; kept in the
books without them after erasure (and their messages gone); erasure waits while an order is
still on its way, because it needs their address and phone to arrive."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import db
from app.accounts import privacy
from app.db import transaction
from app.errors import Conflict
from app.events.models import Event, Handling
from app.events.services import PublishedEvent
from app.notifications.models import OutboxMessage
from app.orders import handlers as order_handlers, services as orders
from app.orders.models import Order
from tests.checkout.factories import customer_order, stocked
from tests.factories import PASSWORD, make_customer, make_staff


@pytest.fixture()
def nimal(db_session):
    return make_customer(name="Nimal Perera", email="nimal@example.lk", phone="+94771234567")


def _deliver(order) -> None:
    staff = make_staff("order_manager")
    for status in ("shipped", "delivered"):  # cash on delivery starts as processing
        orders.change_status(order.number, status, actor=staff)


def test_the_export_holds_their_orders_with_what_was_bought_and_where_it_went(nimal):
    order = customer_order(nimal, (stocked("Ceylon tea", units=5), 2))

    [exported] = privacy.export_data(nimal.id)["orders"]

    assert exported["number"] == order.number
    assert exported["contact"]["email"] == "nimal@example.lk"
    assert exported["delivery"]["line1"] == "12 Temple Road"
    assert exported["lines"][0]["name"] == "Ceylon tea" and exported["lines"][0]["quantity"] == 2
    assert exported["total_cents"] == order.total_cents
    assert exported["timeline"][0]["status"] == order.status


def test_another_customers_orders_are_not_in_the_export(nimal):
    customer_order(make_customer(), (stocked("Tea", units=5), 1))

    assert privacy.export_data(nimal.id)["orders"] == []


def test_erasure_waits_while_an_order_is_on_its_way(nimal):
    order = customer_order(nimal, (stocked("Tea", units=5), 1))

    with pytest.raises(Conflict) as refused:
        privacy.erase_account(nimal.id, password=PASSWORD)

    assert order.number in str(refused.value.message)

    db.session.expire_all()
    assert db.session.get(Order, order.id).contact_name == "Nimal Perera"
    assert nimal.erased_at is None


def test_after_erasure_the_order_stays_in_the_books_without_the_person(nimal):
    order = customer_order(nimal, (stocked("Tea", units=5), 1))
    _deliver(order)
    orders.request_return(db.session.get(Order, order.id), "The box came crushed, call me")
    assert db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.user_id == nimal.id)).first() is not None

    privacy.erase_account(nimal.id, password=PASSWORD)

    db.session.expire_all()
    kept = db.session.get(Order, order.id)
    assert kept.number == order.number and kept.total_cents == order.total_cents
    assert kept.lines[0].sku == order.lines[0].sku
    assert (kept.contact_name, kept.contact_email, kept.contact_phone) == ("", "", "")
    assert (kept.ship_recipient, kept.ship_phone, kept.ship_line1, kept.ship_city) == (
        None, None, None, None)
    assert kept.district == "galle"  # coarse: reports still count orders per district
    assert all("crushed" not in (event.note or "") for event in kept.events)
    # The mails and SMS to them (their address, their name in the data) are gone too.
    assert db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.user_id == nimal.id)).all() == []


def test_orders_forget_the_erased_customer_in_their_own_handler_and_a_rerun_changes_nothing(
        nimal):
    order = customer_order(nimal, (stocked("Tea", units=5), 1))
    _deliver(order)

    privacy.erase_account(nimal.id, password=PASSWORD)
    [erased] = db.session.scalars(select(Event).where(Event.name == "customer.erased",
                                                      Event.key == f"customer:{nimal.id}"))
    done = db.session.scalar(select(Handling.status).where(
        Handling.event_id == erased.id, Handling.handler == "orders.forget_customer"))
    with transaction():  # at least once: a second delivery of the same event
        order_handlers.forget_customer(PublishedEvent(erased.id, erased.name, erased.key,
                                                      erased.data, erased.created_at))

    assert done == "done"
    db.session.expire_all()
    kept = db.session.get(Order, order.id)
    assert (kept.contact_name, kept.ship_line1, kept.number) == ("", None, order.number)


def test_the_erase_page_says_why_it_waits(client, login, nimal):
    order = customer_order(nimal, (stocked("Tea", units=5), 1))
    login(nimal)

    response = client.post("/account/delete", data={"password": PASSWORD, "confirm": "y"},
                           follow_redirects=True)

    assert order.number in response.get_data(as_text=True)
    assert "still on their way" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(nimal), nimal.id).erased_at is None


def _tea_in_two_packs():
    """250 g with Sinhala and Tamil options; 1 kg with English ones only."""
    from app.catalog import inputs
    from app.inventory import services as inventory
    from tests.catalog.factories import make_product

    product = make_product("Ceylon tea", name_si="ලංකා තේ", name_ta="இலங்கை தேநீர்", variants=[
        inputs.VariantInput(sku="TEA-250", price_cents=450_00, options={"pack": "250 g"},
                            options_si={"ඇසුරුම": "ග්‍රෑම් 250"},
                            options_ta={"பொதி": "250 கிராம்"}),
        inputs.VariantInput(sku="TEA-1K", price_cents=1_500_00, options={"pack": "1 kg"})])
    for variant in product.variants:
        inventory.receive(variant.id, 5)
    return product.variants


@pytest.mark.parametrize(("language", "name", "pack", "delivery"), [
    ("si", "ලංකා තේ", "ඇසුරුම: ග්‍රෑම් 250", "දිවයින පුරා සාමාන්‍ය"),
    ("ta", "இலங்கை தேநீர்", "பொதி: 250 கிராம்", "தீவு முழுவதும் சாதாரண"),
    ("en", "Ceylon tea", "pack: 250 g", "Island-wide standard"),
])
def test_the_export_names_what_was_bought_and_its_delivery_in_the_customer_s_language(
        db_session, language, name, pack, delivery):
    customer = make_customer(locale=language)
    small, big = _tea_in_two_packs()
    customer_order(customer, (small, 1), (big, 1))

    [exported] = privacy.export_data(customer.id)["orders"]

    assert exported["delivery"]["option"] == delivery
    assert [(line["name"], line["options"]) for line in exported["lines"]] == [
        (name, pack), (name, "pack: 1 kg")]  # English where the pack had no translation


def test_the_export_follows_the_customer_s_language_now_not_the_order_s(db_session):
    customer = make_customer(locale="en")
    small, _big = _tea_in_two_packs()
    customer_order(customer, (small, 1))
    customer.locale = "ta"  # they switched to Tamil after ordering
    db_session.flush()

    [exported] = privacy.export_data(customer.id)["orders"]

    assert exported["lines"][0]["options"] == "பொதி: 250 கிராம்"
    assert exported["delivery"]["option"] == "தீவு முழுவதும் சாதாரண"


def test_an_export_of_an_order_without_options_says_none(nimal):
    customer_order(nimal, (stocked("Plain tea", units=5), 1))

    [exported] = privacy.export_data(nimal.id)["orders"]

    assert exported["lines"][0]["options"] is None
