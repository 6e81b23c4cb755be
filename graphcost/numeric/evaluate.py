"""Evaluating a numeric model at a point: the primal values α_v (:func:`evaluate`), at many points
at once (:func:`evaluate_batch`, one numpy evaluation of the graph over a leading batch axis)
and the local Jacobian of every edge (:func:`local_jacobians`, one :class:`LocalJacobian` each).

Elementwise definitions are compiled once per block with sympy (the value and one partial per
parent); a layer op's partial is its weight matrix. A value or partial that is not finite at
the point is an :class:`~graphcost.errors.EvaluationError` naming the node.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from graphcost.errors import EvaluationError
from graphcost.graph.definitions import Definition
from graphcost.graph.functions import LAYER_OPS, numpy_functions, sympy_functions
from graphcost.numeric.model import NumericModel


@dataclass(frozen=True)
class LocalJacobian:
    """The factor ∂g_dst/∂α_src of one edge at the current point.

    ``value`` is a ``(size_dst, size_src)`` matrix on a full edge and a ``(size,)`` vector (the
    diagonal) on a diag edge. On the edge ``ik->i`` from a weight input W (n × m) to
    h = W·x (``row``), ∂h_i/∂W_ik = x_k for every i and 0 off row i: ``value`` is x, the m
    numbers of the block (n·m partials), never the n × n·m matrix of mostly zeros.
    """

    src: int
    dst: int
    diag: bool
    value: np.ndarray
    row: bool = False


@dataclass(frozen=True)
class _Kernel:
    """An elementwise definition compiled for numpy: its value and one partial per parent."""

    value: Any
    partials: tuple[Any, ...]


def definition_expression(model: NumericModel, block: int) -> tuple[list[Any], Any]:
    """An elementwise definition as a sympy expression in one real symbol per parent
    (``_a0``, ``_a1``, …: internal names only, a node's name never reaches generated code),
    its constants as floats from ``params``. Returns (the parents' symbols, the expression)."""
    import sympy

    definition = model.definitions[block]
    blocks = model.graph.blocks
    arguments = [sympy.Symbol(f"_a{i}", real=True) for i in range(len(definition.parents))]
    symbols: dict[str, Any] = {
        blocks[p].name: arguments[i] for i, p in enumerate(definition.parents)
    }
    for constant in definition.constants:
        symbols[constant] = sympy.Float(float(model.params[constant]))
    return arguments, definition.expr.to_sympy(symbols, sympy_functions())


def _kernel(model: NumericModel, block: int) -> _Kernel:
    if block in model._kernels:
        return model._kernels[block]
    import sympy

    definition = model.definitions[block]
    blocks = model.graph.blocks
    arguments, expression = definition_expression(model, block)
    partials = tuple(sympy.diff(expression, a) for a in arguments)
    for what, form in (("value", expression), *(("derivative", d) for d in partials)):
        # sympy folds e.g. 1/(x - x) to zoo and sqrt(-1) to I: undefined or complex everywhere.
        if form.has(sympy.zoo, sympy.nan, sympy.oo, sympy.I):
            raise EvaluationError(
                f"the {what} of {blocks[block].name} ({definition.text}) is undefined or "
                f"not real everywhere (sympy simplifies it to {form})",
                path=model.graph.path,
                line=definition.line,
                fix="rewrite g so that it is real and finite for some inputs",
            )
    kernel = _Kernel(
        value=_compile(expression, len(arguments)),
        partials=tuple(_compile(d, len(arguments)) for d in partials),
    )
    model._kernels[block] = kernel
    return kernel


@lru_cache(maxsize=4096)
def _compile(expression: Any, count: int) -> Any:
    import sympy

    arguments = [sympy.Symbol(f"_a{i}", real=True) for i in range(count)]
    return sympy.lambdify(arguments, expression, modules=[numpy_functions(), "numpy"])


def evaluate(model: NumericModel, inputs: Mapping[int, np.ndarray]) -> list[np.ndarray]:
    """The primal values α_v of every block, in block order.

    Raises
    ------
    EvaluationError
        When a node's value is not finite (e.g. ``log`` of a negative number), naming it.
    """
    values: list[np.ndarray] = [np.empty(0)] * len(model.sizes)
    for block in model.graph.order.tolist():
        if block in inputs:
            values[block] = np.asarray(inputs[block], dtype=float)
            continue
        definition = model.definitions[block]
        arguments: tuple[np.ndarray, ...] = ()
        with np.errstate(all="ignore"):
            if definition.op is not None:
                total = np.zeros(model.sizes[block])
                for parent in definition.parents:
                    total = total + model.weight(block, parent, values) @ values[parent]
                if LAYER_OPS[definition.op].bias:
                    total = total + model.bias(block, values)
                result = total
            else:
                kernel = _kernel(model, block)
                arguments = tuple(values[p] for p in definition.parents)
                result = kernel.value(*arguments)
        values[block] = _finite(model, block, result, "value", arguments=arguments)
    return values


@dataclass(frozen=True)
class OneCoordinate:
    """Rows that are one point ``base`` with one coordinate moved each: row r is ``base`` with
    entry ``columns[r]`` increased by ``deltas[r]`` (the perturbed points of finite
    differences). :func:`evaluate_batch` then applies a constant layer weight W to them as
    W·base + deltas[r]·W[:, columns[r]], a rank-one update of one matrix-vector product, not a
    matrix product over every row: the same values up to rounding."""

    base: np.ndarray
    columns: np.ndarray
    deltas: np.ndarray


def evaluate_batch(
    model: NumericModel,
    inputs: Mapping[int, np.ndarray],
    moved: Mapping[int, OneCoordinate] | None = None,
) -> list[np.ndarray]:
    """The primal values at many points at once, one row per point.

    ``inputs[b]`` is ``(rows, size_b)``, one point per row, or ``(1, size_b)`` when it is the
    same at every point. A block's value is ``(rows, size_b)``, or ``(1, size_b)`` when no input
    that varies reaches it (its value is then computed once, as :func:`evaluate` computes it).
    ``moved[b]``, when given, says that the rows of ``inputs[b]`` are one point moved along
    one coordinate each (:class:`OneCoordinate`).

    Row r equals :func:`evaluate` at point r: bitwise for elementwise definitions (the same
    ufuncs) and for a layer op whose weight varies with the rows; a constant weight applied to
    many rows is one matrix product (BLAS), or a rank-one update of one product for
    ``moved`` rows, whose sums are ordered differently from one matrix-vector product per row,
    so equal up to rounding (a few eps of the terms summed).

    Raises
    ------
    EvaluationError
        When a value is not finite at some point, naming the node (not the point).

    Examples
    --------
    >>> from graphcost.graph.loader import graph_from_dict
    >>> from graphcost.numeric.build import build_model
    >>> m = build_model(graph_from_dict({"V": ["x", "w"], "D'": ["y"], "g": {"y": "x * w"}}))
    >>> [v.tolist() for v in evaluate_batch(m, {0: np.array([[1.0], [2.0]]), 1: np.array([[3.0]])})]
    [[[1.0], [2.0]], [[3.0]], [[3.0], [6.0]]]
    """
    values: list[np.ndarray] = [np.empty((1, 0))] * len(model.sizes)
    for block in model.graph.order.tolist():
        size = model.sizes[block]
        if block in inputs:
            values[block] = np.asarray(inputs[block], dtype=float).reshape(-1, size)
            continue
        definition = model.definitions[block]
        rows = max((values[p].shape[0] for p in definition.parents), default=1)
        with np.errstate(all="ignore"):
            if definition.op is not None:
                total = np.zeros((1, size))
                for parent in definition.parents:
                    total = total + _layer_rows(model, block, parent, values, moved)
                if LAYER_OPS[definition.op].bias:
                    total = total + model.bias(block, values)
                result = total
            else:
                kernel = _kernel(model, block)
                # Parents broadcast to the same rows: max/min stack their arguments.
                arguments = [
                    np.broadcast_to(values[p], (rows, values[p].shape[1]))
                    for p in definition.parents
                ]
                result = kernel.value(*arguments)
        result = np.asarray(result, dtype=float)
        rows = max(rows, result.shape[0] if result.ndim == 2 else 1)
        vector = np.broadcast_to(result, (rows, size))
        if not np.all(np.isfinite(vector)):
            raise _not_finite(model, block, "value", None, "at some of the points")
        values[block] = vector
    return values


def _layer_rows(
    model: NumericModel,
    block: int,
    parent: int,
    values: list[np.ndarray],
    moved: Mapping[int, OneCoordinate] | None = None,
) -> np.ndarray:
    """W·x of one parent of a layer op, row by row: ``(rows, size(block))``."""
    definition = model.definitions[block]
    source = definition.weights[definition.parents.index(parent)]
    x, shape = values[parent], (model.sizes[block], model.sizes[parent])
    if source is not None and values[source].shape[0] > 1:
        # A weight varying with the rows: one matrix-vector product per row (bitwise as evaluate).
        weights = values[source].reshape(-1, *shape)
        return np.matmul(weights, x[:, :, None])[:, :, 0]
    weight = (
        model.params[model.weight_name(block, parent)]
        if source is None
        else (values[source][0].reshape(shape))
    )
    if x.shape[0] == 1:
        return (weight @ x[0])[None, :]  # computed once, as evaluate does
    if moved and parent in moved:
        rows = moved[parent]
        return (weight @ rows.base)[None, :] + rows.deltas[:, None] * weight[:, rows.columns].T
    return x @ weight.T


def _finite(
    model: NumericModel,
    block: int,
    result: Any,
    what: str,
    parent: int | None = None,
    arguments: tuple[np.ndarray, ...] = (),
) -> np.ndarray:
    array, shape = np.asarray(result, dtype=float), (model.sizes[block],)
    if array.shape != shape:
        vector = np.broadcast_to(array, shape).copy()
    elif array.base is None and not any(array is a for a in arguments):
        vector = array  # a new array the kernel made: nobody else holds it
    else:
        vector = array.copy()  # one of its arguments (∂(x·w)/∂x is w) or a view of one
    # v·v is finite only if every entry is (one BLAS call); if it overflows, look entry by entry.
    if not math.isfinite(vector @ vector) and not np.isfinite(vector).all():
        raise _not_finite(model, block, what, parent, "at this point")
    return vector


def _not_finite(
    model: NumericModel, block: int, what: str, parent: int | None, where: str
) -> EvaluationError:
    definition = model.definitions[block]
    name = model.graph.blocks[block].name
    of = f"∂{name}/∂{model.graph.blocks[parent].name}" if parent is not None else name
    return EvaluationError(
        f"the {what} of {of} ({definition.text}) is not finite {where}",
        path=model.graph.path,
        line=definition.line,
        fix="choose other inputs (--at) or parameters, inside the functions' domains",
    )


def _layer_factor(
    model: NumericModel, values: list[np.ndarray], src: int, dst: int, diag: bool
) -> LocalJacobian:
    """The factor of an edge into a layer op: its weight (from a parent), the parent's values
    (from a weight input, ``ik->i``), or ones (from a bias input)."""
    definition = model.definitions[dst]
    if src in definition.parents:
        return LocalJacobian(src, dst, False, model.weight(dst, src, values))
    if src in definition.weights:
        parent = definition.parents[definition.weights.index(src)]
        return LocalJacobian(src, dst, False, values[parent], row=True)
    ones = np.ones(model.sizes[dst])
    return LocalJacobian(src, dst, diag, ones if diag else ones.reshape(1, 1))


def _edge_list(model: NumericModel) -> list[tuple[int, int, bool, Definition, int]]:
    """Every edge as (src, dst, diag, definition of dst, src's place among its parents), in
    edge order; worked out once per model (``check`` asks for the factors at many points)."""
    edges = model._structure.get("edges")
    if edges is None:
        graph = model.graph.edges
        edges = model._structure["edges"] = []
        triples = zip(graph.src.tolist(), graph.dst.tolist(), graph.diag.tolist(), strict=True)
        for src, dst, diag in triples:
            definition = model.definitions[dst]
            position = -1 if definition.op is not None else definition.parents.index(src)
            edges.append((src, dst, diag, definition, position))
    return edges


def local_jacobians(model: NumericModel, values: list[np.ndarray]) -> list[LocalJacobian]:
    """The factor ∂g_v/∂α_w of every edge at the point ``values``, in edge order."""
    factors = []
    with np.errstate(all="ignore"):  # once: a non-finite partial is caught by _finite
        for src, dst, diag, definition, position in _edge_list(model):
            if definition.op is not None:
                factors.append(_layer_factor(model, values, src, dst, diag))
                continue
            kernel = _kernel(model, dst)
            arguments = tuple(values[p] for p in definition.parents)
            raw = kernel.partials[position](*arguments)
            vector = _finite(model, dst, raw, "derivative", src, arguments)
            # A full edge between single nodes carries its partial as a 1 × 1 matrix.
            factors.append(LocalJacobian(src, dst, diag, vector if diag else vector.reshape(1, 1)))
    return factors
