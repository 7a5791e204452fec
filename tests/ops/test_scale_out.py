"""Kade scales out with no code change: three app nodes (gunicorn processes on ports of their
own, as if on three machines) sharing one PostgreSQL and one Redis, and one RQ worker. A
shopper moving between nodes on every request (as a round-robin proxy would send them) keeps
their session and cart, the rate limit counts their attempts on every node, a page one node
cached is not served after its time by another, and the jobs the nodes queue run once."""

from __future__ import annotations

import email
import email.policy
import json
import re
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.catalog import editing, inputs
from tests.checkout.factories import starter_delivery, stocked
from tests.conftest import PASSWORD
from tests.factories import make_address, make_customer
from tests.ops import proxy, servers
from tests.ops.browser import Browser
from tests.ops.prometheus_text import parse

pytestmark = pytest.mark.postgres_only  # nodes share a database server, not a file

CACHE_SECONDS = 2


@dataclass(frozen=True)
class Cluster:
    nodes: tuple[servers.Server, ...]
    proxy: str  # nginx in front of the nodes (ops/nginx/kade.conf), its base URL
    outbox: Path  # the mail every process sends
    logs: tuple[Path, ...]  # every node's and the worker's output


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
            with proxy.nginx(folder / "nginx", web_ports=[a.port, b.port, c.port],
                             staff_port=servers.free_port()) as base:
                yield Cluster(nodes=(a, b, c), proxy=base, outbox=folder / "outbox",
                              logs=(a.output, b.output, c.output, folder / "worker.log"))
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
    (a, b, c), outbox = cluster.nodes, cluster.outbox
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


def test_one_proxy_spreads_a_signed_in_shopper_over_every_node(app, cluster):
    nodes, base = cluster.nodes, cluster.proxy
    with app.app_context():
        customer = make_customer()
        slug = stocked("Ceylon tea", units=5).product.slug
        email_address = customer.email

    def served(node) -> float:
        with urllib.request.urlopen(f"{node.base}/metrics", timeout=10) as answer:
            samples = parse(answer.read().decode())
        return sum(count for (name, labels), count in samples.items()
                   if name == "kade_http_requests_total" and ("group", "storefront") in labels)

    before = [served(node) for node in nodes]
    shopper = Browser()
    signed_in = shopper.post(f"{base}/account/login",
                             {"email": email_address, "password": PASSWORD})
    pages = [shopper.get(f"{base}{path}") for path in [f"/p/{slug}", "/cart", "/"] * 6]
    after = [served(node) for node in nodes]

    assert "Sign out" in signed_in.text
    assert all(page.status == 200 and "Sign out" in page.text for page in pages)
    assert all(later > earlier for earlier, later in zip(before, after, strict=True)), (
        before, after)


def test_the_sign_in_rate_limit_counts_attempts_on_every_node(cluster):
    nodes = cluster.nodes
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
    a, b, c = cluster.nodes
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


# ---- a busy run's logs ------------------------------------------------------------------------

SHOPPERS = [("Kumudu Wickramasinghe", "kumudu.w@example.lk", "0771234561"),
            ("Tharindu Jayawardena", "tharindu.j@example.lk", "0712345672"),
            ("Fathima Rizna Mohamed", "fathima.rizna@example.lk", "0763456783")]


def _shop_as(nodes, slug: str, variant_id: int, name: str, email_address: str, phone: str,
             n: int) -> str:
    """Register, shop and check out with a new address, each step on the next node, ask
    for a password reset and miss a sign-in: everything that writes a customer's details.
    The order is placed with a request id of ours; returns it."""
    request_id = f"busyrun{n:02d}placeorder0000"
    shopper = Browser()
    node = iter(nodes * 4)
    base = lambda: next(node).base  # noqa: E731 — the next node, round robin
    registered = shopper.post(f"{base()}/account/register", {
        "name": name, "email": email_address, "phone": phone,
        "password": "a long pass phrase for tests"})
    assert registered.status == 200, registered.text[:300]
    signed_in = shopper.post(f"{base()}/account/login", {
        "email": email_address, "password": "a long pass phrase for tests"})
    assert "Sign out" in signed_in.text
    assert shopper.get(f"{base()}/p/{slug}").status == 200
    shopper.post(f"{base()}/cart/items", {"variant_id": str(variant_id), "quantity": "1"},
                 form_page=f"{base()}/cart")
    surname = name.rsplit(" ", 1)[-1]
    steps = [("address", {"address_id": "new", "recipient": name, "address_phone": phone,
                          "line1": f"{n} {surname} Mawatha", "city": "Kandy",
                          "district": "kandy", "save_address": "y"}),
             ("delivery", {"delivery_option": "island-wide"}),
             ("payment", {"payment_method": "cod"})]
    for step, data in steps:
        where = base()
        moved = shopper.post(f"{where}/checkout", {"step": step, **data},
                             form_page=f"{where}/checkout?step={step}")
        assert moved.status == 200, (step, moved.text[:300])
    where = base()
    review = shopper.get(f"{where}/checkout?step=review")
    key = re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', review.text).group(1)
    shopper.headers["X-Request-ID"] = request_id
    placed = shopper.post(f"{where}/checkout", {"step": "place", "idempotency_key": key},
                          form_page=f"{where}/checkout?step=review")
    del shopper.headers["X-Request-ID"]
    assert "/account/orders/KD-" in placed.url, placed.text[:300]
    shopper.post(f"{base()}/account/logout", {})
    Browser().post(f"{base()}/account/login", {"email": email_address,
                                               "password": "not the pass phrase"})
    Browser().post(f"{base()}/account/forgot", {"email": email_address})
    return request_id


def test_a_busy_runs_logs_hold_no_customers_details_and_follow_a_request_into_its_jobs(
        app, cluster):
    nodes, outbox = cluster.nodes, cluster.outbox
    with app.app_context():
        variant = stocked("Ceylon tea", units=50)
        starter_delivery()
        slug, variant_id = variant.product.slug, variant.id
    request_ids = [_shop_as(nodes, slug, variant_id, *shopper, n)
                   for n, shopper in enumerate(SHOPPERS, start=1)]
    for _name, email_address, _phone in SHOPPERS:  # the worker sent their mail: its lines too
        deadline = time.monotonic() + 30
        while len(_mails(outbox, email_address, wait=30)) < 3 and time.monotonic() < deadline:
            time.sleep(0.3)  # welcome, order, reset
        assert len(_mails(outbox, email_address, wait=0)) >= 3
    time.sleep(0.5)  # the last lines reach the files

    lines = [line for path in cluster.logs for line in path.read_text(
        errors="replace").splitlines()]
    text = "\n".join(lines).casefold()
    for name, email_address, phone in SHOPPERS:
        national = phone[1:]  # 771234561
        spellings = [email_address, email_address.split("@")[0], name, *name.split(" "),
                     phone, f"+94{national}", f"94{national}",
                     f"{phone[:3]} {phone[3:6]} {phone[6:]}"]
        for spelling in spellings:
            assert spelling.casefold() not in text, f"{spelling!r} is in the logs"
    # One JSON line a request; the jobs a checkout queued say which request queued them.
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert sum(r.get("event") == "request" for r in records) > 60
    for request_id in request_ids:
        jobs = [r for r in records if r.get("event") == "job"
                and r.get("request_id") == request_id]
        assert jobs and all(r["status"] == "finished" for r in jobs), request_id
