"""Checking a derivative written by hand (``graphcost check --expect``): :func:`parse_expectation`
reads ``w = 2*(p - y)*p*(1 - p)*x`` against a graph, :func:`check_expectations` compares each
with the derivative the graph defines and names the first wrong step.

The left side names a node v (an input or an intermediate) and means its adjoint
v̄ = ∂y/∂v, v taken as an independent variable, as in the seeds' reverse tables; ``l/p`` (also
written ``dl/dp`` or ``∂l/∂p``) is ∂l/∂p for a node l other than the output. The right side is
an expression in the graph's nodes and scalar constants, parsed by the same whitelist as a
graph file's ``g:`` (never evaluated as code); a node name stands for the node's value.

Each expectation is decided symbolically when sympy simplifies the difference to 0 (every node
replaced by its expression in the inputs: a proof of EQUAL), else numerically: the graph's
point and :data:`RANDOM_POINTS` points around it (seeded), the derivative from a reverse sweep
over the local partials, DIFFERENT at the first point where the two differ by more than the
tolerance (relative to the larger of the two), EQUAL when they agree at every point (evidence,
not proof). Points off the functions' domains or at a kink are skipped. Node-level graphs only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphcost.errors import EvaluationError, ExpressionError, UsageError
from graphcost.graph.definition_checks import check_arity, check_constants, check_powers
from graphcost.graph.expr import Expr, parse_expression
from graphcost.graph.functions import FUNCTIONS, numpy_functions, sympy_functions
from graphcost.graph.quoting import quote
from graphcost.numeric.evaluate import evaluate, local_jacobians
from graphcost.numeric.expect_symbolic import forms_of, proved_equal, symbolic_adjoint
from graphcost.numeric.kinks import find_kinks, node_level
from graphcost.numeric.model import NumericModel

#: Most nodes of a graph whose derivatives --expect checks (closed forms grow with depth).
MAX_EXPECT_NODES = 50
#: Random points tried (beside the graph's own) when sympy does not prove equality.
RANDOM_POINTS = 7


@dataclass(frozen=True)
class Expectation:
    """A hand-derived derivative: ``∂(of)/∂(wrt) = expr``.

    Attributes
    ----------
    text
        As given on the command line.
    of, wrt
        Block indices: the node differentiated and the node differentiated by.
    expr
        The right side, parsed.
    """

    text: str
    of: int
    wrt: int
    expr: Expr


@dataclass(frozen=True)
class Verdict:
    """The outcome of one expectation.

    Attributes
    ----------
    expectation
        What was checked.
    equal
        Whether the expression equals the derivative.
    method
        ``"sympy"`` (the difference simplifies to 0) or ``"points"`` (compared numerically).
    points
        Points compared numerically.
    point
        Input name → value where the values shown were taken (where they differ, for
        DIFFERENT); ``None`` when no point could be evaluated.
    yours, derivative
        The expression's value and the derivative's there.
    """

    expectation: Expectation
    equal: bool
    method: str
    points: int
    point: dict[str, float] | None
    yours: float | None
    derivative: float | None


def parse_expectation(text: str, model: NumericModel, output: int | None) -> Expectation:
    """Parse ``NAME = EXPRESSION`` (or ``OF/WRT = EXPRESSION``) against ``model``.

    Parameters
    ----------
    text
        The expectation.
    model
        A node-level numeric model.
    output
        The output differentiated when the left side names one node (``None``: the only one).

    Raises
    ------
    UsageError, ExpressionError
        Naming what is wrong: no ``=``, a left side that is no node, an unknown name on the
        right, a construct the whitelist refuses.

    Examples
    --------
    >>> from graphcost.graph.loader import graph_from_dict
    >>> from graphcost.numeric.build import build_model
    >>> m = build_model(graph_from_dict({"V": ["x"], "D'": ["y"], "g": {"y": "x**2"}}))
    >>> e = parse_expectation("x = 2*x", m, None)
    >>> (e.of, e.wrt, e.expr.text)
    (1, 0, '2*x')
    """
    _check_model(model)
    left, equals, right = text.partition("=")
    if not equals:
        raise UsageError(
            f"--expect {quote(text)} has no '='",
            fix="write NODE = EXPRESSION, e.g. --expect 'w = 2*(p - y)*p*(1 - p)*x'",
        )
    names = {b.name: i for i, b in enumerate(model.graph.blocks)}
    of_text, slash, wrt_text = left.strip().partition("/")
    if slash:
        of, wrt = _node(of_text.strip(), names, text), _node(wrt_text.strip(), names, text)
    else:
        of, wrt = _output(model, output, text), _node(of_text.strip(), names, text)
    constants = sorted({c for d in model.definitions.values() for c in d.constants})
    expr = _right_side(right, text, names.keys() | set(constants))
    return Expectation(text.strip(), of, wrt, expr)


def _check_model(model: NumericModel) -> None:
    if not node_level(model):
        raise UsageError(
            f"--expect compares derivatives on node-level graphs; {model.graph.name!r} has "
            "blocks of several nodes or layer ops",
            fix="write the graph one node per block with expressions in g:",
        )
    if len(model.sizes) > MAX_EXPECT_NODES:
        raise UsageError(
            f"--expect handles graphs of at most {MAX_EXPECT_NODES} nodes; "
            f"{model.graph.name!r} has {len(model.sizes)}",
            fix="check a smaller graph",
        )


def _node(name: str, names: Mapping[str, int], text: str) -> int:
    """A node named on the left side; ``dl`` and ``∂l`` stand for ``l`` when no node is ``dl``."""
    if not name:
        raise UsageError(
            f"--expect {quote(text)}: the left side is empty",
            fix="name an input or node before '=', e.g. --expect 'w = 2*x'",
        )
    if name in names:
        return names[name]
    if name[:1] in ("d", "∂") and name[1:] in names:
        return names[name[1:]]
    shown = ", ".join(list(names)[:20])
    raise UsageError(
        f"--expect {quote(text)}: {quote(name)} is not a node of the graph",
        fix=f"the left side names an input or node ({shown}), or OF/WRT such as l/p",
    )


def _output(model: NumericModel, output: int | None, text: str) -> int:
    if output is not None:
        return output
    if len(model.outputs) == 1:
        return model.outputs[0]
    shown = ", ".join(model.graph.blocks[b].name for b in model.outputs)
    raise UsageError(
        f"--expect {quote(text)}: the graph has several outputs ({shown})",
        fix="choose one with --output-node NAME, or write OUTPUT/NODE = ...",
    )


def _right_side(right: str, text: str, known: set[str]) -> Expr:
    try:
        expr = parse_expression(right, functions=frozenset(FUNCTIONS), allow_floats=True)
        label = "expect"
        for check in (check_powers, check_constants, check_arity):
            check(expr.tree, label, None, None)
    except ExpressionError as error:
        message = error.message.replace(f"g of {quote('expect')}: ", "")
        raise ExpressionError(f"--expect {quote(text)}: {message}", fix=error.fix) from None
    unknown = sorted(expr.names - known)
    if unknown:
        raise UsageError(
            f"--expect {quote(text)}: unknown name {quote(unknown[0])}",
            fix=f"use the graph's nodes and constants: {', '.join(sorted(known))}",
        )
    return expr


@dataclass(frozen=True)
class _Sample:
    """A point the derivatives were evaluated at: inputs, node values, adjoints per node."""

    point: dict[str, float]
    values: list[float]
    adjoints: dict[int, list[float]]


def _adjoints(model: NumericModel, values: list[np.ndarray], of: int) -> list[float]:
    """∂(of)/∂v for every node v: the reverse sweep over the local partials at the point."""
    into: dict[int, list[tuple[int, float]]] = {}
    for factor in local_jacobians(model, values):
        into.setdefault(factor.dst, []).append((factor.src, float(np.ravel(factor.value)[0])))
    adjoint = [0.0] * len(model.sizes)
    adjoint[of] = 1.0
    for block in model.graph.order.tolist()[::-1]:
        for source, partial in into.get(block, []):
            adjoint[source] += adjoint[block] * partial
    return adjoint


def _samples(
    model: NumericModel, base: Mapping[int, np.ndarray], seed: int, seeds: set[int]
) -> tuple[list[_Sample], int]:
    """The graph's point and :data:`RANDOM_POINTS` around it (inputs + randn), those inside the
    domains and off kinks; and how many points were tried."""
    rng = np.random.default_rng(seed + 2)  # a stream apart from parameters' and inputs'
    base = {b: np.asarray(v, dtype=float) for b, v in base.items()}
    points = [base]
    points += [
        {b: v + rng.standard_normal(v.shape) for b, v in base.items()} for _ in range(RANDOM_POINTS)
    ]
    names = model.graph.blocks
    samples = []
    for point in points:
        try:
            values = evaluate(model, point)
            if find_kinks(model, values):
                continue
            adjoints = {of: _adjoints(model, values, of) for of in seeds}
        except EvaluationError:
            continue
        samples.append(
            _Sample(
                {names[b].name: float(v[0]) for b, v in point.items()},
                [float(v[0]) for v in values],
                adjoints,
            )
        )
    return samples, len(points)


def _compiled(model: NumericModel, expr: Expr) -> Any:
    """The expression as a numpy function of all node values (internal names only)."""
    import sympy

    blocks = model.graph.blocks
    arguments = [sympy.Symbol(f"_n{i}", real=True) for i in range(len(blocks))]
    symbols = {b.name: a for b, a in zip(blocks, arguments, strict=True)}
    for definition in model.definitions.values():
        for c in definition.constants:
            symbols[c] = sympy.Float(float(model.params[c]))
    expression = expr.to_sympy(symbols, sympy_functions())
    return sympy.lambdify(arguments, expression, modules=[numpy_functions(), "numpy"])


def _differ(yours: float, derivative: float, values: list[float], tolerance: float) -> bool:
    """Beyond ``tolerance`` relative to the larger value, and beyond rounding (64·eps times the
    largest node value, so that a zero derivative written as p − sigmoid(a) is no error)."""
    rounding = 64 * float(np.finfo(float).eps) * max([1.0, *(abs(v) for v in values)])
    gap = abs(yours - derivative)
    return gap > tolerance * max(abs(yours), abs(derivative)) and gap > rounding


def _decide(
    model: NumericModel,
    forms: list[Any],
    expectation: Expectation,
    samples: list[_Sample],
    tried: int,
    tolerance: float,
) -> Verdict:
    names = {b.name: form for b, form in zip(model.graph.blocks, forms, strict=True)}
    constants = {c: sympy_symbol(c) for d in model.definitions.values() for c in d.constants}
    yours_form = expectation.expr.to_sympy(names | constants, sympy_functions())
    derivative_form = symbolic_adjoint(model, forms, expectation.of, expectation.wrt)
    proved = proved_equal(yours_form - derivative_form)
    function = _compiled(model, expectation.expr)
    shown: tuple[dict[str, float], float, float] | None = None
    compared = 0
    for sample in samples:
        with np.errstate(all="ignore"):
            yours = float(np.asarray(function(*sample.values), dtype=float))
        derivative = sample.adjoints[expectation.of][expectation.wrt]
        if not np.isfinite(yours):
            continue
        compared += 1
        shown = shown or (sample.point, yours, derivative)
        if not proved and _differ(yours, derivative, sample.values, tolerance):
            return Verdict(expectation, False, "points", compared, sample.point, yours, derivative)
        if proved:
            break
    if shown is None and not proved:
        raise EvaluationError(
            f"--expect {quote(expectation.text)}: the expression or the derivative is not "
            f"finite at any of the {tried} points tried (outside the functions' domains, "
            "or at kinks)",
            fix="give another point with --at or --seed",
        )
    point, yours, derivative = shown if shown else (None, None, None)
    return Verdict(
        expectation, True, "sympy" if proved else "points", compared, point, yours, derivative
    )


def sympy_symbol(name: str) -> Any:
    """A real sympy symbol (constants and inputs are real)."""
    import sympy

    return sympy.Symbol(name, real=True)


def check_expectations(
    model: NumericModel,
    point: Mapping[int, np.ndarray],
    expectations: list[Expectation],
    *,
    seed: int = 0,
    tolerance: float = 1e-6,
) -> list[Verdict]:
    """Decide every expectation; the verdicts come in the order the reverse sweep computes
    the derivatives (from the output back), so the first DIFFERENT is the first wrong step.

    Raises
    ------
    EvaluationError
        When an expectation can be decided neither by sympy nor at any point.

    Examples
    --------
    >>> from graphcost.graph.loader import graph_from_dict
    >>> from graphcost.numeric.build import build_model
    >>> m = build_model(graph_from_dict({"V": ["x"], "D": ["v"], "D'": ["y"],
    ...     "g": {"v": "x**2", "y": "sin(v)"}}))
    >>> wrong = [parse_expectation(t, m, None) for t in ("v = cos(v)", "x = cos(v)*x")]
    >>> [(v.expectation.text, v.equal, v.method) for v in
    ...  check_expectations(m, {0: np.array([0.7])}, wrong)]
    [('v = cos(v)', True, 'sympy'), ('x = cos(v)*x', False, 'points')]
    """
    forms, _ = forms_of(model)
    samples, tried = _samples(model, point, seed, {e.of for e in expectations})
    position = {b: i for i, b in enumerate(model.graph.order.tolist())}
    ordered = sorted(expectations, key=lambda e: (-position[e.of], -position[e.wrt]))
    return [_decide(model, forms, e, samples, tried, tolerance) for e in ordered]


def first_wrong(verdicts: list[Verdict]) -> Verdict | None:
    """The first DIFFERENT verdict (in the order of :func:`check_expectations`), if any."""
    return next((v for v in verdicts if not v.equal), None)
