"""Rows read once per request (app/request_memo.py): the variants a checkout request asks for
again and again, and the customer's subscription. Kept only while serving a request, and
forgotten as soon as the request writes one of their rows or rolls back."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from app import db
from app.catalog import services as catalog
from app.catalog.models import Variant
from app.inventory import services as inventory
from app.inventory.models import StockLevel
from app.plans import services as plans
from tests.catalog.factories import make_product
from tests.statements import statements_sent


def _variant_ids(app) -> list[int]:
    with app.app_context():
        return [make_product(name).variants[0].id for name in ("Ceylon tea", "Kithul jaggery")]


def test_a_request_reads_its_variants_once_however_often_it_asks(app):
    tea, jaggery = _variant_ids(app)

    with app.test_request_context(), statements_sent(app) as statements:
        first = catalog.variants_for_sale([tea])
        both = catalog.variants_for_sale([tea, jaggery])  # only jaggery is read
        again = catalog.variants_for_sale([jaggery, tea, 2**31 + 5])
        absent = catalog.variants_for_sale([999_999])
        absent_again = catalog.variants_for_sale([999_999])

    assert set(first) == {tea} and set(both) == set(again) == {tea, jaggery}
    assert absent == absent_again == {}
    assert both[tea] is first[tea]
    reads = [s for s in statements if "FROM catalog_variant" in s]
    assert len(reads) == 3  # tea; jaggery; the id that is not on sale (kept as absent)


def test_outside_a_request_every_call_reads(app):
    tea, _ = _variant_ids(app)

    with app.app_context(), statements_sent(app) as statements:
        catalog.variants_for_sale([tea])
        catalog.variants_for_sale([tea])

    assert len([s for s in statements if "FROM catalog_variant" in s]) == 2


def test_a_request_that_changes_a_variant_sees_the_change(app):
    tea, jaggery = _variant_ids(app)

    with app.test_request_context():
        assert set(catalog.variants_for_sale([tea, jaggery])) == {tea, jaggery}
        db.session.get(Variant, jaggery).is_active = False
        db.session.flush()  # the write forgets what was kept
        after = catalog.variants_for_sale([tea, jaggery])
        db.session.rollback()

    assert set(after) == {tea}


def test_a_rollback_forgets_what_was_kept(app):
    tea, _ = _variant_ids(app)

    with app.test_request_context(), statements_sent(app) as statements:
        catalog.variants_for_sale([tea])
        db.session.rollback()
        catalog.variants_for_sale([tea])

    assert len([s for s in statements if "FROM catalog_variant" in s]) == 2


def test_the_customers_subscription_is_read_once_unless_locked(app, customer):
    with app.test_request_context(), statements_sent(app) as statements:
        assert plans.live_subscription(customer.id) is None
        assert plans.live_subscription(customer.id) is None
        plans.live_subscription(customer.id, lock=True)  # a lock always reads
        db.session.rollback()

    assert len([s for s in statements if "FROM plans_subscription" in s]) == 2


def _stocked_ids(app, units: int = 10) -> list[int]:
    from tests.checkout.factories import stocked

    with app.app_context():
        return [stocked(name, units=units).id for name in ("Ceylon tea", "Kithul jaggery")]


def test_a_request_reads_a_variants_stock_once(app):
    tea, jaggery = _stocked_ids(app)

    with app.test_request_context(), statements_sent(app) as statements:
        first = inventory.available([tea])
        both = inventory.available([jaggery, tea])  # only jaggery is read
        again = inventory.available([tea, jaggery, 999_999])  # unknown: 0, and read

    assert first == {tea: 10} and both == {jaggery: 10, tea: 10}
    assert again == {tea: 10, jaggery: 10, 999_999: 0}
    assert len([s for s in statements if "FROM inventory_stock_level" in s]) == 3


def test_stock_held_by_an_update_statement_shows_in_the_same_request(app):
    # Checkout holds stock with a conditional UPDATE, which the unit of work never sees.
    tea, jaggery = _stocked_ids(app)
    level = StockLevel.__table__.c

    with app.test_request_context():
        assert inventory.available([tea, jaggery]) == {tea: 10, jaggery: 10}
        db.session.execute(update(StockLevel).where(level.variant_id == tea)
                           .values(reserved=level.reserved + 3))
        held = inventory.available([tea, jaggery])
        inventory.reserve("KD-TEST-1", {jaggery: 4})  # the service, end to end
        reserved = inventory.available([tea, jaggery])
        db.session.rollback()

    assert held == {tea: 7, jaggery: 10}
    assert reserved == {tea: 7, jaggery: 6}


def test_a_refused_hold_names_what_is_left_now(app):
    tea, _ = _stocked_ids(app, units=2)

    with app.test_request_context():
        assert inventory.available([tea]) == {tea: 2}
        inventory.reserve("KD-TEST-2", {tea: 2})
        with pytest.raises(inventory.OutOfStock) as short:
            inventory.reserve("KD-TEST-3", {tea: 1})
        db.session.rollback()

    assert short.value.short == {tea: 0}
