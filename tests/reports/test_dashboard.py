"""The dashboard's figures (services) and its page: each card only for the roles that may see
it, figures for today against yesterday, orders to act on, low stock, support, jobs."""

from __future__ import annotations

import datetime as dt

import pytest

from app.db import utcnow
from app.errors import Forbidden
from app.inventory import services as inventory
from app.recommendations import offers
from app.reports import dashboard
from app.reports.database import reading
from app.support import services as support
from tests.checkout.factories import place_guest_order, stocked
from tests.factories import make_customer, make_staff


def test_windows_compare_with_the_days_before(shop, admin):
    with reading() as reads:
        card = dashboard.sales_card(reads, actor=admin, today=dt.date(2026, 3, 3))
    today, week, month = card.windows
    # 3 March: only A's refund; 2 March (the day before): A; 7 days: both orders and the refund.
    assert (today.days, today.now.orders, today.now.total_cents) == (1, 0, -1_000_00)
    assert (today.before.orders, today.before.total_cents) == (1, 2_752_00)
    assert (week.now.orders, week.now.total_cents, week.before.orders) == (2, 2_758_00, 0)
    assert week.sales_change is None  # nothing the week before to compare with
    assert today.sales_change == round((-1_000_00 - 2_752_00) * 100 / 2_752_00)
    assert [row.total_cents for row in card.chart[-3:]] == [1_006_00, 2_752_00, -1_000_00]
    assert len(card.chart) == 30 and month.now.orders == 2


def test_orders_to_act_on(shop, admin):
    with reading() as reads:
        to_do = dashboard.to_do(reads, actor=admin)
    # B is paid (to confirm and pack); A, cash collected and refunded in part before it was
    # sent, still has to go out; C waits for its transfer; D was cancelled.
    assert (to_do.to_pack, to_do.to_ship, to_do.unpaid_transfers, to_do.cash_to_collect) == (
        1, 1, 1, 0)


def test_top_products_and_low_stock(db_session, admin):
    tea = stocked("Ceylon tea", units=3, price_cents=1_250_00, sku="TEA-1")
    soap = stocked("Herbal soap", units=50, price_cents=280_00, sku="SOAP-1")
    place_guest_order((tea, 2), (soap, 1))
    inventory.set_threshold(tea.id, 2)
    with reading() as reads:
        top = dashboard.top_products(reads, actor=admin)
        low = dashboard.low_stock(reads, actor=admin)
    assert [(p.name, p.units, p.sales_cents) for p in top] == [
        ("Ceylon tea", 2, 2_500_00), ("Herbal soap", 1, 280_00)]
    assert (low.count, low.items) == (1, [("Ceylon tea", "TEA-1", 1)])


def test_support_counts_tickets_waiting_for_the_shop(db_session, admin):
    customer = make_customer()
    first = support.open_ticket(customer.id, subject="Where is my order?", body="Hello")
    support.open_ticket(customer.id, subject="Wrong size", body="Hello again")
    with reading() as reads:
        card = dashboard.support_card(reads, actor=admin)
    assert card.open_count == 2
    assert card.oldest_waiting_since == first.last_activity_at


@pytest.mark.parametrize(("role", "cards"), [
    ("admin", ["sales", "to_do", "top_products", "low_stock", "support", "operations",
               "offers"]),
    ("order_manager", ["sales", "to_do", "top_products", "low_stock"]),
    ("marketing", ["sales", "top_products", "offers"]),
    ("catalog_manager", ["low_stock"]),
    ("support_agent", ["support"]),
])
def test_each_role_gets_its_cards(db_session, role, cards):
    assert dashboard.cards_for(make_staff(role)) == cards


def test_the_services_refuse_a_role_without_the_permission(db_session):
    agent = make_staff("support_agent")
    with reading() as reads, pytest.raises(Forbidden):
        dashboard.sales_card(reads, actor=agent)
    with pytest.raises(Forbidden):
        dashboard.operations_card(actor=agent)
    with pytest.raises(Forbidden):
        offers.summary(agent, utcnow())


@pytest.fixture()
def admin(db_session):
    return make_staff("admin")
