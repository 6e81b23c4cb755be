"""Numeric forward and backward recursion: real Δ values, the multiplications performed, ∂D'/∂V.

Data flow: a :class:`~graphcost.numeric.model.NumericModel`
(:func:`~graphcost.numeric.build.build_model`) → :func:`~graphcost.numeric.evaluate.evaluate`
(the primal values α_v) → :func:`~graphcost.numeric.evaluate.local_jacobians` (one factor
∂g_v/∂α_w per edge: a dense matrix on a full edge, a vector on a diag edge) → :func:`forward` /
:func:`backward` → :class:`Propagation`.

Both recursions are one engine, :func:`_propagate`: the backward recursion is the forward one run
on the reversed graph with transposed factors and the outputs as seeds. Every product it performs
is counted where it is performed, and it performs exactly the products of the *elimination*
convention (:mod:`graphcost.count.recursions`): a product with a unit seed (Δ_uu = 1) is a copy,
and a
structural zero is never stored, so never multiplied. Per block the sensitivity is a dense matrix
over the seed nodes that reach it through some full edge, plus a vector per seed block that
reaches it only along diag edges (a diagonal, stored as such). At node level every block is a
single node, so each step is one numpy operation over all seed directions at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graphcost.errors import GraphTooLargeError
from graphcost.numeric.evaluate import LocalJacobian, evaluate, local_jacobians
from graphcost.numeric.model import MAX_NUMERIC_ENTRIES, NumericModel


@dataclass
class Propagation:
    """The result of a numeric forward or backward recursion.

    Attributes
    ----------
    mode
        ``"forward"`` or ``"backward"``.
    values
        Primal value α of every block (a vector of its size).
    deltas
        Per block, the dense matrix of its Δ values: forward ``Δ_uv`` for every input node u
        (shape ``(size_v, |V|)``); backward ``Δ_vy`` for every output node y
        (shape ``(size_v, |D'|)``), i.e. the adjoints.
    jacobian
        ∂D'/∂V, shape ``(|D'|, |V|)``.
    multiplications
        Scalar multiplications performed.
    """

    mode: str
    values: list[np.ndarray]
    deltas: list[np.ndarray]
    jacobian: np.ndarray
    multiplications: int


@dataclass
class _Sensitivity:
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


def _propagate(
    order: list[int],
    sizes: list[int],
    incoming: list[list[tuple[int, str, np.ndarray]]],
    seeds: list[int],
    *,
    transposed: bool = False,
) -> tuple[list[_Sensitivity | None], int, dict[int, int], int]:
    """Δ_{s,v} for every seed node s and block v, visiting ``order``; returns the products made.

    ``incoming[v]`` lists ``(w, kind, factor)`` with ``factor`` oriented ``(size_v, size_w)``
    (a vector when diag), or ``(size_w, size_v)`` when ``transposed`` (the backward recursion
    passes the factors of the forward graph untransposed and multiplies from the left, as a
    vector-Jacobian product: BLAS is far faster that way than on a transposed view); a ``row``
    factor is the vector x of h = W·x, whichever way it is run. Seed blocks hold the identity:
    a factor out of a seed is copied, not multiplied (unit seed). Sensitivities hold only
    structurally non-zero entries, so no product with a structural zero is ever formed.
    """
    offsets: dict[int, int] = {}
    total = 0
    for s in seeds:
        offsets[s] = total
        total += sizes[s]
    seed_set = set(seeds)
    sens: list[_Sensitivity | None] = [None] * len(sizes)
    multiplications = 0
    for v in order:
        if v in seed_set:
            continue
        size = sizes[v]
        step = _Step(size, offsets, sizes)
        for w, kind, factor in incoming[v]:
            if w in seed_set:
                step.from_seed(w, kind, factor, transposed)
                continue
            source = sens[w]
            assert source is not None  # visited earlier: ``order`` is topological
            multiplications += step.through(source, kind, factor, transposed)
        sens[v] = _merge(size, step.pieces, step.diagonal, offsets, sizes, step.rows, step.spread)
    return sens, multiplications, offsets, total


class _Step:
    """The terms of one block's Δ, gathered edge by edge before :func:`_merge` sums them."""

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

    def through(self, source: _Sensitivity, kind: str, factor: np.ndarray, transposed: bool) -> int:
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


def _merge(
    size: int,
    pieces: list[tuple[np.ndarray, np.ndarray]],
    diagonal: dict[int, np.ndarray],
    offsets: dict[int, int],
    sizes: list[int],
    rows: dict[int, np.ndarray] | None = None,
    spread: dict[int, np.ndarray] | None = None,
) -> _Sensitivity:
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
    return _Sensitivity(cols, dense, keep, kept_rows, kept_spread)


def _dense(sens: _Sensitivity | None, size: int, width: int, offsets: dict[int, int]) -> np.ndarray:
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


def forward(
    model: NumericModel, inputs: Mapping[int, np.ndarray], *, values: list[np.ndarray] | None = None
) -> Propagation:
    """Forward recursion Δ_uv = Σ_{w∈P_v} Δ_uw · ∂g_v/∂α_w for every input node u.

    Examples
    --------
    >>> from graphcost.graph.loader import graph_from_dict
    >>> from graphcost.numeric.build import build_model
    >>> g = graph_from_dict({"V": ["x", "w"], "D": ["v"], "D'": ["y"],
    ...     "g": {"v": "x * w", "y": "sin(v)"}})
    >>> m = build_model(g)
    >>> p = forward(m, {0: [2.0], 1: [3.0]})
    >>> p.multiplications, p.jacobian.round(4).tolist()
    (2, [[2.8805, 1.9203]])
    """
    return recursion("forward", model, inputs, values)


def backward(
    model: NumericModel, inputs: Mapping[int, np.ndarray], *, values: list[np.ndarray] | None = None
) -> Propagation:
    """Backward recursion Δ_uv = Σ_{w: u∈P_w} ∂g_w/∂α_u · Δ_wv for every output node v.

    The forward engine on the reversed graph, with transposed factors and the outputs as seeds.

    Examples
    --------
    >>> from graphcost.graph.loader import graph_from_dict
    >>> from graphcost.numeric.build import build_model
    >>> g = graph_from_dict({"V": ["x", "w"], "D": ["v"], "D'": ["y"],
    ...     "g": {"v": "x * w", "y": "sin(v)"}})
    >>> p = backward(build_model(g), {0: [2.0], 1: [3.0]})
    >>> p.multiplications, p.jacobian.round(4).tolist()
    (2, [[2.8805, 1.9203]])
    """
    return recursion("backward", model, inputs, values)


def recursion(
    mode: str,
    model: NumericModel,
    inputs: Mapping[int, np.ndarray],
    values: list[np.ndarray] | None,
    factors: list[LocalJacobian] | None = None,
) -> Propagation:
    """Run :func:`_propagate` forward, or backward (reversed edges and order, seeds = outputs)."""
    values = values if values is not None else evaluate(model, as_vectors(inputs))
    if factors is None:
        factors = local_jacobians(model, values)
    reverse = mode == "backward"
    incoming: list[list[tuple[int, str, np.ndarray]]] = [[] for _ in model.sizes]
    for f in factors:
        head, tail = (f.src, f.dst) if reverse else (f.dst, f.src)
        incoming[head].append((tail, ROW if f.row else DIAG if f.diag else FULL, f.value))
    order = model.graph.order.tolist()
    seeds = model.outputs if reverse else model.inputs
    stored = sum(model.sizes) * sum(model.sizes[s] for s in seeds)
    if stored > MAX_NUMERIC_ENTRIES:
        raise GraphTooLargeError(
            f"the {mode} recursion on {model.graph.name!r} would store {stored:,} derivatives "
            f"(nodes × {'outputs' if reverse else 'inputs'}), more than {MAX_NUMERIC_ENTRIES:,}",
            path=model.graph.path,
            fix="evaluate a smaller instance (--set); analyze counts the large one",
        )
    sens, count, offsets, width = _propagate(
        order[::-1] if reverse else order, model.sizes, incoming, seeds, transposed=reverse
    )
    deltas = [
        _identity(size, width, offsets[b])
        if b in offsets
        else _dense(sens[b], size, width, offsets)
        for b, size in enumerate(model.sizes)
    ]
    if not reverse:
        jacobian = np.vstack([deltas[b] for b in model.outputs])
    elif model.inputs:
        jacobian = np.vstack([deltas[b] for b in model.inputs]).T
    else:
        jacobian = np.zeros((width, 0))
    return Propagation(mode, values, deltas, jacobian, count)


def _identity(size: int, width: int, offset: int) -> np.ndarray:
    out = np.zeros((size, width))
    out[np.arange(size), offset + np.arange(size)] = 1.0
    return out


def as_vectors(inputs: Mapping[int, Any]) -> dict[int, np.ndarray]:
    """Input block index → its value as a float vector (a scalar becomes a vector of one)."""
    return {b: np.atleast_1d(np.asarray(v, dtype=float)) for b, v in inputs.items()}
