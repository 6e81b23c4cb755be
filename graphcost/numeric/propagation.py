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
from dataclasses import dataclass
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
    """Δ of one block w.r.t. the seeds: dense on ``cols``, diagonal per seed block in ``diag``."""

    cols: np.ndarray
    dense: np.ndarray
    diag: dict[int, np.ndarray]


def _propagate(
    order: list[int],
    sizes: list[int],
    incoming: list[list[tuple[int, bool, np.ndarray]]],
    seeds: list[int],
    *,
    transposed: bool = False,
) -> tuple[list[_Sensitivity | None], int, dict[int, int], int]:
    """Δ_{s,v} for every seed node s and block v, visiting ``order``; returns the products made.

    ``incoming[v]`` lists ``(w, is_diag, factor)`` with ``factor`` oriented ``(size_v, size_w)``
    (a vector when diag), or ``(size_w, size_v)`` when ``transposed`` (the backward recursion
    passes the factors of the forward graph untransposed and multiplies from the left, as a
    vector-Jacobian product: BLAS is far faster that way than on a transposed view). Seed
    blocks hold the identity: a factor out of a seed is copied, not multiplied (unit seed).
    Sensitivities hold only structurally non-zero entries, so no product with a structural zero
    is ever formed.
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
        pieces: list[tuple[np.ndarray, np.ndarray]] = []
        diagonal: dict[int, np.ndarray] = {}
        for w, is_diag, factor in incoming[v]:
            if w in seed_set:
                cols = np.arange(offsets[w], offsets[w] + sizes[w])
                if is_diag and sizes[w] > 1:
                    _accumulate(diagonal, w, factor)
                elif is_diag:
                    pieces.append((cols, factor.reshape(size, 1)))
                else:
                    pieces.append((cols, factor.T if transposed else factor))
                continue
            source = sens[w]
            assert source is not None  # visited earlier: ``order`` is topological
            if is_diag:
                pieces.append((source.cols, factor[:, None] * source.dense))
                multiplications += source.dense.size
                for s, vector in source.diag.items():
                    _accumulate(diagonal, s, factor * vector)
                    multiplications += size
            else:
                product = (source.dense.T @ factor).T if transposed else factor @ source.dense
                pieces.append((source.cols, product))
                multiplications += factor.size * source.dense.shape[1]
                for s, vector in source.diag.items():
                    cols = np.arange(offsets[s], offsets[s] + sizes[s])
                    if transposed:
                        pieces.append((cols, (factor * vector[:, None]).T))
                    else:
                        pieces.append((cols, factor * vector[None, :]))
                    multiplications += factor.size
        sens[v] = _merge(size, pieces, diagonal, offsets, sizes)
    return sens, multiplications, offsets, total


def _accumulate(diagonal: dict[int, np.ndarray], seed: int, vector: np.ndarray) -> None:
    diagonal[seed] = diagonal[seed] + vector if seed in diagonal else vector


def _merge(
    size: int,
    pieces: list[tuple[np.ndarray, np.ndarray]],
    diagonal: dict[int, np.ndarray],
    offsets: dict[int, int],
    sizes: list[int],
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
    for s, vector in diagonal.items():
        own = np.arange(offsets[s], offsets[s] + sizes[s])
        where = np.searchsorted(cols, own)
        if len(cols) and where[-1] < len(cols) and cols[where[0]] == own[0]:
            # s also reaches this block through a full edge: the diagonal joins the dense part.
            if not owned:
                dense, owned = dense.copy(), True
            dense[np.arange(size), where] += vector
        else:
            keep[s] = vector
    return _Sensitivity(cols, dense, keep)


def _dense(sens: _Sensitivity | None, size: int, width: int, offsets: dict[int, int]) -> np.ndarray:
    out = np.zeros((size, width))
    if sens is None:
        return out
    out[:, sens.cols] = sens.dense
    for s, vector in sens.diag.items():
        out[np.arange(size), offsets[s] + np.arange(size)] = vector
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
    incoming: list[list[tuple[int, bool, np.ndarray]]] = [[] for _ in model.sizes]
    for f in factors:
        head, tail = (f.src, f.dst) if reverse else (f.dst, f.src)
        incoming[head].append((tail, f.diag, f.value))
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
