"""Buy again: how likely each customer is to buy each of their past items in their next order.

Each (customer, item) pair the customer bought is described by a few numbers: how often and
how lately they bought it, how far into their usual gap between purchases of it they are,
whether it was in their latest order, how often people in general buy it again. A logistic
regression turns them into a probability. Its weights are learnt from the shop's own history
(each customer's latest order, predicted from the orders before it) when there is enough of
it; otherwise the weights learnt the same way on the benchmark's grocery data are used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FEATURES = (
    "bias", "log_times", "share_of_orders", "recent_share_30d", "recent_share_120d",
    "log_due_ratio", "log_due_ratio_squared", "log_days_since", "in_latest_order",
    "item_rebuy_logit", "log_item_reach", "log_orders", "bought_once",
    "log_orders_since", "share_of_last_3_orders", "share_of_last_10_orders",
    "log_item_share_last_week", "log_item_trend",
)
TREND_DAYS = 7.0


@dataclass(frozen=True)
class Pairs:
    """The (customer, item) pairs of a history and their features, one row per pair."""

    customer: np.ndarray
    item: np.ndarray
    features: np.ndarray  # pairs x len(FEATURES)
    due_ratio: np.ndarray  # days since the last purchase / the usual gap


@dataclass(frozen=True)
class Model:
    """A logistic regression over standardised features."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray

    def probability(self, features: np.ndarray) -> np.ndarray:
        # Folding the standardisation into the weights spares a copy of the features.
        weights = self.weights / self.scale
        z = features @ weights.astype(features.dtype) - self.mean @ weights
        return 1.0 / (1.0 + np.exp(-np.clip(z.astype(np.float64), -30, 30)))


# Learnt by `learn` on The Complete Journey's training baskets (bench/recs.py, all but each
# household's last basket): the weights for a shop too new to learn its own.
DEFAULT_MODEL = Model(
    mean=np.array([
        0.0, 0.87234, 0.02952, 0.02943, 0.0293, 1.0826, 3.52226, 4.68406, 0.02941, -1.13799,
        -3.97185, 4.33361, 0.75328, 3.20319, 0.02922, 0.02924, -7.17239, 0.45995]),
    scale=np.array([
        1.0, 0.38924, 0.04692, 0.0698, 0.04975, 1.53305, 4.31749, 1.07716, 0.16895, 0.67607,
        1.53235, 0.82493, 0.4311, 1.26214, 0.10082, 0.06425, 1.2389, 1.14039]),
    weights=np.array([
        -5.24864, 0.38084, -0.1099, -0.02139, 0.04767, 0.01283, -0.33592, 0.0721, -0.00042,
        0.14637, -0.30743, -0.35443, -0.31199, -0.48862, 0.02429, 0.08852, 0.3669, -0.13638]),
)


def pair_features(customer, item, basket, day, today, n_customers, n_items) -> Pairs:
    """Features of every (customer, item) pair in a history.

    The arrays are one entry per purchase (a basket holding an item); `today` is per customer,
    the day the prediction is for. Gaps and ages are in days.
    """
    order = np.lexsort((day, item, customer))
    customer, item, basket, day = customer[order], item[order], basket[order], day[order]
    starts = np.flatnonzero(np.r_[True, (customer[1:] != customer[:-1]) | (item[1:] != item[:-1])])
    ends = np.r_[starts[1:], len(item)]
    pc, pi = customer[starts], item[starts]
    times = (ends - starts).astype(np.float64)
    first, last = day[starts], day[ends - 1]

    # The customer's baskets: count, days, the latest.
    b_first = np.unique(basket, return_index=True)[1]
    b_customer, b_day, b_id = customer[b_first], day[b_first], basket[b_first]
    orders = np.bincount(b_customer, minlength=n_customers).astype(np.float64)
    latest_day = np.full(n_customers, -np.inf)
    np.maximum.at(latest_day, b_customer, b_day)
    earliest_day = np.full(n_customers, np.inf)
    np.minimum.at(earliest_day, b_customer, b_day)
    latest_basket = np.full(n_customers, -1)
    is_latest = b_day == latest_day[b_customer]
    np.maximum.at(latest_basket, b_customer[is_latest], b_id[is_latest])

    def recent_share(half_life):
        w = np.exp2(-np.maximum(today[customer] - day, 0) / half_life)
        bw = np.exp2(-np.maximum(today[b_customer] - b_day, 0) / half_life)
        per_customer = np.bincount(b_customer, bw, minlength=n_customers)
        return np.add.reduceat(w, starts) / np.maximum(per_customer[pc], 1e-12)

    in_latest = np.zeros(len(pc))
    latest_hit = basket == latest_basket[customer]
    in_latest[np.searchsorted(starts, np.flatnonzero(latest_hit), side="right") - 1] = 1.0

    # Recency counted in orders, not days: a weekly shopper's last three orders are three
    # weeks, a monthly one's three months. from_end is 0 for the customer's latest order.
    b_order = np.lexsort((b_id, b_day, b_customer))
    b_rank = np.empty(len(b_id), dtype=np.int64)
    b_starts = np.flatnonzero(np.r_[True, b_customer[b_order][1:] != b_customer[b_order][:-1]])
    b_rank[b_order] = np.arange(len(b_id)) - np.repeat(b_starts, np.diff(np.r_[b_starts,
                                                                                len(b_id)]))
    from_end_of_basket = orders[b_customer].astype(np.int64) - 1 - b_rank
    from_end = from_end_of_basket[np.searchsorted(b_id, basket)]  # b_id is sorted (unique)
    orders_since = np.minimum.reduceat(from_end, starts).astype(np.float64)

    def share_of_last(k):
        hits = np.add.reduceat((from_end < k).astype(np.float64), starts)
        return hits / np.minimum(orders[pc], k)

    # The usual gap: the customer's own for this item when bought twice or more; else what
    # people usually leave between purchases of it (a geometric mean); else the customer's
    # usual gap between orders.
    repeated = times >= 2
    own = np.where(repeated, (last - first) / np.maximum(times - 1, 1), np.nan)
    log_own = np.log(np.maximum(own[repeated], 0.5))
    n_rep = np.bincount(pi[repeated], minlength=n_items)
    item_gap = np.exp(np.bincount(pi[repeated], log_own, minlength=n_items)
                      / np.maximum(n_rep, 1))
    item_gap[n_rep == 0] = np.nan
    customer_gap = np.where(orders > 1, (latest_day - earliest_day) / np.maximum(orders - 1, 1),
                            7.0)
    gap = np.where(repeated, own, item_gap[pi])
    gap = np.maximum(np.where(np.isnan(gap), customer_gap[pc], gap), 0.5)
    since = np.maximum(today[pc] - last, 0.0)
    due_ratio = since / gap
    log_due = np.clip(np.log(np.maximum(due_ratio, 1e-3)), -4, 4)

    buyers = np.bincount(pi, minlength=n_items).astype(np.float64)
    rebuyers = np.bincount(pi, repeated.astype(np.float64), minlength=n_items)
    overall = rebuyers.sum() / max(buyers.sum(), 1.0)
    rebuy = (rebuyers + 5 * overall) / (buyers + 5)  # few buyers: pulled to the average
    customers_seen = max(int((orders > 0).sum()), 1)

    # What sells this week (a sale, the season) against what it usually sells: counted over
    # every customer's orders in the week before each customer's `today`.
    by_item = np.lexsort((day, item))
    item_keys = item[by_item] * 1e6 + day[by_item]
    until = pi * 1e6 + today[pc]
    week_sales = (np.searchsorted(item_keys, until)
                  - np.searchsorted(item_keys, until - TREND_DAYS))
    all_days = np.sort(b_day)
    week_orders = (np.searchsorted(all_days, today[pc])
                   - np.searchsorted(all_days, today[pc] - TREND_DAYS))
    week_share = (week_sales + 0.5) / (week_orders + 1.0)
    usual_share = (np.bincount(item, minlength=n_items)[pi] + 0.5) / (len(b_day) + 1.0)

    # Filled column by column in float32: a big shop has millions of pairs, and a stack of
    # float64 temporaries would double the memory the nightly job needs.
    columns = (
        lambda: np.ones(len(pc)),
        lambda: np.log1p(times),
        lambda: times / np.maximum(orders[pc], 1),
        lambda: recent_share(30.0),
        lambda: recent_share(120.0),
        lambda: log_due,
        lambda: log_due ** 2,
        lambda: np.log1p(since),
        lambda: in_latest,
        lambda: np.log(rebuy[pi] / (1 - rebuy[pi] + 1e-9) + 1e-9),
        lambda: np.log(buyers[pi] / customers_seen),
        lambda: np.log1p(orders[pc]),
        lambda: (times == 1).astype(np.float64),
        lambda: np.log1p(orders_since),
        lambda: share_of_last(3),
        lambda: share_of_last(10),
        lambda: np.log(week_share),
        lambda: np.log(week_share / usual_share),
    )
    features = np.empty((len(pc), len(FEATURES)), dtype=np.float32)
    for index, column in enumerate(columns):
        features[:, index] = column()
    return Pairs(pc, pi, features, due_ratio)


def fit(features: np.ndarray, labels: np.ndarray, *, l2: float = 1.0,
        sample_weight: np.ndarray | None = None) -> Model:
    """Logistic regression by Newton's method on standardised features (deterministic)."""
    sw = np.ones(len(labels)) if sample_weight is None else sample_weight
    features = features.astype(np.float64)
    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    mean[0], scale[0] = 0.0, 1.0  # the bias column stays 1
    scale[scale == 0] = 1.0
    x = (features - mean) / scale
    w = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], l2)
    penalty[0] = 0.0
    for _ in range(25):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30, 30)))
        gradient = x.T @ (sw * (p - labels)) + penalty * w
        hessian = (x * (sw * p * (1 - p))[:, None]).T @ x + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-6:
            break
    return Model(mean, scale, w)


LEARN_CUSTOMERS = 20_000  # 18 weights need no more; a big shop learns from a seeded sample


def learn(customer, item, basket, day, n_customers, n_items, *, min_examples: int = 2000):
    """Learns the weights from the history itself: each customer's latest basket is predicted
    from the baskets before it. None when there are too few examples (a new shop)."""
    if n_customers > LEARN_CUSTOMERS:
        chosen = np.zeros(n_customers, dtype=bool)
        chosen[np.random.default_rng(20).choice(n_customers, LEARN_CUSTOMERS, replace=False)] = True
        # Item statistics (re-buy rate, reach, this week's sales) then come from the sample:
        # proportions, so a sample of 20 000 customers estimates them well.
        mine = chosen[customer]
        customer, item, basket, day = customer[mine], item[mine], basket[mine], day[mine]
    b_first = np.unique(basket, return_index=True)[1]
    b_customer, b_day, b_id = customer[b_first], day[b_first], basket[b_first]
    # The latest basket per customer (the highest basket number on the latest day).
    order = np.lexsort((b_id, b_day, b_customer))
    is_last = np.r_[b_customer[order][1:] != b_customer[order][:-1], True]
    last_basket = np.full(n_customers, -1)
    last_basket[b_customer[order][is_last]] = b_id[order][is_last]
    target_day = np.full(n_customers, np.nan)
    target_day[b_customer[order][is_last]] = b_day[order][is_last]

    held = basket == last_basket[customer]
    history = ~held
    if history.sum() == 0:
        return None
    pairs = pair_features(customer[history], item[history], basket[history], day[history],
                          target_day, n_customers, n_items)
    if len(pairs.customer) < min_examples:
        return None
    held_keys = customer[held].astype(np.int64) * n_items + item[held]
    labels = np.isin(pairs.customer.astype(np.int64) * n_items + pairs.item,
                     held_keys).astype(np.float64)
    if labels.min() == labels.max():
        return None
    # Every customer counts the same, as in the strip's quality: a household with 900 past
    # items would otherwise teach the model more than nine with 100.
    per_customer = np.bincount(pairs.customer, minlength=n_customers)
    weight = 1.0 / per_customer[pairs.customer]
    return fit(pairs.features, labels, sample_weight=weight * len(weight) / weight.sum())
