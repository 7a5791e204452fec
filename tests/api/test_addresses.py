"""My address book through the API."""

from __future__ import annotations

import json

import pytest

from app.accounts.models import Address
from tests.api.helpers import assert_problem, error_fields
from tests.factories import make_address, make_customer

HOME = {"recipient": "Nimal Perera", "phone": "077 123 4567", "line1": "12 Temple Road",
        "line2": "Fort", "city": "Galle", "district": "galle", "postal_code": "80000"}


def test_add_list_change_and_remove_an_address(client, auth_headers):
    added = client.post("/api/v1/me/addresses", headers=auth_headers, json=HOME)
    assert added.status_code == 201
    address = added.get_json()
    assert address["phone"] == "+94771234567"
    assert address["district_name"] == "Galle"

    listed = client.get("/api/v1/me/addresses", headers=auth_headers).get_json()
    assert listed == {"items": [address], "page": 1, "per_page": 24, "total": 1}

    changed = client.patch(f"/api/v1/me/addresses/{address['id']}", headers=auth_headers,
                           json={"city": "Matara", "district": "matara", "line2": None})
    assert changed.status_code == 200
    assert changed.get_json() == {**address, "city": "Matara", "district": "matara",
                                  "district_name": "Matara", "line2": None}
    one = client.get(f"/api/v1/me/addresses/{address['id']}", headers=auth_headers)
    assert one.get_json() == changed.get_json()

    removed = client.delete(f"/api/v1/me/addresses/{address['id']}", headers=auth_headers)
    assert removed.status_code == 204
    assert client.get("/api/v1/me/addresses", headers=auth_headers).get_json()["total"] == 0
    assert_problem(client.get(f"/api/v1/me/addresses/{address['id']}",
                              headers=auth_headers), 404, "not_found")


def test_only_the_required_fields_are_needed(client, auth_headers):
    body = {key: HOME[key] for key in ("recipient", "phone", "line1", "city", "district")}

    response = client.post("/api/v1/me/addresses", headers=auth_headers, json=body)

    assert response.status_code == 201
    assert response.get_json()["line2"] is None and response.get_json()["postal_code"] is None


@pytest.mark.parametrize(("language", "name"), [("si", "ගාල්ල"), ("ta-LK", "காலி"),
                                                ("en", "Galle"), ("fr", "Galle")])
def test_district_names_follow_accept_language(client, auth_headers, language, name):
    client.post("/api/v1/me/addresses", headers=auth_headers, json=HOME)

    response = client.get("/api/v1/me/addresses",
                          headers={**auth_headers, "Accept-Language": language})

    assert response.get_json()["items"][0]["district_name"] == name
    assert "Accept-Language" in response.headers["Vary"]


def test_markup_in_an_address_is_kept_as_text(client, auth_headers):
    line = "<img src=x onerror=alert(1)> 12 Temple Rd'; DELETE FROM accounts_address;--"

    response = client.post("/api/v1/me/addresses", headers=auth_headers,
                           json={**HOME, "line1": line})

    assert response.status_code == 201
    assert response.get_json()["line1"] == line


@pytest.mark.parametrize(("body", "field"), [
    ({}, "recipient"),
    ({**HOME, "recipient": ""}, "recipient"),
    ({**HOME, "line1": "x" * 10_000}, "line1"),
    ({**HOME, "line2": "x" * 10_000}, "line2"),
    ({**HOME, "city": "Galle\x00"}, "city"),
    ({**HOME, "phone": "12345"}, "phone"),
    ({**HOME, "phone": "+1 202 555 0100"}, "phone"),
    ({**HOME, "district": "atlantis"}, "district"),
    ({**HOME, "district": "Galle"}, "district"),
    ({**HOME, "district": "<script>alert(1)</script>"}, "district"),
    ({**HOME, "district": "galle' OR '1'='1"}, "district"),
    ({**HOME, "district": None}, "district"),
    ({**HOME, "postal_code": "8000"}, "postal_code"),
    ({**HOME, "postal_code": 80000}, "postal_code"),
    ({**HOME, "postal_code": "٨٠٠٠٠"}, "postal_code"),
    ({**HOME, "recipient": {"first": "Nimal"}}, "recipient"),
    ({**HOME, "user_id": 1}, "user_id"),
    ([HOME], None),
    ("12 Temple Road", None),
])
def test_adding_refuses_bad_input(client, auth_headers, body, field):
    response = client.post("/api/v1/me/addresses", headers=auth_headers, data=json.dumps(body),
                           content_type="application/json")

    problem = assert_problem(response, 422, "validation_failed")
    assert field in error_fields(problem)


def test_district_errors_say_what_is_expected(client, auth_headers):
    response = client.post("/api/v1/me/addresses", headers=auth_headers,
                           json={**HOME, "district": "atlantis"})

    assert response.get_json()["errors"] == [
        {"field": "district", "message": "Choose one of the 25 districts."}]


def test_adding_refuses_a_body_that_is_not_json(client, auth_headers):
    response = client.post("/api/v1/me/addresses", headers=auth_headers,
                           data="recipient=Nimal", content_type="application/json")

    assert_problem(response, 400)


def test_the_twenty_first_address_is_refused(client, customer, auth_headers):
    for _ in range(20):
        make_address(customer.id)

    response = client.post("/api/v1/me/addresses", headers=auth_headers, json=HOME)

    assert_problem(response, 422)


@pytest.mark.parametrize(("body", "field"), [
    ({"recipient": None}, "recipient"),
    ({"recipient": ""}, "recipient"),
    ({"line1": "x" * 10_000}, "line1"),
    ({"phone": "12345"}, "phone"),
    ({"district": "atlantis"}, "district"),
    ({"postal_code": "abcde"}, "postal_code"),
    ({"id": 99}, "id"),
    ([], None),
])
def test_changing_refuses_bad_input_and_keeps_the_address(client, customer, auth_headers,
                                                          db_session, body, field):
    address_id = make_address(customer.id).id

    response = client.patch(f"/api/v1/me/addresses/{address_id}", headers=auth_headers,
                            data=json.dumps(body), content_type="application/json")

    problem = assert_problem(response, 422, "validation_failed")
    assert field in error_fields(problem)
    assert db_session.get(Address, address_id).line1 == "12 Temple Road"


@pytest.mark.parametrize(("method", "body"), [("get", None), ("patch", {"city": "Colombo"}),
                                              ("delete", None)])
def test_another_customer_s_address_is_not_found(client, auth_headers, db_session, method,
                                                 body):
    other = make_customer(email="other@example.lk")
    theirs = make_address(other.id, city="Jaffna", district="jaffna").id

    response = getattr(client, method)(f"/api/v1/me/addresses/{theirs}",
                                       headers=auth_headers, json=body)

    assert_problem(response, 404, "not_found")
    kept = db_session.get(Address, theirs)
    assert kept is not None and kept.city == "Jaffna"


@pytest.mark.parametrize(("path", "status"), [
    ("/api/v1/me/addresses/0", 422),
    ("/api/v1/me/addresses/999999", 404),
    ("/api/v1/me/addresses/99999999999999999999999999", 404),  # beyond any id: not found
    ("/api/v1/me/addresses/-1", 404),
    ("/api/v1/me/addresses/abc", 404),
    ("/api/v1/me/addresses/1%20OR%201=1", 404),
])
def test_odd_address_ids_never_fail_the_server(client, auth_headers, path, status):
    response = client.get(path, headers=auth_headers)

    assert_problem(response, status)


def test_addresses_come_in_pages(client, customer, auth_headers):
    made = [make_address(customer.id, line1=f"{n} Temple Road") for n in range(1, 6)]

    response = client.get("/api/v1/me/addresses?page=2&per_page=2", headers=auth_headers)

    page = response.get_json()
    assert (page["page"], page["per_page"], page["total"]) == (2, 2, 5)
    assert [a["id"] for a in page["items"]] == [made[2].id, made[3].id]
    beyond = client.get("/api/v1/me/addresses?page=9&per_page=2", headers=auth_headers)
    assert beyond.get_json()["items"] == [] and beyond.get_json()["total"] == 5


@pytest.mark.parametrize(("query", "field"), [
    ("page=0", "page"), ("page=-1", "page"), ("page=abc", "page"), ("page=1.5", "page"),
    ("page=99999999999999999999", "page"), ("per_page=0", "per_page"),
    ("per_page=101", "per_page"), ("per_page=", "per_page"), ("per_page=%00", "per_page"),
])
def test_bad_paging_is_a_validation_error(client, auth_headers, query, field):
    response = client.get(f"/api/v1/me/addresses?{query}", headers=auth_headers)

    problem = assert_problem(response, 422, "validation_failed")
    assert error_fields(problem) == {field}


def test_per_page_may_be_a_hundred(client, auth_headers):
    response = client.get("/api/v1/me/addresses?per_page=100", headers=auth_headers)

    assert response.status_code == 200
    assert response.get_json()["per_page"] == 100
