"""Orders in the back office: who gets in, the list with its filters and CSV export, one
order's page, status changes, shipments (whole or in parts), notes and the documents."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

from app.accounts.addresses import AddressInput
from app.i18n import COLOMBO
from app.inventory import services as inventory
from app.orders import services as orders
from tests.checkout.factories import place_guest_order, service_with_slot, stocked
from tests.factories import make_customer, make_staff

LIST_PAGES = ["/staff/orders", "/staff/orders.csv"]
ORDER_PAGES = ["/staff/orders/{n}", "/staff/orders/{n}/packing-slip.pdf",
               "/staff/orders/{n}/invoice.pdf"]
WRITES = ["/staff/orders/{n}/status", "/staff/orders/{n}/fulfil", "/staff/orders/{n}/notes",
          "/staff/orders/{n}/link"]
COLOMBO_ADDRESS = AddressInput(recipient="Nimal Perera", phone="0711234567",
                               line1="12 Galle Road", city="Colombo 3", district="colombo",
                               postal_code="00300")


@pytest.fixture()
def manager(db_session):
    return make_staff("order_manager")


@pytest.fixture()
def manager_client(client, manager, sign_in_staff):
    return sign_in_staff(manager)


@pytest.fixture()
def tea(db_session):
    return stocked("Ceylon tea", units=10, price_cents=1_250_00, sku="TEA-1")


@pytest.fixture()
def order(tea):
    """Cash on delivery to Galle: starts "processing" (Confirmed)."""
    return place_guest_order((tea, 2))


def _fresh(number):
    return orders.find_by_number(number)


def _line(order, sku):
    return next(line for line in _fresh(order.number).lines if line.sku == sku)


def _text(html: str) -> str:
    """The page's words without tags, spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# ---- who gets in -------------------------------------------------------------------------------

@pytest.mark.parametrize("path", LIST_PAGES + ORDER_PAGES)
def test_anonymous_visitors_are_sent_to_the_staff_sign_in(client, order, path):
    response = client.get(path.format(n=order.number))

    assert response.status_code == 303
    assert response.location.startswith("/staff/login?next=/staff/orders")


@pytest.mark.parametrize("path", LIST_PAGES + ORDER_PAGES[:1])
def test_a_signed_in_customer_is_sent_to_the_staff_sign_in(client, order, login, path):
    login(make_customer())

    response = client.get(path.format(n=order.number))

    assert response.status_code == 303 and response.location.startswith("/staff/login")


@pytest.mark.parametrize("role", ["support_agent", "catalog_manager", "marketing"])
@pytest.mark.parametrize("path", LIST_PAGES + ORDER_PAGES)
def test_staff_without_order_rights_get_403(client, order, sign_in_staff, role, path):
    sign_in_staff(make_staff(role))

    response = client.get(path.format(n=order.number))

    assert response.status_code == 403
    assert "You cannot open this page" in response.text and "Sign out" in response.text


@pytest.mark.parametrize("role", [None, "support_agent", "catalog_manager"])
@pytest.mark.parametrize("path", WRITES)
def test_writes_without_order_rights_change_nothing(client, order, sign_in_staff, role, path):
    if role:
        sign_in_staff(make_staff(role))
    line = order.lines[0]

    response = client.post(path.format(n=order.number), data={
        "status": "cancelled", "note": "hacked", "public": "y", f"send-{line.id}": "2"})

    assert response.status_code == 403
    fresh = _fresh(order.number)
    assert fresh.status == "processing" and fresh.lines[0].fulfilled_quantity == 0
    assert [e.kind for e in fresh.events] == ["status"]


@pytest.mark.parametrize("role", ["order_manager", "admin"])
def test_order_managers_and_admins_open_the_list_and_the_order(client, order, sign_in_staff,
                                                               role):
    sign_in_staff(make_staff(role))

    listing = client.get("/staff/orders")
    detail = client.get(f"/staff/orders/{order.number}")

    assert listing.status_code == 200 and order.number in listing.text
    assert detail.status_code == 200 and order.number in detail.text


def test_the_menu_shows_orders_stock_and_delivery_to_order_managers(manager_client):
    page = manager_client.get("/staff/")

    for href in ("/staff/orders", "/staff/inventory", "/staff/delivery"):
        assert f'href="{href}"' in page.text
    assert 'href="/staff/catalog"' not in page.text


def test_the_menu_shows_stock_but_not_orders_to_catalog_managers(client, db_session,
                                                                 sign_in_staff):
    sign_in_staff(make_staff("catalog_manager"))

    page = client.get("/staff/")

    assert 'href="/staff/inventory"' in page.text and 'href="/staff/catalog"' in page.text
    assert 'href="/staff/orders"' not in page.text and 'href="/staff/delivery"' not in page.text


# ---- the list ----------------------------------------------------------------------------------

@pytest.fixture()
def three_orders(tea):
    """COD to Galle (Confirmed), bank transfer to Colombo (Waiting for payment), and a
    cancelled COD order to Galle."""
    galle = place_guest_order((tea, 1))
    colombo = place_guest_order((tea, 1), payment_method="bank_transfer",
                                address=COLOMBO_ADDRESS)
    cancelled = place_guest_order((tea, 1))
    orders.change_status(cancelled.number, "cancelled")
    return galle, colombo, cancelled


def _listed(client, **params) -> set[str]:
    response = client.get("/staff/orders", query_string=params)
    assert response.status_code == 200, response.text[:300]
    return set(re.findall(r">(KD-\d{4}-\d{6})</a>", response.text))


@pytest.mark.parametrize("params, expected", [
    ({}, {0, 1, 2}),
    ({"status": "processing"}, {0}),
    ({"status": "cancelled"}, {2}),
    ({"status": "pending_payment"}, {1}),
    ({"district": "colombo"}, {1}),
    ({"district": "galle"}, {0, 2}),
    ({"payment_method": "bank_transfer"}, {1}),
    ({"payment_method": "cod", "district": "galle", "status": "processing"}, {0}),
    ({"district": "jaffna"}, set()),
])
def test_filters_narrow_the_list(manager_client, three_orders, params, expected):
    assert _listed(manager_client, **params) == {three_orders[i].number for i in expected}


def test_the_channel_filter_finds_phone_orders_and_rows_name_the_channel(manager_client,
                                                                        three_orders, tea):
    from app.checkout.services import place_order
    from tests.checkout.factories import guest_cart, guest_choices

    phoned, _ = place_order(guest_cart((tea, 1)), guest_choices(), channel="phone",
                            actor=make_staff("order_manager"))

    assert _listed(manager_client, channel="phone") == {phoned.number}
    assert _listed(manager_client, channel="web") == {o.number for o in three_orders}
    assert _listed(manager_client, channel="subscription") == set()
    row = _text(manager_client.get("/staff/orders", query_string={
        "number": phoned.number}).text)
    assert "Phone order" in row
    detail = _text(manager_client.get(f"/staff/orders/{phoned.number}").text)
    assert "Phone order" in detail


def test_the_order_number_search_finds_part_of_a_number(manager_client, three_orders):
    colombo = three_orders[1]

    assert _listed(manager_client, number=colombo.number) == {colombo.number}
    assert _listed(manager_client, number=colombo.number[-6:].lower()) == {colombo.number}
    assert _listed(manager_client, number="KD-1999") == set()


def test_dates_are_days_in_colombo(manager_client, three_orders):
    today = dt.datetime.now(COLOMBO).date()
    everything = {o.number for o in three_orders}

    assert _listed(manager_client, placed_from=today.isoformat(),
                   placed_to=today.isoformat()) == everything
    assert _listed(manager_client, placed_from=(today + dt.timedelta(days=1)).isoformat()) \
        == set()
    assert _listed(manager_client, placed_to=(today - dt.timedelta(days=1)).isoformat()) \
        == set()


def test_a_row_shows_placed_time_customer_district_payment_total_and_status(manager_client,
                                                                          three_orders):
    colombo = three_orders[1]

    page = _text(manager_client.get("/staff/orders", query_string={
        "number": colombo.number}).text)

    assert colombo.placed_at.astimezone(COLOMBO).strftime("%Y-%m-%d %H:%M") in page
    assert "Nimal Perera" not in page  # the list shows the contact, not the recipient
    assert "Sarah Fernando" in page and "Colombo" in page and "Bank transfer" in page
    assert "Waiting for payment" in page and "1 order" in page
    assert f"{colombo.total_cents // 100:,}" in page


@pytest.mark.parametrize("params, message", [
    ({"placed_from": "yesterday"}, "Not a valid date value"),
    ({"placed_from": "0001-01-01"}, "Enter a date between 2000 and 2100"),
    ({"placed_to": "9999-12-31"}, "Enter a date between 2000 and 2100"),
    ({"placed_from": "2026-05-02", "placed_to": "2026-05-01"}, "before the start date"),
    ({"status": "lost"}, "Not a valid choice"),
    ({"district": "atlantis"}, "Not a valid choice"),
    ({"channel": "fax"}, "Not a valid choice"),
    ({"number": "K" * 200}, "Field cannot be longer"),
])
def test_bad_filters_say_what_is_wrong(manager_client, order, params, message):
    response = manager_client.get("/staff/orders", query_string=params)

    assert response.status_code == 422
    assert message in response.text and order.number not in response.text


@pytest.mark.parametrize("page", ["abc", "-3", "0", "99999999999999999999"])
def test_odd_page_numbers_never_fail(manager_client, order, page):
    response = manager_client.get("/staff/orders", query_string={"page": page})

    assert response.status_code == 200


def test_the_list_is_paged_with_plain_links(manager_client, tea, monkeypatch):
    import app.backoffice.orders as view

    monkeypatch.setattr(view, "PER_PAGE", 2)
    numbers = [place_guest_order((tea, 1)).number for _ in range(3)]

    first = manager_client.get("/staff/orders", query_string={"payment_method": "cod"})
    second = manager_client.get("/staff/orders?payment_method=cod&page=2")

    assert "Page 1 of 2" in first.text
    assert 'href="/staff/orders?page=2&amp;payment_method=cod"' in first.text
    assert numbers[0] not in first.text and numbers[2] in first.text
    assert numbers[0] in second.text and numbers[2] not in second.text


# ---- CSV export --------------------------------------------------------------------------------

def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_csv_export_has_one_row_per_order_with_the_same_filters(manager_client,
                                                                    three_orders):
    galle, colombo, cancelled = three_orders

    rows = _csv(manager_client.get("/staff/orders.csv", buffered=True,
                                   query_string={"district": "galle"}))

    assert rows[0] == ["number", "placed_at", "status", "payment_method", "payment_status",
                       "district", "delivery", "subtotal", "discount", "delivery_fee", "total",
                       "item_count", "customer_email", "channel"]
    assert [r[0] for r in rows[1:]] == [galle.number, cancelled.number]  # oldest first
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["placed_at"] == galle.placed_at.isoformat()
    assert row["placed_at"].endswith("+00:00")
    assert row["status"] == "processing" and row["payment_method"] == "cod"
    assert row["payment_status"] == "unpaid" and row["district"] == "galle"
    assert row["delivery"] == "island-wide"
    assert row["subtotal"] == "1250.00" and row["discount"] == "0.00"
    assert row["delivery_fee"] == "350.00" and row["total"] == "1600.00"
    assert row["item_count"] == "1" and row["customer_email"] == "sarah@example.lk"
    assert row["channel"] == "web"


def test_the_csv_export_counts_units_and_is_empty_but_for_the_header_when_nothing_matches(
        manager_client, tea):
    coffee = stocked("Coffee", units=5, sku="COF-1")
    order = place_guest_order((tea, 2), (coffee, 3))

    rows = _csv(manager_client.get("/staff/orders.csv", buffered=True))
    nothing = _csv(manager_client.get("/staff/orders.csv", buffered=True,
                                      query_string={"status": "refunded"}))

    assert rows[1][0] == order.number and rows[1][11] == "5"
    assert len(nothing) == 1


def test_csv_cells_that_look_like_formulas_are_defused(manager_client, tea):
    from app.checkout.services import Contact
    from tests.checkout.factories import GUEST

    place_guest_order(tea, contact=Contact(name="=cmd", email="-2+3@example.lk",
                                           phone=GUEST.phone))

    rows = _csv(manager_client.get("/staff/orders.csv", buffered=True))

    assert rows[1][12] == "'-2+3@example.lk"


def test_bad_export_filters_show_the_list_with_the_problem(manager_client, order):
    response = manager_client.get("/staff/orders.csv", buffered=True,
                                  query_string={"placed_from": "nope"})

    assert response.status_code == 422 and "Not a valid date value" in response.text


# ---- one order ---------------------------------------------------------------------------------

def test_the_order_page_shows_lines_totals_contact_address_delivery_and_payment(
        manager_client, order):
    page = _text(manager_client.get(f"/staff/orders/{order.number}").text)

    assert "TEA-1" in page and "Ceylon tea" in page
    assert "Rs. 1,250.00" in page and "Rs. 2,500.00" in page  # unit and line total
    assert "Rs. 350.00" in page and "Rs. 2,850.00" in page  # delivery fee and total
    assert "Sarah Fernando" in page and "sarah@example.lk" in page and "077 123 4567" in page
    assert "5 Church Street" in page and "Galle 80000" in page
    assert "Island-wide standard" in page and "Cash on delivery" in page
    assert "Status: Confirmed" in page and "Guest" in page
    assert "Packing slip (PDF)" in page and "Invoice (PDF)" in page


def test_the_status_form_offers_only_the_next_statuses(manager_client, order):
    page = manager_client.get(f"/staff/orders/{order.number}").text

    form = page[page.index('id="status-change"'):page.index('id="add-note"')]
    offered = re.findall(r'<option[^>]*value="([a-z_]+)"', form)
    assert offered == orders.next_statuses(_fresh(order.number))
    assert offered == ["shipped", "ready_for_collection", "completed", "cancelled"]
    assert '<label for="status">New status</label>' in form
    assert '<label for="status-note">Note for the timeline (optional)</label>' in form
    assert ">Change status</button>" in form


@pytest.mark.parametrize("number", ["KD-2026-999999", "nonsense", "K" * 300])
def test_an_unknown_order_is_404(manager_client, db_session, number):
    for path in ("/staff/orders/{n}", "/staff/orders/{n}/packing-slip.pdf",
                 "/staff/orders/{n}/invoice.pdf"):
        assert manager_client.get(path.format(n=number)).status_code == 404
    for path in WRITES:
        response = manager_client.post(path.format(n=number),
                                       data={"status": "shipped", "note": "x"})
        assert response.status_code == 404


def test_marking_an_order_shipped_puts_it_in_the_timeline_and_mails_the_customer(
        manager_client, manager, order, tea, outbox):
    response = manager_client.post(f"/staff/orders/{order.number}/status",
                                   data={"status": "shipped", "note": "Courier: Pronto"})

    assert response.status_code == 303
    assert response.location == f"/staff/orders/{order.number}"
    fresh = _fresh(order.number)
    assert fresh.status == "shipped"
    page = _text(manager_client.get(response.location).text)
    assert "The order is now Shipped." in page
    assert "Status: Shipped" in page and "Courier: Pronto" in page and manager.name in page
    shipped = [m for m in outbox.to("sarah@example.lk")
               if m["X-Kade-Dedupe-Key"] == f"order:{order.number}:order_shipped"]
    assert len(shipped) == 1
    # Shipping sells what the order held.
    assert inventory.held_units(order.number) == {}
    assert inventory.available([tea.id]) == {tea.id: 8}
    assert inventory.ledger_problems() == []


@pytest.mark.parametrize("status", ["delivered", "pending_payment", "bogus", ""])
def test_a_status_that_cannot_follow_is_refused_and_changes_nothing(manager_client, order,
                                                                   outbox, status):
    response = manager_client.post(f"/staff/orders/{order.number}/status",
                                   data={"status": status, "note": "try"})

    assert response.status_code in (409, 422)
    if status:
        assert "An order that is Confirmed cannot become" in response.text
    else:
        assert "Choose the new status." in response.text
    fresh = _fresh(order.number)
    assert fresh.status == "processing" and len(fresh.events) == 1
    assert [m["X-Kade-Dedupe-Key"].rsplit(":", 1)[1]
            for m in outbox.to("sarah@example.lk")] == ["order_placed"]


def test_a_status_change_someone_else_made_first_is_a_message(manager_client, order):
    page = manager_client.get(f"/staff/orders/{order.number}")  # the form offers "shipped"
    assert 'value="shipped"' in page.text
    orders.change_status(order.number, "cancelled")  # another member of staff, meanwhile

    response = manager_client.post(f"/staff/orders/{order.number}/status",
                                   data={"status": "shipped"})

    assert response.status_code == 409
    assert "An order that is Cancelled cannot become Shipped." in response.text
    assert _fresh(order.number).status == "cancelled"


def test_a_final_order_offers_no_status_change(manager_client, order):
    orders.change_status(order.number, "cancelled")

    page = manager_client.get(f"/staff/orders/{order.number}").text

    assert "its status cannot change any more" in page and ">Change status</button>" not in page


def test_a_very_long_note_is_refused(manager_client, order):
    response = manager_client.post(f"/staff/orders/{order.number}/status",
                                   data={"status": "shipped", "note": "x" * 1001})

    assert response.status_code == 422 and _fresh(order.number).status == "processing"


# ---- shipping in parts -------------------------------------------------------------------------

@pytest.fixture()
def two_line_order(tea):
    coffee = stocked("Coffee", units=5, sku="COF-1")
    return place_guest_order((tea, 3), (coffee, 2)), coffee


def test_part_of_an_order_is_sent_then_the_rest_and_it_becomes_shipped(manager_client,
                                                                       two_line_order, tea,
                                                                       outbox):
    order, coffee = two_line_order
    tea_line, coffee_line = _line(order, "TEA-1"), _line(order, "COF-1")
    page = manager_client.get(f"/staff/orders/{order.number}").text
    assert f'name="send-{tea_line.id}"' in page and f'name="send-{coffee_line.id}"' in page

    first = manager_client.post(f"/staff/orders/{order.number}/fulfil",
                                data={f"send-{tea_line.id}": "1", f"send-{coffee_line.id}": "",
                                      "note": "First box"})

    assert first.status_code == 303
    fresh = _fresh(order.number)
    assert fresh.status == "processing"
    assert _line(order, "TEA-1").fulfilled_quantity == 1
    assert _line(order, "COF-1").fulfilled_quantity == 0
    assert inventory.held_units(order.number) == {tea.id: 2, coffee.id: 2}
    level = inventory.stock_rows(query="TEA-1")[0][0]
    assert (level.on_hand, level.reserved, level.available) == (9, 2, 7)  # one unit sold
    assert inventory.ledger_problems() == []
    page = _text(manager_client.get(f"/staff/orders/{order.number}").text)
    assert "Shipment recorded." in page and "Items sent" in page and "First box" in page
    assert "2 units left to send" in page

    rest = manager_client.post(f"/staff/orders/{order.number}/fulfil",
                               data={f"send-{tea_line.id}": "2", f"send-{coffee_line.id}": "2"})

    assert rest.status_code == 303
    assert _fresh(order.number).status == "shipped"
    assert inventory.held_units(order.number) == {}
    assert inventory.available([tea.id, coffee.id]) == {tea.id: 7, coffee.id: 3}
    assert inventory.stock_rows(query="TEA-1")[0][0].on_hand == 7
    assert inventory.ledger_problems() == []
    assert any(m["X-Kade-Dedupe-Key"].endswith("order_shipped")
               for m in outbox.to("sarah@example.lk"))
    page = manager_client.get(f"/staff/orders/{order.number}").text
    assert 'id="fulfil"' not in page  # nothing left to send


@pytest.mark.parametrize("units, message", [
    ("abc", "Enter the units to send as whole numbers."),
    ("1.5", "Enter the units to send as whole numbers."),
    ("99999999999999999999", "Enter the units to send as whole numbers."),
    ("4", "Send from 0 to 3 of Ceylon tea."),
    ("-1", "Send from 0 to 3 of Ceylon tea."),
    ("", "Choose at least one item to send."),
    ("0", "Choose at least one item to send."),
])
def test_bad_shipment_quantities_are_refused_and_change_nothing(manager_client, two_line_order,
                                                                units, message):
    order, _coffee = two_line_order
    tea_line = _line(order, "TEA-1")

    response = manager_client.post(f"/staff/orders/{order.number}/fulfil",
                                   data={f"send-{tea_line.id}": units})

    assert response.status_code == 422
    assert message in response.text
    assert _line(order, "TEA-1").fulfilled_quantity == 0
    assert inventory.held_units(order.number)[tea_line.variant_id] == 3
    assert inventory.ledger_problems() == []


def test_a_line_of_another_order_cannot_be_sent(manager_client, two_line_order, tea):
    order, _coffee = two_line_order
    other = place_guest_order((tea, 1))
    other_number, other_line = other.number, other.lines[0].id

    response = manager_client.post(f"/staff/orders/{order.number}/fulfil",
                                   data={f"send-{other_line}": "1"})

    assert response.status_code == 422 and "That item is not in this order." in response.text
    assert _fresh(other_number).lines[0].fulfilled_quantity == 0


def test_an_unpaid_order_cannot_be_sent(manager_client, tea):
    order = place_guest_order((tea, 1), payment_method="bank_transfer")

    page = manager_client.get(f"/staff/orders/{order.number}").text
    response = manager_client.post(f"/staff/orders/{order.number}/fulfil",
                                   data={f"send-{order.lines[0].id}": "1"})

    assert 'id="fulfil"' not in page
    assert response.status_code == 409 and "Only a confirmed order can be shipped." in response.text


# ---- notes -------------------------------------------------------------------------------------

def test_a_private_note_shows_in_the_staff_timeline_only(manager_client, manager, order):
    response = manager_client.post(f"/staff/orders/{order.number}/notes",
                                   data={"note": "Customer rang about the colour"})

    assert response.status_code == 303
    [note] = [e for e in _fresh(order.number).events if e.kind == "note"]
    assert note.public is False and note.actor_id == manager.id
    assert note not in orders.public_events(_fresh(order.number))
    page = _text(manager_client.get(f"/staff/orders/{order.number}").text)
    assert "Customer rang about the colour" in page and "staff only" in page


def test_a_note_can_be_shown_to_the_customer(manager_client, order):
    manager_client.post(f"/staff/orders/{order.number}/notes",
                        data={"note": "Packed with care", "public": "y"})

    public = orders.public_events(_fresh(order.number))
    assert [e.note for e in public if e.kind == "note"] == ["Packed with care"]


@pytest.mark.parametrize("note, message", [("", "Write a note."), ("   ", "Write a note."),
                                           ("x" * 1001, "Field cannot be longer")])
def test_an_empty_or_long_note_is_refused(manager_client, order, note, message):
    response = manager_client.post(f"/staff/orders/{order.number}/notes", data={"note": note})

    assert response.status_code == 422 and message in response.text
    assert [e.kind for e in _fresh(order.number).events] == ["status"]


# ---- documents (app.orders.documents) ----------------------------------------------------------

@pytest.mark.parametrize("path, name", [("packing-slip.pdf", "packing-slip"),
                                        ("invoice.pdf", "invoice")])
def test_the_packing_slip_and_invoice_are_pdfs(manager_client, order, path, name):
    pytest.importorskip("app.orders.documents")

    response = manager_client.get(f"/staff/orders/{order.number}/{path}")

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert f"{order.number}-{name}.pdf" in response.headers["Content-Disposition"]


def test_htmx_gets_only_the_results_when_a_filter_changes(manager_client, three_orders):
    response = manager_client.get("/staff/orders", query_string={"status": "cancelled"},
                                  headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="order-results"')
    assert three_orders[2].number in response.text and three_orders[0].number not in response.text


# ---- a guest's order link ---------------------------------------------------------------------

def test_staff_send_a_guest_a_new_link_and_the_old_one_stops(
        client, manager_client, order, outbox):
    old = orders.guest_token(order)
    page = manager_client.get(f"/staff/orders/{order.number}").text
    assert f'action="/staff/orders/{order.number}/link"' in page

    response = manager_client.post(f"/staff/orders/{order.number}/link")

    assert response.status_code == 303
    assert "A new link is on its way" in manager_client.get(response.location).text
    [mail] = [m for m in outbox.to("sarah@example.lk") if ":link:" in m["X-Kade-Dedupe-Key"]]
    guest = client.application.test_client()
    assert guest.get(f"/orders/{order.number}?t={old}").status_code == 404
    fresh = outbox.link(mail).split("?t=")[1]
    assert guest.get(f"/orders/{order.number}?t={fresh}").status_code == 200
    assert _fresh(order.number).link_version == 1


def test_a_customers_order_has_no_link_for_staff_to_send(manager_client, tea, outbox):
    from tests.checkout.factories import customer_order

    theirs = customer_order(make_customer(email="nimal@example.lk"), (tea, 1))
    assert "/link" not in manager_client.get(f"/staff/orders/{theirs.number}").text

    response = manager_client.post(f"/staff/orders/{theirs.number}/link")

    assert "This order belongs to an account" in manager_client.get(response.location).text
    assert not [m for m in outbox.messages() if ":link:" in m["X-Kade-Dedupe-Key"]]
    assert _fresh(theirs.number).link_version == 0


@pytest.mark.parametrize("role", [None, "support_agent"])
def test_only_order_staff_revoke_a_link(client, order, sign_in_staff, role):
    if role:
        sign_in_staff(make_staff(role))
    token = orders.guest_token(order)

    assert client.post(f"/staff/orders/{order.number}/link").status_code == 403
    assert client.get(f"/orders/{order.number}?t={token}").status_code == 200


@pytest.mark.parametrize(("label", "form_action"), [
    ("Note for the timeline (optional)", "/status"),
    ("Shipment note (optional)", "/fulfil"),
    ("Note", "/notes"),
])
def test_each_note_label_points_at_the_box_of_its_own_form(manager_client, order, label,
                                                           form_action):
    """Three forms on the order page have a note: a label naming another form's box sent a
    shipment's tracking note typed under its label to the wrong form."""
    page = manager_client.get(f"/staff/orders/{order.number}").text

    target = re.search(rf'<label for="([^"]+)">{re.escape(label)}</label>', page).group(1)
    form = re.search(rf'<form[^>]*action="[^"]*{form_action}"[^>]*>(.*?)</form>', page,
                     re.S).group(1)

    assert page.count(f'id="{target}"') == 1
    assert re.search(rf'<textarea[^>]*id="{target}"[^>]*name="note"|'
                     rf'<textarea[^>]*name="note"[^>]*id="{target}"', form)


def test_the_staff_page_of_a_home_service_shows_where_the_team_goes(manager_client,
                                                                   db_session):
    visit, slot = service_with_slot("Home deep cleaning", where="address",
                                    districts=("jaffna",))
    jaffna = AddressInput(recipient="Kumaran Sivakumar", phone="0771234567",
                          line1="14 Hospital Road", city="Jaffna", district="jaffna",
                          postal_code="40000")
    order = place_guest_order((visit, 1, slot), address=jaffna)

    page = _text(manager_client.get(f"/staff/orders/{order.number}").text)

    assert "Where the service happens" in page
    assert "Home deep cleaning At the customer's address" in page.replace("&#39;", "'")
    assert "Kumaran Sivakumar 14 Hospital Road Jaffna 40000 Jaffna" in page
    assert "077 123 4567" in page


# ---- what went in a shipment, by name ---------------------------------------------------------

@pytest.fixture()
def named_order(db_session):
    """Sinhala-speaking guest: tea × 3 and kithul × 1, each named in three languages."""
    tea = stocked("Ceylon tea", units=10, sku="TEA-1", name_si="ලංකා තේ", name_ta="இலங்கை தேநீர்")
    kithul = stocked("Kithul treacle", units=5, sku="KIT-1", name_si="කිතුල් පැණි",
                     name_ta="கித்துள் பாணி")
    return place_guest_order((tea, 3), (kithul, 1), locale="si")


def test_a_shipment_stores_its_lines_and_the_staff_page_names_them(manager_client, named_order):
    order = named_order
    tea_line = _line(order, "TEA-1")

    manager_client.post(f"/staff/orders/{order.number}/fulfil",
                        data={f"send-{tea_line.id}": "2", "note": "Pronto ABC123"})

    event = next(e for e in _fresh(order.number).events if e.kind == "shipment")
    assert [(s.line.sku, s.quantity) for s in event.shipment_lines] == [("TEA-1", 2)]
    assert event.note == "Pronto ABC123"  # the tracking note alone, no SKUs in it
    page = _text(manager_client.get(f"/staff/orders/{order.number}").text)
    assert "Items sent customer sees this Pronto ABC123 Ceylon tea × 2 TEA-1" in page
    assert "Pronto ABC123" in page


def test_the_shipped_mail_names_the_items_in_the_customers_language(manager_client,
                                                                     named_order, outbox):
    order = named_order
    tea_line, kithul_line = _line(order, "TEA-1"), _line(order, "KIT-1")

    manager_client.post(f"/staff/orders/{order.number}/fulfil",
                        data={f"send-{tea_line.id}": "3", f"send-{kithul_line.id}": "1"})

    shipped = [m for m in outbox.to("sarah@example.lk")
               if m["X-Kade-Dedupe-Key"].endswith("order_shipped")]
    assert len(shipped) == 1
    body = outbox.text(shipped[0])
    assert "ලංකා තේ × 3" in body and "කිතුල් පැණි × 1" in body
    assert "TEA-1" not in body and "KIT-1" not in body
    html = shipped[0].get_body(("html",)).get_content()
    assert "<li>ලංකා තේ × 3</li>" in html


def test_marking_shipped_without_a_shipment_records_what_was_left_to_send(manager_client,
                                                                        named_order):
    order = named_order
    tea_line = _line(order, "TEA-1")
    manager_client.post(f"/staff/orders/{order.number}/fulfil", data={f"send-{tea_line.id}": "1"})

    manager_client.post(f"/staff/orders/{order.number}/status", data={"status": "shipped"})

    event = [e for e in _fresh(order.number).events if e.kind == "status"][-1]
    assert event.status == "shipped"
    assert sorted((s.line.sku, s.quantity) for s in event.shipment_lines) == [
        ("KIT-1", 1), ("TEA-1", 2)]


# ---- services-only orders: nothing to deliver, nothing to ship ----------------------------------

@pytest.fixture()
def booking(db_session):
    """An AC service visit at the shop, cash: nothing to deliver. Starts "processing"."""
    visit, slot = service_with_slot("AC service visit", price_cents=5_000_00)
    return place_guest_order((visit, 1, slot), delivery_option=None)


def _totals(html: str) -> str:
    return _text(html[html.index('class="facts order-totals"'):html.index('id="actions"')])


def test_a_booking_page_shows_no_delivery_line_and_cash_on_the_day(manager_client, booking):
    html = manager_client.get(f"/staff/orders/{booking.number}").text

    totals = _totals(html)
    assert "Subtotal Rs. 5,000.00" in totals and "Total Rs. 5,000.00" in totals
    assert "Delivery" not in totals and "Rs. 0.00" not in html
    page = _text(html)
    assert "Method Cash on the day of the booking" in page
    assert "Cash on delivery" not in page


def test_a_goods_order_keeps_its_delivery_line_and_cash_on_delivery(manager_client, order):
    html = manager_client.get(f"/staff/orders/{order.number}").text

    assert "Delivery Rs. 350.00" in _totals(html)
    assert "Method Cash on delivery" in _text(html)


def test_a_booking_paid_by_bank_transfer_keeps_the_methods_name(manager_client, db_session):
    visit, slot = service_with_slot("AC service visit")
    booking = place_guest_order((visit, 1, slot), delivery_option=None,
                                payment_method="bank_transfer")

    page = _text(manager_client.get(f"/staff/orders/{booking.number}").text)

    assert "Method Bank transfer" in page
    assert "Cash on the day" not in page and "Cash on delivery" not in page


def test_a_booking_offers_completed_not_shipping(manager_client, booking):
    page = manager_client.get(f"/staff/orders/{booking.number}").text

    form = page[page.index('id="status-change"'):page.index('id="add-note"')]
    assert re.findall(r'<option[^>]*value="([a-z_]+)"', form) == ["completed", "cancelled"]
    assert ">Completed</option>" in form and "Shipped" not in form
    assert 'id="fulfil"' not in page  # nothing to send


def test_a_booking_is_marked_completed_and_the_customer_sees_it(manager_client, client,
                                                                booking):
    response = manager_client.post(f"/staff/orders/{booking.number}/status",
                                   data={"status": "completed", "note": "Serviced"})

    assert response.status_code == 303
    assert _fresh(booking.number).status == "completed"
    assert "Status: Completed" in _text(manager_client.get(response.location).text)
    html = client.get(f"/orders/{booking.number}?t={orders.guest_token(booking)}").text
    totals = _text(html[html.index('<dl class="totals">'):html.index('id="facts-heading"')])
    assert "Completed" in _text(html) and "Cash on the day of the booking" in _text(html)
    assert "Subtotal Rs. 5,000.00" in totals and "Delivery" not in totals


@pytest.mark.parametrize("status", ["shipped", "ready_for_collection", "delivered"])
def test_a_booking_cannot_be_shipped_or_delivered(manager_client, booking, outbox, status):
    response = manager_client.post(f"/staff/orders/{booking.number}/status",
                                   data={"status": status})

    assert response.status_code == 409
    assert "An order that is Confirmed cannot become" in response.text
    fresh = _fresh(booking.number)
    assert fresh.status == "processing" and len(fresh.events) == 1
    assert [m["X-Kade-Dedupe-Key"].rsplit(":", 1)[1]
            for m in outbox.to("sarah@example.lk")] == ["order_placed"]


def test_an_order_with_goods_and_a_service_still_ships(manager_client, tea, db_session):
    visit, slot = service_with_slot("AC service visit")
    mixed = place_guest_order((tea, 1), (visit, 1, slot))

    assert orders.next_statuses(_fresh(mixed.number)) == [
        "shipped", "ready_for_collection", "completed", "cancelled"]
    orders.change_status(mixed.number, "shipped")
    assert orders.next_statuses(_fresh(mixed.number)) == ["delivered"]


def test_a_completed_booking_offers_no_return_and_refuses_one(client, booking):
    orders.change_status(booking.number, "completed")
    link = f"/orders/{booking.number}?t={orders.guest_token(booking)}"

    assert 'id="return-heading"' not in client.get(link).text
    client.get(link)  # the form's CSRF token comes with the page
    response = client.post(f"/orders/{booking.number}/return?t={orders.guest_token(booking)}",
                           data={"reason": "The AC still drips"}, follow_redirects=True)

    assert "A service cannot be returned. If something went wrong, please contact us." in (
        response.text)
    assert [e.kind for e in _fresh(booking.number).events] == ["status", "status"]
