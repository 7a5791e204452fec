"""Top N of a score matrix, and the item that explains each recommendation."""

from __future__ import annotations

import numpy as np
from scipy import sparse


def top_n_dense(scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the columns of the n highest finite scores, best first, and those scores.

    Rows with fewer than n finite scores are padded with column -1. Ties go to the lower
    column, so the same scores always give the same lists.
    """
    rows, cols = scores.shape
    n = min(n, cols)
    if n == 0 or rows == 0:
        return np.full((rows, n), -1, dtype=np.int64), np.zeros((rows, n), dtype=scores.dtype)
    # argpartition picks the n best in linear time; a stable sort of those few orders them.
    # A tie at the cut could be decided either way, so those rows are sorted whole.
    part = np.argpartition(-scores, n - 1, axis=1)[:, :n]
    part_scores = np.take_along_axis(scores, part, axis=1)
    cut = part_scores.min(axis=1)
    ambiguous = (scores == cut[:, None]).sum(axis=1) > (part_scores == cut[:, None]).sum(axis=1)
    for row in np.flatnonzero(ambiguous):
        part[row] = np.argsort(-scores[row], kind="stable")[:n]
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -part_scores), axis=1)
    best = np.take_along_axis(part, order, axis=1)
    best_scores = np.take_along_axis(part_scores, order, axis=1)
    best[~np.isfinite(best_scores)] = -1
    return best, best_scores


def strongest_reason(
    history: sparse.csr_matrix,
    neighbours: sparse.csr_matrix,
    neighbour_keys: np.ndarray,
    rows: np.ndarray,
    items: np.ndarray,
) -> np.ndarray:
    """For each (row, item) pair, the history item that contributed most to the item's score.

    `history` is rows x items (what each customer bought, weighted as in the score);
    `neighbours` is items x items (row i: the similarity of i to each of its neighbours),
    `neighbour_keys` its `row_major_keys`. Returns an item index per pair, -1 if none contributed.
    """
    reason = np.full(len(rows), -1, dtype=np.int64)
    if not len(rows) or not neighbours.nnz:
        return reason
    # Look each (history item, recommended item) up in the neighbour matrix by a sorted key,
    # from the customer's side: a customer bought tens of items, while a popular item may be
    # the neighbour of thousands.
    n_items = neighbours.shape[1]
    keys = neighbour_keys
    lengths = np.diff(history.indptr)[rows]
    pair = np.repeat(np.arange(len(rows)), lengths)
    offset = np.arange(len(pair)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    entry = history.indptr[rows][pair] + offset
    bought, weight = history.indices[entry], history.data[entry]
    query = bought.astype(np.int64) * n_items + items[pair]
    at = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
    found = keys[at] == query
    contribution = np.where(found, weight * neighbours.data[at], 0.0)
    useful = contribution > 0
    pair, bought, contribution = pair[useful], bought[useful], contribution[useful]
    # The largest contribution per pair; among equals the lowest item, for stable reasons.
    order = np.lexsort((bought, -contribution, pair))
    first = order[np.r_[True, pair[order][1:] != pair[order][:-1]]] if len(order) else order
    reason[pair[first]] = bought[first]
    return reason


def row_major_keys(matrix: sparse.csr_matrix) -> np.ndarray:
    """row * columns + column for every entry, in storage order, which this makes sorted."""
    matrix.sort_indices()
    row = np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr))
    return row * matrix.shape[1] + matrix.indices
