"""The phone-order desk: staff find the caller by phone or add them, fill a draft from a quick
search, choose address, delivery and payment, and place it as a phone order."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from app import db
from app.accounts import services as accounts
from app.audit.models import AuditEntry
from app.checkout import drafts
from app.checkout.models import Cart
from app.inventory import services as inventory
from app.orders import services as orders
from tests.checkout.factories import service_with_slot, starter_delivery, stocked
from tests.factories import make_address, make_customer, make_staff


@pytest.fixture()
def manager(db_session):
    return make_staff("order_manager")


@pytest.fixture()
def manager_client(client, manager, sign_in_staff):
    return sign_in_staff(manager)


@pytest.fixture()
def tea(db_session):
    starter_delivery()
    return stocked("Ceylon tea", units=10, price_cents=1_250_00, sku="TEA-1")


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _draft(draft_id: int) -> Cart:
    db.session.expire_all()
    return db.session.get(Cart, draft_id)


def _draft_id(response) -> int:
    assert response.status_code == 303, response.text[:500]
    return int(re.search(r"/staff/orders/drafts/(\d+)", response.headers["Location"]).group(1))


# ---- who gets in -------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["catalog_manager", "support_agent", "marketing"])
def test_only_people_who_take_orders_reach_the_desk(client, sign_in_staff, role, db_session):
    sign_in_staff(make_staff(role))

    assert client.get("/staff/orders/new").status_code == 403
    assert client.get("/staff/orders/drafts").status_code == 403
    assert client.post("/staff/orders/customers", data={"name": "x"}).status_code == 403


def test_the_orders_page_leads_to_the_desk_and_the_drafts(manager_client):
    page = manager_client.get("/staff/orders").text

    assert 'href="/staff/orders/new"' in page and 'href="/staff/orders/drafts"' in page


# ---- finding the caller ------------------------------------------------------------------------

def test_the_caller_is_found_by_their_mobile_number_however_it_is_typed(manager_client):
    nimal = make_customer(name="Nimal Perera", phone="+94771234567")
    make_customer(name="Someone Else", phone="+94719876543")

    page = _text(manager_client.get("/staff/orders/new",
                                    query_string={"phone": "077 123 4567"}).text)

    assert "Nimal Perera" in page and "Someone Else" not in page
    assert "1 customer with this number" in page
    assert "Take an order for Nimal Perera" in page
    assert nimal.email in page


def test_an_unknown_number_offers_to_add_the_customer_with_it_filled_in(manager_client):
    page = manager_client.get("/staff/orders/new", query_string={"phone": "0712223334"}).text

    assert "No customer has this number yet" in _text(page)
    assert 'value="0712223334"' in page and 'action="/staff/orders/customers"' in page


@pytest.mark.parametrize("phone, message", [
    ("", "Enter the caller's mobile number."),
    ("12345", "Enter a Sri Lankan mobile number"),
    ("+44 20 7946 0958", "Enter a Sri Lankan mobile number"),
])
def test_a_number_that_is_not_a_mobile_says_so(manager_client, phone, message):
    response = manager_client.get("/staff/orders/new", query_string={"phone": phone})

    assert response.status_code == 422
    assert message in response.text.replace("&#39;", "'")


def test_staff_add_a_new_caller_and_land_on_their_draft(manager_client, manager):
    response = manager_client.post("/staff/orders/customers", data={
        "name": "Kumari Bandara", "phone": "077 555 1234", "email": "Kumari@Example.lk",
        "locale": "si"})

    draft = db.session.get(Cart, _draft_id(response))
    customer = accounts.get_user(draft.customer_id)
    assert (customer.name, customer.phone, customer.email) == (
        "Kumari Bandara", "+94775551234", "kumari@example.lk")
    assert customer.password_hash is None and customer.locale == "si"
    assert (draft.kind, draft.staff_id, draft.user_id) == ("draft", manager.id, None)
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "account.created_by_staff"))
    assert (entry.actor_id, entry.target_id) == (manager.id, str(customer.id))
    assert "Kumari Bandara" not in str(entry.details)  # no PII in the audit log


@pytest.mark.parametrize("data, message", [
    ({"name": "", "phone": "0775551234", "email": "a@example.lk"}, "Enter the customer"),
    ({"name": "A", "phone": "0112345678", "email": "a@example.lk"}, "Sri Lankan mobile"),
    ({"name": "A", "phone": "0775551234", "email": "not-an-email"}, "valid email"),
    ({"name": "A", "phone": "0775551234", "email": "taken@example.lk"}, "already uses this"),
])
def test_a_new_customer_with_bad_details_is_refused_on_the_field(manager_client, data,
                                                                  message):
    make_customer(email="taken@example.lk")

    response = manager_client.post("/staff/orders/customers", data={**data, "locale": "en"})

    assert response.status_code == 422
    assert message in response.text.replace("&#39;", "'")
    assert db.session.scalar(select(Cart).where(Cart.kind == "draft")) is None


# ---- the draft ---------------------------------------------------------------------------------

@pytest.fixture()
def customer(db_session):
    customer = make_customer(name="Nimal Perera", phone="+94771234567")
    make_address(customer.id, line1="12 Temple Road", city="Kandy", district="kandy")
    return customer


@pytest.fixture()
def draft_id(manager_client, customer):
    return _draft_id(manager_client.post("/staff/orders/drafts",
                                         data={"customer_id": customer.id}))


def test_the_quick_search_finds_items_by_name_or_sku_with_stock(manager_client, draft_id, tea):
    stocked("Coffee", units=0, sku="COF-1")
    visit = service_with_slot("AC service visit")

    by_name = _text(manager_client.get(f"/staff/orders/drafts/{draft_id}/items",
                                       query_string={"q": "tea"}).text)
    by_sku = _text(manager_client.get(f"/staff/orders/drafts/{draft_id}/items",
                                      query_string={"q": "COF-1"}).text)
    service = manager_client.get(f"/staff/orders/drafts/{draft_id}/items",
                                 query_string={"q": "AC service"}, headers={"HX-Request": "true"})

    assert "Ceylon tea" in by_name and "10 in stock" in by_name
    assert "Coffee" in by_sku and "out of stock" in by_sku
    assert 'id="draft-found"' in service.text and "<html" not in service.text
    assert "1 free time" in _text(service.text) and 'name="slot_id"' in service.text
    assert visit is not None


def test_a_draft_holds_no_stock_and_lines_can_change(manager_client, draft_id, tea):
    added = manager_client.post(f"/staff/orders/drafts/{draft_id}/items",
                                data={"variant_id": tea.id, "quantity": 3})

    assert added.status_code == 303
    assert inventory.available([tea.id])[tea.id] == 10  # nothing held yet
    [line] = _draft(draft_id).lines
    manager_client.post(f"/staff/orders/drafts/{draft_id}/lines/{line.id}",
                        data={"quantity": 4})
    assert _draft(draft_id).lines[0].quantity == 4
    too_many = manager_client.post(f"/staff/orders/drafts/{draft_id}/lines/{line.id}",
                                   data={"quantity": 11})
    assert too_many.status_code == 409 and "Only 10 left in stock" in too_many.text
    manager_client.post(f"/staff/orders/drafts/{draft_id}/lines/{line.id}",
                        data={"quantity": 0})
    assert _draft(draft_id).lines == []


def test_adding_more_than_is_in_stock_says_so(manager_client, draft_id, tea):
    response = manager_client.post(f"/staff/orders/drafts/{draft_id}/items",
                                   data={"variant_id": tea.id, "quantity": 12},
                                   follow_redirects=True)

    assert "Only 10 left in stock" in response.text
    assert _draft(draft_id).lines == []


def _details(**overrides):
    data = {"address_choice": "", "delivery_option": "island-wide", "payment_method": "cod",
            "locale": "en", "discount_kind": "", "action": "save"}
    data.update(overrides)
    return data


def test_a_saved_draft_keeps_its_details_and_waits_in_the_list(manager_client, draft_id, tea,
                                                               customer):
    address = customer_address(customer)
    manager_client.post(f"/staff/orders/drafts/{draft_id}/items",
                        data={"variant_id": tea.id, "quantity": 2})

    saved = manager_client.post(f"/staff/orders/drafts/{draft_id}/details",
                                data=_details(address_choice=str(address.id),
                                              note="Call before coming"))
    page = manager_client.get(f"/staff/orders/drafts/{draft_id}").text
    listing = _text(manager_client.get("/staff/orders/drafts").text)

    assert saved.status_code == 303
    assert re.search(rf'<input checked[^>]*value="{address.id}"', page)
    assert "Call before coming" in page
    assert "Nimal Perera" in listing and "Rs. 2,850.00" in listing  # 2 × 1,250 + 350


def customer_address(customer):
    from app.accounts import addresses

    return addresses.list_addresses(customer.id)[0]


def test_placing_the_draft_makes_a_phone_order_for_the_customer(manager_client, manager,
                                                                draft_id, tea, customer):
    address = customer_address(customer)
    manager_client.post(f"/staff/orders/drafts/{draft_id}/items",
                        data={"variant_id": tea.id, "quantity": 2})

    response = manager_client.post(f"/staff/orders/drafts/{draft_id}/details", data=_details(
        address_choice=str(address.id), action="place", note="Leave with the neighbour"))

    assert response.status_code == 303
    number = response.headers["Location"].rsplit("/", 1)[-1]
    order = orders.find_by_number(number)
    assert (order.channel, order.user_id, order.district) == ("phone", customer.id, "kandy")
    assert order.contact_phone == "+94771234567"
    assert (order.events[0].actor_kind, order.events[0].actor_id) == ("staff", manager.id)
    assert [e.note for e in order.events if e.kind == "note"] == ["Leave with the neighbour"]
    assert inventory.available([tea.id])[tea.id] == 8
    assert _draft(draft_id).status == "ordered"
    # The second press of the button finds the same order, and the draft is gone.
    again = manager_client.post(f"/staff/orders/drafts/{draft_id}/details",
                                data=_details(address_choice=str(address.id), action="place"))
    assert again.status_code == 404
    assert "Phone order" in _text(manager_client.get(f"/staff/orders/{number}").text)


def test_a_new_address_for_a_caller_from_kandy(manager_client, draft_id, tea):
    manager_client.post(f"/staff/orders/drafts/{draft_id}/items",
                        data={"variant_id": tea.id, "quantity": 1})

    response = manager_client.post(f"/staff/orders/drafts/{draft_id}/details", data=_details(
        address_choice="new", recipient="Nimal Perera", address_phone="081 222 3344",
        line1="7 Peradeniya Road", city="Kandy", district="kandy", action="place"))

    number = response.headers["Location"].rsplit("/", 1)[-1]
    order = orders.find_by_number(number)
    assert (order.ship_line1, order.district, order.ship_phone) == (
        "7 Peradeniya Road", "kandy", "+94812223344")


@pytest.mark.parametrize("overrides, message", [
    ({"payment_method": ""}, "Choose how the customer pays."),
    ({"address_choice": "new", "line1": "", "district": "kandy"}, "Fill in the address."),
    ({"delivery_option": "no-such"}, "Choose a delivery option"),
])
def test_placing_without_what_the_order_needs_says_what_is_missing(manager_client, draft_id,
                                                                    tea, overrides, message):
    manager_client.post(f"/staff/orders/drafts/{draft_id}/items",
                        data={"variant_id": tea.id, "quantity": 1})

    response = manager_client.post(f"/staff/orders/drafts/{draft_id}/details", data=_details(
        address_choice="new", recipient="N", address_phone="0812223344", line1="7 Road",
        city="Kandy", district="kandy", action="place") | overrides)

    assert response.status_code == 422
    assert message in response.text
    assert _draft(draft_id).status == "open"


def test_an_empty_draft_cannot_be_placed(manager_client, draft_id):
    response = manager_client.post(f"/staff/orders/drafts/{draft_id}/details",
                                   data=_details(action="place"))

    assert response.status_code == 422
    assert "Your cart is empty." in response.text


def test_an_order_manager_cannot_give_a_discount(manager_client, draft_id, tea):
    manager_client.post(f"/staff/orders/drafts/{draft_id}/items",
                        data={"variant_id": tea.id, "quantity": 1})
    page = manager_client.get(f"/staff/orders/drafts/{draft_id}").text

    response = manager_client.post(f"/staff/orders/drafts/{draft_id}/details", data=_details(
        discount_kind="amount", discount_value="100", discount_reason="Friend"))

    assert 'name="discount_kind"' not in page  # the field is not offered
    assert response.status_code == 403
    assert drafts.details(_draft(draft_id)).discount is None


def test_an_admin_gives_a_discount_with_a_reason_and_it_is_audited(client, sign_in_staff,
                                                                  customer, tea):
    admin = make_staff("admin")
    sign_in_staff(admin)
    draft_id = _draft_id(client.post("/staff/orders/drafts", data={"customer_id": customer.id}))
    client.post(f"/staff/orders/drafts/{draft_id}/items",
                data={"variant_id": tea.id, "quantity": 2})
    address = customer_address(customer)

    no_reason = client.post(f"/staff/orders/drafts/{draft_id}/details", data=_details(
        address_choice=str(address.id), discount_kind="percent", discount_value="10"))
    placed = client.post(f"/staff/orders/drafts/{draft_id}/details", data=_details(
        address_choice=str(address.id), discount_kind="percent", discount_value="10",
        discount_reason="Late delivery last month", action="place"))

    assert no_reason.status_code == 422 and "Say why you are giving" in no_reason.text
    order = orders.find_by_number(placed.headers["Location"].rsplit("/", 1)[-1])
    assert order.discount_cents == 250_00
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "orders.discount"))
    assert entry.details["reason"] == "Late delivery last month"
    assert entry.actor_id == admin.id


def test_a_discarded_draft_is_gone(manager_client, draft_id):
    response = manager_client.post(f"/staff/orders/drafts/{draft_id}/discard")

    assert response.status_code == 303
    assert manager_client.get(f"/staff/orders/drafts/{draft_id}").status_code == 404
    assert "No drafts are waiting." in manager_client.get("/staff/orders/drafts").text


def test_a_shoppers_cart_is_not_a_draft(manager_client, customer, tea):
    from app.checkout import cart as carts

    cart = carts.open_cart(user_id=customer.id)

    assert manager_client.get(f"/staff/orders/drafts/{cart.id}").status_code == 404


# ---- what a tampered form sends ----------------------------------------------------------------

# str.isdigit() takes "²" (int() refuses it) and "٣" (Arabic-Indic 3, read as an id); a number
# past the database's integer overflows the query. None of them is an id of ours.
NOT_IDS = ["²", "٣", "99999999999999999999"]


@pytest.mark.parametrize("value", NOT_IDS)
def test_a_customer_id_that_is_no_id_sends_staff_back_to_choose(manager_client, value):
    response = manager_client.post("/staff/orders/drafts", data={"customer_id": value},
                                   follow_redirects=True)

    assert response.status_code == 200
    assert "Choose the customer again." in response.text
    assert db.session.scalar(select(Cart).where(Cart.kind == "draft")) is None


@pytest.mark.parametrize("value", NOT_IDS)
def test_an_address_choice_that_is_no_id_is_refused_on_its_field(manager_client, draft_id,
                                                                 tea, value):
    manager_client.post(f"/staff/orders/drafts/{draft_id}/items",
                        data={"variant_id": tea.id, "quantity": 1})
    response = manager_client.post(f"/staff/orders/drafts/{draft_id}/details",
                                   data=_details(address_choice=value))

    assert response.status_code == 422
    assert "Choose one of the customer's addresses." in unescape(response.text)
    assert drafts.details(_draft(draft_id)).address_id is None
