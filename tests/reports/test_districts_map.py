"""The map of districts: all 25 drawn, shaded in five steps of the largest figure, every
figure in the table, for staff who may read reports."""

from __future__ import annotations

import re

import pytest

from app.accounts.districts import DISTRICTS
from app.reports.districts_map import district_map, shade_of
from tests.factories import make_staff

MARCH = {"first": "2026-03-01", "last": "2026-03-03"}


@pytest.mark.parametrize(("value", "top", "shade"), [
    (0, 100, 0), (1, 100, 1), (20, 100, 1), (21, 100, 2), (99, 100, 5), (100, 100, 5),
    (-5, 100, 0), (7, 0, 0)])
def test_shades_are_fifths_of_the_largest(value, top, shade):
    assert shade_of(value, top) == shade


def test_every_district_has_a_shape_and_a_name(app_ctx):
    shaded = district_map({"galle": 500, "colombo": 100}, "si")
    assert {d.code for d in shaded.districts} == set(DISTRICTS)
    assert all(d.path.startswith("m ") for d in shaded.districts)
    first, second = shaded.districts[:2]
    assert (first.code, first.name, first.shade) == ("galle", "ගාල්ල", 5)
    assert (second.code, second.shade) == ("colombo", 1)
    assert shaded.steps == [100, 200, 300, 400, 500]


def test_the_map_page_shades_sales_by_district(client, sign_in_staff, shop):
    page = sign_in_staff(make_staff("marketing")).get("/staff/reports/districts",
                                                      query_string=MARCH)
    html = page.get_data(as_text=True)

    assert page.status_code == 200
    assert html.count('<path class="district') == 25
    # Galle's Rs 1,752.00 is the largest (shade 5); Colombo's Rs 1,006.00 is 3 fifths of it.
    assert re.search(r'class="district shade-5" d="[^"]+"><title>Galle: Rs\. 1,752\.00', html)
    assert re.search(r'class="district shade-3" d="[^"]+"><title>Colombo: Rs\. 1,006\.00', html)
    assert "CC BY 4.0" in html


def test_the_map_can_count_orders(client, sign_in_staff, shop):
    html = sign_in_staff(make_staff("admin")).get(
        "/staff/reports/districts", query_string={**MARCH, "metric": "orders"}
    ).get_data(as_text=True)
    assert re.search(r'<title>Galle: 1</title>', html)
    assert re.search(r'<title>Jaffna: 0</title>', html)


def test_the_map_is_refused_to_a_role_without_reports(client, sign_in_staff, db_session):
    agent = sign_in_staff(make_staff("catalog_manager"))
    assert agent.get("/staff/reports/districts").status_code == 403


def test_bad_choices_on_the_map_are_explained(client, sign_in_staff, db_session):
    page = sign_in_staff(make_staff("admin")).get("/staff/reports/districts",
                                                  query_string={"metric": "profit"})
    assert page.status_code == 422
    assert "Not a valid choice." in page.get_data(as_text=True)
