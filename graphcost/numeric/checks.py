"""Checking the recursions' Jacobians: comparisons measured against the magnitude of the terms
summed (:func:`compare`, :class:`Comparison`, :func:`term_magnitudes`, |J|abs), and
:func:`check_jacobians`, which runs them all against central finite differences
(:mod:`graphcost.numeric.differences`, whose :func:`finite_differences` and
:func:`outputs_at` are re-exported here).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from graphcost.numeric.differences import (
    MAX_DIFFERENCE_WORK,
    central_differences,
    finite_differences,
    outputs_at,
)
from graphcost.numeric.evaluate import LocalJacobian, evaluate, local_jacobians
from graphcost.numeric.model import NumericModel
from graphcost.numeric.propagation import Propagation, as_vectors, recursion

__all__ = [
    "AGREEMENT_FACTOR",
    "MAX_DIFFERENCE_WORK",
    "Comparison",
    "check_jacobians",
    "compare",
    "finite_differences",
    "is_vacuous",
    "outputs_at",
    "term_magnitudes",
]

#: Forward vs backward must agree this much more closely than either with finite differences:
#: both recursions are exact up to rounding (~eps·depth relative to |J|abs), while a central
#: difference carries a truncation error of order step² (1e-12 at the default step) on top.
AGREEMENT_FACTOR = 1e-4


@dataclass(frozen=True)
class Comparison:
    """Two Jacobians compared entry by entry, relative to the magnitude of the terms summed.

    Attributes
    ----------
    name
        What is compared (``"forward vs finite differences"``).
    abs_error
        Largest absolute difference.
    rel_error
        The largest entry of ``max(|actual − reference| − allowance, 0) / scale``: the
        difference beyond what the reference's own error explains, relative to ``scale`` (for
        the recursions the Jacobian of absolute values |J|abs, see :func:`term_magnitudes`).
        An entry whose scale is 0 counts as 0 when the difference is 0 and as ``inf`` otherwise.
    tolerance
        The largest admitted ``rel_error``.
    """

    name: str
    abs_error: float
    rel_error: float
    tolerance: float

    @property
    def passed(self) -> bool:
        """Whether ``rel_error`` is within ``tolerance`` (and finite)."""
        return bool(np.isfinite(self.rel_error) and self.rel_error <= self.tolerance)


def compare(
    name: str,
    actual: np.ndarray,
    reference: np.ndarray,
    tolerance: float,
    *,
    scale: np.ndarray | float | None = None,
    allowance: np.ndarray | float = 0.0,
) -> Comparison:
    """Compare two Jacobians; see :class:`Comparison`.

    Parameters
    ----------
    name
        What is compared.
    actual, reference
        The two Jacobians (same shape).
    tolerance
        The largest admitted relative error.
    scale
        Per entry (or one number for all) the magnitude the difference is measured against;
        by default the largest absolute entry of ``reference``. Give |J|abs (the magnitude of
        the terms summed) so that cancellation in a sum does not look like an error.
    allowance
        Per entry, the part of the difference the reference's own error explains (finite
        differences: their estimated truncation and rounding error).

    Examples
    --------
    >>> c = compare("a vs b", np.array([[1.0, 2.0]]), np.array([[1.0, 2.002]]), 1e-2)
    >>> round(c.abs_error, 6), round(c.rel_error, 6), c.passed
    (0.002, 0.000999, True)

    A result of 2e-20 summed from terms of size 1 (cancellation): judged against the terms.

    >>> c = compare("f vs b", np.array([[2e-20]]), np.array([[1e-20]]), 1e-10, scale=2.0)
    >>> c.rel_error, c.passed
    (5e-21, True)
    """
    if actual.size == 0:
        return Comparison(name, 0.0, 0.0, tolerance)
    with np.errstate(all="ignore"):
        difference = np.abs(actual - reference)
        if scale is None:
            scale = float(np.max(np.abs(reference)))
            if not scale:
                scale = 1.0  # a zero reference: the absolute difference is the error
        excess = np.maximum(difference - allowance, 0.0)
        scale_array = np.broadcast_to(np.asarray(scale, dtype=float), excess.shape)
        ratio = np.where(excess == 0, 0.0, excess / np.where(scale_array > 0, scale_array, 0.0))
    ratio = np.where(np.isnan(ratio), np.inf, ratio)
    return Comparison(name, float(np.max(difference)), float(np.max(ratio)), tolerance)


def term_magnitudes(
    model: NumericModel,
    values: list[np.ndarray],
    factors: list[LocalJacobian],
    wrt: list[int] | None = None,
) -> np.ndarray:
    """|J|abs: the Jacobian with every local partial replaced by its absolute value.

    Entry (y, x) is Σ over paths x → y of Π |∂g_w/∂α_v|, the magnitude of the terms the chain
    rule sums, where ∂D'/∂V is their signed sum. Rounding errors of either recursion are bounded
    by about eps·depth·|J|abs, whatever cancellation makes of the result, so comparisons are
    made against it (a result of 1e-20 computed as 1 + 1e-20 − 1 is exact to eps·2, not to
    eps·1e-20). It is zero exactly where the Jacobian is zero structurally or through zero
    partials. Computed by the same engine, in the cheaper direction.

    Examples
    --------
    >>> from graphcost.graph.loader import graph_from_dict
    >>> from graphcost.numeric.build import build_model
    >>> g = graph_from_dict({"V": ["x"], "D": ["u", "v"], "D'": ["y"],
    ...     "g": {"u": "x", "v": "x**2", "y": "x + v - u"}})
    >>> m = build_model(g)
    >>> values = evaluate(m, {0: np.array([1e-10])})
    >>> term_magnitudes(m, values, local_jacobians(m, values)).tolist()
    [[2.0000000002]]
    """
    absolute = [dataclasses.replace(f, value=np.abs(f.value)) for f in factors]
    independent = [b for b in model.inputs if wrt is None or b in wrt]
    mode = "forward" if len(independent) <= len(model.outputs) else "backward"
    return recursion(mode, model, {}, values, absolute, wrt=wrt).jacobian


def check_jacobians(
    model: NumericModel,
    inputs: Mapping[int, np.ndarray],
    *,
    tolerance: float = 1e-6,
    agreement: float | None = None,
    step: float = 1e-6,
    wrt: list[int] | None = None,
) -> tuple[list[Comparison], Propagation, Propagation]:
    """Forward and backward Jacobians against central finite differences and each other.

    Every difference is measured against the magnitude of the terms summed, |J|abs
    (:func:`term_magnitudes`), not against the result, so cancellation is no failure:

    - forward vs backward: per entry, ``|J_fwd − J_bwd| ≤ agreement·|J|abs``;
    - each against central differences D(h): ``|J − D(h)| − |D(2h) − D(h)| ≤
      tolerance·max|J|abs``. ``|D(2h) − D(h)|`` is three times Richardson's estimate of
      D(h)'s truncation error (of order h²) and usually its rounding error (of order
      eps·|f|/h), to which four times that rounding bound is added (near underflow both
      differences can be exactly 0), so what finite differences cannot resolve is not
      counted against the recursions; the scale is the largest entry of |J|abs because those
      errors are of the size of the function, not of each entry.

    Parameters
    ----------
    tolerance
        Admitted relative error against finite differences.
    agreement
        Admitted relative difference between forward and backward; by default
        ``tolerance·AGREEMENT_FACTOR`` (1e-10 for the default tolerance).
    step
        Finite-difference step (relative to ``max(1, |x_k|)``).
    wrt
        The input blocks to differentiate by (``--wrt``; default: all).

    Returns
    -------
    comparisons, forward, backward
    """
    if agreement is None:
        agreement = tolerance * AGREEMENT_FACTOR
    values = evaluate(model, as_vectors(inputs))
    factors = local_jacobians(model, values)  # one set of factors serves both recursions
    ahead = recursion("forward", model, inputs, values, factors, wrt=wrt)
    behind = recursion("backward", model, inputs, values, factors, wrt=wrt)
    magnitude = term_magnitudes(model, values, factors, wrt)
    rounding: list[np.ndarray] = []
    reference, doubled = central_differences(model, inputs, [step, 2 * step], [rounding, None], wrt)
    allowance = np.abs(doubled - reference)
    if rounding:
        allowance = allowance + 4 * np.column_stack(rounding)
    largest = float(np.max(magnitude)) if magnitude.size else 0.0
    comparisons = [
        compare(
            "forward vs finite differences",
            ahead.jacobian,
            reference,
            tolerance,
            scale=largest,
            allowance=allowance,
        ),
        compare(
            "backward vs finite differences",
            behind.jacobian,
            reference,
            tolerance,
            scale=largest,
            allowance=allowance,
        ),
        compare("forward vs backward", ahead.jacobian, behind.jacobian, agreement, scale=magnitude),
    ]
    return comparisons, ahead, behind


def is_vacuous(ahead: Propagation, behind: Propagation) -> bool:
    """Whether both Jacobians are identically zero, so that agreeing on them checks nothing.

    That is the case when no output depends on an input (every entry structurally zero) and
    when every path has a zero partial at the point (dead relu units, saturated functions).
    """
    return not np.any(ahead.jacobian) and not np.any(behind.jacobian)
