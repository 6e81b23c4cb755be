"""Compiled counts: a graph's counts as integer polynomials, evaluated exactly over many points.

Block-level sweeps never rebuild the graph per point. The counts are derived once, symbolically
(:func:`compile_counts`), as polynomials with integer coefficients in the block sizes (the
convention's formula evaluated on the block structure with one sympy symbol per block size),
and every block size as a quotient of two integer polynomials in the graph's symbols
(``2*n/3`` → ``2*n`` over ``3``). A chunk of points is then evaluated with numpy, exactly
(:func:`evaluate_counts`):

- a point is admissible when every size quotient is an exact positive integer (and the two
  ends of every diag edge have equal sizes); other points are reported as not admissible;
- a polynomial Σ c·x^e is evaluated in ``int64`` only when Σ |c|·Π max|x|^e, computed with
  Python ints over the chunk, is below 2^63: that bounds every partial product and partial sum
  of the evaluation, so nothing can overflow; otherwise the same expression is evaluated on
  ``object`` arrays of Python ints (exact, slower).

Sizes written with ``//`` (floor) are not quotients of polynomials; those blocks are evaluated
point by point with exact fractions (correct, but not vectorised).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphcost.errors import ExpressionError
from graphcost.graph.model import Graph

_INT64_LIMIT = 2**63


@dataclass(frozen=True)
class _IntPolynomial:
    """An integer-coefficient polynomial Σ c·x^e, evaluated term by term on numpy arrays."""

    terms: tuple[tuple[int, tuple[int, ...]], ...]

    @classmethod
    def build(cls, expression: Any, variables: Sequence[Any]) -> _IntPolynomial | None:
        """From a sympy expression (the fallback path); ``None`` unless an integer polynomial."""
        import sympy

        if not variables:
            value = sympy.sympify(expression)
            return cls(((int(value), ()),)) if value.is_Integer else None
        if not sympy.sympify(expression).is_polynomial(*variables):
            return None
        terms = []
        for exponents, coefficient in sympy.Poly(expression, *variables).terms():
            if not coefficient.is_Integer:
                return None
            terms.append((int(coefficient), tuple(int(e) for e in exponents)))
        return cls(tuple(terms))

    @classmethod
    def from_poly(cls, polynomial: Any, width: int) -> _IntPolynomial | None:
        """From an int or a :class:`~graphcost.count.polynomials.Poly`; ``None`` unless its
        coefficients are integers."""
        if isinstance(polynomial, int):
            return cls(((polynomial, (0,) * width),))
        terms = []
        for exponents, coefficient in sorted(polynomial.terms.items()):
            if not isinstance(coefficient, int):
                return None
            terms.append((coefficient, exponents))
        return cls(tuple(terms))

    def bound(self, largest: Sequence[int]) -> int:
        """Σ |c|·Π max(1, largest)^e: bounds every partial result of the evaluation."""
        total = 0
        for coefficient, exponents in self.terms:
            term = abs(coefficient)
            for value, exponent in zip(largest, exponents, strict=True):
                term *= max(1, value) ** exponent
            total += term
        return total

    def evaluate(self, columns: Sequence[np.ndarray], count: int) -> np.ndarray:
        """Evaluate exactly: int64 when :meth:`bound` allows it, Python ints otherwise."""
        largest = [largest_magnitude(column) for column in columns]
        safe = self.bound(largest) < _INT64_LIMIT and all(v < _INT64_LIMIT for v in largest)
        arrays = [_as_int64(c) if safe else c.astype(object) for c in columns]
        result: Any = 0
        for coefficient, exponents in self.terms:
            term: Any = coefficient
            for array, exponent in zip(arrays, exponents, strict=True):
                if exponent:
                    term = term * (array if exponent == 1 else array**exponent)
            result = result + term
        if np.ndim(result) == 0:
            return np.full(count, result, dtype=np.int64 if safe else object)
        return result


def largest_magnitude(column: np.ndarray) -> int:
    """The largest absolute value in an integer array (int64 or Python ints); 0 when empty."""
    if column.size == 0:
        return 0
    if column.dtype == object:
        return max(abs(v) for v in column.tolist())
    return max(abs(int(column.max())), abs(int(column.min())))


def _as_int64(column: np.ndarray) -> np.ndarray:
    return column if column.dtype == np.int64 else column.astype(np.int64)


def int_array(values: Sequence[int]) -> np.ndarray:
    """The values as an ``int64`` array when they all fit, else an ``object`` array of ints."""
    items = list(values)
    if all(-_INT64_LIMIT < v < _INT64_LIMIT for v in items):
        return np.array(items, dtype=np.int64)
    array = np.empty(len(items), dtype=object)
    array[:] = items
    return array


@dataclass(frozen=True)
class _Size:
    """One block's size: ``numerator / denominator`` (integer polynomials), or point-wise."""

    block: int
    numerator: _IntPolynomial | None
    denominator: _IntPolynomial | None


@dataclass(frozen=True)
class CompiledCounts:
    """A graph's counts prepared for vectorised evaluation (see the module docstring).

    Attributes
    ----------
    symbols
        The graph symbols the sizes use, in evaluation order.
    sizes
        The non-constant block sizes as quotients of integer polynomials in the symbols.
    constant
        The constant block sizes by block index.
    counts
        Forward multiplications, forward additions, backward multiplications, backward
        additions: integer polynomials in the non-constant block sizes.
    """

    graph: Graph
    symbols: tuple[str, ...]
    sizes: tuple[_Size, ...]
    constant: dict[int, int]
    counts: tuple[_IntPolynomial, ...]


def compile_counts(graph: Graph, convention: str = "elimination") -> CompiledCounts:
    """Derive the counts once, symbolically, for :func:`evaluate_counts`.

    Sizes that are polynomials in the symbols (``2*n/3``, ``n*m + 1``) are compiled without
    sympy (:mod:`graphcost.count.polynomials`, milliseconds); any other size (``n/m``,
    ``n//3``) sends the whole graph through sympy.

    Raises
    ------
    UsageError, SizeError
    """
    from graphcost.count.recursions import get_convention

    chosen = get_convention(convention)
    compiled = _compile_polynomials(graph, chosen)
    return compiled if compiled is not None else _compile_with_sympy(graph, chosen)


def _compile_polynomials(graph: Graph, chosen: Any) -> CompiledCounts | None:
    """The sympy-free compilation, or ``None`` when a size is no polynomial in the symbols."""
    from fractions import Fraction

    from graphcost.count.polynomials import Poly, TooLarge, tree_polynomial
    from graphcost.jacobian.structure import block_structure

    names = tuple(sorted(graph.free_symbols))
    polynomials = [tree_polynomial(block.size.tree, names) for block in graph.blocks]
    if any(p is None for p in polynomials):
        return None
    constant: dict[int, int] = {}
    variable_blocks: list[int] = []
    for b, polynomial in enumerate(polynomials):
        value = polynomial.constant_value() if polynomial.is_constant() else None
        if value is not None and Fraction(value).denominator == 1:
            constant[b] = int(value)
        else:
            variable_blocks.append(b)
    width = len(variable_blocks)
    block_sizes: list[Any] = [constant.get(b) for b in range(len(graph.blocks))]
    sizes = []
    for k, b in enumerate(variable_blocks):
        block_sizes[b] = Poly.variable(k, width)
        denominator, terms = polynomials[b].integer_terms()
        top = _IntPolynomial(tuple((c, e) for c, e in terms)) if terms else None
        bottom = _IntPolynomial(((denominator, (0,) * len(names)),))
        if top is None:  # the size is 0: never admissible
            top = _IntPolynomial(((0, (0,) * len(names)),))
        sizes.append(_Size(b, top, bottom))
    try:
        forward, backward = chosen.formula(block_structure(graph, block_sizes))
    except TooLarge:
        return None
    counts = []
    for value in (
        forward.multiplications,
        forward.additions,
        backward.multiplications,
        backward.additions,
    ):
        polynomial = _IntPolynomial.from_poly(value, width)
        if polynomial is None:
            return None
        counts.append(polynomial)
    return CompiledCounts(graph, names, tuple(sizes), constant, tuple(counts))


def _compile_with_sympy(graph: Graph, chosen: Any) -> CompiledCounts:
    import sympy

    from graphcost.jacobian.structure import block_structure

    names = tuple(sorted(graph.free_symbols))
    symbol_map = {name: sympy.Symbol(name, positive=True, integer=True) for name in names}
    # Not graph.symbolic_sizes(): that demands diag-linked sizes be equal as expressions, while
    # a sweep checks them point by point (a diag edge between n and m is fine where n = m).
    size_expressions = [block.size.to_sympy(symbol_map) for block in graph.blocks]
    variables = [symbol_map[name] for name in names]
    block_sizes: list[Any] = []
    size_variables: list[Any] = []
    sizes: list[_Size] = []
    constant: dict[int, int] = {}
    for b, expression in enumerate(size_expressions):
        expression = sympy.sympify(expression)
        if expression.is_Integer:
            constant[b] = int(expression)
            block_sizes.append(expression)
            continue
        variable = sympy.Symbol(f"size_{b}", positive=True, integer=True)
        size_variables.append(variable)
        block_sizes.append(variable)
        sizes.append(_size_quotient(b, expression, variables))
    forward, backward = chosen.formula(block_structure(graph, block_sizes))
    counts = []
    for value in (
        forward.multiplications,
        forward.additions,
        backward.multiplications,
        backward.additions,
    ):
        polynomial = _IntPolynomial.build(sympy.expand(value), size_variables)
        if polynomial is None:  # the formulas add and multiply sizes: never happens
            raise RuntimeError(f"count {value} is not an integer polynomial in the sizes")
        counts.append(polynomial)
    return CompiledCounts(graph, names, tuple(sizes), constant, tuple(counts))


def _size_quotient(block: int, expression: Any, variables: list[Any]) -> _Size:
    """``expression`` as integer polynomials ``top / bottom``, or point-wise when it is not a
    quotient of polynomials (``//`` gives ``floor``) or too large to expand (``(n+m)**1000``:
    the exact evaluator computes it at each point instead)."""
    import sympy

    from graphcost.count.budget import symbolic_size

    if not symbolic_size(expression).within_budget():
        return _Size(block, None, None)
    numerator, denominator = sympy.fraction(sympy.together(expression))
    if not variables or not all(
        part.is_polynomial(*variables) for part in (numerator, denominator)
    ):
        return _Size(block, None, None)
    # numerator = P/a and denominator = Q/b with integer polynomials P, Q: size = P·b / (Q·a).
    a, p = sympy.Poly(numerator, *variables).clear_denoms(convert=True)
    b, q = sympy.Poly(denominator, *variables).clear_denoms(convert=True)
    top = _IntPolynomial.build(sympy.expand(p.as_expr() * b), variables)
    bottom = _IntPolynomial.build(sympy.expand(q.as_expr() * a), variables)
    if top is None or bottom is None:
        return _Size(block, None, None)
    return _Size(block, top, bottom)


@dataclass
class EvaluatedChunk:
    """The counts at the admissible points of one chunk.

    Attributes
    ----------
    admissible
        Per point of the chunk, whether every size is a positive integer.
    counts
        Four arrays over the admissible points (int64 or Python ints).
    """

    admissible: np.ndarray
    counts: list[np.ndarray]


def evaluate_counts(compiled: CompiledCounts, columns: Mapping[str, np.ndarray]) -> EvaluatedChunk:
    """Evaluate the compiled counts at many points at once, exactly.

    Parameters
    ----------
    compiled
        From :func:`compile_counts`.
    columns
        One equally long integer array per symbol (int64 or object).

    Returns
    -------
    EvaluatedChunk

    Examples
    --------
    >>> from graphcost.graph.layers import layered_graph
    >>> c = compile_counts(layered_graph(["n", "2*n/3", "n/3", "1"]))
    >>> r = evaluate_counts(c, {"n": np.array([3, 4, 30])})
    >>> r.admissible.tolist(), r.counts[0].tolist(), r.counts[2].tolist()
    ([True, False, True], [9, 6300], [8, 800])
    """
    count = len(next(iter(columns.values()))) if columns else 1
    symbol_columns = [columns[name] for name in compiled.symbols]
    ok = np.ones(count, dtype=bool)
    values: dict[int, np.ndarray] = {}
    for size in compiled.sizes:
        if size.numerator is None or size.denominator is None:
            value, good = _pointwise_size(compiled, size.block, columns, count)
        else:
            top = size.numerator.evaluate(symbol_columns, count)
            bottom = size.denominator.evaluate(symbol_columns, count)
            nonzero = bottom != 0
            safe_bottom = np.where(nonzero, bottom, 1)
            value = top // safe_bottom
            good = nonzero & (top % safe_bottom == 0) & (value >= 1)
        ok &= np.asarray(good, dtype=bool)
        values[size.block] = value
    graph = compiled.graph
    for e in np.flatnonzero(graph.edges.diag):
        a, b = int(graph.edges.src[e]), int(graph.edges.dst[e])
        ok &= _size_column(values, compiled.constant, a, count) == _size_column(
            values, compiled.constant, b, count
        )
    size_columns = [values[size.block][ok] for size in compiled.sizes]
    admitted = int(ok.sum())
    counts = [polynomial.evaluate(size_columns, admitted) for polynomial in compiled.counts]
    return EvaluatedChunk(ok, counts)


def _size_column(
    values: dict[int, np.ndarray], constant: dict[int, int], block: int, count: int
) -> np.ndarray:
    if block in values:
        return values[block]
    return np.full(count, constant[block], dtype=np.int64)


def _pointwise_size(
    compiled: CompiledCounts, block: int, columns: Mapping[str, np.ndarray], count: int
) -> tuple[np.ndarray, np.ndarray]:
    expression = compiled.graph.blocks[block].size
    names = sorted(expression.names)
    lists = [columns[name].tolist() for name in names]
    value = np.zeros(count, dtype=object)
    good = np.zeros(count, dtype=bool)
    for i in range(count):
        try:
            exact = expression.evaluate({name: lists[k][i] for k, name in enumerate(names)})
        except ExpressionError:
            continue
        if exact.denominator == 1 and exact >= 1:
            value[i], good[i] = int(exact), True
        else:
            value[i] = 1
    return value, good
