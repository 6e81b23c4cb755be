"""Second partials of the node functions: ∂²g_v/∂α_u∂α_w for every pair of parents of an
elementwise block, exact from sympy, compiled for numpy (:func:`second_kernels`) and evaluated
at a point (:func:`second_partials`).

A layer op (``linear``, ``affine``) is linear in its parents, so its only second partials are
those between a weight input W and the parent it multiplies, ∂²h_i/∂W_ik∂x_k = 1: the
recursion in :mod:`graphcost.numeric.hessian` applies them directly, without a kernel.

Functions with a kink (``abs``, ``relu``, ``pos``) have no second derivative where their
argument is 0: sympy writes ``abs''`` as a Dirac delta, and ``relu''`` is 0 by the convention
of :func:`graphcost.graph.functions.sympy_functions`. Off the kink both are 0; at it, the
evaluation raises an :class:`~graphcost.errors.EvaluationError` naming the node.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from graphcost.errors import EvaluationError
from graphcost.graph.functions import numpy_functions
from graphcost.numeric.evaluate import definition_expression
from graphcost.numeric.model import NumericModel

#: Names of the sympy functions whose argument, at 0, is a kink.
KINKED = ("Abs", "relu", "pos", "sign", "DiracDelta", "Heaviside")


@dataclass(frozen=True)
class SecondKernel:
    """An elementwise block's second partials, compiled: one per pair of parents.

    Attributes
    ----------
    pairs
        ``(i, j, function)`` for every pair of parent positions i ≤ j whose second partial is
        not identically zero; ``function`` takes the parents' values.
    kinks
        Compiled arguments of the kinked functions the definition uses: the point is a kink
        where one of them is 0.
    """

    pairs: tuple[tuple[int, int, Any], ...]
    kinks: tuple[Any, ...]


def second_kernels(model: NumericModel) -> dict[int, SecondKernel]:
    """The compiled second partials of every elementwise block of ``model``.

    Raises
    ------
    EvaluationError
        When sympy simplifies a second partial to something undefined or complex everywhere.

    Examples
    --------
    >>> from graphcost.graph.loader import graph_from_dict
    >>> from graphcost.numeric.build import build_model
    >>> g = graph_from_dict({"V": ["x", "w"], "D'": ["y"], "g": {"y": "x * w + x**3"}})
    >>> kernel = second_kernels(build_model(g))[2]
    >>> [(i, j, float(np.ravel(f(np.array([2.0]), np.array([5.0])))[0]))
    ...  for i, j, f in kernel.pairs]
    [(0, 0, 12.0), (0, 1, 1.0)]
    """
    return {
        block: _kernel(model, block)
        for block, definition in sorted(model.definitions.items())
        if definition.op is None
    }


def _kernel(model: NumericModel, block: int) -> SecondKernel:
    import sympy

    definition = model.definitions[block]
    blocks = model.graph.blocks
    arguments, expression = definition_expression(model, block)
    pairs = []
    kinked = _kinked_arguments(expression)
    for i, a in enumerate(arguments):
        first = sympy.diff(expression, a)
        kinked |= _kinked_arguments(first)
        for j in range(i, len(arguments)):
            second = sympy.diff(first, arguments[j])
            kinked |= _kinked_arguments(second)
            second = second.replace(
                lambda e: isinstance(e, sympy.DiracDelta), lambda e: sympy.Integer(0)
            )
            if second.has(sympy.zoo, sympy.nan, sympy.oo, sympy.I):
                raise EvaluationError(
                    f"the second derivative of {blocks[block].name} ({definition.text}) is "
                    f"undefined or not real everywhere (sympy simplifies it to {second})",
                    path=model.graph.path,
                    line=definition.line,
                    fix="rewrite g so that it is twice differentiable for some inputs",
                )
            if second != 0:
                pairs.append((i, j, _compile(second, arguments)))
    kinks = tuple(_compile(k, arguments) for k in sorted(kinked, key=sympy.default_sort_key))
    return SecondKernel(tuple(pairs), kinks)


def _kinked_arguments(expression: Any) -> set[Any]:
    """The arguments of the kinked functions in ``expression`` (constants left out)."""
    import sympy

    return {
        call.args[0]
        for call in sympy.preorder_traversal(expression)
        if isinstance(call, sympy.Function)
        and type(call).__name__ in KINKED
        and call.args
        and not call.args[0].is_number
    }


def _compile(expression: Any, arguments: list[Any]) -> Any:
    import sympy

    return sympy.lambdify(arguments, expression, modules=[numpy_functions(), "numpy"])


def second_partials(
    model: NumericModel,
    kernels: dict[int, SecondKernel],
    values: list[np.ndarray],
) -> dict[int, list[tuple[int, int, np.ndarray]]]:
    """Per elementwise block, ``(i, j, s)`` with s = ∂²g/∂α_{p_i}∂α_{p_j} at ``values``.

    Raises
    ------
    EvaluationError
        When a second partial is not finite at the point, or the point is a kink of ``abs``,
        ``relu`` or ``pos`` (no second derivative there), naming the node.
    """
    result: dict[int, list[tuple[int, int, np.ndarray]]] = {}
    for block, kernel in kernels.items():
        definition = model.definitions[block]
        arguments = [values[p] for p in definition.parents]
        size = model.sizes[block]
        name = model.graph.blocks[block].name
        with np.errstate(all="ignore"):
            for kink in kernel.kinks:
                at = np.broadcast_to(np.asarray(kink(*arguments), dtype=float), (size,))
                if np.any(at == 0):
                    node = model.node_names([block])[int(np.argmax(at == 0))]
                    raise EvaluationError(
                        f"{node} ({definition.text}) is at a kink (abs, relu or pos of 0): "
                        "it has no second derivative at this point",
                        path=model.graph.path,
                        line=definition.line,
                        fix="choose another point (--at, --seed), off the kink",
                    )
            pieces = []
            for i, j, function in kernel.pairs:
                raw = np.broadcast_to(np.asarray(function(*arguments), dtype=float), (size,))
                if not np.all(np.isfinite(raw)):
                    parents = model.graph.blocks
                    first = parents[definition.parents[i]].name
                    second = parents[definition.parents[j]].name
                    of = f"∂{first}²" if i == j else f"∂{first}∂{second}"
                    raise EvaluationError(
                        f"the second derivative ∂²{name}/{of} ({definition.text}) "
                        "is not finite at this point",
                        path=model.graph.path,
                        line=definition.line,
                        fix="choose other inputs (--at) or parameters, inside the domain where "
                        "g is twice differentiable",
                    )
                pieces.append((i, j, raw.copy()))
        result[block] = pieces
    return result
