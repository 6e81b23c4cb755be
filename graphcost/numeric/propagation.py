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
and a structural zero is never stored, so never multiplied. Per block the sensitivity
(:mod:`graphcost.numeric.sensitivity`) is a dense matrix over the seed nodes that reach it
through some full edge, plus a vector per seed block that reaches it only along diag edges (a
diagonal, stored as such), plus the row structure of a weight input reaching it through its
``ik->i`` edge. At node level every block is a single node, so each step is one numpy
operation over all seed directions at once. With ``wrt`` only the chosen inputs are seeds and
edges out of blocks they do not reach are left out (``--wrt``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from graphcost.errors import GraphTooLargeError
from graphcost.numeric.evaluate import LocalJacobian, evaluate, local_jacobians
from graphcost.numeric.model import MAX_NUMERIC_ENTRIES, NumericModel
from graphcost.numeric.sensitivity import DIAG, FULL, ROW, Sensitivity, Step, dense, merge


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
        ∂D'/∂V, shape ``(|D'|, |V|)`` (columns: the ``independent`` inputs' nodes).
    multiplications
        Scalar multiplications performed.
    independent
        The input blocks differentiated by (all inputs unless ``wrt`` chose some), in order.
    """

    mode: str
    values: list[np.ndarray]
    jacobian: np.ndarray
    multiplications: int
    independent: list[int] = field(default_factory=list)
    #: Block → its Δ as a dense matrix; :attr:`deltas` asks it for every block, once.
    delta_of: Callable[[int], np.ndarray] | None = field(default=None, repr=False, compare=False)

    @cached_property
    def deltas(self) -> list[np.ndarray]:
        """Per block, the dense matrix of its Δ values (laid out on first use: the Jacobian
        alone, which is all most callers want, does not need them)."""
        assert self.delta_of is not None
        return [self.delta_of(b) for b in range(len(self.values))]


def _propagate(
    order: list[int],
    sizes: list[int],
    incoming: list[list[tuple[int, str, np.ndarray]]],
    offsets: dict[int, int],
    *,
    transposed: bool = False,
) -> tuple[list[Sensitivity | None], int]:
    """Δ_{s,v} for every seed node s and block v, visiting ``order``; returns the products made.

    ``offsets`` maps each seed block to its first column. ``incoming[v]`` lists
    ``(w, kind, factor)`` with ``factor`` oriented ``(size_v, size_w)`` (a vector when diag),
    or ``(size_w, size_v)`` when ``transposed`` (the backward recursion passes the factors of
    the forward graph untransposed and multiplies from the left, as a vector-Jacobian product:
    BLAS is far faster that way than on a transposed view); a ``row`` factor is the vector x
    of h = W·x, whichever way it is run. Seed blocks hold the identity: a factor out of a seed
    is copied, not multiplied (unit seed). Sensitivities hold only structurally non-zero
    entries, so no product with a structural zero is ever formed.
    """
    sens: list[Sensitivity | None] = [None] * len(sizes)
    multiplications = 0
    for v in order:
        if v in offsets:
            continue
        size = sizes[v]
        step = Step(size, offsets, sizes)
        for w, kind, factor in incoming[v]:
            if w in offsets:
                step.from_seed(w, kind, factor, transposed)
                continue
            source = sens[w]
            assert source is not None  # visited earlier: ``order`` is topological
            multiplications += step.through(source, kind, factor, transposed)
        if len(step.pieces) == 1 and not (step.diagonal or step.rows or step.spread):
            cols, matrix = step.pieces[0]  # what merge returns for one piece, without its work
            sens[v] = Sensitivity(cols, matrix, {})
        else:
            sens[v] = merge(
                size, step.pieces, step.diagonal, offsets, sizes, step.rows, step.spread
            )
    return sens, multiplications


@dataclass(frozen=True)
class _Plan:
    """What a recursion needs besides the factors' values: the same for every point, so
    :func:`_plan` works it out once per model, mode, ``wrt`` and factor structure."""

    independent: list[int]
    order: list[int]
    #: Per block, its incoming edges as (tail, kind, index of the factor in the list).
    incoming: list[list[tuple[int, str, int]]]
    offsets: dict[int, int]
    width: int
    #: The blocks fed by a seed (their Δ may be a parameter array: copied when handed out).
    fed: frozenset[int]


def _plan(
    model: NumericModel, factors: list[LocalJacobian], mode: str, wrt: list[int] | None
) -> _Plan:
    """The recursion's plan (cached on the model: ``check`` and benchmarks run it per point)."""
    structure = tuple((f.src, f.dst, f.row, f.diag) for f in factors)
    key = (mode, None if wrt is None else tuple(wrt), structure)
    plan = model._structure.get(key)
    if plan is None:
        plan = model._structure[key] = _make_plan(model, structure, mode, wrt)
    return plan


def _make_plan(
    model: NumericModel,
    structure: tuple[tuple[int, int, bool, bool], ...],
    mode: str,
    wrt: list[int] | None,
) -> _Plan:
    reverse = mode == "backward"
    independent = list(model.inputs) if wrt is None else [b for b in model.inputs if b in wrt]
    active = _reached(structure, independent)
    incoming: list[list[tuple[int, str, int]]] = [[] for _ in model.sizes]
    for i, (src, dst, row, diag) in enumerate(structure):
        if src not in active:
            continue
        head, tail = (src, dst) if reverse else (dst, src)
        incoming[head].append((tail, ROW if row else DIAG if diag else FULL, i))
    seeds = model.outputs if reverse else independent
    stored = sum(model.sizes) * sum(model.sizes[s] for s in seeds)
    if stored > MAX_NUMERIC_ENTRIES:
        raise GraphTooLargeError(
            f"the {mode} recursion on {model.graph.name!r} would store {stored:,} derivatives "
            f"(nodes × {'outputs' if reverse else 'inputs'}), more than {MAX_NUMERIC_ENTRIES:,}",
            path=model.graph.path,
            fix="evaluate a smaller instance (--set); analyze counts the large one",
        )
    offsets: dict[int, int] = {}
    width = 0
    for s in seeds:
        offsets[s] = width
        width += model.sizes[s]
    order = model.graph.order.tolist()
    fed = frozenset(v for v, edges in enumerate(incoming) if any(w in offsets for w, _, _ in edges))
    return _Plan(independent, order[::-1] if reverse else order, incoming, offsets, width, fed)


def forward(
    model: NumericModel,
    inputs: Mapping[int, np.ndarray],
    *,
    values: list[np.ndarray] | None = None,
    wrt: list[int] | None = None,
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
    return recursion("forward", model, inputs, values, wrt=wrt)


def backward(
    model: NumericModel,
    inputs: Mapping[int, np.ndarray],
    *,
    values: list[np.ndarray] | None = None,
    wrt: list[int] | None = None,
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
    return recursion("backward", model, inputs, values, wrt=wrt)


def recursion(
    mode: str,
    model: NumericModel,
    inputs: Mapping[int, np.ndarray],
    values: list[np.ndarray] | None,
    factors: list[LocalJacobian] | None = None,
    *,
    wrt: list[int] | None = None,
) -> Propagation:
    """Run :func:`_propagate` forward, or backward (reversed edges and order, seeds = outputs).

    ``wrt``: the inputs differentiated by (``--wrt``; default all). The others are constants:
    an edge out of a block that no chosen input reaches carries no derivative and is left out,
    so the products are those counted on :func:`graphcost.graph.wrt.with_respect_to`'s graph.
    """
    values = values if values is not None else evaluate(model, as_vectors(inputs))
    if factors is None:
        factors = local_jacobians(model, values)
    reverse = mode == "backward"
    plan = _plan(model, factors, mode, wrt)
    independent, offsets, width = plan.independent, plan.offsets, plan.width
    incoming = [[(w, kind, factors[i].value) for w, kind, i in edges] for edges in plan.incoming]
    sens, count = _propagate(plan.order, model.sizes, incoming, offsets, transposed=reverse)
    sizes, fed = model.sizes, plan.fed

    def delta_of(b: int) -> np.ndarray:
        if b in offsets:
            return np.eye(sizes[b], width, offsets[b])
        # A block fed by a seed may hold that seed's factor (a parameter) as its Δ: copied.
        # Every other Δ is a product made by this recursion, handed over as it is.
        return _dense(sens[b], sizes[b], width, offsets, copy=b in fed)

    if not reverse:
        jacobian = _stacked([delta_of(b) for b in model.outputs])
    elif independent:
        jacobian = _stacked([delta_of(b).T for b in independent], axis=1)
    else:
        jacobian = np.zeros((width, 0))
    return Propagation(mode, values, jacobian, count, independent, delta_of)


def _reached(structure: tuple[tuple[int, int, bool, bool], ...], seeds: list[int]) -> set[int]:
    """The blocks some seed reaches along the edges ``(src, dst, …)`` (the seeds included)."""
    children: dict[int, list[int]] = {}
    for src, dst, _, _ in structure:
        children.setdefault(src, []).append(dst)
    reached, stack = set(seeds), list(seeds)
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in reached:
                reached.add(child)
                stack.append(child)
    return reached


def _dense(
    sens: Sensitivity | None, size: int, width: int, offsets: dict[int, int], *, copy: bool
) -> np.ndarray:
    """:func:`dense`, with the common case first: dense over every seed column, in order."""
    if sens is not None and len(sens.cols) == width and not (sens.diag or sens.rows or sens.spread):
        # cols is then 0, 1, …, width − 1 (sorted, unique); a copy keeps the layout it has.
        return sens.dense.copy(order="K") if copy else sens.dense
    return dense(sens, size, width, offsets)


def _stacked(blocks: list[np.ndarray], axis: int = 0) -> np.ndarray:
    """The blocks' Δ side by side (a new array); one block is copied in its own layout."""
    return blocks[0].copy(order="K") if len(blocks) == 1 else np.concatenate(blocks, axis=axis)


def as_vectors(inputs: Mapping[int, Any]) -> dict[int, np.ndarray]:
    """Input block index → its value as a float vector (a scalar becomes a vector of one)."""
    return {b: np.atleast_1d(np.asarray(v, dtype=float)) for b, v in inputs.items()}
