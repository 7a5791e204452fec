"""The catalog area of the back office: who gets in, the product list (search, filters, bulk
publish and archive) and the category tree."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.catalog.models import Category, Product
from tests.catalog.factories import make_category, make_product
from tests.factories import make_customer, make_staff

PAGES = ["/staff/catalog", "/staff/catalog/products/new", "/staff/catalog/products/1",
         "/staff/catalog/variants/1", "/staff/catalog/categories",
         "/staff/catalog/categories/new", "/staff/catalog/categories/1",
         "/staff/catalog/import", "/staff/catalog/imports/1", "/staff/catalog/export.csv"]
WRITES = ["/staff/catalog/bulk", "/staff/catalog/products/new", "/staff/catalog/products/1",
          "/staff/catalog/products/1/variants", "/staff/catalog/variants/1",
          "/staff/catalog/variants/1/active", "/staff/catalog/products/1/attributes",
          "/staff/catalog/products/1/slots", "/staff/catalog/products/1/images",
          "/staff/catalog/images/1/move", "/staff/catalog/images/1/delete",
          "/staff/catalog/categories/new", "/staff/catalog/categories/1",
          "/staff/catalog/import"]


@pytest.fixture()
def manager_client(db_session, sign_in_staff):
    return sign_in_staff(make_staff("catalog_manager"))


@pytest.fixture()
def some_product(db_session):
    make_category("tea")
    return make_product("Green tea", status="draft", category="tea", sku="GT-1")


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_are_sent_to_the_staff_sign_in(client, db_session, path):
    response = client.get(path)

    assert response.status_code == 303
    assert response.location.startswith("/staff/login?next=/staff/catalog")


@pytest.mark.parametrize("path", ["/staff/catalog", "/staff/catalog/import"])
def test_a_signed_in_customer_is_sent_to_the_staff_sign_in(client, db_session, login, path):
    login(make_customer())

    response = client.get(path)

    assert response.status_code == 303 and response.location.startswith("/staff/login")


@pytest.mark.parametrize("path", WRITES)
def test_anonymous_writes_are_forbidden(client, db_session, some_product, path):
    response = client.post(path, data={"ids": [some_product.id], "action": "published"})

    assert response.status_code == 403
    assert db_session.get(Product, some_product.id).status == "draft"


@pytest.mark.parametrize("path", PAGES)
def test_a_support_agent_gets_403_pages(client, db_session, sign_in_staff, some_product, path):
    sign_in_staff(make_staff("support_agent"))

    response = client.get(path)

    assert response.status_code == 403
    assert "You cannot open this page" in response.text and "Sign out" in response.text


@pytest.mark.parametrize("path", WRITES)
def test_a_support_agent_cannot_write(client, db_session, sign_in_staff, some_product, path):
    sign_in_staff(make_staff("support_agent"))

    response = client.post(path, data={"ids": [some_product.id], "action": "published",
                                       "name_en": "Hacked", "kind": "product",
                                       "status": "published"})

    assert response.status_code == 403
    db_session.expire_all()
    assert db_session.get(Product, some_product.id).status == "draft"
    assert db_session.get(Product, some_product.id).name_en == "Green tea"


def test_the_menu_shows_catalog_to_catalog_managers_only(client, db_session, sign_in_staff):
    manager = client.application.test_client()
    sign_in_staff(make_staff("catalog_manager"), c=manager)
    sign_in_staff(make_staff("support_agent"))

    assert 'href="/staff/catalog"' in manager.get("/staff/").text
    assert 'href="/staff/catalog"' not in client.get("/staff/").text


# ---- the list ---------------------------------------------------------------------------------

def test_the_list_shows_every_status_with_price_and_category(manager_client, some_product):
    make_product("Old kettle", status="archived", price_cents=4500_00)

    page = manager_client.get("/staff/catalog")

    assert page.status_code == 200
    assert "Green tea" in page.text and "Old kettle" in page.text
    assert "Rs. 4,500.00" in page.text and "Draft" in page.text and "Archived" in page.text
    assert "2 products and services" in page.text


@pytest.mark.parametrize(("query", "expected"), [
    ("?q=green", ["Green tea"]),
    ("?q=gt-1", ["Green tea"]),
    ("?q=%E0%B6%9A%E0%B7%9C%E0%B7%85", ["Green tea"]),  # කොළ
    ("?status=published", ["Massage"]),
    ("?kind=service", ["Massage"]),
    ("?status=draft&kind=product", ["Green tea"]),
])
def test_search_and_filters(manager_client, some_product, db_session, query, expected):
    from app.catalog import editing, inputs

    editing.update_product(some_product.id, inputs.ProductDetails(
        name_en="Green tea", name_si="කොළ තේ", status="draft", category_slug="tea"))
    make_product("Massage", kind="service", status="published")

    page = manager_client.get("/staff/catalog" + query)

    found = [name for name in ("Green tea", "Massage") if f">{name}</a>" in page.text]
    assert page.status_code == 200 and found == expected


def test_a_nul_in_the_search_is_refused_with_a_400(manager_client, db_session):
    # It used to be dropped from the search; every route now refuses control characters in
    # the path and the query alike (app/request_guard.py).
    page = manager_client.get("/staff/catalog?q=green%00")

    assert page.status_code == 400
    assert "invisible control characters" in page.text


def test_the_category_filter_includes_sub_categories(manager_client, db_session):
    drinks = make_category("drinks")
    make_category("tea", parent="drinks")
    make_product("Leaf tea", category="tea")
    make_product("Kettle")

    page = manager_client.get(f"/staff/catalog?category={drinks.id}")

    assert ">Leaf tea</a>" in page.text and ">Kettle</a>" not in page.text


def test_an_htmx_search_gets_only_the_results(manager_client, some_product):
    page = manager_client.get("/staff/catalog?q=green", headers={"HX-Request": "true"})

    assert page.text.lstrip().startswith('<section id="catalog-results"')
    assert "Green tea" in page.text


@pytest.mark.parametrize("query", ["?status=live", "?kind=x", "?category=abc", "?q=" + "x" * 300])
def test_bad_filters_are_a_422_with_a_message(manager_client, db_session, query):
    page = manager_client.get("/staff/catalog" + query)

    assert page.status_code == 422
    assert "Fix the filters above" in page.text


def test_markup_in_names_is_shown_as_text(manager_client, db_session):
    make_product('<script>alert("x")</script><b>Bold</b>', status="draft")

    page = manager_client.get("/staff/catalog")

    assert "<script>alert" not in page.text and "<b>Bold</b>" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b&gt;Bold&lt;/b&gt;" in page.text


def test_bulk_publish_and_archive_are_audited(manager_client, db_session):
    a, b, c = (make_product(n, status="draft") for n in ("A", "B", "C"))

    published = manager_client.post("/staff/catalog/bulk", data={
        "ids": [a.id, b.id], "action": "published", "next": "/staff/catalog?status=draft"})
    after = manager_client.get(published.location)
    archived = manager_client.post("/staff/catalog/bulk", data={"ids": [c.id],
                                                                "action": "archived"})

    assert published.status_code == 303 and published.location == "/staff/catalog?status=draft"
    assert "2 products changed." in after.text
    assert archived.status_code == 303
    db_session.expire_all()
    assert {p.name_en: p.status for p in db_session.scalars(select(Product))} == {
        "A": "published", "B": "published", "C": "archived"}
    assert db_session.get(Product, a.id).published_at is not None
    entries = db_session.scalars(select(AuditEntry).where(
        AuditEntry.action == "catalog.product_status").order_by(AuditEntry.id)).all()
    assert [(e.target_id, e.details["to_status"]) for e in entries] == [
        (str(a.id), "published"), (str(b.id), "published"), (str(c.id), "archived")]


@pytest.mark.parametrize(("data", "message"), [
    ({"action": "published"}, "Tick at least one product."),
    ({"ids": ["1"], "action": "deleted"}, "Not a valid choice."),
    ({"ids": ["abc"], "action": "published"}, "Invalid choice(s)"),
])
def test_bad_bulk_requests_say_why_and_change_nothing(manager_client, db_session, data,
                                                      message):
    make_product("A", status="draft")

    response = manager_client.post("/staff/catalog/bulk", data=data)
    after = manager_client.get(response.location)

    assert response.status_code == 303 and message in after.text
    assert db_session.scalar(select(Product.status)) == "draft"


def test_ids_beyond_any_integer_column_change_nothing(manager_client, db_session):
    make_product("A", status="draft")

    response = manager_client.post("/staff/catalog/bulk", data={
        "ids": ["99999999999999999999", "3000000000"], "action": "published"})

    assert response.status_code == 303
    assert "0 products changed." in manager_client.get(response.location).text


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/staff/catalog/products/{n}"), ("get", "/staff/catalog/variants/{n}"),
    ("get", "/staff/catalog/categories/{n}"), ("get", "/staff/catalog/imports/{n}"),
    ("post", "/staff/catalog/images/{n}/move"), ("post", "/staff/catalog/images/{n}/delete"),
    ("post", "/staff/catalog/variants/{n}/active"),
])
@pytest.mark.parametrize("n", ["0", "3000000000", "99999999999999999999"])
def test_ids_that_cannot_exist_are_404_not_500(manager_client, db_session, method, path, n):
    response = getattr(manager_client, method)(path.format(n=n))

    assert response.status_code == 404


def test_an_offsite_next_is_ignored(manager_client, db_session):
    product = make_product("A", status="draft")

    response = manager_client.post("/staff/catalog/bulk", data={
        "ids": [product.id], "action": "published", "next": "https://evil.example/"})

    assert response.location == "/staff/catalog"


# ---- categories ----------------------------------------------------------------------------------

def test_categories_show_as_a_tree(manager_client, db_session):
    make_category("home", name="Home")
    make_category("kitchen", parent="home", name="Kitchen")
    make_category("garden", name="Garden")

    page = manager_client.get("/staff/catalog/categories")

    text = page.text
    assert page.status_code == 200
    assert text.index(">Garden</a>") < text.index(">Home</a>") < text.index(">Kitchen</a>")
    # Kitchen's list sits inside Home's item.
    home_item = text[text.index(">Home</a>"):text.index(">Garden</a>") if
                     text.index(">Garden</a>") > text.index(">Home</a>") else len(text)]
    assert "<ul>" in home_item and ">Kitchen</a>" in home_item


def test_a_category_is_created_and_edited(manager_client, db_session):
    make_category("home")

    created = manager_client.post("/staff/catalog/categories/new", data={
        "name_en": "Kitchen & dining", "name_si": "කුස්සිය", "parent": "home",
        "position": "2"})
    kitchen = db_session.scalar(select(Category).where(Category.slug == "kitchen-dining"))
    edited = manager_client.post(f"/staff/catalog/categories/{kitchen.id}", data={
        "name_en": "Kitchen", "slug": "kitchen", "parent": "", "position": "0"})

    assert created.status_code == 303 and edited.status_code == 303
    db_session.expire_all()
    assert (kitchen.slug, kitchen.name_en, kitchen.parent_id, kitchen.name_si) == (
        "kitchen", "Kitchen", None, None)


@pytest.mark.parametrize(("data", "message"), [
    ({"name_en": ""}, "This field is required."),
    ({"name_en": "x" * 10_000}, "Field cannot be longer than 120 characters."),
    ({"name_en": "X", "slug": "Bad Slug!"}, "Lower-case letters, digits and hyphens"),
    ({"name_en": "X", "slug": "home"}, "Another category already uses this slug."),
    ({"name_en": "X", "parent": "nowhere"}, "Not a valid choice."),
    ({"name_en": "X", "position": "first"}, "Not a valid integer value."),
    ({"name_en": "X", "position": "-3"}, "Number must be between 0 and 10000."),
    ({"name_en": "X\x00"}, "Remove the invisible control characters."),
])
def test_bad_category_forms_are_422_with_a_message(manager_client, db_session, data, message):
    make_category("home")

    response = manager_client.post("/staff/catalog/categories/new", data=data)

    assert response.status_code == 422
    assert message in response.text


def test_a_category_cannot_be_moved_under_its_own_child(manager_client, db_session):
    home = make_category("home")
    make_category("kitchen", parent="home")

    form = manager_client.get(f"/staff/catalog/categories/{home.id}")
    response = manager_client.post(f"/staff/catalog/categories/{home.id}", data={
        "name_en": "Home", "slug": "home", "parent": "kitchen"})

    assert 'value="kitchen"' not in form.text  # not offered
    assert response.status_code == 422 and "Not a valid choice." in response.text
    db_session.expire_all()
    assert db_session.get(Category, home.id).parent_id is None
