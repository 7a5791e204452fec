"""Issue 20: the recommender's algorithms on small hand-made histories (no database)."""

from __future__ import annotations

import random

import numpy as np
import pytest
from scipy import sparse

from app.recommendations.algorithms import (
    BuyAgainSettings,
    ForYouSettings,
    bought_together,
    buy_again,
    for_you,
    popular_by_group,
    popular_items,
    together_with,
)
from app.recommendations.purchases import Purchases
from app.recommendations.ranking import strongest_reason
from app.recommendations.similarity import _symmetric_inverse_in_place, ease_weights


def _items(recommendations) -> list:
    return [r.item for r in recommendations]


def _shop(rng: random.Random, customers: int = 40, items: int = 30):
    """Random orders: (customer, item, day, quantity, order id)."""
    rows = []
    order = 0
    for customer in range(customers):
        for _ in range(rng.randint(1, 6)):
            order += 1
            day = rng.randint(0, 90)
            for item in rng.sample(range(items), rng.randint(1, 5)):
                rows.append((f"c{customer}", f"p{item}", day, rng.randint(1, 3), order))
    return rows


# -- Buy again -------------------------------------------------------------------------------


def test_a_customer_who_buys_x_every_two_weeks_sees_x_in_buy_again_when_it_is_due():
    purchases = Purchases.from_rows([
        ("nimal", "kithul treacle", 0), ("nimal", "kithul treacle", 14),
        ("nimal", "kithul treacle", 28), ("nimal", "jaggery", 28),
    ])

    lists = buy_again(purchases, today=42)

    assert _items(lists["nimal"])[0] == "kithul treacle"


def test_with_a_minimum_due_share_an_item_bought_two_days_ago_is_left_out_until_due():
    purchases = Purchases.from_rows([
        ("nimal", "kithul treacle", 0), ("nimal", "kithul treacle", 14),
        ("nimal", "kithul treacle", 28),
    ])
    settings = BuyAgainSettings(min_due=0.5)

    two_days_later = buy_again(purchases, today=30, settings=settings)
    two_weeks_later = buy_again(purchases, today=42, settings=settings)

    assert "nimal" not in two_days_later
    assert _items(two_weeks_later["nimal"]) == ["kithul treacle"]


def test_buy_again_lists_only_what_each_customer_bought_best_first_at_most_n():
    rows = _shop(random.Random(1))
    purchases = Purchases.from_rows(rows)
    bought = {}
    for customer, item, *_ in rows:
        bought.setdefault(customer, set()).add(item)

    lists = buy_again(purchases, today=100, n=3)

    assert set(lists) == set(bought)
    for customer, recommendations in lists.items():
        assert len(recommendations) == min(3, len(bought[customer]))
        assert set(_items(recommendations)) <= bought[customer]
        scores = [r.score for r in recommendations]
        assert scores == sorted(scores, reverse=True)


def test_buy_again_per_customer_day():
    purchases = Purchases.from_rows([("a", "x", 0), ("a", "x", 10), ("b", "y", 0)])

    lists = buy_again(purchases, today={"a": 20, "b": 5})

    assert _items(lists["a"]) == ["x"]
    assert _items(lists["b"]) == ["y"]


# -- Often bought together -------------------------------------------------------------------


def test_a_pair_bought_together_often_ranks_above_a_pair_seen_once():
    rows = []
    for order in range(6):  # tea and sugar together in six orders
        rows += [(f"c{order}", "tea", order, 1, order), (f"c{order}", "sugar", order, 1, order)]
    # Tea with coconut once; coconut and chillies, each bought once, together once.
    rows += [("c9", "tea", 9, 1, 9), ("c9", "coconut", 9, 1, 9)]
    rows += [("c10", "coconut", 10, 1, 10), ("c10", "chillies", 10, 1, 10)]
    purchases = Purchases.from_rows(rows)

    together = bought_together(purchases)

    assert _items(together["tea"]) == ["sugar", "coconut"]
    sugar = together["tea"][0].score
    chillies = next(r.score for r in together["coconut"] if r.item == "chillies")
    assert sugar > chillies
    assert together["tea"][0].reason_item == "tea"


def test_complete_your_order_merges_the_cart_items_lists():
    rows = []
    for order in range(4):
        rows += [("c", "tea", order, 1, order), ("c", "sugar", order, 1, order),
                 ("c", "milk powder", order, 1, order)]
    rows += [("d", "rice", 9, 1, 9), ("d", "dhal", 9, 1, 9)]
    together = bought_together(Purchases.from_rows(rows))

    suggestions = together_with(together, ["tea", "sugar"])

    assert _items(suggestions) == ["milk powder"]
    assert suggestions[0].reason_item in {"tea", "sugar"}


# -- For you ---------------------------------------------------------------------------------


def test_for_you_never_recommends_what_the_customer_already_bought():
    rows = _shop(random.Random(2))
    purchases = Purchases.from_rows(rows)
    bought = {}
    for customer, item, *_ in rows:
        bought.setdefault(customer, set()).add(item)

    lists = for_you(purchases, today=100, n=50)

    assert lists
    for customer, recommendations in lists.items():
        assert not set(_items(recommendations)) & bought[customer]
        assert all(r.reason_item is None or r.reason_item in bought[customer]
                   for r in recommendations)


def test_for_you_suggests_what_people_with_the_same_purchases_bought_and_says_why():
    rows = []
    for n in range(5):  # five customers bought hoppers mix and lunu miris
        rows += [(f"c{n}", "hoppers mix", 1, 1, n), (f"c{n}", "lunu miris", 2, 1, 100 + n)]
    rows += [("c9", "soap", 1, 1, 9), ("c9", "shampoo", 1, 1, 9)]
    rows += [("new", "hoppers mix", 3, 1, 50)]
    purchases = Purchases.from_rows(rows)

    lists = for_you(purchases, today=4, n=1)

    assert lists["new"][0].item == "lunu miris"
    assert lists["new"][0].reason_item == "hoppers mix"


def test_for_you_only_for_the_customers_asked():
    purchases = Purchases.from_rows(_shop(random.Random(3)))

    lists = for_you(purchases, today=100, customers=["c1", "c2", "nobody"])

    assert set(lists) == {"c1", "c2"}


def test_for_you_ranks_what_people_are_trying_for_the_first_time_above_what_regulars_rebuy():
    rows = []
    for n in range(3):  # three regulars buy bread every four days; yesterday too
        rows += [(f"r{n}", "bread", day, 1, f"r{n}-{day}") for day in (1, 5, 9)]
    for n in range(3):  # three others tried the new mango drink yesterday
        rows += [(f"t{n}", "mango drink", 9, 1, f"t{n}")]
    rows += [("new", "soap", 2, 1, "new")]
    purchases = Purchases.from_rows(rows)

    lists = for_you(purchases, today=10, n=2)
    without_trials = for_you(purchases, today=10, n=2,
                             settings=ForYouSettings(first_buyers_weight=0.0))

    assert _items(lists["new"]) == ["mango drink", "bread"]
    assert _items(without_trials["new"]) == ["bread", "mango drink"]
    assert all(r.reason_item is None for r in lists["new"])  # popularity alone


def test_for_you_scores_items_outside_the_taste_model_by_popularity_alone():
    rows = _shop(random.Random(6))
    purchases = Purchases.from_rows(rows)

    lists = for_you(purchases, today=100, n=5, settings=ForYouSettings(ease_items=3))

    assert lists
    assert all(len(recommendations) == 5 for recommendations in lists.values())


def test_ease_links_items_bought_by_the_same_customers_and_nothing_else():
    # Customers 0-2 buy tea and sugar, customers 3-5 soap and shampoo.
    tea, sugar, soap, shampoo = range(4)
    rows = [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    cols = [tea, sugar] * 3 + [soap, shampoo] * 3
    bought = sparse.csr_matrix((np.ones(12), (rows, cols)), shape=(6, 4))

    weights = ease_weights(bought, l2=1.0)

    assert weights.dtype == np.float32
    assert weights[tea, sugar] > 0 and weights[soap, shampoo] > 0
    assert weights[tea, soap] == 0 and weights[sugar, shampoo] == 0
    assert np.all(np.diag(weights) == 0)
    # Sugar regressed on tea alone: 3 customers share them / (3 who bought tea + l2 1).
    assert weights[tea, sugar] == pytest.approx(3 / 4)


def test_the_symmetric_inverse_is_exact_and_in_place():
    matrix = np.array([[2.0, 1.0], [1.0, 2.0]], dtype=np.float32)

    inverse = _symmetric_inverse_in_place(matrix)

    assert inverse is matrix
    np.testing.assert_allclose(inverse, np.array([[2, -1], [-1, 2]]) / 3, rtol=1e-6)


def test_the_reason_is_the_bought_item_that_adds_most():
    # One customer bought model items 0 and 1; the model items are item indices 5, 7, 9.
    history = sparse.csr_matrix(np.array([[1, 1, 0]], dtype=np.float32))
    weights = np.array([[0, 0.1, 0.2], [0.3, 0, 0.5], [0, 0, 0]], dtype=np.float32)
    columns = np.array([5, 7, 9])

    reason = strongest_reason(history, weights, columns, np.array([0, 0, 0]),
                              np.array([9, 4, 5]))

    # Item 9: item 7 (0.5) over item 5 (0.2); item 4 is outside the model; item 5: item 7.
    assert reason.tolist() == [7, -1, 7]


# -- Cold start ------------------------------------------------------------------------------


def test_popular_items_counts_customers_not_units():
    purchases = Purchases.from_rows([
        ("a", "bread", 1, 1), ("b", "bread", 1, 1), ("c", "bread", 1, 1),
        ("a", "eggs", 1, 30), ("a", "eggs", 2, 30),
    ])

    assert _items(popular_items(purchases, today=3)) == ["bread", "eggs"]


def test_popular_by_district_and_by_category():
    purchases = Purchases.from_rows([
        ("a", "string hoppers", 1), ("b", "string hoppers", 1), ("b", "curd", 1),
        ("c", "curd", 1), ("d", "curd", 1), ("c", "string hoppers", 1),
    ])
    districts = {"a": "colombo", "b": "colombo", "c": "kandy", "d": "kandy"}
    categories = {"string hoppers": "flour", "curd": "dairy"}

    by_district = popular_by_group(purchases, today=2, customer_groups=districts)
    by_category = popular_by_group(purchases, today=2, item_groups=categories)

    assert _items(by_district["colombo"]) == ["string hoppers", "curd"]
    assert _items(by_district["kandy"]) == ["curd", "string hoppers"]
    assert _items(by_category["dairy"]) == ["curd"]
    assert _items(by_category["flour"]) == ["string hoppers"]


def test_popular_by_group_takes_one_mapping():
    purchases = Purchases.from_rows([("a", "x", 1)])

    with pytest.raises(ValueError):
        popular_by_group(purchases, today=2, customer_groups={"a": 1}, item_groups={"x": 1})


# -- Every strip -----------------------------------------------------------------------------


def _all_strips(purchases: Purchases):
    return (
        buy_again(purchases, today=100),
        bought_together(purchases),
        for_you(purchases, today=100),
        popular_items(purchases, today=100),
        popular_by_group(purchases, today=100, item_groups={f"p{i}": i % 3 for i in range(30)}),
    )


def test_the_same_purchases_in_any_order_give_the_same_lists():
    rows = _shop(random.Random(4))
    shuffled = rows[:]
    random.Random(5).shuffle(shuffled)

    first = _all_strips(Purchases.from_rows(rows))
    again = _all_strips(Purchases.from_rows(rows))
    reordered = _all_strips(Purchases.from_rows(shuffled))

    assert first == again
    assert first == reordered


def test_no_purchases_give_empty_lists():
    purchases = Purchases.from_rows([])

    assert buy_again(purchases, today=1) == {}
    assert bought_together(purchases) == {}
    assert for_you(purchases, today=1) == {}
    assert popular_items(purchases, today=1) == []
    assert popular_by_group(purchases, today=1, customer_groups={"a": 1}) == {}
    assert together_with({}, ["x"]) == []


def test_integer_keys_come_back_as_the_callers_integers():
    purchases = Purchases.from_rows([(7, 101, 0), (7, 101, 7), (8, 101, 3), (8, 102, 3)])

    lists = buy_again(purchases, today=14)

    assert set(lists) == {7, 8}
    assert lists[7][0].item == 101
    assert type(lists[7][0].item) is int
