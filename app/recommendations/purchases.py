"""Order lines as columns, and their encoding to the indices the matrices use."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import sparse


@dataclass(frozen=True, eq=False)
class Purchases:
    """What customers bought: one entry per order line, as parallel arrays.

    `days` is any number that grows with time in days (a day number, or seconds / 86 400), so
    gaps between purchases are in days. `baskets` says which lines were bought together (an
    order id); without it, one customer's lines on the same `days` value form a basket.
    Customer and item keys may be ints or strings; results are keyed by the same values.
    """

    customers: np.ndarray
    items: np.ndarray
    days: np.ndarray
    quantities: np.ndarray
    baskets: np.ndarray | None = None

    @classmethod
    def from_rows(cls, rows: Iterable[Sequence]) -> Purchases:
        """From (customer, item, day[, quantity[, basket]]) tuples; quantity defaults to 1."""
        rows = list(rows)
        width = max((len(row) for row in rows), default=3)
        columns = list(zip(*rows, strict=True)) if rows else [(), (), ()]
        quantities = columns[3] if width > 3 else [1] * len(rows)
        baskets = np.asarray(columns[4]) if width > 4 else None
        return cls.from_arrays(columns[0], columns[1], columns[2], quantities, baskets)

    @classmethod
    def from_arrays(cls, customers, items, days, quantities=None, baskets=None) -> Purchases:
        days = np.asarray(days, dtype=np.float64)
        if quantities is None:
            quantities = np.ones(len(days))
        return cls(
            customers=np.asarray(customers),
            items=np.asarray(items),
            days=days,
            quantities=np.asarray(quantities, dtype=np.float64),
            baskets=None if baskets is None else np.asarray(baskets),
        )

    def __len__(self) -> int:
        return len(self.days)

    def select(self, mask: np.ndarray) -> Purchases:
        """The lines where `mask` is true (the benchmark's train/test split)."""
        return Purchases(
            customers=self.customers[mask],
            items=self.items[mask],
            days=self.days[mask],
            quantities=self.quantities[mask],
            baskets=None if self.baskets is None else self.baskets[mask],
        )

    @cached_property
    def encoded(self) -> Encoded:
        return Encoded.of(self)


@dataclass(frozen=True, eq=False)
class Encoded:
    """The purchases with customers, items and baskets numbered 0..n-1.

    `customer_keys[c]` and `item_keys[i]` turn indices back into the caller's keys. Lines are
    reduced to one per (basket, item): buying four tins in one order is one purchase of it.
    """

    customer_keys: np.ndarray
    item_keys: np.ndarray
    customer: np.ndarray  # per purchase (basket, item): customer index
    item: np.ndarray  # item index
    basket: np.ndarray  # basket index, numbered in time order within each customer
    day: np.ndarray  # the basket's day

    @classmethod
    def of(cls, purchases: Purchases) -> Encoded:
        customer_keys, customer = _codes(purchases.customers)
        item_keys, item = _codes(purchases.items)
        day = purchases.days
        if purchases.baskets is not None:
            _, basket = _codes(purchases.baskets)
        else:
            pairs = np.stack([customer.astype(np.float64), day])
            _, basket = np.unique(pairs, axis=1, return_inverse=True)
            basket = basket.ravel()
        # One line per (basket, item), ordered by customer, then time, then basket.
        order = np.lexsort((item, basket, day, customer))
        customer, item, basket, day = customer[order], item[order], basket[order], day[order]
        keep = np.ones(len(order), dtype=bool)
        keep[1:] = (basket[1:] != basket[:-1]) | (item[1:] != item[:-1])
        customer, item, basket, day = customer[keep], item[keep], basket[keep], day[keep]
        # A basket's day is its first line's, so a basket is one moment in time.
        _, first = np.unique(basket, return_index=True)
        day = day[first][np.searchsorted(basket[first], basket)] if len(basket) else day
        # Renumber baskets in the sorted order so each customer's baskets are consecutive.
        new_basket = np.zeros(len(basket), dtype=np.int64)
        if len(basket):
            new_basket[1:] = np.cumsum(basket[1:] != basket[:-1])
        return cls(customer_keys, item_keys, customer, item, new_basket, day)

    @property
    def n_customers(self) -> int:
        return len(self.customer_keys)

    @property
    def n_items(self) -> int:
        return len(self.item_keys)

    @cached_property
    def n_baskets(self) -> int:
        return int(self.basket[-1]) + 1 if len(self.basket) else 0

    def customer_item_matrix(self, values: np.ndarray | None = None) -> sparse.csr_matrix:
        """Customers x items; by default the number of baskets each item was in."""
        values = np.ones(len(self.item), dtype=np.float32) if values is None else values
        matrix = sparse.csr_matrix(
            (values.astype(np.float32), (self.customer, self.item)),
            shape=(self.n_customers, self.n_items),
        )
        matrix.sum_duplicates()
        return matrix

    def basket_item_matrix(self) -> sparse.csr_matrix:
        """Baskets x items, 1 where the item was in the basket."""
        return sparse.csr_matrix(
            (np.ones(len(self.item), dtype=np.float32), (self.basket, self.item)),
            shape=(self.n_baskets, self.n_items),
        )

    def item_index(self, keys: Iterable[Hashable]) -> np.ndarray:
        """Indices of the given item keys; -1 for items never bought."""
        return _lookup(self.item_keys, keys)

    def customer_index(self, keys: Iterable[Hashable]) -> np.ndarray:
        return _lookup(self.customer_keys, keys)


def _codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keys, codes = np.unique(values, return_inverse=True)
    return keys, codes.ravel().astype(np.int64)


def _lookup(sorted_keys: np.ndarray, keys: Iterable[Hashable]) -> np.ndarray:
    keys = np.asarray(list(keys))
    if not len(sorted_keys) or not len(keys):
        return np.full(len(keys), -1, dtype=np.int64)
    position = np.clip(np.searchsorted(sorted_keys, keys), 0, len(sorted_keys) - 1)
    return np.where(sorted_keys[position] == keys, position, -1).astype(np.int64)
