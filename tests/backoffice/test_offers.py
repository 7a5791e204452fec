"""Personal offers in the back office: marketing adds and changes templates (what bad input
gets), the list, and the report comparing treated and held-out customers; other roles are
kept out."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app import db
from app.db import utcnow
from app.recommendations import offers
from app.recommendations.models import OfferSend, OfferTemplate
from tests.factories import make_customer, make_staff


@pytest.fixture()
def marketing(client, db_session, sign_in_staff):
    return sign_in_staff(make_staff("marketing"))


FORM = {"name": "Rs 200 off a usual re-buy", "source": "buy_again", "benefit": "amount",
        "percent": "", "amount": "200.00", "valid_days": "10", "measure_days": "14",
        "holdout_percent": "10", "active": "y"}


def test_marketing_adds_an_offer_and_sees_it_listed(marketing):
    page = marketing.get("/staff/offers/new")
    assert page.status_code == 200
    saved = marketing.post("/staff/offers/new", data=FORM)
    assert saved.status_code == 303
    (template,) = db.session.scalars(select(OfferTemplate)).all()
    assert (template.amount_cents, template.percent, template.valid_days) == (200_00, None, 10)
    listed = marketing.get("/staff/offers").get_data(as_text=True)
    assert "Rs 200 off a usual re-buy" in listed and "Rs. 200.00 off" in listed

    changed = marketing.post(f"/staff/offers/{template.id}",
                             data={**FORM, "benefit": "percent", "percent": "15"})
    assert changed.status_code == 303
    db.session.rollback()  # see what the request committed
    assert db.session.execute(select(OfferTemplate.percent, OfferTemplate.amount_cents)).one() == (
        15, None)


@pytest.mark.parametrize(("changes", "message"), [
    ({"benefit": "percent", "percent": ""}, "Enter a percent from 1 to 90."),
    ({"benefit": "percent", "percent": "95"}, "Number must be between 1 and 90."),
    ({"amount": "abc"}, "Enter an amount"),
    ({"holdout_percent": "70"}, "Number must be between 0 and 50."),
    ({"name": ""}, "This field is required."),
])
def test_bad_input_is_shown_next_to_its_field(marketing, changes, message):
    page = marketing.post("/staff/offers/new", data={**FORM, **changes})
    assert page.status_code == 422
    assert message in page.get_data(as_text=True)
    assert db.session.scalars(select(OfferTemplate)).all() == []


def test_the_report_shows_both_groups_and_the_uplift(marketing):
    template = offers.save_template(None, {
        "name": "10 % for you", "source": "for_you", "percent": 10, "amount_cents": None,
        "valid_days": 14, "measure_days": 14, "holdout_percent": 10})
    long_ago = utcnow() - dt.timedelta(days=40)
    for held_out in (False, False, True, True):
        db.session.add(OfferSend(template_id=template.id, customer_id=make_customer().id,
                                 week="2026-W40", held_out=held_out, created_at=long_ago))
    db.session.commit()
    page = marketing.get(f"/staff/offers/{template.id}/report")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Got the voucher" in html and "Held out" in html
    assert "Uplift per customer" in html and "95 % confidence" in html


@pytest.mark.parametrize("role", ["order_manager", "support_agent"])
def test_other_roles_are_kept_out(client, db_session, sign_in_staff, role):
    staff = sign_in_staff(make_staff(role))
    assert staff.get("/staff/offers").status_code == 403
    assert staff.post("/staff/offers/new", data=FORM).status_code == 403
