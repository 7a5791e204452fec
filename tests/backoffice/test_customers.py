"""The back office's customer pages: found by the whole email or mobile number, their store
credit and its ledger, goodwill credit (support and order staff, with a reason, audited)
and corrections either way (admins only, never below zero)."""

from __future__ import annotations

import re
from html import unescape

import pytest

from app import db
from app.audit.models import AuditEntry
from app.wallet import services as wallet
from tests.factories import make_customer, make_staff


def _text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def _form(page: str, form: str, **values) -> dict:
    """The form's fields as posted: its prefix, its request key from the page."""
    prefix = {"credit": "credit", "adjust": "adjust", "points": "points"}[form]
    key = re.search(rf'name="{prefix}-request_key" type="hidden" value="([^"]+)"', page)
    return {f"{prefix}-request_key": key.group(1),
            **{f"{prefix}-{name}": value for name, value in values.items()}}


@pytest.fixture()
def agent_client(client, db_session, sign_in_staff):
    return sign_in_staff(make_staff("support_agent"))


@pytest.fixture()
def shopper(db_session):
    return make_customer(name="Kamala Silva", email="kamala@example.lk", phone="+94771112233")


def test_a_customer_is_found_by_email_or_mobile_number(agent_client, shopper):
    for query in ("kamala@example.lk", "077 111 2233", "+94771112233"):
        page = _text(agent_client.get("/staff/customers", query_string={"q": query}).text)
        assert "Kamala Silva" in page, query
    assert "No customer has this" in _text(
        agent_client.get("/staff/customers?q=nobody@example.lk").text)
    wrong = agent_client.get("/staff/customers?q=kamala")
    assert wrong.status_code == 422 and "Enter the customer's email or mobile number" in _text(
        wrong.text)


def test_goodwill_credit_from_the_customer_page(agent_client, shopper):
    page = agent_client.get(f"/staff/customers/{shopper.id}").text
    assert "Store credit: Rs. 0.00" in _text(page)
    assert "Correct the store credit" not in _text(page)  # admins only

    data = _form(page, "credit", amount="500", reason="Parcel came late",
                 expires_on="2099-01-31")
    done = agent_client.post(f"/staff/customers/{shopper.id}/credit", data=data)
    again = agent_client.post(f"/staff/customers/{shopper.id}/credit", data=data)

    assert done.status_code == again.status_code == 303
    assert wallet.balance(shopper.id) == 500_00  # posted twice, given once
    shown = _text(agent_client.get(done.location).text)
    assert "Rs. 500.00 of store credit given to Kamala Silva." in shown
    assert "Parcel came late" in shown and "expires on 1 Feb 2099" in shown
    assert db.session.query(AuditEntry).filter_by(action="wallet.goodwill").count() == 1


@pytest.mark.parametrize("data, message", [
    ({"amount": "500", "reason": ""}, "Say why"),
    ({"amount": "abc", "reason": "x"}, "Enter an amount in rupees"),
    ({"amount": "200000", "reason": "x"}, "between Rs 0.01 and Rs 100,000"),
    ({"amount": "5", "reason": "x", "expires_on": "2001-01-01"}, "in the future"),
])
def test_bad_goodwill_is_explained_and_gives_nothing(agent_client, shopper, data, message):
    response = agent_client.post(f"/staff/customers/{shopper.id}/credit",
                                 data={f"credit-{name}": value for name, value in data.items()})
    assert response.status_code == 422 and message in _text(response.text)
    assert wallet.balance(shopper.id) == 0


def test_only_admins_correct_a_wallet_and_never_below_zero(client, shopper, sign_in_staff,
                                                          agent_client):
    assert agent_client.post(f"/staff/customers/{shopper.id}/adjust",
                             data={"adjust-amount": "-1", "adjust-reason": "x"}
                             ).status_code == 403
    admin_client = sign_in_staff(make_staff("admin"), c=client.application.test_client())
    wallet.add(shopper.id, 300_00, kind="refund")
    page = admin_client.get(f"/staff/customers/{shopper.id}").text

    too_much = admin_client.post(f"/staff/customers/{shopper.id}/adjust",
                                 data=_form(page, "adjust", amount="-300.01",
                                            reason="Given twice"))
    assert too_much.status_code == 422
    assert "Your store credit is Rs. 300.00" in _text(too_much.text)
    done = admin_client.post(f"/staff/customers/{shopper.id}/adjust",
                             data=_form(page, "adjust", amount="-100", reason="Given twice"))

    assert done.status_code == 303
    assert wallet.balance(shopper.id) == 200_00
    audit = db.session.query(AuditEntry).filter_by(action="wallet.adjustment").one()
    assert (audit.details["amount"], audit.details["unit"]) == (-100_00, "credit")


def test_staff_without_the_wallet_permission_and_staff_accounts(client, db_session,
                                                                sign_in_staff, shopper):
    catalog = sign_in_staff(make_staff("catalog_manager"))
    assert catalog.get(f"/staff/customers/{shopper.id}").status_code == 403
    assert 'href="/staff/customers"' not in catalog.get("/staff/").text
    agent = sign_in_staff(make_staff("support_agent"), c=client.application.test_client())
    assert 'href="/staff/customers"' in agent.get("/staff/").text
    staff_member = make_staff("admin")
    assert agent.get(f"/staff/customers/{staff_member.id}").status_code == 404
    assert agent.get("/staff/customers/999999").status_code == 404


def test_admins_correct_points_too(client, shopper, sign_in_staff):
    admin_client = sign_in_staff(make_staff("admin"))
    wallet.add(shopper.id, 120, kind="earned", unit="points")
    page = admin_client.get(f"/staff/customers/{shopper.id}").text
    assert "Loyalty points: 120" in _text(page)

    done = admin_client.post(f"/staff/customers/{shopper.id}/adjust-points",
                             data=_form(page, "points", amount="-20", reason="Double award"))
    assert done.status_code == 303
    assert wallet.balance(shopper.id, "points") == 100
    wrong = admin_client.post(f"/staff/customers/{shopper.id}/adjust-points",
                              data=_form(page, "points", amount="1.5", reason="x"))
    assert wrong.status_code == 422 and "whole number of points" in _text(wrong.text)
    for not_whole in ("²", "-²", "٣"):  # str.isdigit() takes them; int() does not, or misreads
        wrong = admin_client.post(f"/staff/customers/{shopper.id}/adjust-points",
                                  data=_form(page, "points", amount=not_whole, reason="x"))
        assert wrong.status_code == 422 and "whole number of points" in _text(wrong.text)
    assert wallet.balance(shopper.id, "points") == 100
