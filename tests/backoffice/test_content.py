"""The shop's pages and details in the back office: who may edit (admins and marketing; an
order manager or support agent is refused, by the page and by the service), editing a page
in three languages, the shop's details with their phone checks, and the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.content import services as content
from app.db import session
from app.errors import Forbidden
from tests.catalog.pages import texts
from tests.factories import make_staff

PAGES = ["/staff/content", "/staff/content/pages/about", "/staff/content/details"]
PAGE_FORM = {"title_en": "About Kade", "body_en": "We sell tea.\n\n- Fresh\n- Fair",
             "title_si": "", "body_si": "", "title_ta": "கடை பற்றி", "body_ta": "தேநீர்."}


def _audit(action: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


@pytest.mark.parametrize("path", PAGES)
def test_people_not_signed_in_as_staff_go_to_the_staff_sign_in(client, db_session, path):
    response = client.get(path)

    assert response.status_code == 303 and "/staff/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["order_manager", "support_agent", "catalog_manager"])
@pytest.mark.parametrize("path", PAGES)
def test_other_roles_are_refused(client, db_session, sign_in_staff, role, path):
    staff = sign_in_staff(make_staff(role))

    assert staff.get(path).status_code == 403
    if path != "/staff/content":  # the list only shows
        assert staff.post(path, data=PAGE_FORM).status_code == 403
    assert content.page("about").title == "About us"  # unchanged


def test_the_services_refuse_other_roles_too(db_session):
    agent = make_staff("support_agent")

    with pytest.raises(Forbidden):
        content.save_page("about", content.PageInput(titles={"en": "x"}, bodies={"en": "y"}),
                          actor=agent)
    with pytest.raises(Forbidden):
        content.save_details({"name": "Mine"}, actor=agent)


@pytest.mark.parametrize("role", ["admin", "marketing"])
def test_admins_and_marketing_edit_a_page_and_it_is_audited(client, db_session, sign_in_staff,
                                                           role):
    editor = make_staff(role)
    staff = sign_in_staff(editor)
    form = staff.get("/staff/content/pages/about").text
    assert "We are a small family shop" in form  # the starting text, ready to change

    saved = staff.post("/staff/content/pages/about", data=PAGE_FORM)

    assert saved.status_code == 303
    assert "Page “About Kade” saved." in staff.get(saved.headers["Location"]).text
    tamil = content.page("about", "ta")
    assert (tamil.title, tamil.body) == ("கடை பற்றி", "தேநீர்.")
    assert content.page("about", "si").title == "About Kade"  # no Sinhala: English
    [entry] = _audit("content.page_save")
    assert entry.actor_id == editor.id and entry.target_id == "about"
    assert "body_ta" in entry.details["changed"] and "body_si" not in entry.details["changed"]


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"title_en": ""}, "title_en", "Write the English title."),
    ({"body_en": "  "}, "body_en", "Write the English text."),
    ({"title_si": "අප ගැන", "body_si": ""}, "body_si", "Write both the title and the text"),
    ({"title_en": "x" * 121}, "title_en", "120"),
])
def test_a_bad_page_is_shown_again(admin_client, data, field, message):
    response = admin_client.post("/staff/content/pages/about", data={**PAGE_FORM, **data})

    assert response.status_code == 422
    assert any(message in error for error in texts(response.text, cls="field-error"))
    assert content.page("about").title == "About us"


def test_an_unknown_page_is_not_found(admin_client):
    assert admin_client.get("/staff/content/pages/shipping").status_code == 404


def test_the_details_are_saved_with_phones_checked(admin_client, client):
    response = admin_client.post("/staff/content/details", data={
        "name": "Kade Stores", "hotline": "011 234 5678", "whatsapp": "0771234567",
        "email": "help@kade.lk", "address_en": "1 Galle Road", "address_si": "ගාලු පාර 1",
        "address_ta": "", "hours_en": "8 to 8", "hours_si": "", "hours_ta": ""})

    assert response.status_code == 303
    shop = content.shop_details("ta")
    assert (shop.name, shop.hotline, shop.whatsapp) == ("Kade Stores", "+94112345678",
                                                        "+94771234567")
    assert shop.address == "1 Galle Road"  # no Tamil address: the English one
    assert 'href="https://wa.me/94771234567"' in client.get("/").text
    assert len(_audit("content.details_save")) == 1


@pytest.mark.parametrize(("field", "value", "message"), [
    ("hotline", "12345", "Enter a Sri Lankan phone number"),
    ("whatsapp", "011 234 5678", "Enter a Sri Lankan mobile number"),  # a landline
    ("whatsapp", "+44 7911 123456", "Enter a Sri Lankan mobile number"),
    ("email", "not-an-email", "Enter an email address"),
])
def test_bad_details_are_shown_again(admin_client, field, value, message):
    response = admin_client.post("/staff/content/details", data={field: value})

    assert response.status_code == 422
    assert any(message in error for error in texts(response.text, cls="field-error"))
    assert content.shop_details().whatsapp is None  # nothing saved


def test_the_menu_shows_shop_pages_to_those_who_may_edit(client, db_session, sign_in_staff):
    marketing = sign_in_staff(make_staff("marketing")).get("/staff/").text
    assert 'href="/staff/content"' in marketing
    other = client.application.test_client()
    agent = sign_in_staff(make_staff("support_agent"), c=other).get("/staff/").text
    assert 'href="/staff/content"' not in agent
