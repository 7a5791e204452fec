"""Control characters and bidi overrides are refused on the field that holds them, by every
web form and by the API's JSON bodies, with the same rule (app/security/characters.py), and
nothing holding them is stored: after posting them into the registration, profile, address,
checkout and support forms (and the API's counterparts), no row of any table holds one."""

from __future__ import annotations

import inspect

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import TextAreaField

from app.accounts import services as accounts
from app.support import services as support
from tests.api.helpers import assert_problem, bearer, error_fields, sign_in
from tests.catalog.pages import attr, text
from tests.checkout.factories import starter_delivery, stocked
from tests.factories import PASSWORD, make_customer
from tests.security.bad_input import every_form, stored_forbidden_values

MESSAGE = "Remove the invisible control characters."
BAD = ("\x00", "\x01", "\x1b", "\x7f", "\x85", "\u202e", "\u2066", "\u200f")
IN_ONE_LINE_ONLY = ("\t", "\n")  # fine in a message, not in a name
GUEST = {"name": "Sarah Fernando", "email": "sarah@example.lk", "phone": "077 123 4567",
         "line1": "5 Church Street", "city": "Galle", "district": "galle",
         "postal_code": "80000"}
REGISTRATION = {"name": "Nimal Perera", "email": "nimal@example.lk", "phone": "077 765 4321",
                "password": PASSWORD}
ADDRESS = {"recipient": "Nimal Perera", "phone": "077 123 4567", "line1": "12 Temple Road",
           "line2": "Near the bo tree", "city": "Galle", "district": "galle",
           "postal_code": "80000"}


def _build(form_class, formdata):
    """The form over `formdata`; what a view passes its constructor (the choices of a
    filter, say) left empty."""
    parameters = inspect.signature(form_class.__init__).parameters.items()
    needed = {name: [] for name, parameter in parameters
              if parameter.kind is parameter.KEYWORD_ONLY and parameter.default is parameter.empty}
    return form_class(formdata=formdata, **needed)


def _fields(form_class) -> list[tuple[str, str]]:
    return [(field.name, field.type) for field in _build(form_class, None)
            if field.type not in ("CSRFTokenField", "FileField", "MultipleFileField")]


# ---- every form, every field ----------------------------------------------------------------

def test_the_stored_value_scan_finds_what_a_service_was_given(app_ctx):
    make_customer(name="Nimal \u202eAKIN")  # services trust their callers: forms check shape

    assert "User.name" in stored_forbidden_values()


@pytest.mark.parametrize("bad", BAD)
def test_every_form_refuses_the_characters_on_each_field(app, bad):
    refused_nowhere = []
    checked = 0
    for form_class in every_form():
        with app.test_request_context(method="POST"):
            names = [name for name, _kind in _fields(form_class)]
        for name in names:
            with app.test_request_context(method="POST"):
                form = _build(form_class, MultiDict({name: "ab" + bad + "c"}))
                assert not form.validate()
                checked += 1
                if MESSAGE not in form[name].errors:
                    refused_nowhere.append(f"{form_class.__qualname__}.{name}")
    assert checked > 100  # every form of the app was built and tried
    assert refused_nowhere == []


@pytest.mark.parametrize("bad", IN_ONE_LINE_ONLY)
def test_tabs_and_line_breaks_pass_in_a_text_area_and_nowhere_else(app, bad):
    wrong = []
    for form_class in every_form():
        with app.test_request_context(method="POST"):
            fields = _fields(form_class)
        for name, kind in fields:
            with app.test_request_context(method="POST"):
                form = _build(form_class, MultiDict({name: "ab" + bad + "c"}))
                form.validate()
                refused = MESSAGE in form[name].errors
            if refused == (kind == TextAreaField.__name__):
                wrong.append(f"{form_class.__qualname__}.{name}")
    assert wrong == []


# ---- the pages a shopper writes personal data into ---------------------------------------

def _assert_refused_on(response, field: str) -> None:
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html[:300]
    assert MESSAGE in text(html, id=f"{field}-error")
    assert attr(html, "aria-invalid", id=field) == "true"


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize("field", ["name", "email", "phone"])
def test_registration_refuses_the_characters(client, db_session, field, bad):
    response = client.post("/account/register",
                           data={**REGISTRATION, field: REGISTRATION[field][:5] + bad + "x"})

    _assert_refused_on(response, field)
    assert stored_forbidden_values() == []
    assert accounts.find_by_email(REGISTRATION["email"]) is None


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize("field", ["name", "phone"])
def test_the_profile_refuses_the_characters(client, customer, login, db_session, field, bad):
    login(customer)

    response = client.post("/account", data={"name": "Nimal" + bad, "phone": "0771234567",
                                             **({"phone": "077" + bad + "1234567"}
                                                if field == "phone" else {})})

    _assert_refused_on(response, field)
    assert stored_forbidden_values() == []


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize("field", ["recipient", "phone", "line1", "line2", "city", "district",
                                   "postal_code"])
def test_an_address_refuses_the_characters(client, customer, login, db_session, field, bad):
    login(customer)

    response = client.post("/account/addresses/new",
                           data={**ADDRESS, field: ADDRESS[field][:4] + bad})

    _assert_refused_on(response, field)
    assert stored_forbidden_values() == []


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize("field", sorted(GUEST))
def test_a_guests_checkout_details_refuse_the_characters(client, db_session, field, bad):
    starter_delivery()
    tea = stocked("Ceylon tea", units=5)
    assert client.post("/cart/items", data={"variant_id": tea.id}).status_code == 303

    response = client.post("/checkout", data={"step": "address",
                                              **{**GUEST, field: GUEST[field][:4] + bad}})

    _assert_refused_on(response, field)
    assert stored_forbidden_values() == []


@pytest.mark.parametrize("bad", BAD)
def test_the_support_forms_refuse_the_characters(client, customer, login, db_session, bad):
    login(customer)
    ticket = support.open_ticket(customer.id, subject="Where is it?", body="Still waiting.")

    subject = client.post("/support/new", data={"subject": "Late" + bad, "body": "Hello"})
    body = client.post("/support/new", data={"subject": "Late", "body": "Hel\nlo" + bad})
    reply = client.post(f"/support/{ticket.id}/reply", data={"body": "Any news?" + bad})

    _assert_refused_on(subject, "subject")
    _assert_refused_on(body, "body")
    _assert_refused_on(reply, "body")
    assert stored_forbidden_values() == []


def test_a_message_keeps_its_line_breaks(client, customer, login, db_session):
    login(customer)

    response = client.post("/support/new", data={"subject": "Late", "body": "Hello,\n\tthere"})

    assert response.status_code == 303
    assert support.customer_tickets(customer.id)[0][0].messages[0].body == "Hello,\n\tthere"


def test_sinhala_with_its_zero_width_joiner_is_accepted(client, customer, login, db_session):
    login(customer)

    response = client.post("/account", data={"name": "ශ්\u200dරී ලංකා", "phone": "0771234567"})

    assert response.status_code == 303
    assert accounts.get_user(customer.id).name == "ශ්\u200dරී ලංකා"


# ---- the API's JSON bodies: the same rule ----------------------------------------------------

API_WRITES = [
    ("POST", "/api/v1/auth/register", {**REGISTRATION}, ["name", "email", "phone", "password"]),
    ("PATCH", "/api/v1/me", {"name": "Nimal Perera"}, ["name"]),
    ("POST", "/api/v1/me/addresses", dict(ADDRESS), ["recipient", "line1", "line2", "city"]),
    ("POST", "/api/v1/support/tickets", {"subject": "Late", "message": "Hello"},
     ["subject", "message"]),
]


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize(("method", "path", "body", "fields"), API_WRITES,
                         ids=[f"{m} {p}" for m, p, _, _ in API_WRITES])
def test_the_api_refuses_the_same_characters(client, customer, db_session, bad, method, path,
                                             body, fields):
    headers = bearer(sign_in(client, customer.email)["access_token"])

    for field in fields:
        response = client.open(path, method=method, headers=headers,
                               json={**body, field: body[field][:4] + bad + "x"})

        assert field in error_fields(assert_problem(response, 422))
    assert stored_forbidden_values() == []
