"""Delivery options in the back office: who gets in, the list, adding and changing an option
(rupees to cents without floats, districts from the 25) and what bad input gets."""

from __future__ import annotations

import pytest

from app.checkout import delivery
from tests.checkout.factories import starter_delivery
from tests.factories import make_customer, make_staff

PAGES = ["/staff/delivery", "/staff/delivery/new", "/staff/delivery/{id}"]


@pytest.fixture()
def manager_client(client, db_session, sign_in_staff):
    return sign_in_staff(make_staff("order_manager"))


@pytest.fixture()
def island(db_session):
    starter_delivery()
    return next(o for o in delivery.all_options() if o.code == "island-wide")


def _option(code: str):
    return next((o for o in delivery.all_options() if o.code == code), None)


def _form(**overrides) -> dict:
    data = {"code": "kandy-express", "name_en": "Kandy express", "name_si": "මහනුවර ඉක්මන්",
            "name_ta": "", "fee": "1,250.50", "free_over": "15000", "districts":
            ["kandy", "matale"], "min_days": "1", "max_days": "2", "is_active": "y",
            "position": "4"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_are_sent_to_the_staff_sign_in(client, island, path):
    response = client.get(path.format(id=island.id))

    assert response.status_code == 303
    assert response.location.startswith("/staff/login?next=/staff/delivery")


def test_a_signed_in_customer_is_sent_to_the_staff_sign_in(client, island, login):
    login(make_customer())

    response = client.get("/staff/delivery")

    assert response.status_code == 303 and response.location.startswith("/staff/login")


@pytest.mark.parametrize("role", ["support_agent", "catalog_manager", "marketing"])
@pytest.mark.parametrize("path", PAGES)
def test_staff_without_order_rights_get_403(client, island, sign_in_staff, role, path):
    sign_in_staff(make_staff(role))

    assert client.get(path.format(id=island.id)).status_code == 403


@pytest.mark.parametrize("role", [None, "support_agent", "catalog_manager"])
@pytest.mark.parametrize("path", ["/staff/delivery/new", "/staff/delivery/{id}"])
def test_writes_without_order_rights_change_nothing(client, island, sign_in_staff, role, path):
    if role:
        sign_in_staff(make_staff(role))

    response = client.post(path.format(id=island.id), data=_form(code="island-wide",
                                                                 fee="0"))

    assert response.status_code == 403
    assert _option("island-wide").fee_cents == 350_00 and _option("kandy-express") is None


@pytest.mark.parametrize("role", ["order_manager", "admin"])
def test_order_managers_and_admins_see_the_options(client, island, sign_in_staff, role):
    sign_in_staff(make_staff(role))

    page = client.get("/staff/delivery").text

    for text in ("Colombo same-day", "Island-wide standard", "Collect from our Colombo shop",
                 "Rs. 450.00", "Rs. 15,000.00", "Island-wide", "pickup"):
        assert text in page
    assert client.get(f"/staff/delivery/{island.id}").status_code == 200
    assert client.get("/staff/delivery/new").status_code == 200


def test_a_new_option_is_saved_in_cents_for_its_districts(manager_client, island):
    response = manager_client.post("/staff/delivery/new", data=_form())

    assert response.status_code == 303 and response.location == "/staff/delivery"
    option = _option("kandy-express")
    assert option.fee_cents == 1_250_50 and option.free_over_cents == 15_000_00
    assert sorted(option.districts) == ["kandy", "matale"]
    assert option.name_si == "මහනුවර ඉක්මන්" and option.name_ta is None
    assert (option.min_days, option.max_days, option.position) == (1, 2, 4)
    assert option.is_active and not option.is_pickup
    assert option in delivery.options_for("kandy") and option not in delivery.options_for("galle")
    assert "Delivery option Kandy express saved." in manager_client.get("/staff/delivery").text


def test_an_option_is_changed_and_blanks_mean_never_free_and_island_wide(manager_client,
                                                                        island):
    page = manager_client.get(f"/staff/delivery/{island.id}").text
    assert 'value="350.00"' in page and 'value="20000.00"' in page

    response = manager_client.post(f"/staff/delivery/{island.id}", data=_form(
        code="island-wide", name_en="Island-wide", fee="0.10", free_over="", districts=None,
        is_active=None))

    assert response.status_code == 303
    option = _option("island-wide")
    assert option.fee_cents == 10 and option.free_over_cents is None
    assert option.districts == [] and not option.is_active
    assert option not in delivery.options_for("galle")  # no longer offered


@pytest.mark.parametrize("fields, message", [
    ({"fee": "abc"}, "Enter an amount in rupees, like 1,250.00."),
    ({"fee": "-5"}, "A price cannot be negative."),
    ({"fee": "1.005"}, "Enter an amount in rupees, like 1,250.00."),
    ({"fee": ""}, "This field is required."),
    ({"fee": "100,000.01"}, "Enter a fee from Rs. 0 to Rs. 100,000."),
    ({"fee": "99999999999999999999"}, "That is more than Rs. 10,000,000.00."),
    ({"fee": "9" * 30}, "Field cannot be longer than 20 characters."),
    ({"free_over": "99999999"}, "That is more than Rs. 10,000,000.00."),
    ({"code": "Kandy Express!"}, "Use letters, digits, - and _ for the code"),
    ({"code": ""}, "This field is required."),
    ({"name_en": ""}, "This field is required."),
    ({"name_en": "x" * 81}, "Field cannot be longer than 80 characters."),
    ({"districts": ["kandy", "atlantis"]}, "is not a valid choice"),
    ({"min_days": "3", "max_days": "1"}, "the first no more than the last"),
    ({"max_days": "99999999999"}, "Number must be between 0 and 60."),
    ({"min_days": "soon"}, "Not a valid integer value."),
    ({"position": "-1"}, "Number must be between 0 and 10000."),
])
def test_bad_input_is_refused_with_a_message(manager_client, island, fields, message):
    response = manager_client.post("/staff/delivery/new", data=_form(**fields))

    assert response.status_code == 422 and message in response.text
    assert _option("kandy-express") is None


def test_a_code_in_use_is_a_conflict(manager_client, island):
    response = manager_client.post("/staff/delivery/new", data=_form(code="pickup"))

    assert response.status_code == 409
    assert "Another delivery option uses that code." in response.text
    assert _option("pickup").fee_cents == 0


@pytest.mark.parametrize("option_id", ["999999", "99999999999"])
def test_an_unknown_option_is_404(manager_client, island, option_id):
    assert manager_client.get(f"/staff/delivery/{option_id}").status_code == 404
    assert manager_client.post(f"/staff/delivery/{option_id}", data=_form()).status_code == 404
