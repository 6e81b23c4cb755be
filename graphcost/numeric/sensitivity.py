"""The Δ of one block with respect to the seeds, held by its structure (:class:`Sensitivity`),
and one step of the recursion that builds it from a block's incoming factors (:class:`Step`,
:func:`merge`); :func:`dense` lays it out as a matrix.

Used by :mod:`graphcost.numeric.propagation` only: dense over the seed nodes that reach the
block through some full edge, a diagonal per seed block reaching it along diag edges only, and
the row structures of a weight input (``ik->i``), so that no structural zero is ever stored
or multiplied.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Sensitivity:
    """Δ of one block v w.r.t. the seeds, holding structurally non-zero entries only.

    ``dense`` on the seed columns ``cols``; ``diag[s]``, a vector, for a seed block s that
    reaches v along diag edges only (Δ_{s_i, v_i}); ``rows[s]``, an (|v|, m) matrix, for a
    weight seed s ([|v|, m], forward) that reaches v through its ``ik->i`` edge and diag edges
    (Δ_{s_ik, v_i}); ``spread[s]``, an (|s|, m) matrix, for a weight block v ([|s|, m],
    backward) reached from seed s through its ``ik->i`` edge (Δ_{s_i, v_ik}).
    """

    cols: np.ndarray
    dense: np.ndarray
    diag: dict[int, np.ndarray]
    rows: dict[int, np.ndarray] = field(default_factory=dict)
    spread: dict[int, np.ndarray] = field(default_factory=dict)


#: The kinds of factor :func:`_propagate` applies: a matrix, a diagonal, or the ``ik->i``
#: edge of a weight input (its factor x: ∂h_i/∂W_ik = x_k).
FULL, DIAG, ROW = "full", "diag", "row"


class Step:
    """The terms of one block's Δ, gathered edge by edge before :func:`merge` sums them."""

    def __init__(self, size: int, offsets: dict[int, int], sizes: list[int]) -> None:
        self.size, self.offsets, self.sizes = size, offsets, sizes
        self.pieces: list[tuple[np.ndarray, np.ndarray]] = []
        self.diagonal: dict[int, np.ndarray] = {}
        self.rows: dict[int, np.ndarray] = {}
        self.spread: dict[int, np.ndarray] = {}

    def _cols(self, s: int) -> np.ndarray:
        return np.arange(self.offsets[s], self.offsets[s] + self.sizes[s])

    def from_seed(self, w: int, kind: str, factor: np.ndarray, transposed: bool) -> None:
        """A factor out of a seed block: copied (unit seed), no multiplication."""
        size = self.size
        if kind == ROW:
            # forward: v = h, seed W (h_i reads row i); backward: v = W, seed h.
            width = len(factor)
            if width == 1:  # W [n, 1]: node W_i0 feeds h_i alone, a diagonal
                _accumulate(self.diagonal, w, np.full(min(size, self.sizes[w]), factor[0]))
            else:
                rows = self.sizes[w] if transposed else size
                matrix = np.tile(factor, (rows, 1))
                _accumulate(self.spread if transposed else self.rows, w, matrix)
        elif kind == DIAG and self.sizes[w] > 1:
            _accumulate(self.diagonal, w, factor)
        elif kind == DIAG:
            self.pieces.append((self._cols(w), factor.reshape(size, 1)))
        else:
            self.pieces.append((self._cols(w), factor.T if transposed else factor))

    def through(self, source: Sensitivity, kind: str, factor: np.ndarray, transposed: bool) -> int:
        """The factor applied to a visited block's Δ; returns the multiplications made."""
        size, done = self.size, 0
        if source.spread:
            raise AssertionError("a weight block of the backward recursion has no successor")
        if kind == DIAG:
            self.pieces.append((source.cols, factor[:, None] * source.dense))
            done += source.dense.size
            for s, vector in source.diag.items():
                _accumulate(self.diagonal, s, factor * vector)
                done += size
            for s, matrix in source.rows.items():
                _accumulate(self.rows, s, factor[:, None] * matrix)
                done += matrix.size
        elif kind == ROW:  # backward: v = W (n × m), source h (n), Δ_{y, W_ik} = x_k·Δ_{y, h_i}
            if source.rows:
                raise AssertionError("the forward recursion enters a weight input")
            n, width = source.dense.shape[0], len(factor)
            product = source.dense[:, None, :] * factor[None, :, None]
            self.pieces.append((source.cols, product.reshape(n * width, -1)))
            done += product.size
            for s, vector in source.diag.items():
                if width == 1:
                    _accumulate(self.diagonal, s, vector * factor[0])
                else:
                    _accumulate(self.spread, s, vector[:, None] * factor[None, :])
                done += vector.size * width
        else:
            product = (source.dense.T @ factor).T if transposed else factor @ source.dense
            self.pieces.append((source.cols, product))
            done += factor.size * source.dense.shape[1]
            matrix_vj = factor.T if transposed else factor  # (size_v, size_w)
            for s, vector in source.diag.items():
                self.pieces.append((self._cols(s), matrix_vj * vector[None, :]))
                done += factor.size
            for s, rows in source.rows.items():
                # Δ_{s_ik, v_j} = F_ji · R_ik: dense over the n·m nodes of s.
                block = matrix_vj[:, :, None] * rows[None, :, :]
                self.pieces.append((self._cols(s), block.reshape(size, -1)))
                done += block.size
        return done


def _accumulate(diagonal: dict[int, np.ndarray], seed: int, vector: np.ndarray) -> None:
    diagonal[seed] = diagonal[seed] + vector if seed in diagonal else vector


def _covers(cols: np.ndarray, first: int) -> int | None:
    """Where the seed whose first column is ``first`` starts in ``cols`` (whole seeds only)."""
    where = int(np.searchsorted(cols, first))
    return where if where < len(cols) and cols[where] == first else None


def merge(
    size: int,
    pieces: list[tuple[np.ndarray, np.ndarray]],
    diagonal: dict[int, np.ndarray],
    offsets: dict[int, int],
    sizes: list[int],
    rows: dict[int, np.ndarray] | None = None,
    spread: dict[int, np.ndarray] | None = None,
) -> Sensitivity:
    if len(pieces) == 1:
        cols, dense = pieces[0]
    elif not pieces:
        cols, dense = np.empty(0, dtype=np.int64), np.zeros((size, 0))
    else:
        cols = np.unique(np.concatenate([c for c, _ in pieces]))
        dense = np.zeros((size, len(cols)))
        for piece_cols, matrix in pieces:
            if len(piece_cols) == len(cols):
                dense += matrix  # same column set (both sorted and unique)
            else:
                dense[:, np.searchsorted(cols, piece_cols)] += matrix
    owned = len(pieces) != 1  # a single piece may be a parameter array: never write into it
    keep: dict[int, np.ndarray] = {}
    structured: list[tuple[dict[int, np.ndarray], dict[int, np.ndarray], str]] = [
        (diagonal, keep, DIAG)
    ]
    kept_rows: dict[int, np.ndarray] = {}
    kept_spread: dict[int, np.ndarray] = {}
    structured += [(rows or {}, kept_rows, "rows"), (spread or {}, kept_spread, "spread")]
    for held, kept, kind in structured:
        for s, values in held.items():
            start = _covers(cols, offsets[s])
            if start is None:
                kept[s] = values
                continue
            # s also reaches this block through a full edge: the structure joins the dense part.
            if not owned:
                dense, owned = dense.copy(), True
            if kind == DIAG:
                dense[np.arange(size), start + np.arange(size)] += values
            elif kind == "rows":  # Δ_{s_ik, v_i}: column i·m + k of s, row i
                n, width = values.shape
                i, k = np.divmod(np.arange(n * width), width)
                dense[i, start + i * width + k] += values.reshape(-1)
            else:  # Δ_{s_i, v_ik}: row i·m + k, column i of s
                n, width = values.shape
                i, k = np.divmod(np.arange(n * width), width)
                dense[i * width + k, start + i] += values.reshape(-1)
    return Sensitivity(cols, dense, keep, kept_rows, kept_spread)


def dense(sens: Sensitivity | None, size: int, width: int, offsets: dict[int, int]) -> np.ndarray:
    out = np.zeros((size, width))
    if sens is None:
        return out
    out[:, sens.cols] = sens.dense
    for s, vector in sens.diag.items():
        out[np.arange(size), offsets[s] + np.arange(size)] = vector
    for s, matrix in sens.rows.items():
        n, m = matrix.shape
        i, k = np.divmod(np.arange(n * m), m)
        out[i, offsets[s] + i * m + k] = matrix.reshape(-1)
    for s, matrix in sens.spread.items():
        n, m = matrix.shape
        i, k = np.divmod(np.arange(n * m), m)
        out[i * m + k, offsets[s] + i] = matrix.reshape(-1)
    return out
