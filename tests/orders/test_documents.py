"""Invoices and packing slips: what a customer, a packer (and a text extractor) read in them."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from pypdf import PdfReader

from app.accounts.addresses import AddressInput
from app.checkout.services import Contact
from app.content import services as content
from app.db import transaction
from app.i18n import format_lkr
from app.orders import services as orders
from app.orders.documents import invoice_pdf, packing_slip_pdf, vat_included_cents
from app.orders.models import Order, OrderLine
from tests.checkout.factories import GUEST, place_guest_order, service_with_slot, stocked

TEA_SI = "ශ්‍රී ලංකා තේ කොළ"  # a ZWJ conjunct (ශ්‍රී) and a two-part vowel sign (කො)
TEA_TA = "இலங்கை தேயிலை கொழுந்து"  # vowel signs drawn before (தே) and around (கொ) letters
VAT_NUMBER = "134567890-7000"


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def pdf_fonts(data: bytes) -> set[str]:
    names = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]).split("+", 1)[-1])
    return names


def reference_vat(total_cents: int, percent: int) -> int:
    exact = Decimal(total_cents) * percent / (100 + percent)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@pytest.fixture()
def vat_registered(app, monkeypatch):
    monkeypatch.setitem(app.config, "SHOP_VAT_NUMBER", VAT_NUMBER)
    monkeypatch.setitem(app.config, "SHOP_VAT_PERCENT", 18)


# ---- VAT arithmetic --------------------------------------------------------------------------

@pytest.mark.parametrize(("total", "percent", "vat"), [
    (0, 18, 0),
    (118_00, 18, 18_00),            # exact
    (4_250_00, 18, 648_31),         # 64830.508… rounds down
    (100, 18, 15),                  # 15.25
    (1, 18, 0),
    (13, 4, 1),                     # exactly half a cent: half up
    (39, 4, 2),                     # 1.5 → 2
    (12_345_678_901_23, 18, 1_883_239_154_42),  # large totals stay exact
])
def test_the_vat_inside_a_total_is_exact(total, percent, vat):
    assert vat_included_cents(total, percent) == vat


def test_vat_matches_decimal_half_up_rounding_for_many_totals():
    for percent in (18, 4, 15):
        for total in range(0, 20_000, 7):
            assert vat_included_cents(total, percent) == reference_vat(total, percent)


@pytest.mark.parametrize(("total", "percent", "error"), [
    (-1, 18, ValueError), (100, -5, ValueError), (10.5, 18, TypeError), (100, 18.0, TypeError),
])
def test_vat_refuses_what_is_not_money(total, percent, error):
    with pytest.raises(error):
        vat_included_cents(total, percent)


# ---- shaping ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "font", "glyphs"), [
    # ශ්‍රී: with the joiner, ශ්‍ර is one conjunct glyph and ී follows as a sign (not ශ් + රී)
    ("Tea ශ්‍රී", "notosanssinhala", ["shiivowelsinh", "sharasinh"]),
    # කො: the ෙ part of the sign is drawn first, left of ක, and ා after it
    ("Tea කොළ", "notosanssinhala", ["evowelsignsinh", "kasinh", "aavowelsignsinh"]),
    # கொ: the same for Tamil: ெ, then க, then ா
    ("Tea கொ", "notosanstamil", ["evowelsigntamil", "katamil", "aavowelsigntamil"]),
])
def test_sinhala_and_tamil_are_shaped_with_vowel_signs_in_drawing_order(
        app_ctx, text, font, glyphs):
    from app.orders.documents import _Document

    pdf = _Document("si", "test", "Kade")
    pdf.line_of(text)

    drawn = [name for name in pdf.fonts[font].subset.get_all_glyph_names()
             if name not in ("NULL", "space", ".notdef")]
    assert drawn[:len(glyphs)] == glyphs


# ---- the invoice -----------------------------------------------------------------------------

def test_an_invoice_shows_the_shop_the_customer_the_lines_and_the_totals(app, db_session):
    tea = stocked("Ceylon tea 250g", units=5, price_cents=1_250_00)
    kettle = stocked("Electric kettle", units=5, price_cents=4_500_00)
    order = place_guest_order((tea, 2), kettle)

    data = invoice_pdf(order)

    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    for expected in (app.config["SHOP_NAME"], app.config["SHOP_ADDRESS"],
                     app.config["SHOP_PHONE"], app.config["SHOP_EMAIL"], "Invoice",
                     order.number, "Sarah Fernando", "5 Church Street", "Galle, Galle, 80000",
                     "077 123 4567", "sarah@example.lk", "Ceylon tea 250g", "Electric kettle",
                     "Cash on delivery",
                     format_lkr(1_250_00), format_lkr(2_500_00), format_lkr(4_500_00),
                     format_lkr(order.subtotal_cents), format_lkr(order.delivery_fee_cents),
                     format_lkr(order.total_cents)):
        assert expected in text, expected
    assert "Tax invoice" not in text and "VAT" not in text


def test_the_invoice_is_one_a4_page_with_the_date_in_colombo(app, db_session):
    order = place_guest_order(stocked())
    with transaction():
        order.placed_at = dt.datetime(2026, 3, 4, 20, 30, tzinfo=dt.UTC)  # 02:00, 5 March

    reader = PdfReader(io.BytesIO(invoice_pdf(order)))

    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    assert "5 March 2026" in reader.pages[0].extract_text()


def test_a_vat_registered_shop_prints_a_tax_invoice_with_the_vat_share(
        app, db_session, vat_registered):
    order = place_guest_order((stocked(price_cents=1_250_00), 2))

    text = pdf_text(invoice_pdf(order))

    vat = reference_vat(order.total_cents, 18)
    assert vat == vat_included_cents(order.total_cents, 18)
    assert "Tax invoice" in text
    assert VAT_NUMBER in text
    assert f"VAT 18 % included: {format_lkr(vat)}" in text


def test_a_sinhala_order_gets_a_sinhala_invoice_with_the_sinhala_font(app, db_session):
    tea = stocked("Ceylon tea", name_si=TEA_SI, name_ta=TEA_TA, price_cents=1_250_00)
    order = place_guest_order((tea, 2), locale="si")
    [line] = order.lines

    data = invoice_pdf(order)

    assert "NotoSansSinhala" in pdf_fonts(data)
    text = pdf_text(data)
    assert line.name_si in text  # the copied text is the typed text, joiner and all
    assert format_lkr(order.total_cents, "si") in text
    assert "රු." in text
    assert not re.search(r"[\x00-\x08\x0b-\x1f]", text), "stray glyph codes in the text"


def test_a_tamil_order_gets_a_tamil_invoice_with_the_tamil_font(app, db_session):
    tea = stocked("Ceylon tea", name_si=TEA_SI, name_ta=TEA_TA)
    tamil_name = Contact(name="சாரா பெர்னாண்டோ", email=GUEST.email, phone=GUEST.phone)
    order = place_guest_order(tea, locale="ta", contact=tamil_name)

    data = invoice_pdf(order)

    assert "NotoSansTamil" in pdf_fonts(data)
    assert "NotoSansSinhala" not in pdf_fonts(data)
    text = pdf_text(data)
    assert order.lines[0].name_ta in text
    # The Latin lines after a line in Tamil come out in the right font (fpdf2 once lost it).
    assert "சாரா பெர்னாண்டோ\nSarah Fernando\n5 Church Street" in text
    assert not re.search(r"[\x00-\x08\x0b-\x1f]", text)


def test_an_english_order_shows_english_names_even_when_others_exist(app, db_session):
    order = place_guest_order(stocked("Ceylon tea", name_si=TEA_SI, name_ta=TEA_TA))

    data = invoice_pdf(order)

    text = pdf_text(data)
    assert "Ceylon tea" in text and TEA_SI not in text
    assert pdf_fonts(data) == {"NotoSans", "NotoSansBold"}  # only the fonts used


def test_markup_in_a_product_name_is_printed_as_typed(app, db_session):
    name = "Tea <b>bold</b> **strong** __under__ [link](http://x.lk) {nb} %(x)s"
    order = place_guest_order(stocked(name))

    text = pdf_text(invoice_pdf(order))

    assert name in " ".join(text.split())  # the name may wrap: compare words


def test_a_long_order_runs_onto_more_pages_with_every_line(app_ctx):
    lines = [OrderLine(kind="product", sku=f"SKU-{n:03d}", name_en=f"Item number {n}",
                       unit_cents=100_00, quantity=1, discount_cents=0, total_cents=100_00,
                       fulfilled_quantity=0) for n in range(70)]
    order = Order(number="KD-2026-000999", locale="en", status="processing",
                  payment_method="cod", contact_name="Sarah", contact_email="s@example.lk",
                  contact_phone="+94771234567", subtotal_cents=7_000_00, discount_cents=0,
                  delivery_fee_cents=0, total_cents=7_000_00,
                  placed_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), lines=lines)

    reader = PdfReader(io.BytesIO(invoice_pdf(order)))

    assert len(reader.pages) >= 2
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert all(f"Item number {n}\n" in text + "\n" or f"Item number {n} " in text
               for n in range(70))
    assert f"Page 2 of {len(reader.pages)}" in reader.pages[1].extract_text()


# ---- the packing slip ------------------------------------------------------------------------

def test_a_packing_slip_lists_what_to_pack_and_where_to_send_it_without_prices(
        app, db_session):
    tea = stocked("Ceylon tea", units=5, sku="TEA-250", price_cents=1_250_00)
    order = place_guest_order((tea, 3))

    text = pdf_text(packing_slip_pdf(order))

    for expected in ("Packing slip", order.number, "Sarah Fernando", "5 Church Street",
                     "Galle, Galle, 80000", order.delivery_name, "TEA-250", "Ceylon tea"):
        assert expected in text, expected
    assert re.search(r"TEA-250\s+Ceylon tea\s+3\s+3", text)
    assert "Rs." not in text and "1,250" not in text


def test_the_packing_slip_counts_only_what_is_left_after_a_partial_shipment(
        app, db_session):
    tea = stocked("Ceylon tea", units=5, sku="TEA-250")
    kettle = stocked("Kettle", units=5, sku="KET-1")
    order = place_guest_order((tea, 3), (kettle, 1))
    tea_line = next(line for line in order.lines if line.sku == "TEA-250")
    orders.fulfil(order.number, {tea_line.id: 2})

    text = pdf_text(packing_slip_pdf(orders.find_by_number(order.number)))

    assert re.search(r"TEA-250\s+Ceylon tea\s+3\s+1", text)
    assert re.search(r"KET-1\s+Kettle\s+1\s+1", text)


def test_a_sinhala_packing_slip_names_the_items_in_sinhala(app, db_session):
    order = place_guest_order(stocked("Ceylon tea", name_si=TEA_SI, sku="TEA-SI"), locale="si")

    data = packing_slip_pdf(order)

    assert "NotoSansSinhala" in pdf_fonts(data)
    assert order.lines[0].name_si in pdf_text(data)


def test_a_slip_for_services_only_says_there_is_nothing_to_pack(app_ctx):
    order = Order(number="KD-2026-000998", locale="en", status="processing",
                  payment_method="cod", contact_name="Sarah", contact_email="s@example.lk",
                  contact_phone="+94771234567", subtotal_cents=5_000_00, discount_cents=0,
                  delivery_fee_cents=0, total_cents=5_000_00,
                  placed_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                  lines=[OrderLine(kind="service", sku="AC-1", name_en="AC service visit",
                                   unit_cents=5_000_00, quantity=1, discount_cents=0,
                                   total_cents=5_000_00, fulfilled_quantity=0,
                                   slot_starts_at=dt.datetime(2026, 1, 2, 4, 30,
                                                              tzinfo=dt.UTC))])

    text = pdf_text(packing_slip_pdf(order))

    assert "Nothing to pack" in text
    assert "AC-1" not in text
    assert "AC service visit" in pdf_text(invoice_pdf(order))
    assert "2 Jan 2026, 10:00" in pdf_text(invoice_pdf(order))  # the visit, Colombo time


def _home_cleaning_in_jaffna():
    visit, slot = service_with_slot("Home deep cleaning", price_cents=12_000_00,
                                    where="address", districts=("jaffna",))
    return place_guest_order((visit, 1, slot), delivery_option=None, address=AddressInput(
        recipient="Kumaran Sivakumar", phone="0771234567", line1="14 Hospital Road",
        city="Jaffna", district="jaffna", postal_code="40000"))


def test_the_invoice_of_a_home_service_shows_where_the_team_goes(app, db_session):
    order = _home_cleaning_in_jaffna()

    text = pdf_text(invoice_pdf(order))

    for expected in ("Bill to", "Sarah Fernando", "Service at your address",
                     "Kumaran Sivakumar", "14 Hospital Road", "Jaffna, Jaffna, 40000",
                     "Home deep cleaning", "At your address",
                     "Cash on the day of the booking"):
        assert expected in text, expected
    assert "Cash on delivery" not in text
    assert "Delivery" not in text and "Rs. 0.00" not in text  # nothing to deliver, no fee line
    assert text.count("14 Hospital Road") == 1  # under its heading only, not in "Bill to"


def test_the_packing_slip_of_a_home_service_gives_the_address_and_the_visit(app, db_session):
    order = _home_cleaning_in_jaffna()

    text = pdf_text(packing_slip_pdf(order))

    for expected in ("Service at", "Kumaran Sivakumar", "14 Hospital Road", "Jaffna",
                     "Nothing to pack", "Home deep cleaning", "At the customer's address"):
        assert expected in text, expected
    assert "Ship to" not in text


def test_a_shop_service_on_the_invoice_names_the_shop(app, db_session):
    visit, slot = service_with_slot("Phone screen repair", where="shop")
    order = place_guest_order((visit, 1, slot), address=None)

    text = pdf_text(invoice_pdf(order))

    assert f"At the shop: {app.config['SHOP_ADDRESS']}" in " ".join(text.split())
    assert "Service at your address" not in text


def test_a_shop_service_on_a_tamil_invoice_names_the_shop_address_staff_saved(app, db_session):
    content.save_details({"address_en": "12 Temple Road, Kandy",
                          "address_ta": "12 கோயில் வீதி, கண்டி"})
    visit, slot = service_with_slot("Phone screen repair", where="shop")
    order = place_guest_order((visit, 1, slot), address=None, locale="ta")

    text = " ".join(pdf_text(invoice_pdf(order)).split())

    assert "12 கோயில் வீதி, கண்டி" in text
    assert app.config["SHOP_ADDRESS"] not in text
