"""/me/recommendations (my "buy again" and "for you") and /products/{slug}/related ("often
bought together"), from the lists the nightly job stores, filtered as they are read: nothing
sold out, unpublished or already in my cart."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from app.api.auth import auth, current_customer
from app.api.blueprint import bp
from app.api.catalog import CACHING, card_out
from app.api.catalog_schemas import CategoryRef, ProductCard, ProductPath
from app.api.languages import api_locale
from app.api.openapi import error_responses
from app.api.schemas import Output
from app.catalog import services as catalog
from app.checkout import shopper
from app.db import reads_only
from app.errors import NotFound
from app.recommendations import strips


class RecommendationQuery(BaseModel):
    kind: Literal["buy_again", "for_you"] = Field(
        description="`buy_again`: what I buy again and again, what is due first; `for_you`: "
                    "things I have not bought that people who buy what I buy like.")


class ProductRef(CategoryRef):
    """A product named as the reason for another."""


class RecommendedProduct(ProductCard):
    because_of: ProductRef | None = Field(
        description="The product I bought that this one is recommended for (\"Because you "
                    "bought Kithul treacle\"), when there is one.")


class Recommendations(Output):
    kind: str
    items: list[RecommendedProduct] = Field(
        description="Best first, at most 8. Empty when there is nothing to recommend yet, "
                    "or I said no to personalisation.")


def _answer(kind: str, strip: strips.Strip | None) -> Recommendations:
    locale = api_locale()
    if strip is None:
        return Recommendations(kind=kind, items=[])
    stock = strip.stock
    items = []
    for card in strip.cards:
        reason = strip.reasons.get(card.id)
        because = (ProductRef(id=reason.id, slug=reason.slug, name=reason.text("name", locale))
                   if reason else None)
        items.append(card_out(card, stock.get(card.id, 0), locale, cls=RecommendedProduct,
                              because_of=because))
    return Recommendations(kind=kind, items=items)


@bp.get("/me/recommendations")
@reads_only
@bp.auth_required(auth)
@bp.input(RecommendationQuery, location="query", arg_name="query")
@bp.output(Recommendations)
@bp.doc(tags=["Me"], responses=error_responses(401, 422, when={
    422: "`kind` is missing or not `buy_again` or `for_you`."}))
def my_recommendations(query: RecommendationQuery):
    """My recommendations

    Computed each night from what I bought (and trimmed when I order). Names follow
    Accept-Language. Nothing when I said no to personalisation (/account/personalisation on
    the web).
    """
    customer = current_customer()
    strip = strips.personal_items(customer.id, query.kind,
                                  in_cart=shopper.product_ids_in_customers_cart(customer.id))
    return _answer(query.kind, strip)


@bp.get("/products/<slug>/related")
@reads_only
@bp.input(ProductPath, location="path", arg_name="path")
@bp.output(Recommendations)
@bp.doc(tags=["Catalogue"], responses=error_responses(404, 422, when={
    404: "No published product has this slug.",
    422: "The slug is longer than 120 characters or holds control characters."}))
def related_products(slug: str, path: ProductPath):
    """Often bought together

    Products people buy with this one (`kind` `together`), or, for a product with no sales
    yet, what is popular in its category (`popular_category`). Public: no token, the same
    for every caller (cached a minute, as the catalogue is).
    """
    product_id = catalog.published_id(path.slug)
    if product_id is None:
        raise NotFound()
    strip = strips.product(product_id, in_cart=set())
    return _answer(strip.kind if strip else "together", strip), 200, CACHING
