"""The Hessian of one scalar output by forward-over-reverse: the second-order adjoint recursion.

For a direction ẋ on the chosen inputs, the forward recursion gives every node's tangent
α̇_v = Σ_{u∈P_v} ∂g_v/∂α_u · α̇_u; the backward recursion gives the adjoints
ā_u = Σ_{v: u∈P_v} ā_v · ∂g_v/∂α_u from ā_y = 1 at the output y. Differentiating the backward
recursion along ẋ (forward mode over reverse mode) gives the second-order adjoints

    ǡ_u = Σ_{v: u∈P_v} ( ǡ_v · ∂g_v/∂α_u + ā_v · Σ_{w∈P_v} ∂²g_v/∂α_u∂α_w · α̇_w ),  ǡ_y = 0,

and at the inputs ǡ = H·ẋ, one Hessian-vector product. :func:`hessian` runs it for all K
directions ẋ = e_1, …, e_K at once: the tangents are the forward recursion's Δ (one column per
input node, :func:`graphcost.numeric.propagation.forward`), the second-order adjoints a matrix
of K columns per block, so the K Hessian-vector products are one reverse sweep of matrix
operations. Column k of the result is H·e_k.

The second partials ∂²g_v/∂α_u∂α_w come from sympy (:mod:`graphcost.numeric.second_partials`);
a layer op h = W·x with W an input has ∂²h_i/∂W_ik∂x_k = 1 and no other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from graphcost.errors import GraphTooLargeError
from graphcost.numeric.evaluate import LocalJacobian, evaluate, local_jacobians
from graphcost.numeric.model import MAX_NUMERIC_ENTRIES, NumericModel
from graphcost.numeric.propagation import as_vectors, forward
from graphcost.numeric.second_partials import SecondKernel, second_kernels, second_partials


@dataclass(frozen=True)
class Hessian:
    """The value, gradient and Hessian of one output node at a point.

    Attributes
    ----------
    value
        The output's value y.
    gradient
        ∂y/∂x for every chosen input node x, shape ``(K,)``.
    matrix
        ∂²y/∂x_i∂x_j as computed (column j is one Hessian-vector product H·e_j), ``(K, K)``.
    names
        The K input node names (rows and columns), e.g. ``W_h[0][1]``.
    values
        The primal values of every block.
    """

    value: float
    gradient: np.ndarray
    matrix: np.ndarray
    names: list[str]
    values: list[np.ndarray]

    @property
    def symmetric(self) -> np.ndarray:
        """(H + Hᵀ)/2: the Hessian with its rounding asymmetry averaged out."""
        return (self.matrix + self.matrix.T) / 2


@dataclass(frozen=True)
class OutputNode:
    """One scalar output: its block and the position in it; ``row`` is its row of ∂D'/∂V."""

    block: int
    index: int
    row: int
    name: str


def output_nodes(model: NumericModel) -> list[OutputNode]:
    """Every output node of ``model``, in the order of the rows of ∂D'/∂V."""
    nodes, row = [], 0
    for block in model.outputs:
        for index, name in enumerate(model.node_names([block])):
            nodes.append(OutputNode(block, index, row, name))
            row += 1
    return nodes


def hessian(
    model: NumericModel,
    inputs: Mapping[int, np.ndarray],
    output: OutputNode,
    *,
    wrt: list[int] | None = None,
    kernels: dict[int, SecondKernel] | None = None,
) -> Hessian:
    """∂²y/∂x² of the output node ``output`` by forward-over-reverse (see the module).

    Parameters
    ----------
    model
        The numeric model.
    inputs
        The point: input block → values.
    output
        The output node y (see :func:`output_nodes`).
    wrt
        The input blocks differentiated by (default: all inputs).
    kernels
        Compiled second partials (:func:`~graphcost.numeric.second_partials.second_kernels`),
        to reuse over many points.

    Raises
    ------
    EvaluationError
        When a value, partial or second partial is not finite at the point, or the point is a
        kink of ``abs``/``relu``/``pos``.
    GraphTooLargeError
        When the K tangents and K second-order adjoints of every node would exceed
        :data:`~graphcost.numeric.model.MAX_NUMERIC_ENTRIES`.

    Examples
    --------
    y = x²·w: H = [[2w, 2x], [2x, 0]].

    >>> from graphcost.graph.loader import graph_from_dict
    >>> from graphcost.numeric.build import build_model
    >>> g = graph_from_dict({"V": ["x", "w"], "D'": ["y"], "g": {"y": "x**2 * w"}})
    >>> m = build_model(g)
    >>> h = hessian(m, {0: [3.0], 1: [5.0]}, output_nodes(m)[0])
    >>> h.value, h.gradient.tolist(), h.matrix.tolist()
    (45.0, [30.0, 9.0], [[10.0, 6.0], [6.0, 0.0]])
    """
    independent = list(model.inputs) if wrt is None else [b for b in model.inputs if b in wrt]
    width = sum(model.sizes[b] for b in independent)
    stored = 2 * sum(model.sizes) * width
    if stored > MAX_NUMERIC_ENTRIES:
        raise GraphTooLargeError(
            f"the Hessian of {model.graph.name!r} would store {stored:,} tangents and "
            f"second-order adjoints (2 × nodes × {width:,} input nodes), more than "
            f"{MAX_NUMERIC_ENTRIES:,}",
            path=model.graph.path,
            fix="differentiate by fewer inputs (--wrt) or evaluate a smaller instance (--set)",
        )
    point = as_vectors(inputs)
    values = evaluate(model, point)
    factors = local_jacobians(model, values)
    if kernels is None:
        kernels = second_kernels(model)
    seconds = second_partials(model, kernels, values)
    tangents = forward(model, point, values=values, wrt=independent).deltas
    adjoint, second = _reverse(model, factors, seconds, tangents, output, width)
    gradient = np.concatenate([adjoint[b] for b in independent]) if independent else np.zeros(0)
    matrix = np.vstack([second[b] for b in independent]) if independent else np.zeros((0, 0))
    return Hessian(
        value=float(values[output.block][output.index]),
        gradient=gradient,
        matrix=matrix,
        names=model.node_names(independent),
        values=values,
    )


def _reverse(
    model: NumericModel,
    factors: list[LocalJacobian],
    seconds: dict[int, list[tuple[int, int, np.ndarray]]],
    tangents: list[np.ndarray],
    output: OutputNode,
    width: int,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The reverse sweep: adjoints ā_v (vectors) and second-order adjoints ǡ_v (size × K)."""
    adjoint = [np.zeros(size) for size in model.sizes]
    second = [np.zeros((size, width)) for size in model.sizes]
    adjoint[output.block][output.index] = 1.0
    into: dict[int, list[LocalJacobian]] = {}
    for f in factors:
        into.setdefault(f.dst, []).append(f)
    for v in model.graph.order.tolist()[::-1]:
        if v not in model.definitions or not (np.any(adjoint[v]) or np.any(second[v])):
            continue
        for f in into.get(v, []):
            _first_order(f, adjoint, second, model.sizes)
        definition = model.definitions[v]
        if definition.op is None:
            _elementwise(definition.parents, seconds[v], adjoint[v], tangents, second)
        else:
            _bilinear(model, v, adjoint[v], tangents, second)
    return adjoint, second


def _first_order(
    f: LocalJacobian, adjoint: list[np.ndarray], second: list[np.ndarray], sizes: list[int]
) -> None:
    """ā_u += (∂g_v/∂α_u)ᵀ ā_v and ǡ_u += (∂g_v/∂α_u)ᵀ ǡ_v along one edge u → v."""
    u, v = f.src, f.dst
    if f.row:  # u is a weight input W (n × m) of v = W·x: ∂v_i/∂W_ik = x_k
        x = f.value
        adjoint[u] += np.outer(adjoint[v], x).ravel()
        second[u] += (second[v][:, None, :] * x[None, :, None]).reshape(sizes[u], -1)
    elif f.diag:
        adjoint[u] += f.value * adjoint[v]
        second[u] += f.value[:, None] * second[v]
    else:
        adjoint[u] += f.value.T @ adjoint[v]
        second[u] += f.value.T @ second[v]


def _elementwise(
    parents: tuple[int, ...],
    pieces: list[tuple[int, int, np.ndarray]],
    adjoint: np.ndarray,
    tangents: list[np.ndarray],
    second: list[np.ndarray],
) -> None:
    """ǡ_{p_i} += ā_v ∂²g_v/∂p_i∂p_j · α̇_{p_j} (and symmetrically) for every pair i ≤ j."""
    for i, j, s in pieces:
        weight = (adjoint * s)[:, None]
        second[parents[i]] += weight * tangents[parents[j]]
        if i != j:
            second[parents[j]] += weight * tangents[parents[i]]


def _bilinear(
    model: NumericModel,
    v: int,
    adjoint: np.ndarray,
    tangents: list[np.ndarray],
    second: list[np.ndarray],
) -> None:
    """The second-order terms of v = Σ_p W_p·x_p where W_p is an input: ∂²v_i/∂W_ik∂x_k = 1."""
    definition = model.definitions[v]
    n = model.sizes[v]
    for p, w in zip(definition.parents, definition.weights, strict=True):
        if w is None:
            continue
        m = model.sizes[p]
        # ǡ_x[k] += Σ_i ā_v[i]·Ẇ[i, k] and ǡ_W[i, k] += ā_v[i]·ẋ[k], for every direction.
        second[p] += np.einsum("i,ikd->kd", adjoint, tangents[w].reshape(n, m, -1))
        second[w] += np.einsum("i,kd->ikd", adjoint, tangents[p]).reshape(n * m, -1)
