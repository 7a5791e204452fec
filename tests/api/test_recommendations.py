"""/me/recommendations and /products/{slug}/related: the stored lists through the API, with
the same filtering as the web's strips, and the usual errors."""

from __future__ import annotations

from app.recommendations import nightly, tracking
from tests.api.helpers import assert_problem, bearer, sign_in
from tests.checkout.factories import stocked
from tests.factories import make_customer
from tests.recommendations.conftest import bought


def _shop():
    treacle, curd, tea = (stocked(name, units=50, price_cents=400_00)
                          for name in ("Kithul treacle", "Buffalo curd", "Ceylon tea"))
    regular = make_customer()
    for days in (42, 28, 14):
        bought(regular, treacle, days_ago=days)
    for n in range(3):
        bought(make_customer(), treacle, curd, tea, days_ago=5 + n)
    nightly.compute()
    return regular, treacle, curd


def test_my_buy_again_and_for_you(client, db_session):
    regular, treacle, curd = _shop()
    token = bearer(sign_in(client, regular.email)["access_token"])
    again = client.get("/api/v1/me/recommendations?kind=buy_again", headers=token)
    assert again.status_code == 200
    body = again.get_json()
    assert body["kind"] == "buy_again"
    assert body["items"][0]["slug"] == treacle.product.slug
    assert body["items"][0]["price"] == {"amount_cents": 400_00, "currency": "LKR"}
    assert body["items"][0]["availability"] == "in_stock"

    for_you = client.get("/api/v1/me/recommendations?kind=for_you", headers=token).get_json()
    curd_item = next(i for i in for_you["items"] if i["slug"] == curd.product.slug)
    assert curd_item["because_of"]["slug"] == treacle.product.slug

    tracking.set_personalised(regular.id, False)
    assert client.get("/api/v1/me/recommendations?kind=for_you",
                      headers=token).get_json()["items"] == []


def test_recommendations_need_a_token_and_a_known_kind(client, db_session):
    regular, _treacle, _curd = _shop()
    assert_problem(client.get("/api/v1/me/recommendations?kind=buy_again"), 401)
    token = bearer(sign_in(client, regular.email)["access_token"])
    assert_problem(client.get("/api/v1/me/recommendations?kind=everything", headers=token), 422)
    assert_problem(client.get("/api/v1/me/recommendations", headers=token), 422)


def test_related_products_are_public_and_a_draft_is_not_found(client, db_session):
    _regular, treacle, curd = _shop()
    answer = client.get(f"/api/v1/products/{treacle.product.slug}/related")
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "public, max-age=60"
    body = answer.get_json()
    assert body["kind"] == "together"
    assert body["items"][0]["slug"] == curd.product.slug
    assert treacle.product.slug not in {i["slug"] for i in body["items"]}
    assert_problem(client.get("/api/v1/products/no-such-thing/related"), 404)
    draft = stocked("Draft jam", status="draft")
    assert_problem(client.get(f"/api/v1/products/{draft.product.slug}/related"), 404)
