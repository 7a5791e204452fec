"""The filter panel's counts kept per category (app/catalog/facet_counts.py): whatever staff
do to products (publish, withdraw, move, re-tag, delete, import), a category page's counts
are what counting its products would give, and counting them asks no product row."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from app.catalog import editing, facet_counts, imports, inputs, services as catalog
from app.catalog.models import FacetCount, Product, ProductAttribute
from app.catalog.services import ProductFilter
from app.db import session
from jobs import catalog as catalog_jobs
from tests.catalog.factories import make_category, make_product
from tests.catalog.test_imports import catalog_csv
from tests.factories import make_staff
from tests.statements import statements_sent


def counted(category: str | None) -> dict[str, list[tuple[str, int]]]:
    """What the panel shows, counted over the products themselves (a price filter too wide
    to narrow anything makes the listing count them rather than read the kept counts)."""
    return catalog.attribute_facets(ProductFilter(category=category, min_price_cents=0))


def kept(category: str | None) -> dict[str, list[tuple[str, int]]]:
    return catalog.attribute_facets(ProductFilter(category=category))


def assert_kept_counts_are_right(*categories: str) -> None:
    for category in (None, *(categories or ("groceries", "tea", "rice", "kitchen"))):
        assert kept(category) == counted(category), category
        # The listing's total: kept too, for a category with no other filter.
        assert catalog.list_products(ProductFilter(category=category)).total == \
            catalog.list_products(ProductFilter(category=category, min_price_cents=0)).total


def details(product: Product, **changes) -> inputs.ProductDetails:
    values = dict(name_en=product.name_en, kind=product.kind, status=product.status,
                  category_slug=product.category.slug if product.category else None)
    return inputs.ProductDetails(**{**values, **changes})


def test_counts_follow_every_change_to_products(db_session):  # noqa: PLR0915
    make_category("groceries")
    make_category("tea", parent="groceries")
    make_category("rice", parent="groceries")
    make_category("kitchen")
    green = make_product("Green tea", category="tea", attributes={"origin": "Kandy"})
    black = make_product("Black tea", category="tea",
                         attributes={"origin": "Galle", "pack": "250 g"})
    make_product("Samba", category="rice", attributes={"origin": "Kandy"})
    draft = make_product("Oolong", category="tea", status="draft",
                         attributes={"origin": "Kandy"})
    make_product("Loose leaf", attributes={"origin": "Badulla"})  # in no category
    assert kept("groceries") == {"origin": [("Galle", 1), ("Kandy", 2)],
                                 "pack": [("250 g", 1)]}
    assert kept(None)["origin"] == [("Badulla", 1), ("Galle", 1), ("Kandy", 2)]
    assert_kept_counts_are_right()

    editing.set_status([draft.id], "published")  # published: counted
    assert dict(kept("tea")["origin"])["Kandy"] == 2
    assert_kept_counts_are_right()

    editing.update_product(green.id, details(green, category_slug="kitchen"))  # moved
    assert kept("kitchen") == {"origin": [("Kandy", 1)]}
    assert_kept_counts_are_right()

    editing.set_attributes(black.id, [("origin", "Kandy")])  # re-tagged, a value dropped
    assert "pack" not in kept("groceries")
    assert_kept_counts_are_right()

    editing.set_status([black.id, draft.id], "archived")  # withdrawn: no longer counted
    assert_kept_counts_are_right()

    session.delete(session.get(Product, green.id))  # deleted outright
    session.commit()
    assert kept("kitchen") == {}
    assert_kept_counts_are_right()


def test_a_csv_import_keeps_the_counts(db_session, monkeypatch):
    make_category("clothing")
    monkeypatch.setattr(imports, "enqueue", lambda *_args: None)  # run here, below
    record = imports.start_import("shirts.csv", catalog_csv(40, category="clothing"),
                                  actor=make_staff("catalog_manager"))
    catalog_jobs.run_import(record.id)

    # Ten shirts (four sizes each), each "material=cotton;colour=white".
    assert kept("clothing") == {"colour": [("white", 10)], "material": [("cotton", 10)]}
    assert_kept_counts_are_right("clothing")


def test_a_category_page_reads_the_kept_counts_not_its_products(app, db_session):
    make_category("tea")
    for n in range(5):
        make_product(f"Tea {n}", category="tea", attributes={"origin": "Kandy"})

    with statements_sent(app) as statements:
        facets = kept("tea")

    assert facets == {"origin": [("Kandy", 5)]}
    joined = " ".join(" ".join(statements).split())
    assert "catalog_facet_count" in joined
    assert "catalog_product_attribute" not in joined and "FROM catalog_product " not in joined


def test_rebuild_counts_what_a_bulk_load_left_out(db_session):
    make_category("tea")
    make_product("Green tea", category="tea", attributes={"origin": "Kandy"})
    session.execute(delete(FacetCount))  # as after a COPY that bypassed the sessions
    assert kept("tea") == {}

    facet_counts.rebuild(session())
    session.commit()
    assert kept("tea") == {"origin": [("Kandy", 1)]}
    total = session.scalar(select(func.count()).select_from(ProductAttribute))
    assert session.scalar(select(func.sum(FacetCount.products)).where(
        FacetCount.name != facet_counts.ALL_PRODUCTS)) == total
    assert catalog.list_products(ProductFilter(category="tea")).total == 1
