"""The cost of evaluating the graph itself (the primal), and the cheap-gradient ratio.

The **evaluation cost** is the number of scalar multiplications of computing every block's
value once, read from what the graph says each block computes:

- a **layer op** (``linear(a)`` = W·a, ``affine(a)`` = W·a + b; ``g:`` entries, or the ops a
  builder such as ``--layers`` declares): one matrix–vector product per parent, |v|·|p|
  multiplications (the bias adds none);
- an **elementwise expression** (``v: a * tanh(c)``): the multiplications of its sympy form
  (:func:`expression_multiplications`), times the block's size.

Division counts as a multiplication; an integer power x**k as k − 1 repeated products (plus one
division for a negative k); a sign (−x), additions and functions (exp, sqrt, sigmoid, …) count
none, their arguments do. A graph that says nothing of its functions (no ``g:``, no declared
ops) has an **unknown** evaluation cost: ``None``, never a guess.

For a graph made by :func:`graphcost.graph.wrt.with_respect_to` the whole original program is
evaluated (constants included), so its cost is the original's.

The ratio **gradient ÷ evaluation** is backward multiplications ÷ evaluation multiplications,
defined for a graph with one output node (a gradient); :func:`gradient_ratio` gives it. The
cost is a sum over blocks of a constant times a product of two sizes, in closed form: time
independent of the sizes, an int at given symbol values or a sympy expression in the symbols.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from typing import Any

from graphcost.graph.model import INPUT, OUTPUT, Graph
from graphcost.graph.wrt import wrt_of

#: The key of ``Graph.extra`` under which a builder declares each block's op:
#: block name → (op name of :data:`graphcost.graph.functions.LAYER_OPS`, parent block names).
OPS_KEY = "ops"


@dataclass(frozen=True)
class EvaluationTerm:
    """Multiplications ``factor · |block| · Σ |parent|`` (layer op) or ``factor · |block|``.

    Attributes
    ----------
    block
        The block's index in the evaluated graph.
    factor
        Multiplications per node (elementwise), or 1 for a layer op.
    parents
        For a layer op, the parents whose matrix–vector products are counted; else ``()``.
    """

    block: int
    factor: int
    parents: tuple[int, ...] = ()


def evaluated_graph(graph: Graph) -> Graph:
    """The graph whose blocks are evaluated: the original one of a ``--wrt`` graph, else itself."""
    record = wrt_of(graph)
    return graph if record is None else record.primal


def evaluation_terms(graph: Graph) -> list[EvaluationTerm] | None:
    """The terms of the evaluation cost of ``graph`` (see :func:`evaluated_graph`).

    Returns
    -------
    list of EvaluationTerm, or None
        ``None`` when the graph does not say what its blocks compute.

    Examples
    --------
    >>> from graphcost.graph.loader import graph_from_dict
    >>> g = graph_from_dict({"V": ["x", "w"], "D": ["v"], "D'": ["y"],
    ...                      "g": {"v": "x * w", "y": "v**3 / x"}})
    >>> [(t.block, t.factor) for t in evaluation_terms(g)]
    [(2, 1), (3, 3)]
    """
    graph = evaluated_graph(graph)
    if graph.definitions is not None:
        terms = []
        for index, definition in sorted(graph.definitions.items()):
            if definition.op is not None:
                terms.append(EvaluationTerm(index, 1, tuple(definition.parents)))
            else:
                factor = expression_multiplications(definition.expr)
                if factor:
                    terms.append(EvaluationTerm(index, factor))
        return terms
    ops = graph.extra.get(OPS_KEY)
    if not isinstance(ops, Mapping):
        return None
    terms = []
    for index, block in enumerate(graph.blocks):
        if block.role == INPUT:
            continue
        if block.name not in ops:
            return None  # an op left undeclared: the cost is unknown, not smaller
        _, parents = ops[block.name]
        terms.append(EvaluationTerm(index, 1, tuple(graph.index[p] for p in parents)))
    return terms


def evaluation_multiplications(graph: Graph, values: Mapping[str, int] | None = None) -> int | None:
    """Multiplications of evaluating ``graph`` once at the given symbol values.

    Parameters
    ----------
    graph
        A graph (for a ``--wrt`` graph, its original is evaluated).
    values
        Symbol values that override the defaults.

    Returns
    -------
    int or None
        ``None`` when the graph does not say what its blocks compute.

    Examples
    --------
    >>> from graphcost.graph.layers import layered_graph
    >>> evaluation_multiplications(layered_graph([784, 300, 100, 10]))
    266200
    """
    terms = evaluation_terms(graph)
    if terms is None:
        return None
    sizes = evaluated_graph(graph).sizes(values)
    return sum(
        term.factor * sizes[term.block] * sum(sizes[p] for p in term.parents)
        if term.parents
        else term.factor * sizes[term.block]
        for term in terms
    )


def evaluation_formula(graph: Graph) -> Any:
    """The evaluation cost as a sympy expression in the size symbols (``None`` if unknown).

    Examples
    --------
    >>> from graphcost.graph.layers import layered_graph
    >>> evaluation_formula(layered_graph(["n", "2*n/3", "n/3", "1"]))
    8*n**2/9 + n/3
    """
    terms = evaluation_terms(graph)
    if terms is None:
        return None
    import sympy  # after the check: a graph without an evaluation cost never imports sympy

    sizes, _ = evaluated_graph(graph).symbolic_sizes()
    total = [
        term.factor * sizes[term.block] * sympy.Add(*(sizes[p] for p in term.parents))
        if term.parents
        else term.factor * sizes[term.block]
        for term in terms
    ]
    return sympy.expand(sympy.Add(*total))


def evaluation_cells(
    graph: Graph, symbols: Sequence[str], fixed: Mapping[str, int]
) -> Callable[[Sequence[Any]], int | None]:
    """A function from a sweep row (symbol values first, in ``symbols`` order) to the
    multiplications of evaluating the graph there, ``None`` when unknown
    (:func:`graphcost.count.records.trailing_cells` makes the CSV cell).

    A polynomial cost (the usual case) is evaluated exactly in integers, a microsecond per
    row; any other falls back to :func:`evaluation_multiplications` per row.

    Examples
    --------
    >>> from graphcost.graph.layers import layered_graph
    >>> cell = evaluation_cells(layered_graph(["n", "2*n/3", "n/3", "1"]), ["n"], {})
    >>> [cell((n, 0, 0)) for n in (3, 30)]
    [9, 810]
    """
    formula = evaluation_formula(graph)
    if formula is None:
        return lambda row: None
    import sympy

    names = sorted(str(symbol) for symbol in formula.free_symbols)
    position = {name: i for i, name in enumerate(symbols)}
    variables = sorted(formula.free_symbols, key=str)
    numerator, denominator = sympy.fraction(sympy.together(formula))
    if all(name in position or name in fixed for name in names) and numerator.is_polynomial(
        *variables
    ):
        poly = sympy.Poly(numerator, *variables) if variables else None
        divisor = int(denominator)
        terms = [] if poly is None else [(int(c), m) for m, c in poly.terms()]
        constant = int(numerator) if poly is None else 0
        lookups = [(position.get(name), fixed.get(name)) for name in names]

        def polynomial(row: Sequence[Any]) -> int:
            point = [row[at] if at is not None else value for at, value in lookups]
            total = constant
            for coefficient, powers in terms:
                product = coefficient
                for value, power in zip(point, powers, strict=True):
                    if power:
                        product *= value**power
                total += product
            return total // divisor

        return polynomial

    def exact(row: Sequence[Any]) -> int | None:
        from graphcost.errors import SizeError

        values = {**fixed, **{name: row[i] for name, i in position.items()}}
        try:
            result = evaluation_multiplications(graph, values)
        except SizeError:  # a symbol only the original graph of --wrt uses, without a value
            return None
        return result

    return exact


def output_nodes(graph: Graph, values: Mapping[str, int] | None = None) -> int:
    """The number of output nodes of ``graph`` (1 for a scalar output)."""
    sizes = graph.sizes(values)
    return sum(sizes[i] for i in graph.blocks_with_role(OUTPUT))


def gradient_ratio(backward: int, evaluation: int | None, outputs: int) -> Fraction | None:
    """Backward multiplications ÷ evaluation multiplications, for one output node.

    Returns
    -------
    Fraction or None
        ``None`` when there is more than one output node (a Jacobian, not a gradient), the
        evaluation cost is unknown, or it is zero.

    Examples
    --------
    >>> gradient_ratio(272200, 266200, 1)
    Fraction(1361, 1331)
    >>> gradient_ratio(272200, 266200, 10) is None
    True
    """
    if outputs != 1 or not evaluation:
        return None
    return Fraction(backward, evaluation)


def expression_multiplications(expression: Any) -> int:
    """Scalar multiplications of one evaluation of an elementwise expression.

    Counted on the expression's sympy form: a product of k factors costs k − 1 (a factor −1
    is a sign and costs none; a division is one multiplication), an integer power x**k costs
    k − 1 repeated products (1/x**k one more, for the division), a non-integer power or a
    function costs only its arguments' multiplications.

    Parameters
    ----------
    expression
        A :class:`graphcost.graph.expr.Expr` of a ``g:`` entry.

    Examples
    --------
    >>> from graphcost.graph.expr import parse_expression
    >>> from graphcost.graph.functions import callable_names
    >>> def mults(text):
    ...     return expression_multiplications(parse_expression(text, functions=callable_names()))
    >>> [mults(t) for t in ["x * w", "1 / v", "x**3", "-x + y", "a * tanh(c)", "sigmoid(z)"]]
    [1, 1, 2, 0, 1, 0]
    >>> mults("log(1 + exp(-y * f3))"), mults("x / (y * z)"), mults("2*x**2 + x*y")
    (1, 2, 3)
    """
    return _cached_mults(expression)


@cache
def _cached_mults(expression: Any) -> int:
    import sympy

    from graphcost.graph.functions import sympy_functions

    symbols = {name: sympy.Symbol(name) for name in expression.names}
    return _mults(expression.to_sympy(symbols, sympy_functions()))


def _mults(e: Any) -> int:
    if e.is_Atom:
        return 0
    if e.is_Mul:
        factors = [a for a in e.args if a not in (1, -1)]
        inner = sum(_power_mults(a) if a.is_Pow else _mults(a) for a in factors)
        combined = max(len(factors) - 1, 0)
        reciprocals = all(_negative_power(a) for a in factors)
        return inner + combined + (1 if factors and reciprocals else 0)
    if e.is_Pow:
        return _power_mults(e) + (1 if _negative_power(e) else 0)
    return sum(_mults(a) for a in e.args)


def _negative_power(e: Any) -> bool:
    return bool(e.is_Pow and e.exp.is_Integer and e.exp < 0)


def _power_mults(e: Any) -> int:
    """A power's own repeated products (its division, if any, counted by the caller)."""
    base, exponent = e.args
    if exponent.is_Integer:
        return abs(int(exponent)) - 1 + _mults(base)
    return _mults(base) + _mults(exponent)
