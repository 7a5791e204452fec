"""The shop's pages and details as shoppers see them: the five pages in three languages
(English where a translation is missing), staff text escaped, the contact page's links, the
footer on every page, and the invoice and packing slip showing the address in the order's
language."""

from __future__ import annotations

import re

import pytest

from app.content import markup, services as content
from app.errors import NotFound

PAGES = {"/about": "About us", "/contact": "Contact us",
         "/delivery-and-returns": "Delivery and returns", "/privacy": "Privacy notice",
         "/terms": "Terms"}


def _in(client, locale: str):
    client.post("/language", data={"language": locale, "next": "/"})
    return client


@pytest.mark.parametrize(("path", "title"), PAGES.items())
def test_each_page_has_its_address_and_starting_text(client, db_session, path, title):
    response = client.get(path)

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"<h1>{title}</h1>" in html
    assert f'href="{path}" aria-current="page"' in html  # the footer marks where you are


@pytest.mark.parametrize(("locale", "title"), [("si", "පෞද්ගලිකත්ව දැන්වීම"),
                                                ("ta", "தனியுரிமை அறிவிப்பு")])
def test_the_starting_pages_are_in_sinhala_and_tamil(client, db_session, locale, title):
    html = _in(client, locale).get("/privacy").get_data(as_text=True)

    assert f"<h1>{title}</h1>" in html
    assert 'href="/account/privacy"' in html  # how to ask: the data rights page


def test_the_privacy_notice_says_what_why_the_rights_and_how_to_ask(client, db_session):
    html = client.get("/privacy").get_data(as_text=True)

    for heading in ("What we collect", "Why", "Your rights", "How to ask"):
        assert f"<h2>{heading}</h2>" in html
    assert "Personal Data Protection Act, No. 9 of 2022" in html


def test_a_missing_translation_shows_the_english_text(client, db_session):
    content.save_page("about", content.PageInput(
        titles={"en": "Our story", "si": "අපේ කතාව"},
        bodies={"en": "Since 2009.", "si": "2009 සිට."}))

    tamil = _in(client, "ta").get("/about").get_data(as_text=True)
    sinhala = _in(client, "si").get("/about").get_data(as_text=True)

    assert "<h1>Our story</h1>" in tamil and "Since 2009." in tamil
    assert 'class="shop-page" lang="en"' in tamil  # read aloud as English
    assert "<h1>අපේ කතාව</h1>" in sinhala and 'class="shop-page" lang' not in sinhala


def test_staff_text_never_reaches_the_page_as_html(client, db_session):
    content.save_page("terms", content.PageInput(titles={"en": "<b>Terms</b>"}, bodies={
        "en": "<script>alert(1)</script>\n\n- **Fair** prices\n- [click](javascript:alert(1))"
              "\n\n[Privacy](/privacy) <img src=x onerror=alert(1)>"}))

    html = client.get("/terms").get_data(as_text=True)

    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<h1>&lt;b&gt;Terms&lt;/b&gt;</h1>" in html
    assert "<li><strong>Fair</strong> prices</li>" in html
    assert 'href="javascript' not in html and "[click](javascript:alert(1))" in html
    assert '<a href="/privacy">Privacy</a>' in html


@pytest.mark.parametrize(("text", "html"), [
    ("One\ntwo\n\nThree", "<p>One<br>\ntwo</p>\n<p>Three</p>"),
    ("## Head\n1. a\n2. b", "<h2>Head</h2>\n<ol><li>a</li><li>b</li></ol>"),
    ("- a\n* b\nafter", "<ul><li>a</li><li>b</li></ul>\n<p>after</p>"),
    ("[x](https://e.lk/?a=1&b=2)", '<p><a href="https://e.lk/?a=1&amp;b=2" '
                                   'rel="noopener noreferrer">x</a></p>'),
    ('[x](https://e.lk/"onclick=)', "<p>[x](https://e.lk/&#34;onclick=)</p>"),
    ("[x](//evil.example)", "<p>[x](//evil.example)</p>"),
    ("[x](data:text/html,hi)", "<p>[x](data:text/html,hi)</p>"),
    ("**<i>**", "<p><strong>&lt;i&gt;</strong></p>"),
    ("", ""),
])
def test_the_small_markdown_subset(text, html):
    assert str(markup.to_html(text)) == html


def test_the_contact_page_links_to_call_whatsapp_and_mail(client, db_session):
    content.save_details({"hotline": "011 234 5678", "whatsapp": "077 123 4567",
                          "email": "help@kade.lk", "address_en": "1 Galle Road\nColombo 3",
                          "address_si": "ගාලු පාර 1\nකොළඹ 3", "hours_en": "8 am to 8 pm"})

    html = client.get("/contact").get_data(as_text=True)
    sinhala = _in(client, "si").get("/contact").get_data(as_text=True)

    assert 'href="tel:+94112345678"' in html
    assert 'href="https://wa.me/94771234567"' in html
    assert 'href="mailto:help@kade.lk"' in html
    assert "1 Galle Road, Colombo 3" in html and "8 am to 8 pm" in html
    assert "ගාලු පාර 1, කොළඹ 3" in sinhala
    assert "8 am to 8 pm" in sinhala  # no Sinhala hours saved: the English ones


def test_with_nothing_saved_the_settings_are_the_details(app, client, db_session):
    html = client.get("/contact").get_data(as_text=True)

    assert app.config["SHOP_ADDRESS"] in html and app.config["SHOP_PHONE"] in html
    assert 'href="tel:+94112345678"' in html
    assert "wa.me" not in html  # no WhatsApp number set anywhere: no link to nowhere


@pytest.mark.parametrize("path", ["/", "/products", "/cart", "/order-link", "/about",
                                  "/account/login", "/no-such-page"])
def test_every_storefront_page_has_the_footer(client, db_session, path):
    content.save_details({"hotline": "011 234 5678", "whatsapp": "0771234567"})

    html = client.get(path).get_data(as_text=True)

    footer = html[html.index('<footer class="site-footer">'):]
    for page in PAGES:
        assert f'href="{page}"' in footer
    assert 'href="tel:+94112345678"' in footer and 'href="https://wa.me/94771234567"' in footer


def test_an_unknown_page_is_not_found(db_session):
    with pytest.raises(NotFound):
        content.page("shipping")


def test_the_invoice_and_slip_show_the_address_in_the_orders_language(app, db_session):
    from app.orders.documents import invoice_pdf, packing_slip_pdf
    from tests.orders.test_documents import pdf_text, place_guest_order, stocked

    content.save_details({"name": "Kade Stores", "address_en": "1 Galle Road",
                          "address_ta": "1 காலி வீதி", "hotline": "0112345678"})
    order = place_guest_order(stocked())
    order.locale = "ta"

    invoice, slip = pdf_text(invoice_pdf(order)), pdf_text(packing_slip_pdf(order))

    for text in (invoice, slip):
        assert "Kade Stores" in text and "1 Galle Road" not in text
        assert re.search(r"1\s*காலி\s*வீதி", text), text[:300]
    order.locale = "si"  # no Sinhala address saved: the English one
    assert "1 Galle Road" in pdf_text(invoice_pdf(order))


def test_the_saved_shop_name_is_the_one_pages_show(client, db_session):
    content.save_details({"name": "Perera & Sons"})

    html = client.get("/about").get_data(as_text=True)

    assert "<title>About us · Perera &amp; Sons</title>" in html
