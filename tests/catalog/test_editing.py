"""Writing the catalog as staff do: permissions, rules, slugs, prices, variants, the category
tree, slots. Every write is audited."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.catalog import booking_slots, editing, inputs, staff_search
from app.catalog.inputs import ProductDetails, ProductInput, VariantInput
from app.catalog.models import Product, Variant
from app.db import utcnow
from app.errors import Conflict, Forbidden, Invalid, NotFound
from tests.catalog.factories import make_category, make_product
from tests.factories import make_staff


def _details(product, **changes) -> ProductDetails:
    fields = {name: getattr(product, name) for name in (
        "name_en", "kind", "name_si", "name_ta", "description_en", "description_si",
        "description_ta", "brand", "is_featured", "duration_minutes", "status")}
    fields["category_slug"] = product.category.slug if product.category else None
    return ProductDetails(**{**fields, **changes})


def _actions(db_session, prefix="catalog."):
    db_session.expire_all()
    return [(e.action, e.actor_id, e.target_id) for e in db_session.scalars(
        select(AuditEntry).where(AuditEntry.action.startswith(prefix)).order_by(AuditEntry.id))]


# ---- permissions ---------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["support_agent", "marketing", "order_manager"])
def test_roles_without_catalog_permission_are_forbidden_everywhere(db_session, role):
    product = make_product("Tea")
    outsider = make_staff(role)
    calls = [
        lambda: editing.create_product(ProductInput(
            name_en="X", variants=[VariantInput(sku="X-1", price_cents=100)]), actor=outsider),
        lambda: editing.update_product(product.id, _details(product), actor=outsider),
        lambda: editing.set_status([product.id], "archived", actor=outsider),
        lambda: editing.add_variant(product.id, VariantInput(sku="X-2", price_cents=1),
                                    actor=outsider),
        lambda: editing.set_attributes(product.id, [("a", "b")], actor=outsider),
        lambda: editing.create_category("x", "X", actor=outsider),
        lambda: staff_search.find_products(actor=outsider),
        lambda: staff_search.get_product(product.id, actor=outsider),
    ]

    for call in calls:
        with pytest.raises(Forbidden):
            call()

    assert db_session.scalar(select(Product.status).where(Product.id == product.id)) \
        == "published"


@pytest.mark.parametrize("role", ["catalog_manager", "admin"])
def test_catalog_managers_and_admins_write_and_are_audited(db_session, role):
    manager = make_staff(role)

    product = editing.create_product(ProductInput(
        name_en="Clay pot", variants=[VariantInput(sku="POT-1", price_cents=950_00)]),
        actor=manager)
    editing.update_product(product.id, _details(product, name_en="Clay pot, large"),
                           actor=manager)

    assert _actions(db_session) == [("catalog.product_create", manager.id, str(product.id)),
                                    ("catalog.product_update", manager.id, str(product.id))]
    update = db_session.scalars(select(AuditEntry).where(
        AuditEntry.action == "catalog.product_update")).one()
    assert update.details == {"fields": ["name_en"]}


# ---- products: slugs, status, validation ---------------------------------------------------------

def test_the_slug_is_made_from_the_name_and_numbered_when_taken(db_session):
    first = make_product("Batik Sarong")
    second = make_product("Batik sarong!")

    assert (first.slug, second.slug) == ("batik-sarong", "batik-sarong-2")


def test_a_given_slug_that_is_taken_is_a_conflict(db_session):
    make_product("Tea")

    with pytest.raises(Conflict) as caught:
        editing.create_product(ProductInput(name_en="Other", slug="tea", variants=[
            VariantInput(sku="O-1", price_cents=1)]))

    assert caught.value.field == "slug"
    assert "already uses this slug" in str(caught.value.message)


def test_renaming_keeps_the_slug_unless_staff_change_it(db_session):
    product = make_product("Green tea")

    editing.update_product(product.id, _details(product, name_en="Ceylon green tea"))
    kept = db_session.get(Product, product.id).slug
    editing.update_product(product.id, _details(product, name_en="Ceylon green tea",
                                                slug="ceylon-green-tea"))

    assert kept == "green-tea"
    assert db_session.get(Product, product.id).slug == "ceylon-green-tea"


def test_changing_to_a_slug_another_product_has_is_a_conflict(db_session):
    make_product("Black tea")
    product = make_product("Green tea")

    with pytest.raises(Conflict):
        editing.update_product(product.id, _details(product, slug="black-tea"))

    assert db_session.get(Product, product.id).slug == "green-tea"


def test_publishing_sets_published_at_once(db_session):
    product = make_product("Tea", status="draft")

    editing.set_status([product.id], "published")
    first = db_session.get(Product, product.id).published_at
    editing.set_status([product.id], "archived")
    editing.update_product(product.id, _details(product, status="published"))

    assert first is not None
    assert db_session.get(Product, product.id).published_at == first


def test_bulk_status_changes_each_product_and_audits_each(db_session):
    manager = make_staff("catalog_manager")
    a, b = make_product("A", status="draft"), make_product("B", status="draft")
    already = make_product("C", status="published")

    changed = editing.set_status([a.id, b.id, already.id], "published", actor=manager)

    assert changed == 2
    assert {p.status for p in db_session.scalars(select(Product))} == {"published"}
    entries = [e for e in _actions(db_session) if e[0] == "catalog.product_status"]
    assert sorted(e[2] for e in entries) == sorted([str(a.id), str(b.id)])


LONG = "x" * 10_000


@pytest.mark.parametrize(("changes", "field"), [
    ({"name_en": ""}, "name_en"),
    ({"name_en": "   "}, "name_en"),
    ({"name_en": LONG}, "name_en"),
    ({"name_si": LONG}, "name_si"),
    ({"description_ta": LONG}, "description_ta"),
    ({"brand": LONG}, "brand"),
    ({"slug": "Not A Slug"}, "slug"),
    ({"slug": "a" * 121}, "slug"),
    ({"kind": "gadget"}, "kind"),
    ({"status": "live"}, "status"),
    ({"kind": "service", "duration_minutes": None}, "duration_minutes"),
    ({"kind": "service", "duration_minutes": 0}, "duration_minutes"),
    ({"kind": "service", "duration_minutes": 99_999}, "duration_minutes"),
])
def test_bad_product_details_are_refused_on_their_field(db_session, changes, field):
    product = make_product("Tea")

    with pytest.raises(Invalid) as caught:
        editing.update_product(product.id, _details(product, **changes))

    assert caught.value.field == field
    assert db_session.get(Product, product.id).name_en == "Tea"


@pytest.mark.parametrize(("variant", "field"), [
    (VariantInput(sku="", price_cents=100), "sku"),
    (VariantInput(sku="has space", price_cents=100), "sku"),
    (VariantInput(sku="S" * 65, price_cents=100), "sku"),
    (VariantInput(sku="S-1", price_cents=-1), "price"),
    (VariantInput(sku="S-1", price_cents=2_000_000_000), "price"),
    (VariantInput(sku="S-1", price_cents=100, compare_at_cents=-5), "compare_at"),
    (VariantInput(sku="S-1", price_cents=100, compare_at_cents=100), "compare_at"),
    (VariantInput(sku="S-1", price_cents=100, cost_cents=-5), "cost"),
    (VariantInput(sku="S-1", price_cents=100, cost_cents=2_000_000_000), "cost"),
    (VariantInput(sku="S-1", price_cents=100, weight_grams=-1), "weight_grams"),
    (VariantInput(sku="S-1", price_cents=100, barcode="9" * 33), "barcode"),
    (VariantInput(sku="S-1", price_cents=100, options={"size": "M" * 81}), "options"),
])
def test_bad_variants_are_refused_on_their_field(db_session, variant, field):
    product = make_product("Tea")

    with pytest.raises(Invalid) as caught:
        editing.add_variant(product.id, variant)

    assert caught.value.field == field
    assert len(db_session.get(Product, product.id).variants) == 1


def test_a_sku_used_anywhere_is_a_conflict_with_a_message(db_session):
    make_product("One", sku="SKU-1")
    product = make_product("Two")

    with pytest.raises(Conflict) as caught:
        editing.add_variant(product.id, VariantInput(sku="SKU-1", price_cents=1))

    assert caught.value.field == "sku"
    assert str(caught.value.message) == "SKU SKU-1 is already used by another variant."


def test_the_same_sku_twice_in_one_new_product_is_refused(db_session):
    with pytest.raises(Conflict):
        editing.create_product(ProductInput(name_en="Twins", variants=[
            VariantInput(sku="T-1", price_cents=1), VariantInput(sku="T-1", price_cents=2)]))

    assert db_session.scalar(select(func.count()).select_from(Product)) == 0


# ---- the listing price follows every variant change ---------------------------------------------

def test_min_price_follows_adding_editing_and_deactivating_variants(db_session):
    product = make_product("Shirt", price_cents=2000_00)
    first = product.variants[0]

    cheaper = editing.add_variant(product.id, VariantInput(sku="SH-S", price_cents=1500_00,
                                                           options={"size": "S"}))
    after_add = db_session.get(Product, product.id).min_price_cents
    editing.update_variant(cheaper.id, VariantInput(sku="SH-S", price_cents=1200_00,
                                                    options={"size": "S"}))
    after_edit = db_session.get(Product, product.id).min_price_cents
    editing.set_variant_active(cheaper.id, False)
    after_off = db_session.get(Product, product.id).min_price_cents
    editing.set_variant_active(cheaper.id, True)

    assert (after_add, after_edit, after_off) == (1500_00, 1200_00, 2000_00)
    assert db_session.get(Product, product.id).min_price_cents == 1200_00
    assert first.price_cents == 2000_00


def test_a_published_product_keeps_one_variant_on_sale(db_session):
    product = make_product("Only one", status="published")

    with pytest.raises(Invalid):
        editing.set_variant_active(product.variants[0].id, False)

    assert db_session.get(Variant, product.variants[0].id).is_active


def test_a_variant_can_keep_its_own_sku_when_edited(db_session):
    product = make_product("Tea", sku="TEA-1")

    editing.update_variant(product.variants[0].id, VariantInput(
        sku="TEA-1", price_cents=500_00, compare_at_cents=600_00, cost_cents=320_00,
        weight_grams=250, barcode="4791234567890", options={"pack": "250 g"}))

    variant = db_session.get(Variant, product.variants[0].id)
    assert (variant.price_cents, variant.compare_at_cents, variant.cost_cents,
            variant.options) == (500_00, 600_00, 320_00, {"pack": "250 g"})


def test_a_cost_is_kept_from_creation_and_an_edit_without_one_clears_it(db_session):
    """No cost is "not known", never 0: a stock report must not value the stock as free."""
    product = editing.create_product(ProductInput(name_en="Kettle", variants=[
        VariantInput(sku="K-1", price_cents=4500_00, cost_cents=2900_00),
        VariantInput(sku="K-2", price_cents=5000_00)]))
    costs_when_created = [v.cost_cents for v in product.variants]

    editing.update_variant(product.variants[0].id, VariantInput(sku="K-1",
                                                                price_cents=4500_00))

    assert costs_when_created == [2900_00, None]
    assert db_session.get(Variant, product.variants[0].id).cost_cents is None


# ---- rupees and pairs as typed ------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "cents"), [
    ("1,250.00", 125000), ("1250", 125000), ("1250.5", 125050), ("0.10", 10),
    ("Rs. 99.99", 9999), ("  12,345,678.90 ".replace("12,345,678", "9,999,999"), 999999990),
    ("0", 0), ("0.29", 29),  # 0.29 is 0.28999… as a float; Decimal keeps it exact
])
def test_rupees_become_integer_cents_exactly(typed, cents):
    assert inputs.parse_rupees(typed) == cents
    assert isinstance(inputs.parse_rupees(typed), int)


@pytest.mark.parametrize(("typed", "message"), [
    ("abc", "Enter an amount in rupees, like 1,250.00."),
    ("-5", "A price cannot be negative."),
    ("1.234", "Enter an amount in rupees, like 1,250.00."),
    ("1,25,000", "Enter an amount in rupees, like 1,250.00."),
    ("", "Enter an amount in rupees, like 1,250.00."),
    ("1e5", "Enter an amount in rupees, like 1,250.00."),
    ("NaN", "Enter an amount in rupees, like 1,250.00."),
    ("99999999999", "That is more than Rs. 10,000,000.00. Check the amount."),
    ("٣٤", "Enter an amount in rupees, like 1,250.00."),  # digits of another script
])
def test_bad_rupee_amounts_have_a_message(typed, message):
    with pytest.raises(Invalid) as caught:
        inputs.parse_rupees(typed)

    assert str(caught.value.message) == message


def test_pairs_parse_and_refuse_nonsense():
    assert inputs.parse_pairs("size=M; colour = Red\nfit=slim", field="options") == [
        ("size", "M"), ("colour", "Red"), ("fit", "slim")]
    with pytest.raises(Invalid):
        inputs.parse_pairs("size", field="options")
    with pytest.raises(Invalid):
        inputs.parse_pairs("size=M;size=L", field="options", unique_names=True)


def test_attributes_are_replaced(db_session):
    product = make_product("Sarong", attributes={"material": "cotton"})

    editing.set_attributes(product.id, [("material", "cotton"), ("colour", "red"),
                                        ("colour", "blue")])
    editing.set_attributes(product.id, [("colour", "red")])

    fresh = db_session.get(Product, product.id)
    assert [(a.name, a.value) for a in fresh.attributes] == [("colour", "red")]


# ---- categories ----------------------------------------------------------------------------------

def test_a_category_cannot_become_its_own_ancestor(db_session):
    home = make_category("home")
    make_category("kitchen", parent="home")
    make_category("pots", parent="kitchen")

    for parent in ("home", "kitchen", "pots"):
        with pytest.raises(Invalid) as caught:
            editing.save_category(inputs.CategoryInput(slug="home", name_en="Home",
                                                       parent_slug=parent),
                                  category_id=home.id)
        assert caught.value.field == "parent"

    db_session.expire_all()
    assert staff_search.get_category(home.id).parent_id is None


def test_categories_move_and_list_as_a_tree(db_session):
    make_category("home")
    make_category("garden")
    kitchen = make_category("kitchen", parent="home")

    editing.save_category(inputs.CategoryInput(slug="kitchen", name_en="Kitchen",
                                               parent_slug="garden", position=3),
                          category_id=kitchen.id)

    rows = [(c.slug, depth) for c, depth in staff_search.category_rows()]
    assert rows == [("garden", 0), ("kitchen", 1), ("home", 0)]


@pytest.mark.parametrize(("data", "field"), [
    ({"slug": "Bad Slug"}, "slug"),
    ({"name_en": ""}, "name_en"),
    ({"name_en": LONG}, "name_en"),
    ({"position": -1}, "position"),
    ({"parent_slug": "nowhere"}, "parent"),
    ({"slug": "taken"}, "slug"),
])
def test_bad_categories_are_refused(db_session, data, field):
    make_category("taken")

    with pytest.raises((Invalid, Conflict, NotFound)) as caught:
        editing.save_category(inputs.CategoryInput(**{"slug": "new", "name_en": "New",
                                                      **data}))

    assert caught.value.field == field


# ---- slots ---------------------------------------------------------------------------------------

def test_slots_last_the_service_duration_and_list_upcoming(db_session):
    service = make_product("Massage", kind="service")
    soon = utcnow().replace(microsecond=0) + dt.timedelta(days=1)

    booking_slots.add_slot(service.id, soon + dt.timedelta(hours=2), capacity=3)
    booking_slots.add_slot(service.id, soon, capacity=1)

    slots = booking_slots.upcoming_slots(service.id)
    assert [s.starts_at for s in slots] == [soon, soon + dt.timedelta(hours=2)]
    assert slots[0].ends_at - slots[0].starts_at == dt.timedelta(minutes=60)


@pytest.mark.parametrize(("offset", "capacity", "field"), [
    (dt.timedelta(hours=-1), 1, "starts_at"),
    (dt.timedelta(days=1), 0, "capacity"),
    (dt.timedelta(days=1), 5000, "capacity"),
])
def test_bad_slots_are_refused(db_session, offset, capacity, field):
    service = make_product("Massage", kind="service")

    with pytest.raises(Invalid) as caught:
        booking_slots.add_slot(service.id, utcnow() + offset, capacity=capacity)

    assert caught.value.field == field


def test_a_product_has_no_slots(db_session):
    product = make_product("Kettle")

    with pytest.raises(NotFound):
        booking_slots.add_slot(product.id, utcnow() + dt.timedelta(days=1))


# ---- the staff's search --------------------------------------------------------------------------

def test_staff_search_finds_any_status_by_any_name_or_sku(db_session):
    make_category("tea")
    make_product("Green tea", status="draft", name_si="කොළ තේ", sku="GT-100", category="tea")
    make_product("Black tea", status="archived", name_ta="கருப்பு தேநீர்")
    make_product("Kettle", kind="product")
    make_product("Tea tasting", kind="service")

    def names(**query):
        page = staff_search.find_products(staff_search.ProductQuery(**query))
        return sorted(p.name_en for p in page.items)

    assert names(text="TEA") == ["Black tea", "Green tea", "Tea tasting"]
    assert names(text="කොළ") == ["Green tea"]
    assert names(text="தேநீர்") == ["Black tea"]
    assert names(text="gt-1") == ["Green tea"]
    assert names(text="%") == []  # a wildcard is a character here
    assert names(status="archived") == ["Black tea"]
    assert names(kind="service") == ["Tea tasting"]
    assert names(category_id=staff_search.category_rows()[0][0].id) == ["Green tea"]
