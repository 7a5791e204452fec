"""Variants on sale as checkout reads them (app/catalog/on_sale.py): plain frozen values with
their product and its pictures, in one statement for a whole cart, only for active variants
of published products."""

from __future__ import annotations

import dataclasses

import pytest

from app.catalog import inputs, services as catalog
from app.catalog.models import ProductImage
from app.db import transaction
from tests.catalog.factories import make_product
from tests.statements import statements_sent


def _sarong(db_session):
    product = make_product("Batik sarong", name_si="බතික් සරම", variants=[
        inputs.VariantInput(sku="SAR-M", price_cents=2500_00, compare_at_cents=3000_00,
                            options={"Size": "M", "Colour": "Blue"},
                            options_si={"ප්‍රමාණය": "M", "වර්ණය": "නිල්"}),
        inputs.VariantInput(sku="SAR-L", price_cents=2700_00, options={"Size": "L"})])
    with transaction():
        for position, key, variant in ((1, "b.webp", product.variants[1].id),
                                       (0, "a.webp", None)):
            db_session.add(ProductImage(product_id=product.id, key=f"products/{key}", width=8,
                                        height=8, position=position, variant_id=variant))
    return product


def test_a_variant_on_sale_reads_as_the_model_does_where_checkout_reads_it(app, db_session):
    sarong = _sarong(db_session)
    medium, large = (v.id for v in sarong.variants)
    db_session.remove()

    with app.test_request_context():
        found = catalog.variants_for_sale([medium, large])

    variant = found[medium]
    assert (variant.sku, variant.price_cents, variant.compare_at_cents, variant.product_id) == (
        "SAR-M", 2500_00, 3000_00, sarong.id)
    assert variant.options_text("en") == "Size: M, Colour: Blue"
    assert variant.options_text("si") == "ප්‍රමාණය: M, වර්ණය: නිල්"
    assert found[large].options_text("si") == "Size: L"  # not translated: English shows
    product = variant.product
    assert product is found[large].product  # one product for its variants
    assert (product.slug, product.kind, product.is_service) == (sarong.slug, "product", False)
    assert product.text("name", "si") == "බතික් සරම"
    assert product.text("name", "ta") == "Batik sarong"
    assert [(p.key, p.variant_id) for p in product.images] == [
        ("products/a.webp", None), ("products/b.webp", large)]
    with pytest.raises(dataclasses.FrozenInstanceError):
        variant.price_cents = 1  # read-only: changes go through the models


def test_only_active_variants_of_published_products_are_on_sale(app, db_session):
    sarong = _sarong(db_session)
    draft = make_product("Draft mug", status="draft")
    with transaction():
        sarong.variants[1].is_active = False
    ids = [sarong.variants[0].id, sarong.variants[1].id, draft.variants[0].id, 999_999]
    db_session.remove()

    with app.test_request_context():
        found = catalog.variants_for_sale(ids)

    assert set(found) == {sarong.variants[0].id}


def test_a_service_on_sale_carries_where_it_is_done(app, db_session):
    cleaning = make_product("Home cleaning", kind="service", service_location="address",
                            service_districts=("colombo", "gampaha"))
    db_session.remove()

    with app.test_request_context():
        product = catalog.variants_for_sale([cleaning.variants[0].id])[
            cleaning.variants[0].id].product

    assert product.is_service and product.at_customer_address
    assert list(product.service_districts) == ["colombo", "gampaha"]
    assert product.duration_minutes == 60 and product.images == ()


def test_a_whole_cart_is_one_statement_however_many_products(app, db_session):
    ids = [make_product(f"Tea {n}").variants[0].id for n in range(6)]
    db_session.remove()

    with app.test_request_context(), statements_sent(app) as statements:
        found = catalog.variants_for_sale(ids)

    reads = [s for s in statements if s.startswith("SELECT")]
    assert set(found) == set(ids)
    assert len(reads) == 1  # the variants with their products and their pictures
