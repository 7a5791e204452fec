"""Item-to-item neighbours from co-occurrence, shrunk, cut to each item's top k."""

from __future__ import annotations

import numpy as np
from scipy import sparse

# A block of items' co-occurrence rows is made at once; popular items co-occur with much of
# the catalogue, so blocks are sized by the entries they may hold, not by a count of items.
BLOCK_ENTRIES = 20_000_000


def item_neighbours(
    occurrences: sparse.csr_matrix,
    *,
    k: int,
    shrinkage: float,
    alpha: float = 0.5,
    min_count: int = 1,
) -> sparse.csr_matrix:
    """Items x items: for each item, its k most similar items and their similarity.

    `occurrences` is rows (baskets or customers) x items, non-zero where the row holds the item.
    The similarity of i to j is c / (n_i^alpha * n_j^(1-alpha) + shrinkage), c being the rows
    that hold both and n_i the rows that hold i. alpha 0.5 is the cosine; towards 1 it is the
    chance of j given i, which favours popular j. The shrinkage is there because a pair seen in
    one basket of two rare items would otherwise look as similar as a pair bought together
    every week: it pulls pairs with little evidence towards zero. Pairs seen in fewer than
    `min_count` rows are dropped. An item is never its own neighbour.
    """
    binary = occurrences.astype(bool).astype(np.float32).tocsr()
    n_items = binary.shape[1]
    by_item = binary.T.tocsr()
    counts = np.asarray(binary.sum(axis=0)).ravel()
    row_power = (counts ** alpha).astype(np.float32)
    col_power = (counts ** (1 - alpha)).astype(np.float32)
    # The co-occurrence row of item i has at most (sum of the sizes of i's rows) entries.
    row_sizes = np.diff(binary.indptr).astype(np.float64)
    bound = np.asarray(by_item @ row_sizes).ravel()
    blocks = []
    start = 0
    while start < n_items:
        end = start + 1
        budget = bound[start]
        while end < n_items and budget + bound[end] <= BLOCK_ENTRIES:
            budget += bound[end]
            end += 1
        blocks.append(_neighbour_block(by_item[start:end], binary, row_power, col_power, start,
                                       k=k, shrinkage=shrinkage, min_count=min_count))
        start = end
    if not blocks:
        return sparse.csr_matrix((0, 0), dtype=np.float32)
    return sparse.vstack(blocks, format="csr")


def _neighbour_block(rows, binary, row_power, col_power, offset, *, k, shrinkage, min_count):
    co = (rows @ binary).tocsr()
    row = np.repeat(np.arange(co.shape[0]), np.diff(co.indptr))
    keep = (row + offset != co.indices) & (co.data >= min_count)
    denominator = row_power[row + offset] * col_power[co.indices] + np.float32(shrinkage)
    co.data = np.where(keep, co.data / denominator, np.float32(0.0))
    co.eliminate_zeros()
    return top_k_per_row(co, k)


def top_k_per_row(matrix: sparse.csr_matrix, k: int) -> sparse.csr_matrix:
    """The k largest entries of each row of a CSR matrix; among equal values at the cut, the
    lower columns, so the same input always keeps the same entries."""
    lengths = np.diff(matrix.indptr)
    keep = np.ones(matrix.nnz, dtype=bool)
    # Rows short enough are kept whole; only long rows need a selection, one at a time
    # (a partition per row is far cheaper than sorting every entry of the block).
    for row in np.flatnonzero(lengths > k):
        lo, hi = matrix.indptr[row], matrix.indptr[row + 1]
        values = matrix.data[lo:hi]
        cut = np.partition(values, len(values) - k)[len(values) - k]
        above = values > cut
        at_cut = np.flatnonzero(values == cut)
        at_cut = at_cut[np.argsort(matrix.indices[lo:hi][at_cut], kind="stable")]
        above[at_cut[: k - int(above.sum())]] = True
        keep[lo:hi] = above
    row_of = np.repeat(np.arange(matrix.shape[0]), lengths)
    return sparse.csr_matrix((matrix.data[keep], (row_of[keep], matrix.indices[keep])),
                             shape=matrix.shape)
