"""Kinks of ``max``, ``min``, ``abs`` and ``relu``: where the point sits on one
(:func:`find_kinks`), the one-sided derivatives of the outputs there (:func:`one_sided`) and
their check against one-sided differences (:func:`check_one_sided`).

At a kink the local partials the recursions use are one element of the generalised gradient
(``max``/``min``: the average of the two sides, Heaviside(0) = 1/2; ``abs``: 0; ``relu``: 0),
so a central difference, which converges to the average of the two one-sided derivatives of
the *output*, need not agree with them. What is well defined there is the one-sided derivative
along each node v, d±(y, v) = lim_{h→0+} ±(y(v ± h) − y(v))/h (v perturbed as an independent
variable, as for an adjoint). It is computed exactly by a forward sweep per node and side in
which every kinked call at the point takes the branch its arguments' tangents select
(``max``: the tied argument growing fastest; ``abs(u)``: ±u by the sign of u̇; ``relu(u)``:
u when u̇ > 0, else 0); every other node uses its ordinary local partial. When d− ≤ d+, the
interval [d−, d+] is the (regular) subdifferential of y along v: for a convex y, its
subgradients' component; when d− > d+ the kink is concave along v and has no subgradient.
One-sided derivatives are computed on node-level graphs only (one node per block).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from graphcost.errors import EvaluationError
from graphcost.graph.functions import numpy_functions, sympy_functions
from graphcost.numeric.checks import Comparison, compare, outputs_at
from graphcost.numeric.evaluate import local_jacobians
from graphcost.numeric.model import NumericModel

#: sympy classes of the kinked functions (``max``, ``min``, ``abs``, ``relu``).
KINKED = frozenset({"Max", "Min", "Abs", "relu"})
#: Arguments this close (relative to max(1, |argument|)) count as equal: a kink.
KINK_TOLERANCE = 1e-9
#: Most nodes of a graph whose one-sided derivatives are computed (one sweep per node and side).
MAX_ONE_SIDED_NODES = 200


@dataclass(frozen=True)
class Kink:
    """A kinked call whose arguments tie at the point.

    Attributes
    ----------
    node
        The node (``c``, or ``h[3]`` in a block).
    block
        Its block.
    call
        The kinked call in the node's parent names, e.g. ``Max(0, 1 - a*y)``.
    arguments
        The tied values (``max``/``min``: the equal arguments; ``abs``/``relu``: the argument).
    """

    node: str
    block: int
    call: str
    arguments: tuple[float, ...]


@dataclass(frozen=True)
class OneSided:
    """The one-sided derivatives of an output node along a node, at a kink.

    Attributes
    ----------
    output, wrt
        Node names: d±(output, wrt).
    left, right
        d− = lim (y(v) − y(v − h))/h and d+ = lim (y(v + h) − y(v))/h, h → 0+.
    """

    output: str
    wrt: str
    left: float
    right: float

    @property
    def kind(self) -> str:
        """``"smooth"`` (the sides agree), ``"convex"`` (d− < d+) or ``"concave"``."""
        scale = max(1.0, abs(self.left), abs(self.right))
        if abs(self.right - self.left) <= KINK_TOLERANCE * scale:
            return "smooth"
        return "convex" if self.left < self.right else "concave"

    def describe(self) -> str:
        """``[−1, 0]`` for a convex kink, the two sides otherwise."""
        if self.kind == "smooth":
            return _number(self.right)
        if self.kind == "convex":
            return f"subgradient [{_number(self.left)}, {_number(self.right)}]"
        return f"concave: left {_number(self.left)}, right {_number(self.right)}"


def _number(value: float) -> str:
    return "0" if value == 0 else f"{value:.6g}"


def _expression(model: NumericModel, block: int) -> tuple[Any, list[Any]]:
    """The definition of ``block`` in internal symbols ``_a0, _a1, ...`` (one per parent)."""
    import sympy

    definition = model.definitions[block]
    blocks = model.graph.blocks
    arguments = [sympy.Symbol(f"_a{i}", real=True) for i in range(len(definition.parents))]
    symbols: dict[str, Any] = {
        blocks[p].name: a for p, a in zip(definition.parents, arguments, strict=True)
    }
    for constant in definition.constants:
        symbols[constant] = sympy.Float(float(model.params[constant]))
    return definition.expr.to_sympy(symbols, sympy_functions()), arguments


def _kinked_calls(expression: Any) -> list[Any]:
    import sympy

    calls = {
        call
        for call in sympy.preorder_traversal(expression)
        if type(call).__name__ in KINKED and not call.is_number
    }
    return sorted(calls, key=sympy.default_sort_key)


@lru_cache(maxsize=4096)
def _compiled(expression: Any, arguments: tuple[Any, ...]) -> Any:
    import sympy

    return sympy.lambdify(arguments, expression, modules=[numpy_functions(), "numpy"])


def _at(expression: Any, arguments: list[Any], values: list[Any]) -> np.ndarray:
    with np.errstate(all="ignore"):
        raw = _compiled(expression, tuple(arguments))(*values)
    return np.asarray(raw, dtype=float)


def _tied(values: list[float], pick: Any) -> list[int]:
    """Indices of the arguments within tolerance of the extreme one (``pick``: max or min)."""
    extreme = pick(values)
    return [
        k
        for k, v in enumerate(values)
        if abs(v - extreme) <= KINK_TOLERANCE * max(1.0, abs(extreme))
    ]


def _tied_arguments(call: Any, values: list[float]) -> tuple[float, ...] | None:
    """The tied values when ``call`` (evaluated arguments ``values``) is at its kink."""
    name = type(call).__name__
    if name in ("Max", "Min"):
        tied = _tied(values, max if name == "Max" else min)
        return tuple(values[k] for k in tied) if len(tied) > 1 else None
    return (values[0],) if abs(values[0]) <= KINK_TOLERANCE else None


def find_kinks(model: NumericModel, values: list[np.ndarray]) -> list[Kink]:
    """Every node whose definition calls ``max``, ``min``, ``abs`` or ``relu`` at a kink.

    Examples
    --------
    >>> from graphcost.graph.loader import graph_from_dict
    >>> from graphcost.numeric.build import build_model
    >>> from graphcost.numeric.evaluate import evaluate
    >>> g = graph_from_dict({"V": ["a"], "D'": ["l"], "g": {"l": "max(0, 1 - a)"}})
    >>> m = build_model(g)
    >>> [(k.node, k.call) for k in find_kinks(m, evaluate(m, {0: np.array([1.0])}))]
    [('l', 'max(0, 1 - a)')]
    """
    import sympy

    kinks = []
    for block in model.graph.order.tolist():
        definition = model.definitions.get(block)
        if definition is None or definition.op is not None:
            continue
        expression, arguments = _expression(model, block)
        calls = _kinked_calls(expression)
        if not calls:
            continue
        parents = [values[p] for p in definition.parents]
        names = {
            a: sympy.Symbol(model.graph.blocks[p].name, real=True)
            for a, p in zip(arguments, definition.parents, strict=True)
        }
        nodes = model.node_names([block])
        for call in calls:
            evaluated = [
                np.broadcast_to(_at(a, arguments, parents), (model.sizes[block],))
                for a in call.args
            ]
            for i, node in enumerate(nodes):
                tied = _tied_arguments(call, [float(e[i]) for e in evaluated])
                if tied is not None:
                    kinks.append(Kink(node, block, _shown(call.xreplace(names)), tied))
    return kinks


def _shown(call: Any) -> str:
    """A kinked call as the graph file writes it: max, min, abs (sympy prints Max, Min, Abs)."""
    text = str(call)
    for sympy_name, name in (("Max(", "max("), ("Min(", "min("), ("Abs(", "abs(")):
        text = text.replace(sympy_name, name)
    return text


def node_level(model: NumericModel) -> bool:
    """Whether every block is one node defined by an expression (one-sided derivatives)."""
    return all(size == 1 for size in model.sizes) and all(
        d.op is None for d in model.definitions.values()
    )


def _branch(call: Any, arguments: list[Any], point: list[float], tangents: list[float]) -> Any:
    """The smooth branch of a kinked call that a move along ``tangents`` follows."""
    import sympy

    values = [float(_at(a, arguments, point)) for a in call.args]
    slopes = [_slope(a, arguments, point, tangents) for a in call.args]
    name = type(call).__name__
    if name in ("Max", "Min"):
        tied = _tied(values, max if name == "Max" else min)
        steepest = (max if name == "Max" else min)(tied, key=lambda k: slopes[k])
        return call.args[steepest]
    (u,) = call.args
    rising = slopes[0] > 0 if abs(values[0]) <= KINK_TOLERANCE else values[0] > 0
    if name == "Abs":
        return u if rising or (abs(values[0]) <= KINK_TOLERANCE and slopes[0] == 0) else -u
    return u if rising else sympy.Integer(0)  # relu


def _slope(
    expression: Any, arguments: list[Any], point: list[float], tangents: list[float]
) -> float:
    import sympy

    return float(
        sum(
            float(_at(sympy.diff(expression, a), arguments, point)) * t
            for a, t in zip(arguments, tangents, strict=True)
            if t
        )
    )


def _directional(
    expression: Any, arguments: list[Any], point: list[float], tangents: list[float]
) -> float:
    """The directional derivative of a node's definition, kinked calls resolved inner first."""
    smooth = expression
    while True:
        innermost = [c for c in _kinked_calls(smooth) if _kinked_calls(c) == [c]]
        if not innermost:
            return _slope(smooth, arguments, point, tangents)
        call = innermost[0]
        smooth = smooth.xreplace({call: _branch(call, arguments, point, tangents)})


def _sweep(
    model: NumericModel,
    values: list[np.ndarray],
    partials: Mapping[tuple[int, int], float],
    kinked: dict[int, tuple[Any, list[Any]]],
    seed: int,
    sign: float,
) -> list[float]:
    """Tangents of every node when node ``seed`` moves by ``sign`` (its definition ignored)."""
    tangents = [0.0] * len(model.sizes)
    tangents[seed] = sign
    for block in model.graph.order.tolist():
        definition = model.definitions.get(block)
        if block == seed or definition is None:
            continue
        parents = definition.parents
        if not any(tangents[p] for p in parents):
            continue
        if block in kinked:
            expression, arguments = kinked[block]
            point = [float(values[p][0]) for p in parents]
            moves = [tangents[p] for p in parents]
            tangents[block] = _directional(expression, arguments, point, moves)
        else:
            tangents[block] = sum(partials[(p, block)] * tangents[p] for p in parents)
    return tangents


def one_sided(
    model: NumericModel, values: list[np.ndarray], kinks: list[Kink]
) -> list[OneSided] | None:
    """d−(y, v) and d+(y, v) for every output y and every node v that reaches it.

    Returns
    -------
    list of OneSided or None
        In evaluation order of v, outputs in file order; ``None`` when the graph is not at node
        level or has more than :data:`MAX_ONE_SIDED_NODES` nodes.

    Examples
    --------
    Hinge loss at y·a = 1 (seed 004, question 2): ∂l/∂a is −y from the left, 0 from the right.

    >>> from graphcost.graph.loader import graph_from_dict
    >>> from graphcost.numeric.build import build_model
    >>> from graphcost.numeric.evaluate import evaluate
    >>> g = graph_from_dict({"V": ["a"], "D'": ["l"], "g": {"l": "max(0, 1 - 2*a)"}})
    >>> m = build_model(g)
    >>> values = evaluate(m, {0: np.array([0.5])})
    >>> found = one_sided(m, values, find_kinks(m, values))
    >>> [(d.wrt, d.left, d.right, d.describe()) for d in found]
    [('a', -2.0, 0.0, 'subgradient [-2, 0]')]
    """
    if not node_level(model) or len(model.sizes) > MAX_ONE_SIDED_NODES:
        return None
    partials = {(f.src, f.dst): float(np.ravel(f.value)[0]) for f in local_jacobians(model, values)}
    kinked = {k.block: _expression(model, k.block) for k in kinks}
    names = [b.name for b in model.graph.blocks]
    found = []
    for seed in model.graph.order.tolist():
        if seed in model.outputs:
            continue
        right = _sweep(model, values, partials, kinked, seed, 1.0)
        left = _sweep(model, values, partials, kinked, seed, -1.0)
        for output in model.outputs:
            found.append(OneSided(names[output], names[seed], -left[output], right[output]))
    return found


def check_one_sided(
    model: NumericModel,
    inputs: Mapping[int, np.ndarray],
    found: list[OneSided],
    *,
    tolerance: float = 1e-6,
    step: float = 1e-6,
    wrt: list[int] | None = None,
) -> list[Comparison]:
    """The one-sided derivatives along each input against one-sided differences.

    D±(h) = ±(y(x ± h) − y(x))/h has a truncation error of order h; |D±(2h) − D±(h)| estimates
    it and is allowed for (with four times the rounding bound eps·(|y(x ± h)| + |y(x)|)/h), as
    :func:`~graphcost.numeric.checks.check_jacobians` does for central differences. One
    comparison per side, over the inputs ``wrt`` (default: all) and all outputs, relative to
    the largest one-sided value.
    """
    names = [b.name for b in model.graph.blocks]
    outputs = [names[b] for b in model.outputs]
    base = {b: np.asarray(v, dtype=float).copy() for b, v in inputs.items()}
    at = outputs_at(model, base)
    comparisons = []
    for side, sign in (("left", -1.0), ("right", 1.0)):
        actual, reference, allowance = [], [], []
        for block in wrt or model.inputs:
            h = step * max(1.0, abs(float(base[block][0])))
            moved = [outputs_at(model, _moved(base, block, sign * k * h)) for k in (1, 2)]
            near, far = (sign * (m - at) / (k * h) for k, m in zip((1, 2), moved, strict=True))
            rounding = 4 * _EPSILON * (np.abs(moved[0]) + np.abs(at)) / h
            for j, output in enumerate(outputs):
                d = next(d for d in found if d.output == output and d.wrt == names[block])
                actual.append(d.left if sign < 0 else d.right)
                reference.append(near[j])
                allowance.append(abs(far[j] - near[j]) + rounding[j])
        scale = max([1e-300, *(abs(a) for a in actual)])
        comparisons.append(
            compare(
                f"{side} derivatives at the kink vs one-sided differences",
                np.array(actual),
                np.array(reference),
                tolerance,
                scale=scale,
                allowance=np.array(allowance),
            )
        )
    return comparisons


_EPSILON = float(np.finfo(float).eps)


def _moved(base: Mapping[int, np.ndarray], block: int, by: float) -> dict[int, np.ndarray]:
    moved = {b: v.copy() for b, v in base.items()}
    moved[block][0] += by
    if not np.isfinite(moved[block][0]):
        raise EvaluationError("a one-sided difference step left the range of floats")
    return moved
