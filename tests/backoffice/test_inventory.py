"""Stock in the back office: who gets in, the stock list and its filters, receiving goods,
corrections, thresholds, transfers, warehouses, a variant's movements and the CSV export.
Every change leaves the ledger balanced."""

from __future__ import annotations

import csv
import io
import re

import pytest

from app.inventory import services as inventory
from tests.checkout.factories import place_guest_order, stocked
from tests.factories import make_customer, make_staff

PAGES = ["/staff/inventory", "/staff/inventory.csv", "/staff/inventory/{v}"]
WRITES = ["/staff/inventory/receive", "/staff/inventory/adjust", "/staff/inventory/threshold",
          "/staff/inventory/transfer", "/staff/inventory/warehouses"]


@pytest.fixture()
def manager(db_session):
    return make_staff("catalog_manager")


@pytest.fixture()
def manager_client(client, manager, sign_in_staff):
    return sign_in_staff(manager)


@pytest.fixture()
def tea(db_session):
    return stocked("Ceylon tea", units=10, sku="TEA-1")


def _level(sku: str, warehouse: str = "MAIN"):
    rows, _total = inventory.stock_rows(query=sku)
    return next((r for r in rows if r.sku == sku and r.warehouse_code == warehouse), None)


def _main_id() -> int:
    return inventory.default_warehouse().id


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


# ---- who gets in -------------------------------------------------------------------------------

@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_are_sent_to_the_staff_sign_in(client, tea, path):
    response = client.get(path.format(v=tea.id))

    assert response.status_code == 303
    assert response.location.startswith("/staff/login?next=/staff/inventory")


def test_a_signed_in_customer_is_sent_to_the_staff_sign_in(client, tea, login):
    login(make_customer())

    response = client.get("/staff/inventory")

    assert response.status_code == 303 and response.location.startswith("/staff/login")


@pytest.mark.parametrize("role", ["support_agent", "marketing"])
@pytest.mark.parametrize("path", PAGES)
def test_staff_without_stock_rights_get_403(client, tea, sign_in_staff, role, path):
    sign_in_staff(make_staff(role))

    response = client.get(path.format(v=tea.id))

    assert response.status_code == 403 and "You cannot open this page" in response.text


@pytest.mark.parametrize("role", [None, "support_agent"])
@pytest.mark.parametrize("path", WRITES)
def test_writes_without_stock_rights_change_nothing(client, tea, sign_in_staff, role, path):
    if role:
        sign_in_staff(make_staff(role))

    response = client.post(path, data={
        f"{form}-{name}": value for form in ("receive", "adjust", "threshold", "transfer",
                                             "warehouse")
        for name, value in (("sku", "TEA-1"), ("units", "5"), ("change", "5"),
                            ("reason", "x"), ("warehouse", str(_main_id())),
                            ("threshold", "3"), ("code", "X"), ("name", "X"))})

    assert response.status_code == 403
    assert _level("TEA-1").on_hand == 10 and _level("TEA-1").threshold is None
    assert len(inventory.warehouses()) == 1


@pytest.mark.parametrize("role", ["catalog_manager", "order_manager", "admin"])
def test_catalog_managers_order_managers_and_admins_see_stock(client, tea, sign_in_staff, role):
    sign_in_staff(make_staff(role))

    listing = client.get("/staff/inventory")
    variant = client.get(f"/staff/inventory/{tea.id}")

    assert listing.status_code == 200 and "TEA-1" in listing.text
    assert variant.status_code == 200 and "Ceylon tea" in variant.text


# ---- the list ----------------------------------------------------------------------------------

def test_each_row_shows_sku_product_warehouse_and_units(manager_client, tea):
    place_guest_order((tea, 3))
    inventory.set_threshold(tea.id, 8)

    page = manager_client.get("/staff/inventory").text
    row = _text(page[page.index("TEA-1"):page.index("</tr>", page.index("TEA-1"))])

    assert "Ceylon tea" in row and "MAIN" in row
    assert re.search(r"\b10 3 7 low 8\b", row), row  # on hand, reserved, available, threshold


def test_search_low_stock_and_warehouse_filters_narrow_the_list(manager_client, tea):
    stocked("Coffee", units=2, sku="COF-1")
    inventory.set_threshold(tea.id, 3)  # 10 available: not low
    coffee = _level("COF-1")
    inventory.set_threshold(coffee.variant_id, 5)  # 2 available: low
    kandy = inventory.add_warehouse("KANDY", "Kandy store")
    inventory.receive(tea.id, 4, warehouse_id=kandy.id)

    def skus(**params):
        response = manager_client.get("/staff/inventory", query_string=params)
        assert response.status_code == 200
        return re.findall(r"<code>([A-Z0-9-]+)</code></a>", response.text)

    assert sorted(skus()) == ["COF-1", "TEA-1", "TEA-1"]
    assert skus(q="coffee") == ["COF-1"]
    assert skus(q="tea-1") == ["TEA-1", "TEA-1"]
    assert skus(low="y") == ["COF-1"]
    assert skus(warehouse=str(kandy.id)) == ["TEA-1"]
    assert skus(q="nothing like it") == []


@pytest.mark.parametrize("params", [{"warehouse": "abc"}, {"warehouse": "99999999999999"},
                                    {"q": "x" * 500}])
def test_bad_filters_say_so_without_failing(manager_client, tea, params):
    response = manager_client.get("/staff/inventory", query_string=params)

    assert response.status_code == 422 and "Fix the filters above" in response.text


@pytest.mark.parametrize("page", ["abc", "-1", "99999999999999999999"])
def test_odd_page_numbers_never_fail(manager_client, tea, page):
    assert manager_client.get(f"/staff/inventory?page={page}").status_code == 200


def test_the_list_is_paged_with_plain_links(manager_client, monkeypatch):
    import app.backoffice.inventory as view

    monkeypatch.setattr(view, "PER_PAGE", 2)
    for n in range(3):
        stocked(f"Tea {n}", units=5, sku=f"TEA-{n}")

    first = manager_client.get("/staff/inventory?q=tea")
    second = manager_client.get("/staff/inventory?q=tea&page=2")

    assert "Page 1 of 2" in first.text and 'href="/staff/inventory?page=2&amp;q=tea"' in first.text
    assert "TEA-0" in first.text and "TEA-2" not in first.text
    assert "TEA-2" in second.text and "TEA-0" not in second.text


# ---- receiving goods ---------------------------------------------------------------------------

def test_receiving_goods_adds_to_on_hand_and_the_ledger(manager_client, manager, tea):
    response = manager_client.post("/staff/inventory/receive", data={
        "receive-sku": "tea-1", "receive-units": "5", "receive-warehouse": str(_main_id()),
        "receive-reference": "INV-2044"})

    assert response.status_code == 303 and response.location == "/staff/inventory"
    assert _level("TEA-1").on_hand == 15
    assert inventory.available([tea.id]) == {tea.id: 15}
    assert inventory.ledger_problems() == []
    page = _text(manager_client.get("/staff/inventory").text)
    assert "Received 5 × TEA-1. 15 on hand, 15 available." in page
    history = _text(manager_client.get(f"/staff/inventory/{tea.id}").text)
    assert "Receipt" in history and "+5" in history and "INV-2044" in history
    assert manager.name in history


@pytest.mark.parametrize("fields, message", [
    ({"receive-sku": "NOPE-1"}, "No product variant has the SKU NOPE-1."),
    ({"receive-sku": ""}, "Enter the SKU."),
    ({"receive-units": "abc"}, "Not a valid integer value."),
    ({"receive-units": "2.5"}, "Not a valid integer value."),
    ({"receive-units": "0"}, "Number must be between 1 and 1000000."),
    ({"receive-units": "-4"}, "Number must be between 1 and 1000000."),
    ({"receive-units": "99999999999999999999"}, "Number must be between 1 and 1000000."),
    ({"receive-warehouse": "999999"}, "Not a valid choice."),
    ({"receive-reference": "x" * 65}, "Field cannot be longer than 64 characters."),
])
def test_bad_receipts_are_refused_with_a_message(manager_client, tea, fields, message):
    data = {"receive-sku": "TEA-1", "receive-units": "5",
            "receive-warehouse": str(_main_id()), **fields}

    response = manager_client.post("/staff/inventory/receive", data=data)

    assert response.status_code == 422 and message in response.text
    assert _level("TEA-1").on_hand == 10 and inventory.ledger_problems() == []


# ---- corrections -------------------------------------------------------------------------------

def test_a_correction_with_a_reason_changes_stock(manager_client, tea):
    response = manager_client.post("/staff/inventory/adjust", data={
        "adjust-sku": "TEA-1", "adjust-change": "-3", "adjust-reason": "Two packs torn",
        "adjust-warehouse": str(_main_id())})

    assert response.status_code == 303
    assert _level("TEA-1").on_hand == 7 and inventory.ledger_problems() == []
    history = _text(manager_client.get(f"/staff/inventory/{tea.id}").text)
    assert "Adjustment" in history and "-3" in history and "Two packs torn" in history


@pytest.mark.parametrize("fields, message", [
    ({"adjust-reason": ""}, "Say why the stock changes."),
    ({"adjust-reason": "   "}, "Say why the stock changes."),
    ({"adjust-change": "0"}, "Enter a change other than 0."),
    ({"adjust-change": ""}, "Enter the change, like -2 or 5."),
    ({"adjust-change": "-99999999999"}, "Number must be between -1000000 and 1000000."),
    ({"adjust-change": "-11"}, "fewer units on hand than are reserved"),
])
def test_bad_corrections_are_refused_with_a_message(manager_client, tea, fields, message):
    data = {"adjust-sku": "TEA-1", "adjust-change": "-2", "adjust-reason": "count",
            "adjust-warehouse": str(_main_id()), **fields}

    response = manager_client.post("/staff/inventory/adjust", data=data)

    assert response.status_code == 422 and message in response.text
    assert _level("TEA-1").on_hand == 10 and inventory.ledger_problems() == []


def test_a_correction_cannot_take_units_reserved_for_orders(manager_client, tea):
    number, tea_id = place_guest_order((tea, 8)).number, tea.id

    response = manager_client.post("/staff/inventory/adjust", data={
        "adjust-sku": "TEA-1", "adjust-change": "-3", "adjust-reason": "lost",
        "adjust-warehouse": str(_main_id())})

    assert response.status_code == 422
    assert "That would leave fewer units on hand than are reserved for orders." in response.text
    assert (_level("TEA-1").on_hand, _level("TEA-1").reserved) == (10, 8)
    assert inventory.held_units(number) == {tea_id: 8}
    assert inventory.ledger_problems() == []


def test_an_error_from_a_variant_page_shows_that_page_again(manager_client, tea):
    response = manager_client.post("/staff/inventory/adjust", data={
        "adjust-sku": "TEA-1", "adjust-change": "-2", "adjust-reason": "",
        "adjust-warehouse": str(_main_id()), "back": str(tea.id)})
    ok = manager_client.post("/staff/inventory/adjust", data={
        "adjust-sku": "TEA-1", "adjust-change": "-2", "adjust-reason": "count",
        "adjust-warehouse": str(_main_id()), "back": str(tea.id)})

    assert response.status_code == 422 and "Movements" in response.text
    assert "Say why the stock changes." in response.text
    assert ok.status_code == 303 and ok.location == f"/staff/inventory/{tea.id}"


def test_a_back_link_that_is_no_id_goes_back_to_the_list(manager_client, tea):
    # str.isdigit() takes "²", which int() refuses
    response = manager_client.post("/staff/inventory/adjust", data={
        "adjust-sku": "TEA-1", "adjust-change": "-2", "adjust-reason": "count",
        "adjust-warehouse": str(_main_id()), "back": "²"})

    assert response.status_code == 303 and response.location == "/staff/inventory"


# ---- thresholds --------------------------------------------------------------------------------

def test_a_threshold_marks_the_level_low_and_can_be_cleared(manager_client, tea):
    response = manager_client.post("/staff/inventory/threshold", data={
        "threshold-sku": "TEA-1", "threshold-threshold": "12",
        "threshold-warehouse": str(_main_id())})

    assert response.status_code == 303
    assert _level("TEA-1").threshold == 12 and _level("TEA-1").is_low
    assert "<code>TEA-1</code>" in manager_client.get("/staff/inventory?low=y").text

    manager_client.post("/staff/inventory/threshold", data={
        "threshold-sku": "TEA-1", "threshold-threshold": "",
        "threshold-warehouse": str(_main_id())})

    assert _level("TEA-1").threshold is None
    assert "<code>TEA-1</code>" not in manager_client.get("/staff/inventory?low=y").text


@pytest.mark.parametrize("value, message", [("-1", "Number must be between 0 and 1000000."),
                                            ("lots", "Not a valid integer value."),
                                            ("10000000000", "Number must be between 0")])
def test_bad_thresholds_are_refused(manager_client, tea, value, message):
    response = manager_client.post("/staff/inventory/threshold", data={
        "threshold-sku": "TEA-1", "threshold-threshold": value,
        "threshold-warehouse": str(_main_id())})

    assert response.status_code == 422 and message in response.text
    assert _level("TEA-1").threshold is None


# ---- warehouses and transfers ------------------------------------------------------------------

def test_units_move_between_warehouses_and_the_ledger_balances(manager_client, tea):
    added = manager_client.post("/staff/inventory/warehouses", data={
        "warehouse-code": "kandy", "warehouse-name": "Kandy store"})
    kandy = next(w for w in inventory.warehouses() if w.code == "KANDY")

    moved = manager_client.post("/staff/inventory/transfer", data={
        "transfer-sku": "TEA-1", "transfer-units": "4", "transfer-source": str(_main_id()),
        "transfer-target": str(kandy.id)})

    assert added.status_code == 303 and moved.status_code == 303
    assert _level("TEA-1").on_hand == 6 and _level("TEA-1", "KANDY").on_hand == 4
    assert inventory.available([tea.id]) == {tea.id: 10}
    assert inventory.ledger_problems() == []
    history = _text(manager_client.get(f"/staff/inventory/{tea.id}").text)
    assert "Transfer out" in history and "Transfer in" in history


@pytest.mark.parametrize("fields, message", [
    ({"transfer-units": "11"}, "Only 10 units can be moved from there."),
    ({"transfer-target": "MAIN"}, "Choose two different warehouses."),
    ({"transfer-units": "x"}, "Not a valid integer value."),
    ({"transfer-sku": "ZZZ"}, "No product variant has the SKU ZZZ."),
])
def test_bad_transfers_are_refused(manager_client, tea, fields, message):
    kandy = inventory.add_warehouse("KANDY", "Kandy store")
    data = {"transfer-sku": "TEA-1", "transfer-units": "4", "transfer-source": str(_main_id()),
            "transfer-target": str(kandy.id), **fields}
    if data["transfer-target"] == "MAIN":
        data["transfer-target"] = str(_main_id())

    response = manager_client.post("/staff/inventory/transfer", data=data)

    assert response.status_code == 422 and message in response.text
    assert _level("TEA-1").on_hand == 10 and _level("TEA-1", "KANDY") is None
    assert inventory.ledger_problems() == []


@pytest.mark.parametrize("code, name, status, message", [
    ("MAIN", "Again", 409, "A warehouse with code MAIN exists."),
    ("", "Nameless", 422, "This field is required."),
    ("X" * 21, "Long", 422, "Field cannot be longer than 20 characters."),
])
def test_bad_warehouses_are_refused(manager_client, tea, code, name, status, message):
    response = manager_client.post("/staff/inventory/warehouses", data={
        "warehouse-code": code, "warehouse-name": name})

    assert response.status_code == status and message in response.text
    assert len(inventory.warehouses()) == 1


# ---- a variant's page --------------------------------------------------------------------------

@pytest.mark.parametrize("variant_id", ["999999", "99999999999"])
def test_an_unknown_variant_is_404(manager_client, db_session, variant_id):
    assert manager_client.get(f"/staff/inventory/{variant_id}").status_code == 404


def test_a_sale_in_the_history_links_to_its_order_for_order_managers(client, sign_in_staff, tea):
    order = place_guest_order((tea, 2))
    from app.orders import services as orders

    orders.change_status(order.number, "shipped")
    sign_in_staff(make_staff("order_manager"))

    page = client.get(f"/staff/inventory/{tea.id}").text

    assert "Sale" in page and f'href="/staff/orders/{order.number}"' in page


def test_catalog_managers_see_the_sale_without_a_link_they_cannot_open(manager_client, tea):
    order = place_guest_order((tea, 2))
    from app.orders import services as orders

    orders.change_status(order.number, "shipped")

    page = manager_client.get(f"/staff/inventory/{tea.id}").text

    assert order.number in page and f'href="/staff/orders/{order.number}"' not in page


# ---- CSV export --------------------------------------------------------------------------------

def test_the_csv_export_lists_levels_with_the_same_filters(manager_client, tea):
    stocked("Coffee", units=2, sku="COF-1")
    place_guest_order((tea, 3))
    inventory.set_threshold(tea.id, 4)

    rows = _csv(manager_client.get("/staff/inventory.csv", buffered=True))
    only_tea = _csv(manager_client.get("/staff/inventory.csv?q=tea", buffered=True))

    assert rows[0] == ["sku", "product", "warehouse", "on_hand", "reserved", "available",
                       "threshold"]
    assert sorted(rows[1:]) == [["COF-1", "Coffee", "MAIN", "2", "0", "2", ""],
                                ["TEA-1", "Ceylon tea", "MAIN", "10", "3", "7", "4"]]
    assert [r[0] for r in only_tea[1:]] == ["TEA-1"]


def test_csv_cells_that_look_like_formulas_are_defused(manager_client, db_session):
    stocked("=HYPERLINK(\"http://evil\")", units=1, sku="EVIL-1")

    rows = _csv(manager_client.get("/staff/inventory.csv", buffered=True))

    assert rows[1][1] == "'=HYPERLINK(\"http://evil\")"


def test_the_csv_export_streams_every_batch(manager_client, db_session, monkeypatch):
    import app.backoffice.inventory as view

    monkeypatch.setattr(view, "CSV_BATCH", 2)
    for n in range(5):
        stocked(f"Tea {n}", units=1, sku=f"TEA-{n}")

    rows = _csv(manager_client.get("/staff/inventory.csv", buffered=True))

    assert sorted(r[0] for r in rows[1:]) == [f"TEA-{n}" for n in range(5)]


def test_htmx_gets_only_the_results_when_a_filter_changes(manager_client, tea):
    stocked("Coffee", units=2, sku="COF-1")

    response = manager_client.get("/staff/inventory", query_string={"q": "cof"},
                                  headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="stock-results"')
    assert "COF-1" in response.text and "TEA-1" not in response.text
