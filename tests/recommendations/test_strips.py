"""What shoppers see of the recommender: the nightly job stores each customer's and each
product's lists from the orders, and the strips (fetched by htmx after the page) read them,
leaving out what cannot be bought now or is already in the cart. A newcomer, a visitor and a
customer who said no see what is popular; nothing fails when the lists are missing or Redis
is down."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from app import db
from app.catalog import services as catalog
from app.inventory import services as inventory
from app.queue import wait_for_local_jobs
from app.recommendations import lists, nightly, tracking
from app.recommendations.models import ShopperEvent, StoredList
from app.recommendations.visitors import COOKIE
from tests.checkout.factories import customer_order
from tests.factories import make_address, make_customer


def names_in(html: str, strip: str) -> list[str]:
    """The product names of one strip (data-strip="…"), in order."""
    found = re.search(rf'data-strip="{strip}".*?</section>', html, re.S)
    if not found:
        return []
    return re.findall(r'class="product-card-name">([^<]+)<', found.group(0))


def strip_kinds(html: str) -> list[str]:
    return re.findall(r'data-strip="([a-z_]+)"', html)


def test_a_customer_who_buys_treacle_every_two_weeks_sees_it_first_in_buy_again(
        client, login, shop):
    regular, v = shop
    nightly.compute()
    html = login(regular).get("/recommendations/home").get_data(as_text=True)
    assert strip_kinds(html)[:2] == ["buy_again", "for_you"]
    assert names_in(html, "buy_again")[0] == "Kithul treacle"
    assert "Buy again" in html
    # For you: things they never bought, each saying which purchase it comes from.
    assert set(names_in(html, "for_you")) <= {"Buffalo curd", "Hoppers flour", "Coconut oil"}
    assert "Buffalo curd" in names_in(html, "for_you")
    assert "Because you bought Kithul treacle" in html


def test_the_strip_leaves_out_what_is_sold_out_unpublished_or_in_the_cart(client, login,
                                                                          shop):
    regular, v = shop
    nightly.compute()
    shopper = login(regular)
    shopper.post("/cart/items", data={"variant_id": v["Kithul treacle"].id, "quantity": 1})
    inventory.set_on_hand(v["Ceylon tea"].id, 0)
    html = shopper.get("/recommendations/home").get_data(as_text=True)
    assert "Kithul treacle" not in names_in(html, "buy_again")
    assert "Ceylon tea" not in html


def test_the_job_stores_one_set_of_lists_however_often_it_runs(shop):
    first = nightly.compute()
    rows = lambda: sorted(db.session.execute(  # noqa: E731
        select(StoredList.kind, StoredList.owner, StoredList.items)).all())
    before = rows()
    second = nightly.compute()
    assert rows() == before and first == second
    regular, v = shop
    owners = {(kind, owner) for kind, owner, _items in before}
    assert {("buy_again", str(regular.id)), ("for_you", str(regular.id)),
            ("together", str(v["Kithul treacle"].product_id)), ("popular", "shop"),
            ("popular_district", "galle")} <= owners


def test_an_order_takes_what_it_bought_out_of_the_customers_lists_until_the_night(
        app, client, login, shop):
    regular, v = shop
    nightly.compute()
    shopper = login(regular)
    assert "Kithul treacle" in names_in(shopper.get("/recommendations/home").get_data(
        as_text=True), "buy_again")
    customer_order(regular, (v["Kithul treacle"], 1))
    wait_for_local_jobs(app)  # the order.placed handler
    html = shopper.get("/recommendations/home").get_data(as_text=True)
    assert "Kithul treacle" not in names_in(html, "buy_again")


def test_the_strips_under_a_product_page_show_what_is_bought_with_it_and_record_the_view(
        client, shop):
    _regular, v = shop
    nightly.compute()
    treacle = v["Kithul treacle"].product_id
    page = client.get(f"/recently-viewed?except={treacle}")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "private, no-store"
    html = page.get_data(as_text=True)
    assert "Often bought together" in html
    assert names_in(html, "together")[0] == "Buffalo curd"
    assert "Kithul treacle" not in names_in(html, "together")
    visitor = client.get_cookie(COOKIE).value
    tracking.flush_all()
    assert tracking.recently_viewed(visitor_id=visitor) == [treacle]


def test_the_cart_is_offered_what_goes_with_it(client, shop):
    _regular, v = shop
    nightly.compute()
    client.post("/cart/items", data={"variant_id": v["Kithul treacle"].id, "quantity": 1})
    html = client.get("/recommendations/cart").get_data(as_text=True)
    assert "Complete your order" in html
    assert "Buffalo curd" in names_in(html, "complete")
    assert "Goes with Kithul treacle" in html
    assert "Kithul treacle" not in names_in(html, "complete")


def test_a_customer_who_said_no_sees_no_personal_strip_and_has_no_lists(client, login, shop):
    regular, _v = shop
    nightly.compute()
    tracking.set_personalised(regular.id, False)
    assert db.session.scalar(select(func.count()).select_from(StoredList).where(
        StoredList.owner == str(regular.id),
        StoredList.kind.in_(("buy_again", "for_you")))) == 0
    nightly.compute()  # and the next night makes none
    html = login(regular).get("/recommendations/home").get_data(as_text=True)
    assert strip_kinds(html) == ["popular"]
    assert "Popular right now" in html and "Because you bought" not in html


def test_without_lists_every_strip_answers_and_a_newcomer_sees_what_is_popular(
        client, login, shop):
    _regular, v = shop
    # The job has never run: nothing is stored.
    assert client.get("/recommendations/home").status_code == 200
    treacle = v["Kithul treacle"].product_id
    assert client.get(f"/recently-viewed?except={treacle}").status_code == 200
    assert client.get("/recommendations/cart").status_code == 200
    assert client.get("/recommendations/search?q=treacle&found=1").status_code == 200

    nightly.compute()
    newcomer = make_customer()
    html = login(newcomer).get("/recommendations/home").get_data(as_text=True)
    assert strip_kinds(html) == ["popular"]
    assert names_in(html, "popular")[0] == "Ceylon tea"  # bought by everyone


def test_a_newcomer_sees_what_is_popular_in_their_district(client, login, shop):
    nightly.compute()
    newcomer = make_customer()
    make_address(newcomer.id, line1="3 Lake Road", district="galle")
    html = login(newcomer).get("/recommendations/home").get_data(as_text=True)
    assert strip_kinds(html) == ["popular_district"]
    assert "Popular in Galle" in html


def test_a_search_is_recorded_and_one_that_found_nothing_is_offered_what_is_popular(
        client, shop):
    nightly.compute()
    html = client.get("/recommendations/search?q=Mangosteen&found=0").get_data(as_text=True)
    assert strip_kinds(html) == ["popular"]
    assert client.get("/recommendations/search?q=tea&found=1").get_data(as_text=True) == ""
    tracking.flush_all()
    copy = db.session.execute(select(ShopperEvent.query, ShopperEvent.found)
                              .where(ShopperEvent.kind == "search")
                              .order_by(ShopperEvent.id)).all()
    assert copy == [("mangosteen", False), ("tea", True)]


def test_with_redis_down_the_strips_still_answer(make_app, shop):
    _regular, v = shop
    nightly.compute()
    app = make_app(REDIS_URL="redis://127.0.0.1:9/0")  # nothing listens there
    client = app.test_client()
    tracking._redis_quiet_until = 0.0
    try:
        treacle = v["Kithul treacle"].product_id
        page = client.get(f"/recently-viewed?except={treacle}")
        assert page.status_code == 200 and "Buffalo curd" in page.get_data(as_text=True)
        assert client.get("/recommendations/home").status_code == 200
        assert client.get(f"/p/{catalog.slugs_of([treacle])[treacle]}").status_code == 200
    finally:
        tracking._redis_quiet_until = 0.0


def test_a_strip_reads_its_lists_in_one_query(shop):
    regular, _v = shop
    nightly.compute()
    statements = []
    from sqlalchemy import event

    engine = db.session.get_bind()

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT"):  # not the BEGIN of SQLite's
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        found = lists.read([("buy_again", str(regular.id)), ("for_you", str(regular.id)),
                            ("popular", lists.SHOP)])
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1 and set(found) == {("buy_again", str(regular.id)),
                                                   ("for_you", str(regular.id)),
                                                   ("popular", lists.SHOP)}


def test_the_job_on_a_shop_with_no_sales_stores_nothing_and_fails_nothing(db_session):
    assert nightly.compute() == nightly.Summary(lines=0, customers=0, lists=0)
