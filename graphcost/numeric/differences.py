"""Central finite differences of the function f: R^V → R^D' a graph computes
(:func:`finite_differences`): every direction of an input block in one batched numpy
evaluation of the graph (:func:`~graphcost.numeric.evaluate.evaluate_batch`), and
:func:`looped_differences`, the same one point at a time, which the batches are tested
against and which names the first perturbed point outside a function's domain.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from graphcost.errors import EvaluationError, GraphTooLargeError
from graphcost.numeric.evaluate import OneCoordinate, evaluate, evaluate_batch
from graphcost.numeric.model import NumericModel, evaluation_work
from graphcost.numeric.propagation import as_vectors

#: Most multiply-adds the finite differences of ``check`` may cost (4·|V| evaluations of the
#: graph): about ten seconds of numpy.
MAX_DIFFERENCE_WORK = 20_000_000_000
_EPSILON = float(np.finfo(float).eps)


def outputs_at(model: NumericModel, inputs: Mapping[int, np.ndarray]) -> np.ndarray:
    """The outputs D' stacked into one vector: the function f: R^V → R^D' the graph computes."""
    values = evaluate(model, inputs)
    return np.concatenate([values[b] for b in model.outputs])


def finite_differences(
    model: NumericModel,
    inputs: Mapping[int, np.ndarray],
    *,
    step: float = 1e-6,
    rounding: list[np.ndarray] | None = None,
    wrt: list[int] | None = None,
) -> np.ndarray:
    """∂D'/∂V by central differences (seed 002's check), step ``step·max(1, |x_k|)``.

    All directions of an input block are evaluated at once, as one batch of perturbed points
    (:func:`~graphcost.numeric.evaluate.evaluate_batch`), in chunks of at most
    :data:`BATCH_ENTRIES` values. Each column equals the one-point-at-a-time loop
    (:func:`looped_differences`) up to the rounding of the layer ops' matrix products, within
    the rounding error reported in ``rounding``.

    Parameters
    ----------
    rounding
        When given, a list that receives, column by column, the rounding error of each
        difference quotient, eps·(|f(x+h)| + |f(x−h)|)/(2h): what it cannot resolve (a
        derivative of 1e-300 is below it, whatever the function).
    wrt
        The input blocks to differentiate by (default: all).

    Returns
    -------
    numpy.ndarray
        Shape ``(|D'|, |V|)``.

    Raises
    ------
    EvaluationError
        When a perturbed point leaves a function's domain, naming the node and the step.
    """
    return central_differences(model, inputs, [step], [rounding], wrt)[0]


#: Most values (nodes × points) one batch of finite differences holds: 4·10⁶ floats, 32 MB.
BATCH_ENTRIES = 4_000_000


def central_differences(
    model: NumericModel,
    inputs: Mapping[int, np.ndarray],
    steps: list[float],
    roundings: list[list[np.ndarray] | None],
    wrt: list[int] | None,
) -> list[np.ndarray]:
    """Central differences at each step of ``steps``, all steps' points in the same batches.

    ``roundings[j]``, when not None, receives the rounding bounds of step j column by column
    (as :func:`finite_differences`'s ``rounding``). ``check`` takes the differences at h and
    2h at once: 4 points per direction in one evaluation.
    """
    base = as_vectors(inputs)
    independent = [b for b in model.inputs if wrt is None or b in wrt]
    work = 4 * sum(model.sizes[b] for b in independent) * evaluation_work(model)
    if work > MAX_DIFFERENCE_WORK:
        raise GraphTooLargeError(
            f"finite differences on {model.graph.name!r} would cost {work:,} multiply-adds "
            f"(4 evaluations per input node), more than {MAX_DIFFERENCE_WORK:,}",
            path=model.graph.path,
            fix="check a smaller instance (--set); the recursions do not depend on the sizes",
        )
    try:
        results, bounds = _batched(model, base, independent, steps)
    except EvaluationError:
        # Some perturbed point is outside the domain: the loop names the first one.
        return [
            looped_differences(model, base, step=step, rounding=rounding, wrt=wrt)
            for step, rounding in zip(steps, roundings, strict=True)
        ]
    for rounding, bound in zip(roundings, bounds, strict=True):
        if rounding is not None:
            rounding.extend(bound.T)
    return results


def _batched(
    model: NumericModel, base: dict[int, np.ndarray], independent: list[int], steps: list[float]
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The difference quotients and their rounding bounds, per step, in batches of points.

    Per chunk of directions k of an input block, the rows are x + h_k·e_k, then x − h_k·e_k,
    for each step in turn; every other input is one row, shared by all points.
    """
    width = sum(model.sizes[b] for b in model.outputs)
    quotients: list[list[np.ndarray]] = [[np.zeros((width, 0))] for _ in steps]
    bounds: list[list[np.ndarray]] = [[np.zeros((width, 0))] for _ in steps]
    shared = {b: v[None, :] for b, v in base.items()}
    chunk = max(1, BATCH_ENTRIES // (2 * len(steps) * max(1, sum(model.sizes))))
    for block in independent:
        x = base[block]
        spans = [step * np.maximum(1.0, np.abs(x)) for step in steps]
        for start in range(0, len(x), chunk):
            k = np.arange(start, min(len(x), start + chunk))
            moved = np.stack([x[k] + op * h[k] for h in spans for op in (1.0, -1.0)])
            points = np.empty((moved.size, len(x)))
            points[:] = x
            points[np.arange(moved.size), np.tile(k, len(moved))] = moved.reshape(-1)
            deltas = moved.reshape(-1) - x[np.tile(k, len(moved))]
            along = OneCoordinate(x, np.tile(k, len(moved)), deltas)
            values = evaluate_batch(model, {**shared, block: points}, {block: along})
            outputs = np.hstack(
                [np.broadcast_to(values[b], (moved.size, model.sizes[b])) for b in model.outputs]
            ).reshape(len(steps), 2, len(k), width)
            for j, h in enumerate(spans):
                high, low, twice = outputs[j, 0], outputs[j, 1], 2 * h[k][:, None]
                quotients[j].append(((high - low) / twice).T)
                bounds[j].append((_EPSILON * (np.abs(high) + np.abs(low)) / twice).T)
    return [np.hstack(q) for q in quotients], [np.hstack(b) for b in bounds]


def looped_differences(
    model: NumericModel,
    inputs: Mapping[int, np.ndarray],
    *,
    step: float = 1e-6,
    rounding: list[np.ndarray] | None = None,
    wrt: list[int] | None = None,
) -> np.ndarray:
    """:func:`finite_differences` one perturbed point at a time (two :func:`evaluate` calls per
    direction): the reference the batches are tested against, and what names the first point
    outside a function's domain."""
    base = as_vectors(inputs)
    independent = [b for b in model.inputs if wrt is None or b in wrt]
    columns = []
    for block in independent:
        for i in range(model.sizes[block]):
            h = step * max(1.0, abs(float(base[block][i])))
            plus = {b: v.copy() for b, v in base.items()}
            minus = {b: v.copy() for b, v in base.items()}
            plus[block][i] += h
            minus[block][i] -= h
            try:
                high, low = outputs_at(model, plus), outputs_at(model, minus)
            except EvaluationError as error:
                # The point is inside the domain (evaluated before), x ± h is not.
                name = model.node_names([block])[i]
                raise EvaluationError(
                    f"{error.message.replace(' at this point', '')} at {name} ± {h:.3g} "
                    "(the finite-difference step)",
                    path=error.path,
                    line=error.line,
                    fix="use a smaller --step or a point farther from the edge of the domain",
                ) from None
            columns.append((high - low) / (2 * h))
            if rounding is not None:
                rounding.append(_EPSILON * (np.abs(high) + np.abs(low)) / (2 * h))
    width = sum(model.sizes[b] for b in model.outputs)
    return np.column_stack(columns) if columns else np.zeros((width, 0))
