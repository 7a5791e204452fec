"""Promotions in the back office: who gets in, the list and its status filter, the form for
each benefit (rupees to cents, Colombo time to UTC, SKUs to ids), every error on its field,
pause / resume / duplicate, voucher codes and their CSV, and the report."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time

import pytest
from sqlalchemy import select

from app import db
from app.accounts import sessions
from app.audit.models import AuditEntry
from app.promotions import admin
from app.promotions.models import Promotion, Redemption, VoucherCode
from tests.catalog.factories import make_category
from tests.checkout.factories import place_guest_order, stocked
from tests.factories import make_customer, make_staff

PAGES = ["/staff/promotions", "/staff/promotions/new", "/staff/promotions/{id}",
         "/staff/promotions/{id}/edit", "/staff/promotions/{id}/codes.csv"]
POSTS = ["/staff/promotions/new", "/staff/promotions/{id}/edit",
         "/staff/promotions/{id}/pause", "/staff/promotions/{id}/duplicate",
         "/staff/promotions/{id}/codes", "/staff/promotions/{id}/codes/generate"]


@pytest.fixture()
def marketer(db_session):
    return make_staff("marketing")


@pytest.fixture()
def marketing_client(client, marketer, sign_in_staff):
    return sign_in_staff(marketer)


@pytest.fixture()
def promotion(marketer):
    return admin.create_promotion(marketer, {"name_en": "Avurudu sale",
                                             "benefit": "order_percent", "percent": 10})


def _form(**overrides) -> dict:
    data = {"name_en": "Avurudu sale", "name_si": "අවුරුදු අලෙවිය", "name_ta": "",
            "benefit": "order_percent", "percent": "10", "priority": "0",
            "is_public": "y"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _only() -> Promotion:
    return db.session.scalar(select(Promotion).order_by(Promotion.id.desc()))


# ---- who gets in -----------------------------------------------------------------------------

@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_are_sent_to_the_staff_sign_in(client, promotion, path):
    response = client.get(path.format(id=promotion.id))

    assert response.status_code == 303
    assert response.location.startswith("/staff/login?next=/staff/promotions")


def test_a_signed_in_customer_is_sent_to_the_staff_sign_in(client, promotion, login):
    login(make_customer())

    response = client.get("/staff/promotions")

    assert response.status_code == 303 and response.location.startswith("/staff/login")


@pytest.mark.parametrize("role", ["support_agent", "catalog_manager", "order_manager"])
@pytest.mark.parametrize("path", PAGES)
def test_staff_without_the_permission_get_403(client, promotion, sign_in_staff, role, path):
    sign_in_staff(make_staff(role))

    assert client.get(path.format(id=promotion.id)).status_code == 403


@pytest.mark.parametrize("role", ["support_agent", "catalog_manager"])
@pytest.mark.parametrize("path", POSTS)
def test_writes_without_the_permission_change_nothing(client, promotion, sign_in_staff, role,
                                                      path):
    sign_in_staff(make_staff(role))

    response = client.post(path.format(id=promotion.id),
                           data=_form(name_en="Hacked", code="HACK10", count="5"))

    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.scalars(select(Promotion.name_en)).all() == ["Avurudu sale"]
    assert db.session.scalar(select(VoucherCode)) is None
    assert not db.session.get(Promotion, promotion.id).paused


@pytest.mark.parametrize("role", ["marketing", "admin"])
def test_marketing_and_admins_see_promotions_in_the_menu(client, promotion, sign_in_staff,
                                                          role):
    sign_in_staff(make_staff(role))

    page = client.get("/staff/promotions")

    assert page.status_code == 200
    assert 'href="/staff/promotions" aria-current="page"' in page.text
    assert "Avurudu sale" in page.text and "running" in page.text


def test_others_have_no_promotions_in_the_menu(client, db_session, sign_in_staff):
    sign_in_staff(make_staff("order_manager"))

    assert 'href="/staff/promotions"' not in client.get("/staff/").text


# ---- the list --------------------------------------------------------------------------------

def test_the_list_filters_by_status(marketing_client, marketer):
    admin.create_promotion(marketer, {"name_en": "Still on", "benefit": "order_percent",
                                      "percent": 5})
    admin.pause(marketer, admin.create_promotion(
        marketer, {"name_en": "Held back", "benefit": "order_percent", "percent": 5}).id)

    paused = marketing_client.get("/staff/promotions?status=paused").text
    everything = marketing_client.get("/staff/promotions").text

    assert "Held back" in paused and "Still on" not in paused
    assert "Held back" in everything and "Still on" in everything
    assert marketing_client.get("/staff/promotions?status=asleep").status_code == 422


def test_an_htmx_filter_gets_only_the_results(marketing_client, promotion):
    response = marketing_client.get("/staff/promotions?q=avurudu",
                                    headers={"HX-Request": "true"})

    assert response.text.lstrip().startswith('<div id="promotion-results">')
    assert "Avurudu sale" in response.text


# ---- creating each benefit -------------------------------------------------------------------

def test_creating_a_promotion_with_conditions_and_limits(marketing_client, marketer):
    tea = stocked("Tea", sku="TEA-100")
    stocked("Biscuits", sku="BIS-200")
    drinks = make_category("drinks")

    response = marketing_client.post("/staff/promotions/new", data=_form(
        benefit="line_percent", percent="15", description_en="On all tea",
        starts_at="2026-12-24T00:00", ends_at="2027-01-01T00:00",
        min_subtotal="2,500.50", min_quantity="2", categories=[str(drinks.id)],
        products="tea-100\n", variants="bis-200\nTEA-100", districts=["kandy", "colombo"],
        first_order_only="y", segment=f"{marketer.id}", exclusive="y",
        combines_with=["delivery"], max_uses="500", max_uses_per_customer="1",
        max_discount="100000"))

    promotion = _only()
    assert response.status_code == 303
    assert response.location == f"/staff/promotions/{promotion.id}"
    assert promotion.percent == 15 and promotion.min_subtotal_cents == 2_500_50
    # Colombo is UTC+5:30: midnight there is 18:30 the day before in UTC.
    assert promotion.starts_at == dt.datetime(2026, 12, 23, 18, 30, tzinfo=dt.UTC)
    assert promotion.ends_at == dt.datetime(2026, 12, 31, 18, 30, tzinfo=dt.UTC)
    assert promotion.product_ids == [tea.product_id]
    assert len(promotion.variant_ids) == 2 and tea.id in promotion.variant_ids
    assert promotion.category_ids == [drinks.id]
    assert promotion.districts == ["colombo", "kandy"]
    assert promotion.segment_customer_ids == [marketer.id]
    assert promotion.exclusive and promotion.combines_with == ["delivery"]
    assert promotion.max_discount_cents == 100_000_00 and promotion.name_ta is None
    page = marketing_client.get(response.location).text
    assert "Promotion “Avurudu sale” saved." in page and "scheduled" in page


@pytest.mark.parametrize(("fields", "check"), [
    ({"benefit": "line_fixed", "percent": "", "amount": "50"},
     lambda p: p.amount_cents == 50_00),
    ({"benefit": "buy_x_get_y", "percent": "", "buy_quantity": "2", "get_quantity": "1"},
     lambda p: (p.buy_quantity, p.get_quantity, p.percent) == (2, 1, 100)),
    ({"benefit": "tiered", "percent": "", "tiers": "3 10\n6 15%\n"},
     lambda p: p.tiers == [[3, 10], [6, 15]]),
    ({"benefit": "order_fixed", "percent": "", "amount": "1,000"},
     lambda p: p.amount_cents == 1_000_00),
    ({"benefit": "order_percent", "percent": "12"}, lambda p: p.percent == 12),
    ({"benefit": "delivery", "percent": "100"}, lambda p: p.percent == 100),
    ({"benefit": "delivery", "percent": "", "amount": "150"},
     lambda p: p.amount_cents == 150_00 and p.percent is None),
])
def test_each_benefit_kind_can_be_created(marketing_client, fields, check):
    response = marketing_client.post("/staff/promotions/new", data=_form(**fields))

    assert response.status_code == 303, response.text[:2000]
    assert check(_only())


def test_a_bundle_is_made_from_skus(marketing_client):
    tea, biscuits = stocked("Tea", sku="TEA-100"), stocked("Biscuits", sku="BIS-200")

    response = marketing_client.post("/staff/promotions/new", data=_form(
        benefit="bundle", percent="", bundle_skus="TEA-100\nbis-200", amount="1500"))

    assert response.status_code == 303
    assert _only().bundle_variant_ids == [tea.id, biscuits.id]
    assert _only().amount_cents == 1_500_00


# ---- errors on their fields ------------------------------------------------------------------

def _error_of(page: str, field_id: str) -> str:
    start = page.index(f'id="{field_id}-error"')
    return page[start:page.index("</small>", start)]


@pytest.mark.parametrize(("fields", "field_id", "words"), [
    ({"name_en": ""}, "name_en", "required"),
    ({"percent": "0"}, "percent", "Number must be between 1 and 100."),
    ({"percent": ""}, "percent", "percent from 1 to 100"),
    ({"benefit": "order_fixed", "percent": "", "amount": "0"}, "amount", "above zero"),
    ({"benefit": "order_fixed", "amount": "12.345"}, "amount", ""),
    ({"benefit": "buy_x_get_y", "percent": "", "buy_quantity": "2"}, "get_quantity",
     "from 1"),
    ({"benefit": "tiered", "percent": "", "tiers": "5 10\n3 20"}, "tiers", "in order"),
    ({"benefit": "tiered", "percent": "", "tiers": "five ten"}, "tiers", "like 3 10"),
    ({"benefit": "tiered", "percent": "", "tiers": ""}, "tiers", "at least one tier"),
    ({"benefit": "bundle", "percent": "", "bundle_skus": "NOPE-1", "amount": "100"},
     "bundle_skus", "NOPE-1"),
    ({"benefit": "delivery", "percent": "50", "amount": "100"}, "percent", "not both"),
    ({"starts_at": "2026-12-24T10:00", "ends_at": "2026-12-24T09:00"}, "ends_at",
     "after the start"),
    ({"starts_at": "tomorrow"}, "starts_at", ""),
    ({"max_uses": "0"}, "max_uses", "at least 1"),
    ({"max_discount": "0"}, "max_discount", "above zero"),
    ({"variants": "GHOST-9"}, "variants", "GHOST-9"),
    ({"products": "no-such-product"}, "products", "no-such-product"),
    ({"segment": "12\nabc"}, "segment", "whole numbers"),
    ({"segment": "99999"}, "segment", "customers do not exist"),
    # str.isdigit() takes "²"; int() refuses it
    ({"segment": "12\n²"}, "segment", "whole numbers"),
    ({"benefit": "tiered", "percent": "", "tiers": "3 ²"}, "tiers", "like 3 10"),
    ({"districts": ["atlantis"]}, "districts", "not a valid choice"),
])
def test_each_error_shows_on_its_field(marketing_client, fields, field_id, words):
    response = marketing_client.post("/staff/promotions/new", data=_form(**fields))

    assert response.status_code == 422
    assert words in _error_of(response.text, field_id)
    assert db.session.scalar(select(Promotion)) is None


def test_editing_shows_the_saved_values_and_saves_changes(marketing_client, promotion):
    tea = stocked("Tea", sku="TEA-100")
    admin.update_promotion(None, promotion.id, {
        **admin.data_of(promotion), "variant_ids": [tea.id],
        "starts_at": dt.datetime(2026, 12, 23, 18, 30, tzinfo=dt.UTC)})

    page = marketing_client.get(f"/staff/promotions/{promotion.id}/edit").text
    response = marketing_client.post(f"/staff/promotions/{promotion.id}/edit",
                                     data=_form(percent="20", variants="TEA-100"))

    assert 'value="2026-12-24T00:00"' in page and "TEA-100</textarea>" in page
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Promotion, promotion.id).percent == 20
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "promotions.update").order_by(AuditEntry.id.desc())).first()
    assert entry.details["changed"]["percent"] == [10, 20]


# ---- pause, resume, duplicate ----------------------------------------------------------------

def test_pause_resume_and_duplicate(marketing_client, promotion):
    paused = marketing_client.post(f"/staff/promotions/{promotion.id}/pause",
                                   follow_redirects=True)
    db.session.expire_all()
    was_paused = db.session.get(Promotion, promotion.id).paused
    resumed = marketing_client.post(f"/staff/promotions/{promotion.id}/resume",
                                    follow_redirects=True)
    copied = marketing_client.post(f"/staff/promotions/{promotion.id}/duplicate")

    assert was_paused and "is paused" in paused.text and 'value="Resume"' not in paused.text
    assert ">Resume</button>" in paused.text
    assert "is on again" in resumed.text and ">Pause</button>" in resumed.text
    db.session.expire_all()
    copy = _only()
    assert copied.status_code == 303 and copied.location == f"/staff/promotions/{copy.id}"
    assert copy.name_en == "Avurudu sale (copy)" and copy.paused
    assert not db.session.get(Promotion, promotion.id).paused


def test_pause_is_a_post(marketing_client, promotion):
    assert marketing_client.get(f"/staff/promotions/{promotion.id}/pause").status_code == 405


# ---- codes -----------------------------------------------------------------------------------

def test_adding_a_code(marketing_client, promotion):
    response = marketing_client.post(f"/staff/promotions/{promotion.id}/codes",
                                     data={"code": " welcome10 ", "max_uses": "100"},
                                     follow_redirects=True)

    assert "Code WELCOME10 added." in response.text and "<code>WELCOME10</code>" in response.text
    assert db.session.scalar(select(VoucherCode.code)) == "WELCOME10"


@pytest.mark.parametrize(("code", "words"), [
    ("Welcome10", "already in use"), ("WELCOME 10", "letters A–Z"), ("ab", "letters A–Z"),
    ("", "required")])
def test_bad_or_taken_codes_show_on_the_code_field(marketing_client, marketer, promotion,
                                                   code, words):
    other = admin.create_promotion(marketer, {"name_en": "Other", "benefit": "order_percent",
                                              "percent": 5})
    admin.add_code(marketer, other.id, "WELCOME10")

    response = marketing_client.post(f"/staff/promotions/{promotion.id}/codes",
                                     data={"code": code})

    assert response.status_code == 422
    assert words in _error_of(response.text, "code")
    assert db.session.scalar(select(VoucherCode).where(
        VoucherCode.promotion_id == promotion.id)) is None


def test_generating_codes_and_downloading_them(marketing_client, promotion):
    response = marketing_client.post(f"/staff/promotions/{promotion.id}/codes/generate",
                                     data={"count": "60", "prefix": "avu-", "length": "8",
                                           "uses_each": "1", "batch": "=flyers"},
                                     follow_redirects=True)
    export = marketing_client.get(f"/staff/promotions/{promotion.id}/codes.csv", buffered=True)

    assert "60 codes made in batch =flyers." in response.text
    assert "The first 20 of 60 codes" in response.text
    assert export.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in export.headers["Content-Disposition"]
    raw = export.data
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["code", "max_uses", "uses", "batch", "created_colombo"]
    assert len(rows) == 61 and all(r[0].startswith("AVU-") and r[3] == "'=flyers"
                                   for r in rows[1:])


def test_generating_too_many_codes_is_refused_on_the_field(marketing_client, promotion):
    response = marketing_client.post(f"/staff/promotions/{promotion.id}/codes/generate",
                                     data={"count": "10001", "length": "8"})

    assert response.status_code == 422 and "between 1 and 10000" in _error_of(
        response.text, "count")


# ---- the report ------------------------------------------------------------------------------

def test_the_report_on_the_promotion_page(marketing_client, marketer, promotion):
    code = admin.add_code(marketer, promotion.id, "SAVE10")
    tea = stocked("Tea", units=10, price_cents=1_000_00)
    order = place_guest_order((tea, 2))
    db.session.add(Redemption(promotion_id=promotion.id, code_id=code.id,
                              order_number=order.number, amount_cents=200_00,
                              created_at=dt.datetime(2026, 12, 1, 4, 0, tzinfo=dt.UTC)))
    db.session.commit()

    page = marketing_client.get(f"/staff/promotions/{promotion.id}").text

    assert "2026-12-01" in page and "Rs. 200.00" in page
    assert f"{order.total_cents // 100:,}" in page
    assert "<code>SAVE10</code> · 1 use" in page


# ---- the preview -----------------------------------------------------------------------------

def test_the_preview_shows_the_priced_sample_without_saving(marketing_client, promotion):
    stocked("Tea", sku="TEA-100", price_cents=1_000_00)

    response = marketing_client.post(f"/staff/promotions/{promotion.id}/preview",
                                     data=_form(percent="20", sample="TEA-100 2"))

    assert response.status_code == 200
    assert "Rs. 2,000.00" in response.text and "Rs. 400.00" in response.text  # 20% off
    assert "Rs. 1,600.00" in response.text
    assert 'value="20"' in response.text  # the form keeps what was typed, unsaved
    db.session.expire_all()
    assert db.session.get(Promotion, promotion.id).percent == 10


def test_an_htmx_preview_gets_only_the_preview_section(marketing_client):
    stocked("Tea", sku="TEA-100", price_cents=1_000_00)

    response = marketing_client.post("/staff/promotions/new/preview",
                                     data=_form(sample="TEA-100 1"),
                                     headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<fieldset id="promo-preview"')
    assert "Rs. 100.00" in response.text
    assert db.session.scalar(select(Promotion)) is None


def test_a_bad_sample_shows_on_the_sample_field(marketing_client):
    response = marketing_client.post("/staff/promotions/new/preview",
                                     data=_form(sample="GHOST 1"))

    assert response.status_code == 422 and "GHOST" in _error_of(response.text, "sample")


def test_a_sample_quantity_in_other_digits_shows_on_the_sample_field(marketing_client):
    # str.isdigit() takes "²", which int() refuses
    response = marketing_client.post("/staff/promotions/new/preview",
                                     data=_form(sample="TEA-100 ²"))

    assert response.status_code == 422
    assert "a space and a quantity" in _error_of(response.text, "sample")


def test_the_edit_page_has_a_preview(marketing_client, promotion):
    page = marketing_client.get(f"/staff/promotions/{promotion.id}/edit").text

    assert 'id="promo-preview"' in page
    assert f'formaction="/staff/promotions/{promotion.id}/preview#promo-preview"' in page


# ---- CSRF, as in production ------------------------------------------------------------------

def test_every_form_on_the_promotion_page_needs_its_csrf_token(make_app, marketer, promotion):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session["staff_2fa"] = sessions.start(
            marketer, kind=sessions.STAFF).session_key
        session["_fresh"] = True
        session["staff_seen"] = int(time.time())
    page = client.get(f"/staff/promotions/{promotion.id}").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

    without = client.post(f"/staff/promotions/{promotion.id}/pause")
    code_without = client.post(f"/staff/promotions/{promotion.id}/codes",
                               data={"code": "NOTOKEN"})
    paused = client.post(f"/staff/promotions/{promotion.id}/pause",
                         data={"csrf_token": token})
    coded = client.post(f"/staff/promotions/{promotion.id}/codes",
                        data={"csrf_token": token, "code": "WITHTOKEN"})

    assert without.status_code == 400 and code_without.status_code == 400
    assert paused.status_code == 303 and coded.status_code == 303
    assert db.session.scalars(select(VoucherCode.code)).all() == ["WITHTOKEN"]


# ---- the form round-trips what is saved -------------------------------------------------------

def _form_values(page: str) -> dict:
    """What a browser would post for the form as shown (inputs, ticked boxes, selected
    options and text areas of the promotion form)."""
    form = page[page.index('class="promo-form"'):page.index("</form>", page.index(
        'class="promo-form"'))]
    data: dict = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or 'type="submit"' in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        if 'type="checkbox"' in tag:
            if "checked" in tag:
                data.setdefault(name[1], []).append(value[1] if value else "y")
        else:
            data[name[1]] = value[1] if value else ""
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', form):
        data[name] = body.lstrip("\r\n")
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        picked = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected',
                           body)
        if picked:
            data[name] = picked[1] or picked[2]
    return {k: v.replace("&#34;", '"').replace("&amp;", "&") if isinstance(v, str) else v
            for k, v in data.items()}


def test_every_demo_promotion_saves_unchanged_from_its_form(marketing_client):
    from app.promotions.demo import load_demo_promotions

    make_category("groceries")
    make_category("tea-spices", parent="groceries")
    load_demo_promotions()
    before = {p.id: admin.data_of(p) for p in db.session.scalars(select(Promotion))}

    for promotion_id in before:
        page = marketing_client.get(f"/staff/promotions/{promotion_id}/edit").text
        response = marketing_client.post(f"/staff/promotions/{promotion_id}/edit",
                                         data=_form_values(page))
        assert response.status_code == 303, response.text[:3000]

    db.session.expire_all()
    assert len(before) == 3
    assert {p.id: admin.data_of(p) for p in db.session.scalars(select(Promotion))} == before
    assert db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "promotions.update")).all() == []


def test_an_htmx_preview_names_the_other_fields_to_fix(marketing_client):
    stocked("Tea", sku="TEA-100")

    response = marketing_client.post("/staff/promotions/new/preview",
                                     data=_form(name_en="", percent="500", sample="TEA-100 1"),
                                     headers={"HX-Request": "true"})

    assert response.status_code == 422
    assert response.text.lstrip().startswith('<fieldset id="promo-preview"')
    assert '<a href="#name_en">Name (English)</a>: This field is required.' in response.text
    assert '<a href="#percent">Percent off</a>' in response.text
