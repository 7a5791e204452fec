"""The order status table: every status has words in English, Sinhala and Tamil, every step
leads to a status in the table, and the last statuses go nowhere."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from app.orders import statuses
from app.orders.statuses import BY_CODE, STATUSES, TABLE


def test_each_status_has_one_row():
    assert len(STATUSES) == len(TABLE) == len(set(STATUSES))


@pytest.mark.parametrize("code", STATUSES)
def test_every_status_has_a_label_in_each_language(app, code):
    with app.test_request_context(), force_locale("en"):
        english = statuses.label(code)
    for locale in ("si", "ta"):
        with app.test_request_context(), force_locale(locale):
            translated = statuses.label(code)
        assert translated and translated != english, (code, locale)
    assert english and english != code


@pytest.mark.parametrize("row", TABLE, ids=lambda row: row.code)
def test_every_next_status_is_in_the_table_and_not_itself(row):
    assert row.next <= set(STATUSES)
    assert row.code not in row.next


def test_the_final_statuses_go_nowhere():
    assert {row.code for row in TABLE if row.is_final} == {"cancelled", "refunded"}
    assert all(not BY_CODE[code].next for code in ("cancelled", "refunded"))


def test_every_status_but_waiting_for_payment_is_reached_from_another():
    reached = set().union(*(row.next for row in TABLE))

    assert set(STATUSES) - reached == {"pending_payment"}


def test_a_services_only_order_skips_the_shipment_steps():
    assert statuses.next_of("processing") >= {"shipped", "ready_for_collection"}
    assert statuses.next_of("processing", services_only=True) == {
        "completed", "cancelled", "refunded"}


def test_a_refund_reaches_any_paid_order_and_only_the_refund_service_sets_it():
    paid = {row.code for row in TABLE if row.code not in ("pending_payment", "cancelled")
            and not row.is_final}

    assert {code for code in paid if "refunded" in BY_CODE[code].next} == paid
    assert statuses.REFUND == {"refunded", "partially_refunded"}
    assert statuses.PARTLY_REFUNDABLE == {"delivered", "completed"}


def test_an_unknown_status_has_no_label():
    assert statuses.label("lost_at_sea") is None
    assert statuses.label(None) is None
