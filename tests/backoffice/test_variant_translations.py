"""Staff give a variant's options in Sinhala and Tamil on the variant form; bad pairs are a
422 on their field and change nothing."""

from __future__ import annotations

import pytest

from app.catalog import editing, inputs
from app.catalog.models import Variant
from app.errors import Invalid
from tests.catalog.factories import make_product
from tests.catalog.test_translated_options import PACK_SI, PACK_TA, _tea
from tests.factories import make_staff


@pytest.fixture()
def manager_client(db_session, sign_in_staff):
    return sign_in_staff(make_staff("catalog_manager"))


def _variant_form(variant, **changes) -> dict:
    return {"sku": variant.sku, "price": "450.00", "options": "pack=250 g", "barcode": "",
            "weight_grams": "", **changes}


def test_staff_give_the_options_in_sinhala_and_tamil(manager_client, db_session):
    _product, small, _big = _tea(translated=False)

    saved = manager_client.post(f"/staff/catalog/variants/{small.id}", data=_variant_form(
        small, options_si="ඇසුරුම = ග්‍රෑම් 250", options_ta="பொதி=250 கிராம்"))
    form = manager_client.get(f"/staff/catalog/variants/{small.id}")
    listing = manager_client.get(f"/staff/catalog/products/{small.product_id}").text

    assert saved.status_code == 303
    db_session.expire_all()
    fresh = db_session.get(Variant, small.id)
    assert (fresh.options, fresh.options_si, fresh.options_ta) == (
        {"pack": "250 g"}, PACK_SI, PACK_TA)
    assert 'value="ඇසුරුම=ග්‍රෑම් 250"' in form.text and 'lang="si"' in form.text
    assert "Options in Tamil" in form.text
    assert "பொதி: 250 கிராம்" in listing and "Not translated" in listing  # the 1 kg pack


def test_emptying_a_translation_shows_english_again(manager_client, db_session):
    _product, small, _big = _tea()

    manager_client.post(f"/staff/catalog/variants/{small.id}",
                        data=_variant_form(small, options_si="", options_ta=""))

    db_session.expire_all()
    fresh = db_session.get(Variant, small.id)
    assert (fresh.options_si, fresh.options_ta) == (None, None)
    assert fresh.options_in("si") == {"pack": "250 g"}


@pytest.mark.parametrize(("changes", "message"), [
    ({"options_si": "ඇසුරුම=ග්‍රෑම් 250; වර්ණය=කළු"},
     "Give one Sinhala pair for each of the 1 options, in the same order"),
    ({"options_ta": "பொதி 250 கிராம்"}, "Write each pair as name=value"),
    ({"options_ta": "பொதி=250\u202eகிராம்"}, "Remove the invisible control characters."),
    ({"options_si": "ඇසුරුම=" + "ග" * 81}, "Keep names under 41 and values under 81"),
    ({"options": "", "options_si": "ඇසුරුම=ග්‍රෑම් 250"},
     "Give the options in English first"),
])
def test_bad_translated_options_are_refused_on_their_field(manager_client, db_session,
                                                           changes, message):
    _product, small, _big = _tea()

    response = manager_client.post(f"/staff/catalog/variants/{small.id}",
                                   data=_variant_form(small, **changes))

    assert response.status_code == 422
    assert message in response.text.replace("&#34;", '"').replace("&#39;", "'")
    assert 'aria-invalid="true"' in response.text
    db_session.expire_all()
    assert db_session.get(Variant, small.id).options_si == PACK_SI  # nothing changed


def test_the_service_refuses_a_translation_that_does_not_match_the_options(db_session):
    product, small, _big = _tea()

    with pytest.raises(Invalid) as refused:
        editing.update_variant(small.id, inputs.VariantInput(
            sku="TEA-250", price_cents=450_00, options={"pack": "250 g", "kind": "green"},
            options_si=PACK_SI))

    assert refused.value.field == "options_si"




# ---- attribute values -------------------------------------------------------------------------

def test_staff_translate_attribute_values(manager_client, db_session):
    product = make_product("Sarong", attributes={"colour": "red"})

    saved = manager_client.post(f"/staff/catalog/products/{product.id}/attributes", data={
        "attr-attributes": "colour=red\nmaterial=cotton", "attr-attributes_si": "red=රතු",
        "attr-attributes_ta": "red=சிவப்பு\ncotton=பருத்தி"})
    page = manager_client.get(f"/staff/catalog/products/{product.id}").text

    assert saved.status_code == 303
    db_session.expire_all()
    values = {a.value: (a.value_si, a.value_ta) for a in product.attributes}
    assert values == {"red": ("රතු", "சிவப்பு"), "cotton": (None, "பருத்தி")}
    assert "red=රතු" in page and "cotton=பருத்தி" in page


@pytest.mark.parametrize(("data", "message"), [
    ({"attr-attributes_si": "blue=නිල්"}, "“blue” is not one of this product's attribute"),
    ({"attr-attributes_ta": "red சிவப்பு"}, "Write each pair as name=value"),
    ({"attr-attributes_ta": "red=" + "ச" * 81}, "Keep names under 41 and values under 81"),
])
def test_bad_attribute_translations_are_refused(manager_client, db_session, data, message):
    product = make_product("Sarong", attributes={"colour": "red"})

    response = manager_client.post(f"/staff/catalog/products/{product.id}/attributes",
                                   data={"attr-attributes": "colour=red", **data})

    assert response.status_code == 422
    assert message in response.text.replace("&#39;", "'").replace("&#34;", '"')
    db_session.expire_all()
    assert [(a.value, a.value_si) for a in product.attributes] == [("red", None)]
