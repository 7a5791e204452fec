"""The dashboard and the sales report as staff see them: who sees what (403 for a role
without the permission), figures on the page, bad choices explained, the CSV as a
spreadsheet reads it."""

from __future__ import annotations

import csv
import io

import pytest

from tests.checkout.factories import place_guest_order, stocked
from tests.factories import make_staff

MARCH = {"first": "2026-03-01", "last": "2026-03-03"}


@pytest.fixture()
def staff_client(client, sign_in_staff, db_session):
    def signed_in(role):
        return sign_in_staff(make_staff(role))

    return signed_in


def test_the_dashboard_shows_todays_sales_to_an_admin(staff_client, db_session):
    place_guest_order((stocked("Ceylon tea", units=5, price_cents=1_250_00), 2))
    page = staff_client("admin").get("/staff/")
    html = page.get_data(as_text=True)

    assert page.status_code == 200
    assert 'id="dash-sales"' in html and 'id="dash-ops"' in html
    # Rs 2,500 of tea and Rs 350 delivery, cash on delivery (a sale at once).
    assert "Rs. 2,850.00" in html
    assert "Sales by day, last 30 days" in html and "<svg" in html
    assert "Ceylon tea" in html  # best sellers


def test_a_support_agent_sees_no_sales_card_and_cannot_open_a_report(staff_client):
    agent = staff_client("support_agent")
    html = agent.get("/staff/").get_data(as_text=True)

    assert 'id="dash-support"' in html
    assert 'id="dash-sales"' not in html and 'id="dash-to-do"' not in html
    assert "/staff/reports/sales" not in html  # nor in the menu
    assert agent.get("/staff/reports/sales").status_code == 403
    assert agent.get("/staff/reports/sales.csv").status_code == 403


def test_the_sales_report_by_day_with_its_chart_and_totals(staff_client, shop):
    page = staff_client("marketing").get("/staff/reports/sales", query_string=MARCH)
    html = page.get_data(as_text=True)

    assert page.status_code == 200
    assert "Rs. 2,758.00" in html  # total sales
    assert "-Rs. 1,000.00" in html or "−Rs. 1,000.00" in html or "Rs. -1,000.00" in html
    assert html.count('class="chart-bar"') == 3  # one column a day


@pytest.mark.parametrize("by", ["product", "category", "district", "payment_method"])
def test_every_dimension_renders(staff_client, shop, by):
    page = staff_client("order_manager").get("/staff/reports/sales",
                                             query_string={**MARCH, "by": by})
    assert page.status_code == 200
    assert 'class="bar-fill"' in page.get_data(as_text=True)


@pytest.mark.parametrize(("query", "message"), [
    ({"first": "2026-03-05", "last": "2026-03-01"}, "The end date is before the start date."),
    ({"first": "20266-01-01"}, "Not a valid date value."),
    ({"by": "colour"}, "Not a valid choice."),
])
def test_bad_choices_are_explained(staff_client, query, message):
    page = staff_client("admin").get("/staff/reports/sales", query_string=query)
    assert page.status_code == 422
    assert message in page.get_data(as_text=True)


def test_the_csv_opens_in_a_spreadsheet_with_sinhala_names_and_minus_signs(staff_client,
                                                                          shop):
    response = staff_client("admin").get("/staff/reports/sales.csv", buffered=True,
                                         query_string={**MARCH, "by": "product"})
    body = response.get_data()

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["key", "label", "orders", "units", "gross", "discounts", "refunds",
                       "net", "delivery", "total", "vat_included"]
    by_label = {row[1]: row for row in rows[1:]}
    assert by_label["Ceylon tea"][2:8] == ["1", "2", "2500.00", "339.93", "1000.00",
                                           "1160.07"]
    assert by_label["Total"][7] == "2058.00"


def test_the_csv_keeps_negative_figures_as_numbers(staff_client, shop):
    response = staff_client("admin").get("/staff/reports/sales.csv", buffered=True,
                                         query_string=MARCH)
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    third = next(row for row in rows if row[0] == "2026-03-03")
    assert third[7] == "-1000.00"  # net: a number, not the text '-1000.00


def test_the_csv_of_bad_choices_is_the_page_with_the_message(staff_client):
    response = staff_client("admin").get("/staff/reports/sales.csv",
                                         query_string={"first": "2026-03-05",
                                                       "last": "2026-03-01"})
    assert response.status_code == 422
    assert "The end date is before the start date." in response.get_data(as_text=True)
