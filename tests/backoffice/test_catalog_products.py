"""One product's back-office pages: create, edit, variants, attributes, slots, pictures. Bad
input is a 422 with the message on its field, never a 500."""

from __future__ import annotations

import datetime as dt
import io
import re
import time

import pytest
from PIL import Image
from sqlalchemy import select

from app.accounts import sessions
from app.audit.models import AuditEntry
from app.catalog.models import Product, ServiceSlot, Variant
from app.i18n import COLOMBO
from tests.catalog.factories import make_category, make_product
from tests.catalog.test_images import jpeg_with_gps, twenty_megabyte_png
from tests.factories import make_staff

GOOD_NEW = {"name_en": "Handloom sarong", "name_si": "අත්යන්ත්‍ර සරම", "name_ta": "கைத்தறி சாரம்",
            "kind": "product", "status": "draft", "category": "", "brand": "Kade",
            "description_en": "Woven in Talawakele.", "sku": "SAR-1", "price": "1,250.00",
            "compare_at": "1,500.00", "weight_grams": "300"}


@pytest.fixture()
def manager(db_session):
    return make_staff("catalog_manager")


@pytest.fixture()
def manager_client(manager, sign_in_staff):
    return sign_in_staff(manager)


def _details(product: Product, **changes) -> dict:
    data = {"name_en": product.name_en, "name_si": product.name_si or "",
            "name_ta": product.name_ta or "", "slug": product.slug, "kind": product.kind,
            "status": product.status, "category": "", "brand": product.brand or "",
            "duration_minutes": str(product.duration_minutes or ""),
            "description_en": product.description_en}
    return {**data, **changes}


def test_a_product_is_created_with_its_first_variant(manager_client, manager, db_session):
    response = manager_client.post("/staff/catalog/products/new", data=GOOD_NEW)
    page = manager_client.get(response.location)

    product = db_session.scalar(select(Product))
    assert response.status_code == 303
    assert response.location == f"/staff/catalog/products/{product.id}"
    assert (product.slug, product.name_si, product.min_price_cents) == (
        "handloom-sarong", "අත්යන්ත්‍ර සරම", 1250_00)
    assert (product.variants[0].sku, product.variants[0].compare_at_cents) == ("SAR-1", 1500_00)
    assert "Saved." in page.text and "Rs. 1,250.00" in page.text
    assert db_session.scalar(select(AuditEntry.actor_id).where(
        AuditEntry.action == "catalog.product_create")) == manager.id


LONG = "x" * 10_000


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"name_en": ""}, "name_en", "This field is required."),
    ({"name_en": LONG}, "name_en", "Field cannot be longer than 200 characters."),
    ({"name_si": LONG}, "name_si", "Field cannot be longer than 200 characters."),
    ({"name_en": "Tea\x00"}, "name_en", "Remove the invisible control characters."),
    ({"brand": "Ka\x1bde"}, "brand", "Remove the invisible control characters."),
    ({"description_en": LONG}, "description_en", "Field cannot be longer than 5000"),
    ({"brand": LONG}, "brand", "Field cannot be longer than 80 characters."),
    ({"slug": "Spaces Not Allowed"}, "slug", "Lower-case letters, digits and hyphens"),
    ({"slug": "taken"}, "slug", "Another product already uses this slug."),
    ({"kind": "gadget"}, "kind", "Not a valid choice."),
    ({"status": "live"}, "status", "Not a valid choice."),
    ({"category": "nowhere"}, "category", "Not a valid choice."),
    ({"kind": "service"}, "duration_minutes",
     "A service needs a duration from 1 to 10080 minutes."),
    ({"kind": "service", "duration_minutes": "an hour"}, "duration_minutes",
     "Not a valid integer value."),
    ({"kind": "service", "duration_minutes": "60", "service_location": "address"},
     "service_districts", "Tick the districts this service covers at customers"),
    ({"kind": "service", "duration_minutes": "60", "service_location": "moon"},
     "service_location", "Not a valid choice."),
    ({"kind": "service", "duration_minutes": "60", "service_location": "address",
      "service_districts": "atlantis"}, "service_districts",
     "is not a valid choice for this field."),
    ({"sku": ""}, "sku", "This field is required."),
    ({"sku": "TAKEN-1"}, "sku", "SKU TAKEN-1 is already used by another variant."),
    ({"sku": "has space"}, "sku", "Letters, digits and . _ / - only"),
    ({"sku": LONG}, "sku", "Field cannot be longer than 64 characters."),
    ({"price": "abc"}, "price", "Enter an amount in rupees, like 1,250.00."),
    ({"price": "-100"}, "price", "A price cannot be negative."),
    ({"price": ""}, "price", "This field is required."),
    ({"price": "1.999"}, "price", "Enter an amount in rupees, like 1,250.00."),
    ({"price": LONG}, "price", "Field cannot be longer than 20 characters."),
    ({"price": "99999999"}, "price", "That is more than Rs. 10,000,000.00."),
    ({"compare_at": "1,000.00"}, "compare_at", "The compare-at price is the old price"),
    ({"cost": "-100"}, "cost", "A price cannot be negative."),
    ({"cost": "cheap"}, "cost", "Enter an amount in rupees, like 1,250.00."),
    ({"cost": "99999999"}, "cost", "That is more than Rs. 10,000,000.00."),
    ({"weight_grams": "-5"}, "weight_grams", "Number must be between 0 and 1000000."),
    ({"weight_grams": "9" * 30}, "weight_grams", "Number must be between 0 and 1000000."),
])
def test_bad_new_product_inputs_are_422_on_their_field(manager_client, db_session, changes,
                                                       field, message):
    make_product("Taken", sku="TAKEN-1")
    before = db_session.scalar(select(Product.id).order_by(Product.id.desc()))

    response = manager_client.post("/staff/catalog/products/new", data={**GOOD_NEW, **changes})

    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text
    error = response.text.split(f'id="{field}-error"')[1].split("</small>")[0]
    assert message in error.replace("&#34;", '"')
    assert db_session.scalar(select(Product.id).order_by(Product.id.desc())) == before


def test_editing_the_name_keeps_the_slug_and_publishing_is_recorded(manager_client,
                                                                    db_session):
    make_category("clothing")
    product = make_product("Sarong", status="draft")

    response = manager_client.post(f"/staff/catalog/products/{product.id}", data=_details(
        product, name_en="Batik sarong", status="published", category="clothing",
        is_featured="y"))

    assert response.status_code == 303
    db_session.expire_all()
    fresh = db_session.get(Product, product.id)
    assert (fresh.slug, fresh.name_en, fresh.status, fresh.category.slug, fresh.is_featured) \
        == ("sarong", "Batik sarong", "published", "clothing", True)
    assert fresh.published_at is not None
    entry = db_session.scalars(select(AuditEntry).where(
        AuditEntry.action == "catalog.product_update")).one()
    assert entry.details["fields"] == ["category_id", "is_featured", "name_en", "status"]


@pytest.mark.parametrize(("changes", "message"), [
    ({"name_en": LONG}, "Field cannot be longer than 200 characters."),
    ({"slug": "taken"}, "Another product already uses this slug."),
    ({"duration_minutes": "0", "kind": "service"}, "Number must be between 1 and 10080."),
])
def test_bad_edits_are_422_and_change_nothing(manager_client, db_session, changes, message):
    make_product("Taken")
    product = make_product("Sarong")

    response = manager_client.post(f"/staff/catalog/products/{product.id}",
                                   data=_details(product, **changes))

    assert response.status_code == 422 and message in response.text
    db_session.expire_all()
    assert db_session.get(Product, product.id).slug == "sarong"


def test_an_unknown_product_is_a_404_page(manager_client, db_session):
    assert manager_client.get("/staff/catalog/products/999").status_code == 404
    assert manager_client.get("/staff/catalog/products/99999999999999999999").status_code \
        == 404  # past PostgreSQL's bigint: still a 404
    assert manager_client.get("/staff/catalog/variants/3000000000").status_code == 404
    assert manager_client.post("/staff/catalog/products/999",
                               data={"name_en": "X"}).status_code == 404


# ---- variants ------------------------------------------------------------------------------------

def test_variants_are_added_edited_and_taken_off_sale(manager_client, db_session):
    product = make_product("Shirt", price_cents=2000_00, sku="SH-M")

    added = manager_client.post(f"/staff/catalog/products/{product.id}/variants", data={
        "variant-sku": "SH-S", "variant-price": "1,500.00", "variant-options": "size=S",
        "variant-barcode": "4791234567890", "variant-weight_grams": "200"})
    small = db_session.scalar(select(Variant).where(Variant.sku == "SH-S"))
    edited = manager_client.post(f"/staff/catalog/variants/{small.id}", data={
        "sku": "SH-S", "price": "1,400.00", "options": "size=S; colour=Blue",
        "barcode": "4791234567890", "weight_grams": "200"})
    db_session.expire_all()
    after_edit = db_session.get(Product, product.id).min_price_cents
    off = manager_client.post(f"/staff/catalog/variants/{small.id}/active",
                              data={"active": "no"})
    page = manager_client.get(off.location)

    assert (added.status_code, edited.status_code, off.status_code) == (303, 303, 303)
    assert after_edit == 1400_00
    db_session.expire_all()
    fresh = db_session.get(Variant, small.id)
    assert (fresh.options, fresh.is_active, fresh.barcode) == (
        {"size": "S", "colour": "Blue"}, False, "4791234567890")
    assert db_session.get(Product, product.id).min_price_cents == 2000_00
    assert "Variant is no longer on sale." in page.text and "off sale" in page.text


def test_a_variants_cost_is_saved_shown_to_staff_and_never_to_shoppers(manager_client,
                                                                         db_session, app):
    product = make_product("Shirt", price_cents=2000_00, sku="SH-M")
    variant_id = product.variants[0].id

    saved = manager_client.post(f"/staff/catalog/variants/{variant_id}", data={
        "sku": "SH-M", "price": "2,000.00", "cost": "1,234.50"})
    form = manager_client.get(f"/staff/catalog/variants/{variant_id}")
    listing = manager_client.get(f"/staff/catalog/products/{product.id}")
    shop_page = app.test_client().get("/p/shirt")
    shop_api = app.test_client().get("/api/v1/products/shirt")

    assert saved.status_code == 303
    db_session.expire_all()
    assert db_session.get(Variant, variant_id).cost_cents == 1234_50
    assert 'name="cost"' in form.text and 'value="1234.50"' in form.text
    assert "Cost price (rupees, optional)" in form.text
    assert "Rs. 1,234.50" in listing.text
    assert shop_page.status_code == 200 and shop_api.status_code == 200
    assert "1,234.50" not in shop_page.text and "1234.5" not in shop_page.text
    assert "123450" not in shop_api.text and "1234.5" not in shop_api.text
    assert "cost" not in shop_api.text


def test_a_variants_cost_can_be_added_with_it_and_cleared(manager_client, db_session):
    product = make_product("Shirt", price_cents=2000_00, sku="SH-M")

    added = manager_client.post(f"/staff/catalog/products/{product.id}/variants", data={
        "variant-sku": "SH-S", "variant-price": "1,500.00", "variant-cost": "900"})
    small = db_session.scalar(select(Variant).where(Variant.sku == "SH-S"))
    cost_when_added = small.cost_cents
    cleared = manager_client.post(f"/staff/catalog/variants/{small.id}", data={
        "sku": "SH-S", "price": "1,500.00", "cost": ""})

    assert (added.status_code, cleared.status_code) == (303, 303)
    assert cost_when_added == 900_00
    db_session.expire_all()
    assert db_session.get(Variant, small.id).cost_cents is None


@pytest.mark.parametrize(("cost", "message"), [
    ("-850", "A price cannot be negative."),
    ("eight hundred", "Enter an amount in rupees, like 1,250.00."),
    ("850.005", "Enter an amount in rupees, like 1,250.00."),
])
def test_a_bad_cost_is_422_on_its_field_and_changes_nothing(manager_client, db_session, cost,
                                                            message):
    product = make_product("Shirt", price_cents=2000_00, sku="SH-M")
    variant_id = product.variants[0].id
    manager_client.post(f"/staff/catalog/variants/{variant_id}", data={
        "sku": "SH-M", "price": "2,000.00", "cost": "1,200.00"})

    response = manager_client.post(f"/staff/catalog/variants/{variant_id}", data={
        "sku": "SH-M", "price": "2,000.00", "cost": cost})

    assert response.status_code == 422
    error = response.text.split('id="cost-error"')[1].split("</small>")[0]
    assert message in error
    db_session.expire_all()
    assert db_session.get(Variant, variant_id).cost_cents == 1200_00


@pytest.mark.parametrize(("data", "message"), [
    ({"variant-sku": "SH-M", "variant-price": "10"},
     "SKU SH-M is already used by another variant."),
    ({"variant-sku": "SH-X", "variant-price": "ten"},
     "Enter an amount in rupees, like 1,250.00."),
    ({"variant-sku": "SH-X", "variant-price": "10", "variant-options": "size"},
     "Write each pair as name=value, like colour=red."),
    ({"variant-sku": "SH-X", "variant-price": "10", "variant-options": "size=S;size=M"},
     "“size” is given twice."),
    ({"variant-sku": "SH-X", "variant-price": "10", "variant-barcode": LONG},
     "Field cannot be longer than 32 characters."),
    ({"variant-sku": "SH-X", "variant-price": "10", "variant-options": "size=\x00"},
     "Remove the invisible control characters."),
    ({"variant-sku": "SH\x00X", "variant-price": "10"},
     "Remove the invisible control characters."),
])
def test_bad_variants_are_422_on_the_product_page(manager_client, db_session, data, message):
    product = make_product("Shirt", sku="SH-M")

    response = manager_client.post(f"/staff/catalog/products/{product.id}/variants", data=data)

    assert response.status_code == 422
    assert message in response.text.replace("&#34;", '"')
    assert "<details class=\"add-box\" open>" in response.text  # the form stays open
    assert db_session.scalar(select(Variant.id).where(Variant.sku == "SH-X")) is None


def test_the_last_variant_of_a_published_product_stays_on_sale(manager_client, db_session):
    variant_id = make_product("Only", status="published").variants[0].id

    response = manager_client.post(f"/staff/catalog/variants/{variant_id}/active",
                                   data={"active": "no"})
    page = manager_client.get(response.location)

    assert "A published product needs one active variant." in page.text
    assert db_session.get(Variant, variant_id).is_active


# ---- attributes and slots ------------------------------------------------------------------------

def test_attributes_are_saved_from_lines(manager_client, db_session):
    product = make_product("Sarong")

    response = manager_client.post(f"/staff/catalog/products/{product.id}/attributes", data={
        "attr-attributes": "material=cotton\ncolour=red\ncolour=blue"})
    page = manager_client.get(f"/staff/catalog/products/{product.id}")

    assert response.status_code == 303
    assert "colour=blue\ncolour=red\nmaterial=cotton" in page.text


def test_bad_attributes_are_422(manager_client, db_session):
    product = make_product("Sarong")

    response = manager_client.post(f"/staff/catalog/products/{product.id}/attributes",
                                   data={"attr-attributes": "material cotton"})

    assert response.status_code == 422
    assert "Write each pair as name=value, like colour=red." in response.text


def test_a_slot_is_added_in_colombo_time_and_listed(manager_client, db_session):
    service = make_product("Massage", kind="service")
    day = (dt.datetime.now(COLOMBO) + dt.timedelta(days=2)).date()

    response = manager_client.post(f"/staff/catalog/products/{service.id}/slots", data={
        "slot-date": day.isoformat(), "slot-time": "09:30", "slot-capacity": "4"})
    page = manager_client.get(f"/staff/catalog/products/{service.id}")

    slot = db_session.scalar(select(ServiceSlot))
    assert response.status_code == 303
    assert slot.starts_at == dt.datetime.combine(day, dt.time(9, 30), tzinfo=COLOMBO)
    assert slot.starts_at.utcoffset() == dt.timedelta(0)  # stored in UTC: 04:00
    assert "09:30" in page.text and "0 of 4" in page.text


NEXT_WEEK = (dt.datetime.now(COLOMBO) + dt.timedelta(days=7)).date().isoformat()


@pytest.mark.parametrize(("data", "message"), [
    ({"slot-date": "2020-01-01", "slot-time": "09:00", "slot-capacity": "1"},
     "Choose a time in the future."),
    ({"slot-date": "0001-01-01", "slot-time": "00:00", "slot-capacity": "1"},
     "Choose a time in the future."),
    ({"slot-date": "9999-12-31", "slot-time": "23:59", "slot-capacity": "1"},
     "Choose a date within the next two years."),
    ({"slot-date": "tomorrow", "slot-time": "09:00", "slot-capacity": "1"},
     "Not a valid date value."),
    ({"slot-date": NEXT_WEEK, "slot-time": "25:00", "slot-capacity": "1"},
     "Not a valid time value."),
    ({"slot-date": NEXT_WEEK, "slot-time": "09:00", "slot-capacity": "0"},
     "Number must be between 1 and 1000."),
])
def test_bad_slots_are_422(manager_client, db_session, data, message):
    service = make_product("Massage", kind="service")

    response = manager_client.post(f"/staff/catalog/products/{service.id}/slots", data=data)

    assert response.status_code == 422 and message in response.text
    assert db_session.scalar(select(ServiceSlot)) is None


# ---- pictures ------------------------------------------------------------------------------------

def _upload(client, product_id, data: bytes, name: str):
    return client.post(f"/staff/catalog/products/{product_id}/images", data={
        "image-image": (io.BytesIO(data), name), "image-alt": "Front"},
        content_type="multipart/form-data")


def test_an_uploaded_picture_shows_as_its_stored_thumbnail(manager_client, db_session):
    product = make_product("Sarong")

    response = _upload(manager_client, product.id, jpeg_with_gps(), "holiday.jpg")
    page = manager_client.get(f"/staff/catalog/products/{product.id}")

    image = db_session.scalars(select(Product).where(Product.id == product.id)).one().images[0]
    thumb_url = f"/media/{image.key.removesuffix('.webp')}-400.webp"
    assert response.status_code == 303
    assert "Picture added." in page.text and f'src="{thumb_url}"' in page.text
    served = manager_client.get(thumb_url)
    assert served.status_code == 200
    assert Image.open(io.BytesIO(served.data)).size == (400, 300)
    assert 'data-preview="image-preview"' in page.text  # the client-side preview hook


@pytest.mark.parametrize(("data", "name", "message"), [
    (b"These are my notes, not a photo.\n" * 50, "photo.jpg",
     "That file is not a picture we can use. Upload a JPEG, PNG or WebP."),
    (b"GIF89a" + b"\x00" * 100, "anim.gif",
     "That file is not a picture we can use. Upload a JPEG, PNG or WebP."),
    (b"", "empty.jpg", "That file is not a picture we can use. Upload a JPEG, PNG or WebP."),
])
def test_files_that_are_not_pictures_are_refused_with_a_message(manager_client, db_session,
                                                                data, name, message):
    product = make_product("Sarong")

    response = _upload(manager_client, product.id, data, name)

    assert response.status_code == 422 and message in response.text
    assert 'id="image-image-error"' in response.text


def test_no_file_at_all_asks_for_one(manager_client, db_session):
    product = make_product("Sarong")

    response = manager_client.post(f"/staff/catalog/products/{product.id}/images",
                                   data={"image-alt": "x"}, content_type="multipart/form-data")

    assert response.status_code == 422 and "Choose a picture." in response.text


def test_a_20_mb_picture_is_refused_by_the_service(manager_client, db_session):
    product = make_product("Sarong")

    response = _upload(manager_client, product.id, twenty_megabyte_png(), "big.png")

    assert response.status_code == 422
    assert "That picture is too large. Upload one under 10 MB." in response.text


def test_an_upload_over_the_request_limit_gets_the_413_page(manager_client, db_session):
    product = make_product("Sarong")

    response = _upload(manager_client, product.id, b"\xff" * (26 * 1024 * 1024), "huge.jpg")

    assert response.status_code == 413
    assert "That file is too large" in response.text and "<html" in response.text
    assert "Pictures can be up to 10 MB" in response.text and "Sign out" in response.text


def test_pictures_are_moved_and_deleted_from_the_page(manager_client, db_session):
    product = make_product("Sarong")
    for colour in ("red", "blue"):
        out = io.BytesIO()
        Image.new("RGB", (50, 50), colour).save(out, "PNG")
        _upload(manager_client, product.id, out.getvalue(), f"{colour}.png")
    red, blue = db_session.get(Product, product.id).images

    moved = manager_client.post(f"/staff/catalog/images/{blue.id}/move",
                                data={"direction": "up"})
    db_session.expire_all()
    order = [i.id for i in db_session.get(Product, product.id).images]
    deleted = manager_client.post(f"/staff/catalog/images/{red.id}/delete")

    assert moved.status_code == 303 and order == [blue.id, red.id]
    assert deleted.status_code == 303
    db_session.expire_all()
    assert [i.id for i in db_session.get(Product, product.id).images] == [blue.id]
    assert manager_client.post("/staff/catalog/images/999/delete").status_code == 404


def test_the_edit_page_escapes_markup_everywhere(manager_client, db_session):
    make_category("x", name="<i>cat</i>")
    product = make_product("<img src=x onerror=alert(1)>", category="x",
                           attributes={"<b>k</b>": "<u>v</u>"})

    page = manager_client.get(f"/staff/catalog/products/{product.id}")

    assert "<img src=x" not in page.text and "<b>k</b>" not in page.text
    assert "<i>cat</i>" not in page.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.text


def test_every_form_on_the_edit_page_carries_a_csrf_token_that_works(make_app, db_session):
    """With CSRF on (as in production): each form posts its own token, prefixed or not."""
    csrf_app = make_app(WTF_CSRF_ENABLED=True)
    manager = make_staff("catalog_manager")
    product = make_product("Shirt", sku="SH-M", status="draft")
    client = csrf_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session["staff_2fa"] = sessions.start(
            manager, kind=sessions.STAFF).session_key
        session["_fresh"] = True
        session["staff_seen"] = int(time.time())

    page = client.get(f"/staff/catalog/products/{product.id}").text
    tokens = dict(re.findall(r'name="((?:[a-z]+-)?csrf_token)"[^>]*value="([^"]+)"', page))
    variant = client.post(f"/staff/catalog/products/{product.id}/variants", data={
        "variant-csrf_token": tokens["variant-csrf_token"], "variant-sku": "SH-S",
        "variant-price": "100"})
    attrs = client.post(f"/staff/catalog/products/{product.id}/attributes", data={
        "attr-csrf_token": tokens["attr-csrf_token"], "attr-attributes": "fit=slim"})
    details = client.post(f"/staff/catalog/products/{product.id}", data={
        "csrf_token": tokens["csrf_token"], "name_en": "Shirt", "kind": "product",
        "status": "draft"})
    listing = client.get("/staff/catalog").text
    bulk_token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', listing).group(1)
    bulk = client.post("/staff/catalog/bulk", data={"csrf_token": bulk_token,
                                                     "ids": [product.id],
                                                     "action": "published"})
    forged = client.post("/staff/catalog/bulk", data={"ids": [product.id],
                                                       "action": "archived"})

    assert {"variant-csrf_token", "attr-csrf_token", "image-csrf_token", "csrf_token"} <= \
        set(tokens)
    assert (variant.status_code, attrs.status_code, details.status_code,
            bulk.status_code) == (303, 303, 303, 303)
    assert forged.status_code == 400
    db_session.expire_all()
    assert db_session.get(Product, product.id).status == "published"


def test_a_home_service_is_saved_with_the_districts_it_covers(manager_client, db_session):
    data = {**GOOD_NEW, "kind": "service", "duration_minutes": "240",
            "service_location": "address", "service_districts": ["jaffna", "colombo"]}

    created = manager_client.post("/staff/catalog/products/new", data=data)
    product = db_session.scalar(select(Product))
    page = manager_client.get(created.location).text
    moved = manager_client.post(f"/staff/catalog/products/{product.id}",
                                data=_details(product, service_location="shop",
                                              service_districts=["jaffna"]))
    product = db_session.scalar(select(Product))

    assert created.status_code == 303
    assert re.search(r'<input checked id="service_districts-\d+" name="service_districts" '
                     r'type="checkbox" value="jaffna">', page)
    assert '<option selected value="address">' in page
    assert moved.status_code == 303
    assert (product.service_location, product.service_districts) == ("shop", None)


def test_a_product_keeps_no_service_place(manager_client, db_session):
    data = {**GOOD_NEW, "service_location": "address", "service_districts": ["jaffna"]}

    manager_client.post("/staff/catalog/products/new", data=data)

    product = db_session.scalar(select(Product))
    assert (product.service_location, product.service_districts) == (None, None)
