"""Variant options in three languages: staff give them, shoppers read them in their language
(English where there is no translation), and an order keeps them as they were when placed,
on its page, in its PDFs and through the API."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from app.catalog import csv_io, editing, imports, inputs
from app.catalog.models import CatalogImport, ProductAttribute, Variant
from app.errors import Invalid
from app.inventory import services as inventory
from app.orders import services as orders
from app.orders.documents import invoice_pdf, packing_slip_pdf
from jobs import catalog as catalog_jobs
from tests.catalog.factories import make_product
from tests.checkout.factories import place_guest_order
from tests.factories import make_staff
from tests.orders.test_documents import pdf_text

PACK_SI = {"ඇසුරුම": "ග්‍රෑම් 250"}  # a ZWJ conjunct (ග්‍රෑ), as typed on a phone
PACK_TA = {"பொதி": "250 கிராம்"}


def _tea(*, translated: bool = True, units: int = 20):
    """Tea in two packs: 250 g translated into Sinhala and Tamil (when `translated`), 1 kg
    not at all. Returns (product, 250 g variant, 1 kg variant)."""
    product = make_product("Ceylon tea", name_si="ලංකා තේ", name_ta="இலங்கை தேநீர்", variants=[
        inputs.VariantInput(sku="TEA-250", price_cents=450_00, options={"pack": "250 g"},
                            options_si=PACK_SI if translated else None,
                            options_ta=PACK_TA if translated else None),
        inputs.VariantInput(sku="TEA-1K", price_cents=1_500_00, options={"pack": "1 kg"})])
    small, big = product.variants
    for variant in (small, big):
        inventory.receive(variant.id, units)
    return product, small, big


def _in(client, language: str) -> None:
    client.post("/language", data={"language": language, "next": "/"})


# ---- shoppers read them ---------------------------------------------------------------------

def test_the_product_page_shows_tamil_options_and_english_where_none(client, db_session):
    product, _small, _big = _tea()
    _in(client, "ta")

    page = client.get(f"/p/{product.slug}").text

    assert "<legend>பொதி</legend>" in page
    assert "<span>250 கிராம்</span>" in page
    assert "<span>1 kg</span>" in page  # no Tamil for this pack: English, not nothing
    assert "<span>250 g</span>" not in page


def test_english_shoppers_see_the_english_options(client, db_session):
    product, _small, _big = _tea()

    page = client.get(f"/p/{product.slug}").text

    assert "<span>250 g</span>" in page and "250 கிராம்" not in page
    assert "<legend>Pack</legend>" in page


def test_the_cart_shows_the_options_in_sinhala(client, db_session):
    _product, small, _big = _tea()
    _in(client, "si")

    client.post("/cart/items", data={"variant_id": small.id, "quantity": 1})
    cart = client.get("/cart").text

    assert "ඇසුරුම: ග්‍රෑම් 250" in cart


# ---- an order keeps them --------------------------------------------------------------------

def test_an_order_keeps_its_options_in_the_customer_s_language_after_the_product_changes(
        client, db_session):
    _product, small, _big = _tea()
    order = place_guest_order((small, 1), locale="si")
    token = orders.guest_token(order)

    editing.update_variant(small.id, inputs.VariantInput(
        sku="TEA-250", price_cents=450_00, options={"pack": "300 g"},
        options_si={"ඇසුරුම": "ග්‍රෑම් 300"}, options_ta={"பொதி": "300 கிராம்"}))
    _in(client, "si")
    page = client.get(f"/orders/{order.number}?t={token}").text

    [line] = order.lines
    assert (line.options, line.options_si, line.options_ta) == (
        "pack: 250 g", "ඇසුරුම: ග්‍රෑම් 250", "பொதி: 250 கிராம்")
    assert "ඇසුරුම: ග්‍රෑම් 250" in page and "ග්‍රෑම් 300" not in page
    assert "දිවයින පුරා සාමාන්‍ය" in page  # the delivery option's Sinhala name


def test_an_order_of_untranslated_options_reads_in_english(db_session):
    _product, _small, big = _tea()

    order = place_guest_order((big, 1), locale="ta")

    [line] = order.lines
    assert (line.options_ta, line.options_text("ta")) == (None, "pack: 1 kg")


def test_the_delivery_name_stays_as_it_was_when_staff_rename_the_option(db_session):
    _product, small, _big = _tea()
    order = place_guest_order((small, 1), locale="ta")
    from app.checkout import delivery
    [option] = [o for o in delivery.options_for(None) if o.code == "island-wide"]
    option.name_ta = "புதிய பெயர்"
    db_session.flush()

    db_session.expire_all()
    fresh = orders.find_by_number(order.number)
    assert fresh.delivery_name_in("ta") == "தீவு முழுவதும் சாதாரண"
    assert fresh.delivery_name_in("en") == "Island-wide standard"


def test_the_sinhala_invoice_and_packing_slip_carry_the_sinhala_options(app, db_session):
    _product, small, _big = _tea()
    order = place_guest_order((small, 2), locale="si")

    invoice, slip = pdf_text(invoice_pdf(order)), pdf_text(packing_slip_pdf(order))

    for text in (invoice, slip):
        assert "ඇසුරුම: ග්‍රෑම් 250" in text
        assert "pack: 250 g" not in text
    assert "දිවයින පුරා සාමාන්‍ය" in slip


# ---- the API --------------------------------------------------------------------------------

@pytest.mark.parametrize(("language", "options", "name"), [
    ("ta-LK,ta;q=0.9", {"பொதி": "250 கிராம்"}, "250 கிராம்"),
    ("si", {"ඇසුරුම": "ග්‍රෑම් 250"}, "ග්‍රෑම් 250"),
    ("en", {"pack": "250 g"}, "250 g"),
    (None, {"pack": "250 g"}, "250 g"),
])
def test_the_api_gives_a_product_s_options_in_the_accept_language(client, db_session,
                                                                  language, options, name):
    product, _small, _big = _tea()
    headers = {"Accept-Language": language} if language else {}

    body = client.get(f"/api/v1/products/{product.slug}", headers=headers).get_json()

    small, big = body["variants"]
    assert (small["options"], small["name"]) == (options, name)
    assert big["options"] == {"pack": "1 kg"}  # untranslated: English in every language


# ---- CSV ------------------------------------------------------------------------------------

@pytest.fixture()
def queued(monkeypatch):
    """The import job is run by the test, not when the upload queues it."""
    monkeypatch.setattr(imports, "enqueue", lambda name, *args: None)


def _import(db_session, data: bytes):
    record = imports.start_import("tea.csv", data, actor=make_staff("catalog_manager"))
    catalog_jobs.run_import(record.id)
    db_session.expire_all()
    return db_session.get(CatalogImport, record.id)


def test_the_csv_export_carries_the_translations_and_an_import_sets_them(db_session, queued):
    _tea()

    exported = b"".join(csv_io.export_lines()).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(exported)))
    [row] = [r for r in rows if r["sku"] == "TEA-250"]
    row["options_ta"] = "பொதி=கால் கிலோ"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerow(row)
    record = _import(db_session, out.getvalue().encode())

    assert (record.status, record.errors) == ("done", [])
    assert row["options_si"] == "ඇසුරුම=ග්‍රෑම් 250"
    db_session.expire_all()
    fresh = db_session.scalar(select(Variant).where(Variant.sku == "TEA-250"))
    assert (fresh.options_si, fresh.options_ta) == (PACK_SI, {"பொதி": "கால் கிலோ"})


def test_a_csv_row_whose_translation_does_not_match_is_refused(db_session, queued):
    _tea()
    data = ("product_slug,name_en,sku,price,options,options_si\n"
            "ceylon-tea,Ceylon tea,TEA-250,450.00,pack=250 g,ඇසුරුම=ග්‍රෑම් 250;a=b\n")

    record = _import(db_session, data.encode())

    assert record.status == "failed"
    assert "options_si" in record.errors[0]["message"]
    assert db_session.scalar(select(Variant).where(Variant.sku == "TEA-250")).options_si \
        == PACK_SI


# ---- attribute values -----------------------------------------------------------------------

def _sarong():
    product = make_product("Handloom sarong", attributes={"colour": "red", "material": "cotton"})
    editing.set_attributes(product.id, [("colour", "red"), ("material", "cotton")],
                           translations={"si": {"red": "රතු"}, "ta": {"red": "சிவப்பு",
                                                                        "cotton": "பருத்தி"}})
    return product


def test_the_product_page_shows_attribute_values_in_sinhala_english_where_none(client,
                                                                               db_session):
    product = _sarong()
    _in(client, "si")

    page = client.get(f"/p/{product.slug}").text

    assert "<dd>රතු</dd>" in page
    assert "<dd>cotton</dd>" in page  # no Sinhala given: English


def test_the_filter_panel_shows_tamil_values_and_filters_by_the_english_one(client,
                                                                           db_session):
    _sarong()
    _in(client, "ta")

    page = client.get("/products").text
    chosen = client.get("/products?attr_colour=red").text

    assert ('name="attr_colour" value="red" data-autosubmit > சிவப்பு <span class="muted">(1)'
            in page)
    assert 'name="attr_material" value="cotton" data-autosubmit > பருத்தி' in page
    assert 'value="red" data-autosubmit checked> சிவப்பு' in chosen
    assert "/p/handloom-sarong" in chosen


def test_keeping_the_attributes_without_translations_keeps_their_translations(db_session):
    product = _sarong()

    editing.set_attributes(product.id, [("colour", "red"), ("size", "free")])

    values = {a.value: (a.value_si, a.value_ta) for a in product.attributes}
    assert values == {"red": ("රතු", "சிவப்பு"), "free": (None, None)}


def test_a_translation_of_a_value_the_product_does_not_have_is_refused(db_session):
    product = _sarong()

    with pytest.raises(Invalid) as refused:
        editing.set_attributes(product.id, [("colour", "red")],
                               translations={"si": {"blue": "නිල්"}})

    assert refused.value.field == "attributes_si"
    assert {a.value: a.value_si for a in product.attributes}["red"] == "රතු"


def test_the_api_labels_attribute_values_in_the_accept_language(client, db_session):
    product = _sarong()

    body = client.get(f"/api/v1/products/{product.slug}",
                      headers={"Accept-Language": "ta"}).get_json()

    assert body["attributes"] == [
        {"name": "colour", "value": "red", "label": "சிவப்பு"},
        {"name": "material", "value": "cotton", "label": "பருத்தி"}]


def test_the_csv_carries_attribute_translations_both_ways(db_session, queued):
    _sarong()

    exported = b"".join(csv_io.export_lines()).decode("utf-8-sig")
    [row] = list(csv.DictReader(io.StringIO(exported)))
    row["attributes_si"] = "red=රතු;cotton=කපු"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(row))
    writer.writeheader()
    writer.writerow(row)
    record = _import(db_session, out.getvalue().encode())

    assert row["attributes_ta"] == "cotton=பருத்தி; red=சிவப்பு"
    assert (record.status, record.errors) == ("done", [])
    attributes = db_session.scalars(select(ProductAttribute)).all()
    assert {a.value: a.value_si for a in attributes} == {"red": "රතු", "cotton": "කපු"}


# ---- the demo shop --------------------------------------------------------------------------

def test_every_demo_option_and_attribute_value_has_sinhala_and_tamil():
    """The data the demo loader uses (the loaded shop: tests/accounts/test_demo_seed.py)."""
    from app.catalog.demo_data import PRODUCTS, VARIANT_SETS, translated_options, value_translations

    for variants in VARIANT_SETS.values():
        for options, _factor in variants:
            if options:
                assert translated_options(options, "si") and translated_options(options, "ta")
    for *_names, attributes in PRODUCTS:
        wanted = {v for k, v in attributes.items() if k != "brand"}
        translated = value_translations(attributes)
        assert set(translated["si"]) == set(translated["ta"]) == wanted
