"""Kade scales out with no code change: three app nodes (gunicorn processes on ports of their
own, as if on three machines) sharing one PostgreSQL and one Redis, and one RQ worker. A
shopper moving between nodes on every request (as a round-robin proxy would send them) keeps
their session and cart, the rate limit counts their attempts on every node, a page one node
cached is not served after its time by another, and the jobs the nodes queue run once."""

from __future__ import annotations

import email
import email.policy
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.catalog import editing, inputs
from tests.checkout.factories import starter_delivery, stocked
from tests.conftest import PASSWORD
from tests.factories import make_address, make_customer
from tests.ops import servers
from tests.ops.browser import Browser

pytestmark = pytest.mark.postgres_only  # nodes share a database server, not a file

CACHE_SECONDS = 2


@pytest.fixture(scope="module")
def cluster(migrated, own_redis, tmp_path_factory):
    """Three nodes and a worker against one database and one Redis, writing mail to one
    outbox folder (as one SMTP server would receive it). Started once for this file's tests
    (each start loads the app three times over)."""
    folder = tmp_path_factory.mktemp("cluster")
    shared = {"REDIS_URL": own_redis.url, "RATELIMIT_ENABLED": "1",
              "PAGE_CACHE_SECONDS": str(CACHE_SECONDS),
              "KADE_OUTBOX_DIR": str(folder / "outbox")}
    nodes = [(folder / name, "web", None) for name in ("a", "b", "c")]
    with servers.gunicorns(migrated, nodes, **shared) as (a, b, c):
        env = servers.environment(migrated, folder / "worker", **shared)
        log = (folder / "worker.log").open("wb")
        worker = subprocess.Popen([sys.executable, "-m", "jobs.worker"], cwd=servers.ROOT,
                                  env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield (a, b, c), folder / "outbox"
        finally:
            servers.stop(worker)
            log.close()


@pytest.fixture(autouse=True)
def _fresh_limits_and_pages(own_redis):
    """Each test from 127.0.0.1 starts with no attempts counted and no page kept (the rest
    of Redis, the worker's registration and queues, stays)."""
    client = own_redis.client()
    for key in client.scan_iter("LIMITS*"):
        client.delete(key)
    for key in client.scan_iter("kade:page*"):
        client.delete(key)
    yield
    client.close()


def _mails(folder: Path, to: str, *, wait: float = 30) -> list[email.message.EmailMessage]:
    deadline = time.monotonic() + wait
    while True:
        found = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                 for p in sorted(folder.glob("*.eml"))] if folder.exists() else []
        found = [m for m in found if m["To"] == to]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_a_customer_signs_in_on_one_node_fills_the_cart_on_another_and_pays_on_a_third(
        app, cluster):
    (a, b, c), outbox = cluster
    with app.app_context():
        customer = make_customer(name="Nimal Perera")
        address = make_address(customer.id, line1="12 Temple Road", district="galle")
        variant = stocked(units=5)
        starter_delivery()
        email_address, address_id, variant_id = customer.email, address.id, variant.id
    shopper = Browser()

    signed_in = shopper.post(f"{a.base}/account/login",
                             {"email": email_address, "password": PASSWORD})
    assert signed_in.status == 200 and "Sign out" in signed_in.text, signed_in.text[:300]
    added = shopper.post(f"{b.base}/cart/items", {"variant_id": str(variant_id),
                                                 "quantity": "2"},
                         form_page=f"{b.base}/cart")
    assert added.status == 200
    cart = shopper.get(f"{c.base}/cart")
    # The same customer (signed in on A) and the same cart (filled on B), seen on C.
    assert "Sign out" in cart.text and "Ceylon tea" in cart.text
    assert "Rs. 2,500.00" in cart.text
    steps = [("address", {"address_id": str(address_id)}, a),
             ("delivery", {"delivery_option": "island-wide"}, b),
             ("payment", {"payment_method": "cod"}, c)]
    for name, data, node in steps:
        moved = shopper.post(f"{node.base}/checkout", {"step": name, **data},
                             form_page=f"{node.base}/checkout?step={name}")
        assert moved.status == 200, (name, moved.text[:300])
    review = shopper.get(f"{a.base}/checkout?step=review")
    key = re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', review.text)
    assert key, review.text[:500]
    placed = shopper.post(f"{c.base}/checkout", {"step": "place",
                                                "idempotency_key": key.group(1)},
                          form_page=f"{c.base}/checkout?step=review")

    assert placed.status == 200 and "/account/orders/KD-" in placed.url, placed.text[:300]
    number = placed.url.rsplit("/", 1)[-1]
    assert number in shopper.get(f"{b.base}/account/orders").text
    # The confirmation was queued by node C and sent once, by the worker.
    mails = _mails(outbox, email_address)
    assert [number in m["Subject"] for m in mails] == [True]


def test_the_sign_in_rate_limit_counts_attempts_on_every_node(cluster):
    nodes, _outbox = cluster
    attacker = Browser()
    answers = []
    for attempt in range(12):  # AUTH_LIMIT: 10 a minute from one address
        node = nodes[attempt % 3]
        answers.append(attacker.post(f"{node.base}/account/login",
                                     {"email": "nobody@example.lk",
                                      "password": "wrong pass phrase"}).status)

    assert answers[:10] == [401] * 10, answers  # "wrong email or password", on A, B and C
    assert answers[10:] == [429, 429], answers  # the 11th, on node B, knew of the other ten


def test_a_page_cached_on_one_node_is_not_served_stale_after_its_time_on_another(app,
                                                                               cluster):
    (a, b, c), _outbox = cluster
    with app.app_context():
        variant = stocked("Ceylon tea", units=5)
        product_id, slug = variant.product_id, variant.product.slug
    visitor = Browser()
    assert "Ceylon tea" in visitor.get(f"{a.base}/p/{slug}").text  # kept by A, and in Redis

    with app.app_context():
        editing.update_product(product_id, inputs.ProductDetails(name_en="Ceylon black tea",
                                                                 status="published"))
    changed_at = time.monotonic()
    time.sleep(max(0.0, CACHE_SECONDS + 0.5 - (time.monotonic() - changed_at)))

    for node in (b, c, a):
        page = visitor.get(f"{node.base}/p/{slug}")
        assert page.status == 200 and "Ceylon black tea" in page.text, node.port
