"""Cash on delivery limits: staff set the largest order it may pay and the districts it is
offered in; checkout then offers it only within them and says why when it does not."""

from __future__ import annotations

import re

import pytest

from app.audit.models import AuditEntry
from app.errors import Forbidden, Invalid
from app.payments import methods, settings
from tests.checkout.factories import GALLE, guest_cart, guest_choices, starter_delivery, stocked
from tests.factories import make_staff

LIMIT = 25_000_00


@pytest.fixture()
def manager(db_session):
    return make_staff("order_manager")


def _cod():
    return methods.METHODS["cod"]


def test_a_fresh_shop_offers_cash_on_delivery_everywhere_for_any_amount(db_session):
    assert _cod().refusal(9_000_000_00, "jaffna") is None
    assert _cod().refusal(100, None) is None
    assert settings.cod_limits() == settings.CodLimits(max_cents=None, districts=None)


def test_above_the_limit_the_shopper_is_told_the_limit(db_session, manager):
    settings.save_cod_limits(LIMIT, None, actor=manager)

    assert _cod().refusal(LIMIT, "galle") is None
    reason = _cod().refusal(LIMIT + 1, "galle")
    assert str(reason) == "Cash on delivery is available for orders up to Rs. 25,000.00."
    assert "cod" not in {m.code for m in methods.available(LIMIT + 1, "galle")}
    assert "bank_transfer" in {m.code for m in methods.available(LIMIT + 1, "galle")}


def test_outside_the_chosen_districts_the_shopper_is_told_so(db_session, manager):
    settings.save_cod_limits(None, ["colombo", "gampaha"], actor=manager)

    assert _cod().refusal(1_000_00, "colombo") is None
    assert str(_cod().refusal(1_000_00, "galle")) == (
        "Cash on delivery is not available in Galle.")
    assert str(_cod().refusal(1_000_00, None)) == (
        "Cash on delivery is not available in your district.")


def test_the_reason_is_in_the_shoppers_language(app, db_session, manager):
    from flask_babel import force_locale

    settings.save_cod_limits(LIMIT, ["colombo"], actor=manager)
    with app.test_request_context(), force_locale("si"):
        assert "ගාල්ල" in str(_cod().refusal(100, "galle"))
        assert "25,000.00" in str(_cod().refusal(LIMIT + 1, "colombo"))


def test_checkout_refuses_cash_on_delivery_beyond_the_limits(db_session, manager):
    from app.checkout.services import place_order

    settings.save_cod_limits(1_000_00, None, actor=manager)
    starter_delivery()
    cart = guest_cart((stocked(units=5, price_cents=1_250_00), 1))

    with pytest.raises(Invalid) as refused:
        place_order(cart, guest_choices(payment_method="cod", address=GALLE))

    assert refused.value.field == "payment_method"
    assert str(refused.value.message) == (
        "Cash on delivery is available for orders up to Rs. 1,000.00.")


def test_ticking_every_district_means_everywhere_and_none_means_nowhere(db_session, manager):
    from app.accounts.districts import DISTRICTS

    assert settings.save_cod_limits(None, list(DISTRICTS), actor=manager).districts is None
    assert settings.save_cod_limits(None, [], actor=manager).districts == frozenset()
    assert _cod().refusal(100, "colombo") is not None


@pytest.mark.parametrize("max_cents, districts, field", [
    (0, None, "cod_max"),
    (-100, None, "cod_max"),
    (10_000_000_01, None, "cod_max"),
    (None, ["atlantis"], "cod_districts"),
])
def test_bad_limits_are_refused_and_change_nothing(db_session, manager, max_cents, districts,
                                                   field):
    settings.save_cod_limits(LIMIT, ["galle"], actor=manager)

    with pytest.raises(Invalid) as refused:
        settings.save_cod_limits(max_cents, districts, actor=manager)

    assert refused.value.field == field
    assert settings.cod_limits() == settings.CodLimits(LIMIT, frozenset({"galle"}))


@pytest.mark.parametrize("role", ["support_agent", "catalog_manager", "marketing"])
def test_only_payment_staff_set_the_limits(db_session, role):
    with pytest.raises(Forbidden):
        settings.save_cod_limits(LIMIT, None, actor=make_staff(role))
    assert settings.cod_limits().max_cents is None


def test_changing_the_limits_is_audited(db_session, manager):
    settings.save_cod_limits(LIMIT, ["galle", "colombo"], actor=manager)

    entry = db_session.query(AuditEntry).filter_by(action="payments.cod_limits").one()
    assert entry.actor_id == manager.id
    assert entry.details == {"max_cents": LIMIT, "districts": "colombo,galle"}


# ---- the back-office page --------------------------------------------------------------------

def test_staff_set_the_limits_on_their_page(client, sign_in_staff, manager):
    staff = sign_in_staff(manager)
    assert "Cash on delivery limits" in staff.get("/staff/payments/settings").text

    response = staff.post("/staff/payments/settings", data={
        "cod_max": "25,000.00", "cod_districts": ["colombo", "kandy"]})

    assert response.status_code == 303
    assert settings.cod_limits() == settings.CodLimits(LIMIT, frozenset({"colombo", "kandy"}))
    page = staff.get("/staff/payments/settings").text
    assert 'value="25000.00"' in page
    assert re.search(r'<input checked [^>]*value="kandy"', page)
    assert not re.search(r'<input checked [^>]*value="galle"', page)


@pytest.mark.parametrize("data, message", [
    ({"cod_max": "-5"}, "cannot be negative"),
    ({"cod_max": "lots"}, "Enter an amount in rupees"),
    ({"cod_max": "0"}, "Enter a limit above zero"),
    ({"cod_max": "", "cod_districts": ["atlantis"]}, "is not a valid choice"),
])
def test_the_page_says_what_is_wrong(client, sign_in_staff, manager, data, message):
    staff = sign_in_staff(manager)

    response = staff.post("/staff/payments/settings", data=data)

    assert response.status_code == 422 and message in response.text
    assert settings.cod_limits().max_cents is None


def test_a_support_agent_cannot_open_the_limits(client, sign_in_staff, db_session):
    staff = sign_in_staff(make_staff("support_agent"))

    assert staff.get("/staff/payments/settings").status_code == 403
    assert staff.post("/staff/payments/settings", data={"cod_max": "1.00"}).status_code == 403
    assert settings.cod_limits().max_cents is None


@pytest.fixture()
def sign_in_staff(client):
    from tests.backoffice.conftest import current_code
    from tests.factories import PASSWORD

    def sign_in(user):
        client.post("/staff/login", data={"email": user.email, "password": PASSWORD})
        response = client.post("/staff/login/code", data={"code": current_code(user.totp_secret)})
        assert response.status_code == 303
        return client

    return sign_in
