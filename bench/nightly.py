"""The recommendations nightly job end to end, run by hand (not part of the test suite): see
bench/README.md.

bench/recs.py times the recommender's algorithms on arrays. This times what the job does in
production, on PostgreSQL: read 13 months of sales through the orders' service, compute
every list, store them (one row per list, in one transaction), then tonight's personal
offers (a voucher from the promotions engine per customer who asked for offers).

1. A fresh PostgreSQL database (`kade_bench_nightly`), migrated; bench/catalog.py's shop of
   50 000 products; 100 000 customers; bench/recs.py's synthetic year of orders (about 5.4 M
   lines) COPYed in as delivered orders, each product index mapped to a published product;
   10 % of the customers asked for offers by mail; one offer template ("10 % off a usual
   re-buy", 10 % held out).
2. The job in a child process limited to two cores, as a worker would run it; its time per
   step and its peak memory (max RSS), against issue 20's target: under 10 minutes and
   2 GiB for 100 000 customers.

    .venv/bin/python bench/nightly.py            # about 20 minutes, most of it loading
    .venv/bin/python bench/nightly.py --reuse    # keep the loaded database
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from catalog import SERVER, _copy, load_shop, loaded_database, production_env  # noqa: E402
from recs import _peak_rss_bytes, synthetic_shop  # noqa: E402

DATABASE = "kade_bench_nightly"
TARGET_MINUTES, TARGET_GIB = 10.0, 2.0
CONSENT = 0.10  # share of customers who asked for offers


def load(url: str, customers: int, products: int) -> int:
    """The shop, its customers and their year of orders. Returns the order lines loaded."""
    load_shop(url, products)
    purchases, district_of, _category = synthetic_shop(customers, products)
    now = dt.datetime.now(dt.UTC)
    districts = sorted(__import__("app.accounts.districts", fromlist=["DISTRICTS"]).DISTRICTS)
    started = time.perf_counter()
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        published = [row[0] for row in cur.execute(
            "SELECT id FROM catalog_product WHERE status = 'published' AND kind = 'product' "
            "ORDER BY id")]
        product_of = np.asarray(published)[np.asarray(purchases.items) % len(published)]
        _copy(cur, "accounts_user", ["id", "locale", "session_version", "failed_logins",
                                     "is_active", "created_at"],
              ((c, "en", 1, 0, True, now) for c in range(1, customers + 1)))
        rng = np.random.default_rng(5)
        asked = np.flatnonzero(rng.random(customers) < CONSENT) + 1
        _copy(cur, "notifications_preference", ["user_id", "sms_updates", "marketing_email",
                                                "marketing_sms", "updated_at"],
              ((int(c), True, True, False, now) for c in asked))
        # One order per basket: bench/recs.py's days run 0..365; the last is about now.
        baskets = np.asarray(purchases.baskets)
        first = np.unique(baskets, return_index=True)[1]
        last_day = float(np.max(purchases.days))
        orders = [(int(baskets[i]) + 1, int(purchases.customers[i]) + 1,
                   now - dt.timedelta(days=last_day - float(purchases.days[i]) + 0.5),
                   districts[district_of[int(purchases.customers[i])] % len(districts)])
                  for i in first]
        _copy(cur, "orders_order", [
            "id", "number", "user_id", "status", "payment_method", "payment_status", "locale",
            "channel", "contact_name", "contact_email", "contact_phone", "district",
            "subtotal_cents", "discount_cents", "delivery_fee_cents", "total_cents",
            "credit_cents", "points_cents", "currency", "link_version", "placed_at",
            "updated_at"],
              ((oid, f"KD-B-{oid}", user, "delivered", "cod", "paid", "en", "web", "-", "-",
                "-", district, 1000_00, 0, 0, 1000_00, 0, 0, "LKR", 1, placed, placed)
               for oid, user, placed, district in orders))
        quantities = np.asarray(purchases.quantities).astype(int)
        lines = _copy(cur, "orders_order_line", [
            "order_id", "product_id", "kind", "sku", "name_en", "unit_cents", "quantity",
            "discount_cents", "total_cents", "fulfilled_quantity"],
            ((int(baskets[i]) + 1, int(product_of[i]), "product", "B", "Bench item", 100_00,
              int(quantities[i]), 0, int(quantities[i]) * 100_00, int(quantities[i]))
             for i in range(len(baskets))))
        cur.execute("SELECT setval('orders_order_id_seq', (SELECT max(id) FROM orders_order))")
        cur.execute("SELECT setval('accounts_user_id_seq', (SELECT max(id) FROM accounts_user))")
        cur.execute("ANALYZE")
    print(f"loaded {customers:,} customers, {len(orders):,} orders, {lines:,} lines in "
          f"{time.perf_counter() - started:.0f} s")
    return lines


def child() -> None:
    """The job's two steps in this process (limited to two cores); prints a JSON line."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:2])
    from app import create_app
    from app.recommendations import nightly, offers

    app = create_app()
    figures: dict[str, float] = {}
    with app.app_context():
        if not offers.templates(None):
            offers.save_template(None, {"name": "10 % off a usual re-buy",
                                        "source": "buy_again", "percent": 10,
                                        "amount_cents": None, "valid_days": 14,
                                        "measure_days": 14, "holdout_percent": 10})
        started = time.perf_counter()
        summary = nightly.compute()
        figures["compute_s"] = time.perf_counter() - started
        figures.update(lines=summary.lines, customers=summary.customers, lists=summary.lists)
        started = time.perf_counter()
        sent = offers.run()
        figures["offers_s"] = time.perf_counter() - started
        figures.update(sent=sent.sent, held_out=sent.held_out)
    figures["max_rss_bytes"] = _peak_rss_bytes()
    print("FIGURES " + json.dumps(figures), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default=SERVER)
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--reuse", action="store_true",
                        help="keep the database if it is loaded already")
    parser.add_argument("--load-only", action="store_true",
                        help="load the database and stop (then --reuse)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child()
        return 0
    url = loaded_database(args.server, args.database, "orders_order", reuse=args.reuse,
                          load=lambda fresh: load(fresh, args.customers, args.products))
    if args.load_only:
        return 0
    with tempfile.TemporaryDirectory(prefix="kade-nightly-") as work:
        env = dict(os.environ, **production_env(url, Path(work) / "instance", 0, None),
                   OMP_NUM_THREADS="2", OPENBLAS_NUM_THREADS="2", MKL_NUM_THREADS="2")
        with psycopg.connect(url) as conn:  # a second run starts from the same state
            conn.execute("DELETE FROM recommendations_offer_send")
            conn.execute("DELETE FROM promotions_promotion WHERE personal")
        out = subprocess.run(  # noqa: S603 (this script, by its own path)
            [sys.executable, __file__, "--child"], capture_output=True, text=True, env=env,
            check=False)
    if "FIGURES " not in out.stdout:
        print(out.stdout[-3000:], out.stderr[-5000:])
        return 1
    figures = json.loads(out.stdout.split("FIGURES ", 1)[1])
    minutes = (figures["compute_s"] + figures["offers_s"]) / 60
    gib = figures["max_rss_bytes"] / 2**30
    print(f"lists: {figures['lists']:,} from {figures['lines']:,} order lines, "
          f"{figures['customers']:,} customers with personal lists: "
          f"{figures['compute_s'] / 60:.2f} min")
    print(f"personal offers: {figures['sent']:,} sent, {figures['held_out']:,} held out: "
          f"{figures['offers_s'] / 60:.2f} min")
    ok_time, ok_memory = minutes < TARGET_MINUTES, gib < TARGET_GIB
    print(f"the job: {minutes:.2f} min (target < {TARGET_MINUTES:g}): "
          f"{'PASS' if ok_time else 'FAIL'}; peak memory {gib:.2f} GiB "
          f"(target < {TARGET_GIB:g}): {'PASS' if ok_memory else 'FAIL'}")
    return 0 if ok_time and ok_memory else 1


if __name__ == "__main__":
    raise SystemExit(main())
