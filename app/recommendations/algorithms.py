"""The recommendation strips, computed from purchases alone.

Every function takes a `Purchases` (see purchases.py) and returns plain data: lists of
`Recommendation`, best first, keyed by the caller's customer, item or group keys. The same
input always gives the same output (ties go to the lower item key). The settings' defaults
are the ones bench/recs.py chose on a public grocery data set (see bench/README.md).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np

from app.recommendations import rebuy
from app.recommendations.purchases import Encoded, Purchases
from app.recommendations.ranking import strongest_reason, top_n_dense
from app.recommendations.similarity import ease_weights, item_neighbours

MAX_N = 50  # results are stored per customer and per product, top 50 (issue 20)


class Recommendation(NamedTuple):
    item: Hashable
    score: float
    reason_item: Hashable | None = None  # "because you bought <reason_item>"


# -- Buy again -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuyAgainSettings:
    # An item is left out while less than this share of its usual gap has passed (bought two
    # days ago, usually every two weeks: 2/14 = 0.14). 0 keeps every past item, ranked down
    # by the model instead: on the benchmark, cutting at 0.1 already lost hits (people do buy
    # some things again sooner than usual).
    min_due: float = 0.0
    # Learn the model's weights from this history when it holds enough examples (pairs of a
    # customer and an item they bought before their latest order); otherwise, or when False,
    # use the weights learnt on the benchmark's grocery data (rebuy.DEFAULT_MODEL).
    learn: bool = True
    min_examples: int = 2000


def buy_again(
    purchases: Purchases,
    *,
    today: float | Mapping[Hashable, float],
    n: int = MAX_N,
    settings: BuyAgainSettings = BuyAgainSettings(),  # noqa: B008 (frozen, shared safely)
) -> dict[Hashable, list[Recommendation]]:
    """Per customer, the items they bought before, most likely to be bought next first.

    The score is the chance that the item is in the customer's next order (rebuy.py): it
    rises with how often and how lately they bought it, peaks when their usual gap between
    purchases of it has passed (the item is due), and leans on how often people in general
    buy it again and on what sells this week. `today` is the day the list is for (in the
    units of `purchases.days`), for everyone or per customer. Only items the customer bought
    appear; a customer with no purchases gets no entry.
    """
    enc = purchases.encoded
    if not len(enc.item):
        return {}
    model = None
    if settings.learn:
        model = rebuy.learn(enc.customer, enc.item, enc.basket, enc.day, enc.n_customers,
                            enc.n_items, min_examples=settings.min_examples)
    model = model or rebuy.DEFAULT_MODEL
    today_by_customer = _per_customer(enc, today)
    pairs = rebuy.pair_features(enc.customer, enc.item, enc.basket, enc.day, today_by_customer,
                                enc.n_customers, enc.n_items)
    score = model.probability(pairs.features)
    keep = pairs.due_ratio >= settings.min_due
    return _pairs_to_lists(enc, pairs.customer[keep], pairs.item[keep], score[keep], n)


# -- Often bought together -------------------------------------------------------------------


@dataclass(frozen=True)
class TogetherSettings:
    # Pulls pairs seen in few baskets towards zero (see similarity.item_neighbours).
    shrinkage: float = 5.0
    # 0.5 is the cosine; higher leans towards the chance of j in a basket with i.
    alpha: float = 0.5
    min_baskets: int = 1


def bought_together(
    purchases: Purchases,
    *,
    n: int = MAX_N,
    settings: TogetherSettings = TogetherSettings(),  # noqa: B008 (frozen, shared safely)
) -> dict[Hashable, list[Recommendation]]:
    """Per item, the items most often in the same basket with it, shrunk for little evidence.

    The reason of each is the item itself ("bought together with <item>").
    """
    enc = purchases.encoded
    if not len(enc.item):
        return {}
    neighbours = item_neighbours(enc.basket_item_matrix(), k=n, shrinkage=settings.shrinkage,
                                 alpha=settings.alpha, min_count=settings.min_baskets)
    result: dict[Hashable, list[Recommendation]] = {}
    keys = enc.item_keys.tolist()
    for row in range(neighbours.shape[0]):
        lo, hi = neighbours.indptr[row], neighbours.indptr[row + 1]
        if lo == hi:
            continue
        cols, values = neighbours.indices[lo:hi], neighbours.data[lo:hi]
        order = np.lexsort((cols, -values))
        result[keys[row]] = [Recommendation(keys[c], float(v), keys[row])
                             for c, v in zip(cols[order], values[order], strict=True)]
    return result


def together_with(
    together: Mapping[Hashable, list[Recommendation]],
    items: Iterable[Hashable],
    *,
    n: int = MAX_N,
) -> list[Recommendation]:
    """"Complete your order": the bought-together lists of several items (a cart) merged.

    Scores add up over the cart's items; the reason is the cart item that gave the most.
    Items already in `items` are left out.
    """
    items = list(dict.fromkeys(items))
    held = set(items)
    total: dict[Hashable, float] = {}
    best: dict[Hashable, tuple[float, Hashable]] = {}
    for source in items:
        for rec in together.get(source, ()):
            if rec.item in held:
                continue
            total[rec.item] = total.get(rec.item, 0.0) + rec.score
            if rec.item not in best or rec.score > best[rec.item][0]:
                best[rec.item] = (rec.score, source)
    ranked = sorted(total.items(), key=lambda kv: (-kv[1], _sort_key(kv[0])))
    return [Recommendation(item, score, best[item][1]) for item, score in ranked[:n]]


# -- For you (discovery) ---------------------------------------------------------------------


@dataclass(frozen=True)
class ForYouSettings:
    # The taste model (EASE, see similarity.ease_weights) is learnt over this many of the
    # items bought by the most customers: its cost grows with the cube of the items, and
    # items outside them rarely reach a customer's top 50.
    ease_items: int = 10_000
    # Pulls the model's weights towards zero: higher trusts pairs seen by many customers.
    ease_l2: float = 800.0
    # Mixed into each customer's scores (each part scaled to a maximum of 1): what sells
    # right now (a sale, the season, a festival) and what people are trying for the first
    # time lately (each customer's first purchase of an item). On the benchmark, items new to
    # a household follow the last days' sales as much as the household's own taste.
    popular_weight: float = 1.0
    popular_half_life_days: float = 1.0
    first_buyers_weight: float = 0.5
    first_buyers_half_life_days: float = 3.0


# A chunk of customers is scored at once as a dense customers x items block of float32.
SCORE_BLOCK_ENTRIES = 5_000_000


def for_you(
    purchases: Purchases,
    *,
    today: float | Mapping[Hashable, float],
    n: int = MAX_N,
    settings: ForYouSettings = ForYouSettings(),  # noqa: B008 (frozen, shared safely)
    customers: Iterable[Hashable] | None = None,
) -> dict[Hashable, list[Recommendation]]:
    """Per customer, items they have never bought, liked by people who bought what they did.

    A customer's taste score for an item is how well the items they bought predict it, by a
    linear model learnt on every customer's purchases (EASE: items x items weights, see
    similarity.ease_weights); what sells now and what people are trying for the first time
    lately are added. The reason is the purchase that contributed most to the taste score
    (None when popularity alone put the item there). `customers` limits the work to those.
    `today` is the day the lists are for, for everyone or per customer (as in buy_again).
    """
    enc = purchases.encoded
    if not len(enc.item):
        return {}
    today_by_customer = _per_customer(enc, today)
    history = enc.customer_item_matrix()
    # The model's items: the most widely bought (ties to the lower index), in index order.
    reach = np.diff(history.tocsc().indptr)
    columns = np.sort(np.lexsort((np.arange(enc.n_items), -reach))[:settings.ease_items])
    history_in_model = history[:, columns].tocsr()
    weights = ease_weights(history_in_model, l2=settings.ease_l2) if len(columns) else None
    selling = _SellingNow(enc, settings.popular_half_life_days)
    trying = _SellingNow(_first_purchases(enc), settings.first_buyers_half_life_days)

    if customers is None:
        rows = np.arange(enc.n_customers)
    else:
        rows = enc.customer_index(customers)
        rows = np.unique(rows[rows >= 0])
    keys = enc.item_keys.tolist()
    customer_keys = enc.customer_keys.tolist()
    result: dict[Hashable, list[Recommendation]] = {}
    chunk = max(1, SCORE_BLOCK_ENTRIES // max(enc.n_items, 1))
    for lo in range(0, len(rows), chunk):
        block = rows[lo:lo + chunk]
        scores = np.zeros((len(block), enc.n_items), dtype=np.float32)
        if weights is not None:
            taste = history_in_model[block].astype(bool).astype(np.float32) @ weights
            taste /= np.maximum(taste.max(axis=1, keepdims=True), 1e-12)
            scores[:, columns] = taste
            del taste
        if settings.popular_weight:
            scores += settings.popular_weight * selling.rows(today_by_customer[block])
        if settings.first_buyers_weight:
            scores += settings.first_buyers_weight * trying.rows(today_by_customer[block])
        part_coo = history[block].tocoo()
        scores[part_coo.row, part_coo.col] = -np.inf  # never what they bought already
        best, best_scores = top_n_dense(scores, n)
        del scores
        pair_row, pair_rank = np.nonzero(best >= 0)
        pair_item = best[pair_row, pair_rank]
        if weights is not None:
            reason = strongest_reason(history_in_model, weights, columns, block[pair_row],
                                      pair_item)
        else:
            reason = np.full(len(pair_item), -1, dtype=np.int64)
        _collect(result, customer_keys, keys, block, pair_row, pair_item,
                 best_scores[pair_row, pair_rank], reason)
    return result


def _first_purchases(enc: Encoded) -> Encoded:
    """Each customer's first purchase of each item only (the purchases that were a trial)."""
    pair_key = enc.customer.astype(np.int64) * enc.n_items + enc.item
    order = np.lexsort((enc.basket, pair_key))
    first = order[np.r_[True, pair_key[order][1:] != pair_key[order][:-1]]] if len(order) \
        else order
    return replace(enc, customer=enc.customer[first], item=enc.item[first],
                   basket=enc.basket[first], day=enc.day[first])


class _SellingNow:
    """What sold lately before a given day, scaled to a maximum of 1; remembered per day
    (the nightly job has one day; the benchmark one per household)."""

    def __init__(self, enc: Encoded, half_life_days: float):
        order = np.argsort(enc.day, kind="stable")
        self.day, self.item, self.n_items = enc.day[order], enc.item[order], enc.n_items
        self.half_life_days = half_life_days
        self.known: dict[float, np.ndarray] = {}

    def at(self, today: float) -> np.ndarray:
        if today not in self.known:
            before = np.searchsorted(self.day, today)  # sales of that day itself are not in
            weight = _decay(today - self.day[:before], self.half_life_days)
            sold = np.bincount(self.item[:before], weight, minlength=self.n_items)
            self.known[today] = (sold / max(sold.max(), 1e-12)).astype(np.float32)
        return self.known[today]

    def rows(self, days: np.ndarray) -> np.ndarray:
        """One row per day given; a single row (broadcast) when all are the same day."""
        distinct = np.unique(days)
        if len(distinct) == 1:
            return self.at(float(distinct[0]))[None, :]
        return np.stack([self.at(float(d)) for d in days])


def _collect(result, customer_keys, item_keys, block, pair_row, pair_item, pair_score, reason):
    # Pairs come row by row, best first (np.nonzero walks rows in order).
    bounds = np.searchsorted(pair_row, np.arange(len(block) + 1))
    for r in range(len(block)):
        lo, hi = bounds[r], bounds[r + 1]
        if lo == hi:
            continue
        result[customer_keys[block[r]]] = [
            Recommendation(item_keys[i], float(s), item_keys[w] if w >= 0 else None)
            for i, s, w in zip(pair_item[lo:hi], pair_score[lo:hi], reason[lo:hi], strict=True)
        ]


# -- Cold start ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PopularSettings:
    half_life_days: float = 30.0  # what sells now, not what sold last year
    # Within a group, an item needs this many buyers to rank: two buyers in a small district
    # are chance, not a trend.
    min_customers: int = 1


def popular_items(
    purchases: Purchases,
    *,
    today: float,
    n: int = MAX_N,
    settings: PopularSettings = PopularSettings(),  # noqa: B008 (frozen, shared safely)
) -> list[Recommendation]:
    """The items bought by the most customers lately (each customer counts once per item,
    their latest purchase weighted by its age)."""
    return popular_by_group(purchases, today=today, n=n, settings=settings,
                            item_groups=None, customer_groups=None).get(None, [])


def popular_by_group(
    purchases: Purchases,
    *,
    today: float,
    n: int = MAX_N,
    customer_groups: Mapping[Hashable, Hashable] | None = None,
    item_groups: Mapping[Hashable, Hashable] | None = None,
    settings: PopularSettings = PopularSettings(),  # noqa: B008 (frozen, shared safely)
) -> dict[Hashable, list[Recommendation]]:
    """Popular items per group: with `customer_groups` (customer → district, say) what that
    group's customers buy; with `item_groups` (item → category) the most popular items of each
    group. Customers or items missing from the mapping are left out. With neither mapping,
    one group, None: the whole shop. Raises ValueError when both are given.
    """
    if customer_groups is not None and item_groups is not None:
        raise ValueError("give customer_groups or item_groups, not both")
    enc = purchases.encoded
    if not len(enc.item):
        return {}
    # One entry per (customer, item): the latest purchase, weighted by its age.
    pair_key = enc.customer * enc.n_items + enc.item
    order = np.lexsort((-enc.day, pair_key))
    firsts = order[np.r_[True, pair_key[order][1:] != pair_key[order][:-1]]]
    customer, item = enc.customer[firsts], enc.item[firsts]
    weight = _decay(today - enc.day[firsts], settings.half_life_days)

    if customer_groups is not None:
        groups = _members(enc.customer_keys, customer_groups, customer)
    elif item_groups is not None:
        groups = _members(enc.item_keys, item_groups, item)
    else:
        groups = {None: np.ones(len(item), dtype=bool)}
    result: dict[Hashable, list[Recommendation]] = {}
    item_keys = enc.item_keys.tolist()
    for label, mask in groups.items():
        scores = np.bincount(item[mask], weight[mask], minlength=enc.n_items)
        buyers = np.bincount(item[mask], minlength=enc.n_items)
        scores[buyers < max(settings.min_customers, 1)] = 0.0
        ranked = np.lexsort((np.arange(enc.n_items), -scores))[:n]
        ranked = ranked[scores[ranked] > 0]
        if len(ranked):
            result[label] = [Recommendation(item_keys[i], float(scores[i])) for i in ranked]
    return result


def _members(keys: np.ndarray, mapping: Mapping, owner: np.ndarray) -> dict[Hashable, np.ndarray]:
    """Per group label, a mask of the entries whose owner (customer or item) is in it."""
    by_label: dict[Hashable, list[int]] = {}
    for index, key in enumerate(keys.tolist()):
        if key in mapping:
            by_label.setdefault(mapping[key], []).append(index)
    return {label: np.isin(owner, members) for label, members in by_label.items()}


# -- Shared ----------------------------------------------------------------------------------


def _decay(age_days: np.ndarray, half_life_days: float) -> np.ndarray:
    return np.exp2(-np.maximum(age_days, 0.0) / half_life_days)


def _per_customer(enc: Encoded, today: float | Mapping[Hashable, float]) -> np.ndarray:
    if isinstance(today, Mapping):
        values = np.array([today.get(key, np.nan) for key in enc.customer_keys.tolist()],
                          dtype=np.float64)
        last_day = np.full(enc.n_customers, -np.inf)
        np.maximum.at(last_day, enc.customer, enc.day)
        return np.where(np.isnan(values), last_day, values)
    return np.full(enc.n_customers, float(today))


def _starts(sorted_groups: np.ndarray) -> np.ndarray:
    return np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])


def _pairs_to_lists(enc, customer, item, score, n):
    order = np.lexsort((item, -score, customer))
    customer, item, score = customer[order], item[order], score[order]
    starts = _starts(customer) if len(customer) else np.zeros(0, dtype=np.int64)
    rank = np.arange(len(customer)) - np.repeat(starts, np.diff(np.r_[starts, len(customer)]))
    keep = rank < n
    customer, item, score = customer[keep], item[keep], score[keep]
    customer_keys, item_keys = enc.customer_keys.tolist(), enc.item_keys.tolist()
    result: dict[Hashable, list[Recommendation]] = {}
    for c, i, s in zip(customer.tolist(), item.tolist(), score.tolist(), strict=True):
        result.setdefault(customer_keys[c], []).append(Recommendation(item_keys[i], s))
    return result


def _sort_key(key: Hashable):
    return (type(key).__name__, key)

