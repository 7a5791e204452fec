"""Promotions for staff, through the services: who may, each benefit, every rule on what is
entered, pausing and copying, voucher codes (named and generated), the codes' CSV, the audit
trail and what a promotion did."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import select

from app import db
from app.audit.models import AuditEntry
from app.errors import Forbidden, Invalid, NotFound
from app.i18n import COLOMBO
from app.promotions import admin
from app.promotions.models import Promotion, Redemption, VoucherCode
from tests.catalog.factories import make_category
from tests.checkout.factories import place_guest_order, stocked
from tests.factories import make_staff

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture()
def marketer(db_session):
    return make_staff("marketing")


def _data(**overrides) -> dict:
    data = {"name_en": "Avurudu sale", "benefit": "order_percent", "percent": 10}
    data.update(overrides)
    return data


def _entries(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                   .order_by(AuditEntry.id)))


# ---- who may -------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["support_agent", "catalog_manager", "order_manager"])
def test_staff_without_the_permission_are_refused_and_nothing_is_made(db_session, role):
    someone = make_staff(role)

    with pytest.raises(Forbidden):
        admin.create_promotion(someone, _data())
    with pytest.raises(Forbidden):
        admin.list_promotions(someone)

    assert db.session.scalar(select(Promotion)) is None


@pytest.mark.parametrize("role", ["marketing", "admin"])
def test_marketing_and_admins_may_create(db_session, role):
    promotion = admin.create_promotion(make_staff(role), _data())

    assert promotion.id and promotion.status(NOW) == "running"


def test_an_unknown_promotion_is_not_found(marketer):
    with pytest.raises(NotFound):
        admin.pause(marketer, 999)


# ---- each benefit --------------------------------------------------------------------------

def test_each_benefit_kind_is_saved_with_its_own_parameters(marketer):
    a, b = stocked("Tea"), stocked("Biscuits")

    made = {
        "line_percent": admin.create_promotion(marketer, _data(benefit="line_percent",
                                                               percent=15)),
        "line_fixed": admin.create_promotion(marketer, _data(benefit="line_fixed",
                                                             amount_cents=50_00)),
        "buy_x_get_y": admin.create_promotion(marketer, _data(
            benefit="buy_x_get_y", buy_quantity=2, get_quantity=1, percent=None)),
        "tiered": admin.create_promotion(marketer, _data(
            benefit="tiered", percent=None, tiers=[[2, 5], [5, 10]])),
        "bundle": admin.create_promotion(marketer, _data(
            benefit="bundle", percent=None, bundle_variant_ids=[a.id, b.id],
            amount_cents=1_500_00)),
        "order_percent": admin.create_promotion(marketer, _data()),
        "order_fixed": admin.create_promotion(marketer, _data(benefit="order_fixed",
                                                              percent=None,
                                                              amount_cents=200_00)),
        "delivery": admin.create_promotion(marketer, _data(benefit="delivery", percent=100)),
    }

    assert made["line_percent"].percent == 15
    assert made["line_fixed"].amount_cents == 50_00 and made["line_fixed"].percent is None
    assert (made["buy_x_get_y"].buy_quantity, made["buy_x_get_y"].get_quantity,
            made["buy_x_get_y"].percent) == (2, 1, 100)  # the Y are free unless said
    assert made["tiered"].tiers == [[2, 5], [5, 10]]
    assert made["bundle"].bundle_variant_ids == [a.id, b.id]
    assert made["bundle"].amount_cents == 1_500_00
    assert made["order_fixed"].amount_cents == 200_00
    assert made["delivery"].percent == 100 and made["delivery"].amount_cents is None


def test_changing_the_benefit_kind_clears_the_old_parameters(marketer):
    promotion = admin.create_promotion(marketer, _data(benefit="tiered", percent=None,
                                                       tiers=[[3, 10]]))

    admin.update_promotion(marketer, promotion.id, _data(benefit="order_fixed", percent=None,
                                                         amount_cents=100_00))

    assert promotion.tiers == [] and promotion.amount_cents == 100_00


# ---- what is refused -----------------------------------------------------------------------

BAD = [
    ({"name_en": "  "}, "name_en", "English name"),
    ({"benefit": "half_price"}, "benefit", "Pick what"),
    ({"percent": 0}, "percent", "1 to 100"),
    ({"percent": 101}, "percent", "1 to 100"),
    ({"percent": None}, "percent", "1 to 100"),
    ({"benefit": "order_fixed", "percent": None, "amount_cents": 0}, "amount_cents",
     "above zero"),
    ({"benefit": "line_fixed", "percent": None}, "amount_cents", "above zero"),
    ({"benefit": "buy_x_get_y", "buy_quantity": 0, "get_quantity": 1}, "buy_quantity",
     "from 1"),
    ({"benefit": "buy_x_get_y", "buy_quantity": 2}, "get_quantity", "from 1"),
    ({"benefit": "tiered", "tiers": []}, "tiers", "at least one tier"),
    ({"benefit": "tiered", "tiers": [[1, 10]]}, "tiers", "quantity from 2"),
    ({"benefit": "tiered", "tiers": [[2, 0]]}, "tiers", "percent from 1 to 100"),
    ({"benefit": "tiered", "tiers": [[5, 10], [3, 20]]}, "tiers", "in order"),
    ({"benefit": "tiered", "tiers": [[3, 10], [3, 20]]}, "tiers", "in order"),
    ({"benefit": "bundle", "bundle_variant_ids": [1], "amount_cents": 100}, "bundle_variant_ids",
     "two different"),
    ({"benefit": "delivery", "percent": None}, "percent", "free delivery"),
    ({"benefit": "delivery", "percent": 50, "amount_cents": 100}, "percent", "not both"),
    ({"starts_at": NOW, "ends_at": NOW}, "ends_at", "after the start"),
    ({"starts_at": NOW, "ends_at": NOW - dt.timedelta(days=1)}, "ends_at", "after the start"),
    ({"combines_with": ["line", "shipping"]}, "combines_with", "items, order and delivery"),
    ({"max_uses": 0}, "max_uses", "from 1"),
    ({"max_uses_per_customer": -1}, "max_uses_per_customer", "from 1"),
    ({"max_discount_cents": 0}, "max_discount_cents", "above zero"),
    ({"districts": ["colombo", "atlantis"]}, "districts", "districts from the list"),
    ({"product_ids": [987654]}, "product_ids", "products do not exist"),
    ({"variant_ids": [987654]}, "variant_ids", "variants do not exist"),
    ({"category_ids": [987654]}, "category_ids", "categories do not exist"),
    ({"segment_customer_ids": [987654]}, "segment_customer_ids", "customers do not exist"),
]


@pytest.mark.parametrize(("overrides", "field", "words"), BAD)
def test_bad_values_are_refused_on_their_field(marketer, overrides, field, words):
    with pytest.raises(Invalid) as refused:
        admin.create_promotion(marketer, _data(**overrides))

    assert refused.value.field == field
    assert words in str(refused.value.message)
    assert db.session.scalar(select(Promotion)) is None


def test_a_bundle_of_unknown_variants_is_refused(marketer):
    with pytest.raises(Invalid) as refused:
        admin.create_promotion(marketer, _data(benefit="bundle", bundle_variant_ids=[98, 99],
                                               amount_cents=100_00))

    assert refused.value.field == "bundle_variant_ids"


def test_conditions_naming_what_exists_are_kept(marketer):
    tea = stocked("Tea")
    drinks = make_category("drinks")

    promotion = admin.create_promotion(marketer, _data(
        product_ids=[tea.product_id], variant_ids=[tea.id], category_ids=[drinks.id],
        districts=["kandy", "colombo"], min_subtotal_cents=5_000_00, min_quantity=2,
        first_order_only=True, signed_in_only=True, segment_customer_ids=[marketer.id],
        combines_with=["delivery", "line"], max_uses=100, max_uses_per_customer=1,
        max_discount_cents=50_000_00, starts_at=NOW, ends_at=NOW + dt.timedelta(days=3)))

    assert promotion.districts == ["colombo", "kandy"]
    assert promotion.combines_with == ["line", "delivery"]
    assert promotion.category_ids == [drinks.id] and promotion.first_order_only


# ---- the list ------------------------------------------------------------------------------

def test_the_list_shows_each_status_and_filters_by_it(marketer):
    running = admin.create_promotion(marketer, _data(name_en="Running"))
    admin.pause(marketer, admin.create_promotion(marketer, _data(name_en="Paused")).id)
    admin.create_promotion(marketer, _data(name_en="Later",
                                           starts_at=NOW + dt.timedelta(days=2)))
    admin.create_promotion(marketer, _data(name_en="Over", starts_at=NOW - dt.timedelta(days=9),
                                           ends_at=NOW - dt.timedelta(days=2)))
    used_up = admin.create_promotion(marketer, _data(name_en="Used up", max_uses=1))
    used_up.uses_count = 1
    db.session.commit()

    statuses = {row.promotion.name_en: row.status for row in admin.list_promotions(marketer)}
    paused = admin.list_promotions(marketer, status="paused")

    assert statuses == {"Running": "running", "Paused": "paused", "Later": "scheduled",
                        "Over": "ended", "Used up": "exhausted"}
    assert [row.promotion.name_en for row in paused] == ["Paused"]
    assert [r.promotion.id for r in admin.list_promotions(marketer, q="runn")] == [running.id]
    with pytest.raises(Invalid):
        admin.list_promotions(marketer, status="sleeping")


# ---- pause, resume, duplicate --------------------------------------------------------------

def test_pause_and_resume(marketer):
    promotion = admin.create_promotion(marketer, _data())

    admin.pause(marketer, promotion.id)
    paused = promotion.status(dt.datetime.now(dt.UTC))
    admin.resume(marketer, promotion.id)

    assert paused == "paused" and promotion.status(dt.datetime.now(dt.UTC)) == "running"
    assert [e.details["changed"] for e in _entries("promotions.pause")] == [
        {"paused": [False, True]}]
    assert len(_entries("promotions.resume")) == 1


def test_a_duplicate_is_a_paused_copy_without_codes_or_uses(marketer):
    original = admin.create_promotion(marketer, _data(name_en="Welcome", max_uses=50,
                                                      districts=["galle"]))
    admin.add_code(marketer, original.id, "welcome10")
    original.uses_count, original.discount_given_cents = 7, 700_00
    db.session.commit()

    copy = admin.duplicate(marketer, original.id)

    assert copy.id != original.id and copy.name_en == "Welcome (copy)"
    assert copy.paused and copy.uses_count == 0 and copy.discount_given_cents == 0
    assert copy.codes == [] and copy.districts == ["galle"] and copy.max_uses == 50
    assert copy.requires_code  # never open to everyone by accident
    assert _entries("promotions.duplicate")[0].details == {"copied_from": original.id}


# ---- codes ---------------------------------------------------------------------------------

def test_a_named_code_is_stored_upper_case_and_then_required(marketer):
    promotion = admin.create_promotion(marketer, _data())

    code = admin.add_code(marketer, promotion.id, "  welcome-10 ", max_uses=100)

    assert code.code == "WELCOME-10" and code.max_uses == 100
    assert promotion.requires_code


@pytest.mark.parametrize("taken", ["WELCOME10", "welcome10", " Welcome10 "])
def test_a_code_already_used_by_any_promotion_is_refused(marketer, taken):
    first = admin.create_promotion(marketer, _data())
    second = admin.create_promotion(marketer, _data(name_en="Other"))
    admin.add_code(marketer, first.id, "welcome10")

    with pytest.raises(Invalid) as refused:
        admin.add_code(marketer, second.id, taken)

    assert refused.value.field == "code" and "already in use" in str(refused.value.message)
    assert not second.requires_code


@pytest.mark.parametrize("bad", ["AB", "WELCOME 10", "WELCOME_10", "SAVE%", "ÄBC",
                                 "X" * 33, ""])
def test_codes_with_bad_characters_or_length_are_refused(marketer, bad):
    promotion = admin.create_promotion(marketer, _data())

    with pytest.raises(Invalid) as refused:
        admin.add_code(marketer, promotion.id, bad)

    assert refused.value.field == "code"
    assert db.session.scalar(select(VoucherCode)) is None


def test_a_thousand_generated_codes_are_unique_and_unambiguous(marketer):
    promotion = admin.create_promotion(marketer, _data())

    made = admin.generate_codes(marketer, promotion.id, 1000, prefix="avu-", length=8)

    stored = list(db.session.scalars(select(VoucherCode.code).where(
        VoucherCode.promotion_id == promotion.id)))
    assert len(made.codes) == len(set(made.codes)) == len(stored) == 1000
    assert all(c.startswith("AVU-") and len(c) == 12 for c in stored)
    assert set("".join(c[4:] for c in stored)) <= set(admin.CODE_ALPHABET)
    assert not set("".join(c[4:] for c in stored)) & set("0O1IL")
    assert promotion.requires_code
    entry = _entries("promotions.codes_generate")[0]
    assert entry.details["count"] == 1000 and entry.details["batch"] == made.batch


def test_generated_codes_skip_codes_already_taken(marketer, monkeypatch):
    promotion = admin.create_promotion(marketer, _data())
    admin.add_code(marketer, promotion.id, "AAAAAA")
    drawn = iter(["AAAAAA", "BBBBBB", "CCCCCC"])
    monkeypatch.setattr(admin, "_random_code", lambda prefix, length: next(drawn))

    made = admin.generate_codes(marketer, promotion.id, 2, length=6)

    assert sorted(made.codes) == ["BBBBBB", "CCCCCC"]


def test_a_code_saved_by_someone_else_meanwhile_is_drawn_again(marketer, monkeypatch):
    promotion = admin.create_promotion(marketer, _data())
    admin.add_code(marketer, promotion.id, "AAAAAA")
    drawn = iter(["AAAAAA", "BBBBBB"])
    monkeypatch.setattr(admin, "_random_code", lambda prefix, length: next(drawn))
    monkeypatch.setattr(admin, "_taken", lambda codes: set())  # the check saw nothing yet

    made = admin.generate_codes(marketer, promotion.id, 1, length=6)

    assert made.codes == ["BBBBBB"]
    assert sorted(db.session.scalars(select(VoucherCode.code))) == ["AAAAAA", "BBBBBB"]


def test_a_named_code_saved_by_someone_else_meanwhile_is_refused(marketer, monkeypatch):
    promotion = admin.create_promotion(marketer, _data())
    admin.add_code(marketer, promotion.id, "WELCOME10")
    monkeypatch.setattr(admin, "_taken", lambda codes: set())

    with pytest.raises(Invalid) as refused:
        admin.add_code(marketer, promotion.id, "welcome10")

    assert refused.value.field == "code" and "already in use" in str(refused.value.message)
    assert db.session.scalars(select(VoucherCode.code)).all() == ["WELCOME10"]


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"count": 0}, "count"), ({"count": 10_001}, "count"), ({"prefix": "A B"}, "prefix"),
    ({"length": 3}, "length"), ({"max_uses": 0}, "max_uses")])
def test_bad_generation_requests_are_refused(marketer, kwargs, field):
    promotion = admin.create_promotion(marketer, _data())

    with pytest.raises(Invalid) as refused:
        admin.generate_codes(marketer, promotion.id, **{"count": 5, **kwargs})

    assert refused.value.field == field


def test_the_codes_csv_has_a_bom_and_no_formulas(marketer):
    promotion = admin.create_promotion(marketer, _data())
    admin.add_code(marketer, promotion.id, "-CMD-1", max_uses=3)
    admin.generate_codes(marketer, promotion.id, 3, max_uses=1, batch="=HYPERLINK(1)")

    text = b"".join(admin.export_codes(marketer, promotion.id)).decode("utf-8")

    assert text.startswith("\ufeffcode,max_uses,uses,batch,created_colombo")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[1][:3] == ["'-CMD-1", "3", "0"]
    assert all(row[3] == "'=HYPERLINK(1)" for row in rows[2:]) and len(rows) == 5
    created = dt.datetime.strptime(rows[1][4], "%Y-%m-%d %H:%M").replace(tzinfo=COLOMBO)
    assert abs(created - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=2)
    assert len(_entries("promotions.codes_export")) == 1


# ---- the audit trail -----------------------------------------------------------------------

def test_changes_are_audited_with_what_changed(marketer):
    promotion = admin.create_promotion(marketer, _data())

    admin.update_promotion(marketer, promotion.id, {**admin.data_of(promotion), "percent": 20,
                                                    "name_en": "Avurudu sale!"})
    admin.update_promotion(marketer, promotion.id, admin.data_of(promotion))  # no change

    created = _entries("promotions.create")
    updated = _entries("promotions.update")
    assert created[0].actor_id == marketer.id and created[0].details["values"]["percent"] == 10
    assert len(updated) == 1
    assert updated[0].details["changed"] == {"percent": [10, 20],
                                             "name_en": ["Avurudu sale", "Avurudu sale!"]}


def test_every_change_tells_the_engine(marketer, monkeypatch):
    told = []
    monkeypatch.setattr(admin, "_promotions_changed", lambda: told.append(1))

    promotion = admin.create_promotion(marketer, _data())
    admin.pause(marketer, promotion.id)
    admin.resume(marketer, promotion.id)
    admin.add_code(marketer, promotion.id, "HELLO")
    admin.generate_codes(marketer, promotion.id, 2)
    admin.duplicate(marketer, promotion.id)

    assert len(told) == 6


# ---- the report ----------------------------------------------------------------------------

def test_the_report_counts_redemptions_not_released(marketer):
    promotion = admin.create_promotion(marketer, _data())
    code = admin.add_code(marketer, promotion.id, "SAVE10")
    other = admin.add_code(marketer, promotion.id, "SAVE20")
    tea = stocked("Tea", units=20, price_cents=1_000_00)
    first, second, cancelled = (place_guest_order((tea, n)) for n in (1, 2, 3))
    day_one = dt.datetime(2026, 11, 30, 20, 0, tzinfo=dt.UTC)  # 1 Dec 01:30 in Colombo
    day_two = dt.datetime(2026, 12, 2, 5, 0, tzinfo=dt.UTC)
    db.session.add_all([
        Redemption(promotion_id=promotion.id, code_id=code.id, order_number=first.number,
                   amount_cents=100_00, created_at=day_one),
        Redemption(promotion_id=promotion.id, code_id=code.id, order_number=second.number,
                   amount_cents=200_00, created_at=day_two),
        Redemption(promotion_id=promotion.id, code_id=other.id, order_number=cancelled.number,
                   amount_cents=300_00, created_at=day_two, released_at=day_two),
    ])
    db.session.commit()

    report = admin.report(marketer, promotion.id)

    assert report.orders == 2 and report.discount_cents == 300_00
    assert report.revenue_cents == first.total_cents + second.total_cents
    assert [(d.day, d.uses, d.discount_cents) for d in report.by_day] == [
        (dt.date(2026, 12, 1), 1, 100_00), (dt.date(2026, 12, 2), 1, 200_00)]
    assert report.top_codes == [("SAVE10", 2)]


def test_an_unused_promotion_reports_zeros(marketer):
    promotion = admin.create_promotion(marketer, _data())

    report = admin.report(marketer, promotion.id)

    assert (report.orders, report.discount_cents, report.revenue_cents, report.by_day,
            report.top_codes) == (0, 0, 0, [], [])


# ---- the preview ---------------------------------------------------------------------------

def test_the_preview_prices_a_sample_cart_with_the_unsaved_promotion(marketer):
    stocked("Tea", sku="TEA-100", price_cents=1_000_00)
    saved = admin.create_promotion(marketer, _data(benefit="line_percent", percent=10))

    items = admin.sample_items("tea-100 3\n")
    priced = admin.preview(marketer, _data(benefit="line_percent", percent=25), items,
                           promotion_id=saved.id)

    assert priced.lines[0].discount_cents == 750_00
    assert priced.savings_cents == 750_00
    db.session.expire_all()
    assert db.session.get(Promotion, saved.id).percent == 10  # nothing saved
    assert db.session.scalar(select(Promotion).where(Promotion.percent == 25)) is None


def test_the_preview_ignores_the_window_and_the_code(marketer):
    stocked("Tea", sku="TEA-100", price_cents=1_000_00)
    data = _data(starts_at=NOW + dt.timedelta(days=10), ends_at=NOW + dt.timedelta(days=11))
    promotion = admin.create_promotion(marketer, data)
    admin.add_code(marketer, promotion.id, "LATER10")

    priced = admin.preview(marketer, admin.data_of(promotion), admin.sample_items("TEA-100 1"),
                           promotion_id=promotion.id)

    assert priced.discount_cents == 100_00


def test_a_free_delivery_preview_needs_a_delivery_option(marketer):
    from tests.checkout.factories import starter_delivery

    starter_delivery()
    stocked("Tea", sku="TEA-100", price_cents=1_000_00)

    priced = admin.preview(marketer, _data(benefit="delivery", percent=100),
                           admin.sample_items("TEA-100 1"), district="galle",
                           delivery_code="island-wide")

    assert priced.delivery is not None and priced.delivery.base_fee_cents > 0
    assert priced.delivery.fee_cents == 0


@pytest.mark.parametrize(("text", "words"), [
    ("", "at least one line"), ("GHOST 1", "GHOST"), ("TEA-100 0", "from 1 to 999"),
    ("TEA-100 two", "from 1 to 999"), ("TEA-100 1 2", "from 1 to 999")])
def test_a_bad_sample_cart_is_refused(marketer, text, words):
    stocked("Tea", sku="TEA-100")

    with pytest.raises(Invalid) as refused:
        admin.sample_items(text)

    assert refused.value.field == "sample" and words in str(refused.value.message)


def test_the_preview_is_for_marketing_only(db_session):
    with pytest.raises(Forbidden):
        admin.preview(make_staff("support_agent"), _data(), [])
