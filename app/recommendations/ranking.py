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
    weights: np.ndarray,
    columns: np.ndarray,
    rows: np.ndarray,
    items: np.ndarray,
) -> np.ndarray:
    """For each (row, item) pair, the history item that contributed most to the item's score.

    `history` is rows x model items (what each customer bought, over the model's items);
    `weights` is model items x model items (row i: how much holding i adds to each item's
    score); `columns` maps a model item to its item index (sorted). Returns an item index per
    pair, -1 if none contributed (the item is outside the model, or nothing added to it).
    """
    reason = np.full(len(rows), -1, dtype=np.int64)
    if not len(rows) or not len(columns):
        return reason
    at = np.minimum(np.searchsorted(columns, items), len(columns) - 1)
    in_model = columns[at] == items
    lengths = np.diff(history.indptr)[rows] * in_model
    pair = np.repeat(np.arange(len(rows)), lengths)
    offset = np.arange(len(pair)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    bought = history.indices[history.indptr[rows][pair] + offset]
    contribution = weights[bought, at[pair]]
    useful = contribution > 0
    pair, bought, contribution = pair[useful], bought[useful], contribution[useful]
    # The largest contribution per pair; among equals the lowest item, for stable reasons.
    order = np.lexsort((bought, -contribution, pair))
    first = order[np.r_[True, pair[order][1:] != pair[order][:-1]]] if len(order) else order
    reason[pair[first]] = columns[bought[first]]
    return reason
