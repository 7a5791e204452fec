"""Item-to-item neighbours from co-occurrence, shrunk, cut to each item's top k."""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.linalg import lapack

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


# The Gram matrix is built this many columns at a time (a sparse product per block, added
# into the dense matrix), so no sparse items x items product is ever held whole.
GRAM_BLOCK_COLUMNS = 1000


def ease_weights(occurrences: sparse.csr_matrix, *, l2: float) -> np.ndarray:
    """EASE (Steck, 2019): items x items weights, dense, float32, with a zero diagonal.

    `occurrences` is rows (customers) x items, non-zero where the row holds the item (made
    binary here). The weights B minimise |X - X B|^2 + l2 |B|^2 with diag(B) = 0; the closed
    form is B = I - P / diag(P), P = (X'X + l2 I)^-1. A row's score for item j is then the sum
    of B[i, j] over the items i it holds: how well its other items predict j, with what
    predicts every item anyway (the popular items) taken out by the regression. The cost is
    an inversion of an items x items matrix, so callers keep the items to some thousands.
    """
    binary = occurrences.astype(bool).astype(np.float32).tocsc()
    n = binary.shape[1]
    gram = np.empty((n, n), dtype=np.float32)
    by_item = binary.T.tocsr()
    for lo in range(0, n, GRAM_BLOCK_COLUMNS):
        hi = min(lo + GRAM_BLOCK_COLUMNS, n)
        gram[:, lo:hi] = (by_item @ binary[:, lo:hi]).toarray()
    gram[np.diag_indices(n)] += np.float32(l2)
    weights = _symmetric_inverse_in_place(gram)
    weights /= -np.diag(weights)[None, :]
    np.fill_diagonal(weights, 0.0)
    return weights


def _symmetric_inverse_in_place(matrix: np.ndarray) -> np.ndarray:
    """The inverse of a symmetric positive definite float32 matrix, in its own memory (at
    10 000 items it is 400 MB, and scipy.linalg.inv would hold a copy besides)."""
    n = matrix.shape[0]
    if n == 0:
        return matrix
    # Symmetric, so its transpose is itself, and Fortran-ordered: LAPACK works in place.
    fortran = matrix.T
    factor, info = lapack.spotrf(fortran, lower=0, overwrite_a=1, clean=0)
    if info == 0:
        factor, info = lapack.spotri(factor, lower=0, overwrite_c=1)
    if info != 0 or not np.shares_memory(factor, matrix):
        raise np.linalg.LinAlgError(f"inversion failed (LAPACK info {info})")
    # LAPACK filled the upper triangle of the Fortran view, the lower one here: mirror it.
    for lo in range(0, n, GRAM_BLOCK_COLUMNS):
        hi = min(lo + GRAM_BLOCK_COLUMNS, n)
        matrix[lo:hi, hi:] = matrix[hi:, lo:hi].T
        diagonal = matrix[lo:hi, lo:hi]
        upper = np.triu_indices(hi - lo, 1)
        diagonal[upper] = diagonal.T[upper]
    return matrix
