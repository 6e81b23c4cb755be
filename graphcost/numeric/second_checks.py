"""Checking a Hessian: against central differences of the gradient (:func:`gradient_differences`),
its own transpose, and sympy's exact Hessian on small graphs; :func:`check_hessian` runs them.

Each comparison is a :class:`~graphcost.numeric.checks.Comparison`, measured as ``check``
measures Jacobians: the differences' own error (|D(2h) − D(h)|, Richardson's estimate, plus the
rounding of the gradients) is not counted against the Hessian, and the rest is relative to the
largest entry of the Hessian (or of the gradient, when the Hessian is zero).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from graphcost.errors import EvaluationError, GraphTooLargeError
from graphcost.numeric.checks import MAX_DIFFERENCE_WORK, Comparison, compare
from graphcost.numeric.hessian import Hessian, OutputNode
from graphcost.numeric.model import NumericModel, evaluation_work
from graphcost.numeric.propagation import as_vectors, backward
from graphcost.numeric.second_symbolic import MAX_SYMBOLIC_NODES, exact_hessian, expressions

#: The Hessian and its transpose, and the Hessian and sympy's, are both exact up to rounding:
#: they must agree to this, relative to the largest entry.
EXACT_TOLERANCE = 1e-9
_EPSILON = float(np.finfo(float).eps)


def gradient_at(
    model: NumericModel, inputs: Mapping[int, np.ndarray], output: OutputNode, wrt: list[int]
) -> np.ndarray:
    """∂y/∂x for the chosen inputs by the backward recursion (the first-order engine)."""
    return backward(model, inputs, wrt=wrt).jacobian[output.row]


def gradient_differences(
    model: NumericModel,
    inputs: Mapping[int, np.ndarray],
    output: OutputNode,
    wrt: list[int],
    *,
    step: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The Hessian by central differences of the gradient, step ``step·max(1, |x_k|)``, and
    per entry the differences' own error estimate.

    Column k is (∇y(x + h e_k) − ∇y(x − h e_k)) / 2h; the estimate is |D(2h) − D(h)| plus
    four times the rounding of the difference quotient, eps·(|∇y(x+h)| + |∇y(x−h)|)/2h.

    Raises
    ------
    GraphTooLargeError
        When the 4K gradient evaluations would cost more than
        :data:`~graphcost.numeric.checks.MAX_DIFFERENCE_WORK` multiply-adds.
    EvaluationError
        When x ± h leaves the domain of a node function.
    """
    base = as_vectors(inputs)
    columns = [(b, i) for b in wrt for i in range(model.sizes[b])]
    work = 4 * len(columns) * 3 * evaluation_work(model)
    if work > MAX_DIFFERENCE_WORK:
        raise GraphTooLargeError(
            f"checking the Hessian of {model.graph.name!r} by differences of the gradient "
            f"would cost {work:,} multiply-adds, more than {MAX_DIFFERENCE_WORK:,}",
            path=model.graph.path,
            fix="differentiate by fewer inputs (--wrt), or skip the check (--no-check)",
        )
    names = model.node_names(wrt)
    near, far, noise = [], [], []
    for (block, i), name in zip(columns, names, strict=True):
        h = step * max(1.0, abs(float(base[block][i])))
        for scale, into in ((1.0, near), (2.0, far)):
            plus = {b: v.copy() for b, v in base.items()}
            minus = {b: v.copy() for b, v in base.items()}
            plus[block][i] += scale * h
            minus[block][i] -= scale * h
            try:
                high = gradient_at(model, plus, output, wrt)
                low = gradient_at(model, minus, output, wrt)
            except EvaluationError as error:
                raise EvaluationError(
                    f"{error.message.replace(' at this point', '')} at {name} ± {scale * h:.3g} "
                    "(the finite-difference step of the Hessian check)",
                    path=error.path,
                    line=error.line,
                    fix="use a smaller --step, a point farther from the edge of the domain, or "
                    "--no-check",
                ) from None
            into.append((high - low) / (2 * scale * h))
            if scale == 1.0:
                noise.append(_EPSILON * (np.abs(high) + np.abs(low)) / (2 * h))
    width = len(columns)
    if not width:
        return np.zeros((0, 0)), np.zeros((0, 0))
    reference = np.column_stack(near)
    allowance = np.abs(np.column_stack(far) - reference) + 4 * np.column_stack(noise)
    return reference, allowance


def check_hessian(
    model: NumericModel,
    inputs: Mapping[int, np.ndarray],
    result: Hessian,
    output: OutputNode,
    wrt: list[int],
    *,
    tolerance: float = 1e-6,
    step: float = 1e-5,
) -> list[Comparison]:
    """The Hessian against central differences of the gradient, against its transpose and,
    on graphs of at most :data:`~graphcost.numeric.second_symbolic.MAX_SYMBOLIC_NODES` nodes,
    against sympy's exact Hessian of the output expression.

    Parameters
    ----------
    tolerance
        Admitted relative error against the differences (beyond their own error estimate).
    step
        Central-difference step, relative to ``max(1, |x_k|)``.
    """
    matrix = result.matrix
    scale = _scale(result)
    reference, allowance = gradient_differences(model, inputs, output, wrt, step=step)
    comparisons = [
        compare(
            "Hessian vs differences of the gradient",
            matrix,
            reference,
            tolerance,
            scale=scale,
            allowance=allowance,
        ),
        compare("Hessian vs its transpose", matrix, matrix.T, EXACT_TOLERANCE, scale=scale),
    ]
    if sum(model.sizes) <= MAX_SYMBOLIC_NODES:
        found = expressions(model, output.block, output.index, wrt)
        point = _point(model, inputs)
        _, exact = exact_hessian(found, point)
        comparisons.append(
            compare("Hessian vs sympy (exact)", matrix, exact, EXACT_TOLERANCE, scale=scale)
        )
    return comparisons


def _scale(result: Hessian) -> float:
    """What errors are relative to: the largest |entry| of H, else of the gradient, else 1."""
    for array in (result.matrix, result.gradient):
        if array.size and np.max(np.abs(array)) > 0:
            return float(np.max(np.abs(array)))
    return 1.0


def _point(model: NumericModel, inputs: Mapping[int, np.ndarray]) -> dict:
    """Every input symbol (all inputs, chosen or constant) → its value at the point."""
    import sympy

    vectors = as_vectors(inputs)
    point = {}
    for block in model.inputs:
        for name, value in zip(model.node_names([block]), vectors[block], strict=True):
            point[sympy.Symbol(name, real=True)] = float(value)
    return point
