"""Sweeps: the counts of one graph at every point of a grid of symbol values.

A sweep is planned once (:func:`plan_sweep`: the axes from ``--over``, the fixed values from
the graph's defaults and ``--set``) and run in chunks (:func:`run_sweep`), each chunk a list of
rows in the stable record layout of :mod:`graphcost.count.records` (the same columns as
``graphcost analyze --format csv``).

Block-level sweeps never rebuild the graph per point. The counts are derived once, symbolically,
as polynomials with integer coefficients in the block sizes (the convention's formula evaluated
on the block structure with one sympy symbol per block size), and every block size as a
quotient of two integer polynomials in the graph's symbols (``2*n/3`` → ``2*n`` over ``3``).
A chunk of points is then evaluated with numpy, exactly:

- a point is admissible when every size quotient is an exact positive integer (and the two
  ends of every diag edge have equal sizes); other points are skipped and counted (or, with
  ``strict``, reported as a :class:`~graphcost.errors.SizeError` naming the block);
- a polynomial Σ c·x^e is evaluated in ``int64`` only when Σ |c|·Π max|x|^e, computed with
  Python ints over the chunk, is below 2^63: that bounds every partial product and partial sum
  of the evaluation, so nothing can overflow; otherwise the same expression is evaluated on
  ``object`` arrays of Python ints (exact, slower);
- the speed-up cell is forward / backward rounded once to the nearest float, like ``analyze``.

Sizes written with ``//`` (floor) are not quotients of polynomials; those blocks are evaluated
point by point with exact fractions (correct, but not vectorised).

Sweeps whose points need node-level work (``nodes=True``, or an elimination ``strategy``) run
one :class:`PointTask` per point through :func:`graphcost.parallel.map_ordered`, so they can use
local processes or a Dask cluster and still give identical rows in identical order.

:class:`graphcost.report.render.CsvRowFile` writes the rows as they complete: see its docstring for
what an interrupted sweep leaves behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graphcost.count.records import record_columns, result_record, speedup_cell
from graphcost.errors import ExpressionError, SizeError, UsageError
from graphcost.graph.model import Graph

#: Most points a sweep may have (the product of the axes' lengths).
MAX_POINTS = 10**9
#: Points evaluated (and written) together in a block-level sweep.
CHUNK_POINTS = 16_384
_INT64_LIMIT = 2**63
_FLOAT_EXACT = 2**53


@dataclass(frozen=True)
class Axis:
    """One swept symbol and its values (``--over n=3:300:3``).

    Attributes
    ----------
    symbol
        The symbol's name.
    values
        Its values, in sweep order (a ``range`` or a list of ints).
    """

    symbol: str
    values: Sequence[int]

    def __len__(self) -> int:
        return len(self.values)

    def take(self, indices: np.ndarray) -> np.ndarray:
        """The values at ``indices``: ``int64`` when they fit, else Python ints."""
        values = self.values
        if isinstance(values, range):
            low, high = min(values[0], values[-1]), max(values[0], values[-1])
            # Within ±2^62 the offsets start + i·step cannot overflow on the way.
            if low > -(2**62) and high < 2**62:
                return values.start + indices.astype(np.int64) * values.step
            return np.array([values[int(i)] for i in indices.tolist()], dtype=object)
        return _int_array(values)[indices]


def parse_over(text: str) -> Axis:
    """Parse ``SYMBOL=START:STOP[:STEP]`` (stop inclusive) or ``SYMBOL=V1,V2,...``.

    Values may be integer expressions (``n=10**3:10**4:10**3``).

    Raises
    ------
    UsageError
        For a malformed spec, a non-integer value, a zero step, or an empty range.

    Examples
    --------
    >>> parse_over("n=3:12:3").values
    range(3, 13, 3)
    >>> parse_over("m=1,2,4").values
    [1, 2, 4]
    """
    symbol, sep, spec = text.partition("=")
    symbol, spec = symbol.strip(), spec.strip()
    example = "e.g. --over n=3:300:3 (start:stop:step, stop inclusive) or --over m=1,2,4"
    if not sep or not symbol.isidentifier() or not spec:
        raise UsageError(
            f"--over expects SYMBOL=START:STOP[:STEP] or SYMBOL=A,B,C, got {text!r}", fix=example
        )
    if ":" in spec:
        parts = spec.split(":")
        if len(parts) not in (2, 3):
            raise UsageError(
                f"--over {text!r}: a range is START:STOP or START:STOP:STEP", fix=example
            )
        start, stop, *rest = (_integer(part, text) for part in parts)
        step = rest[0] if rest else 1
        if step == 0:
            raise UsageError(f"--over {text!r}: the step is 0", fix=example)
        # The length by arithmetic: len() of a range beyond 2^63 values raises OverflowError.
        length = max(0, (stop - start) // step + 1)
        if length > MAX_POINTS:
            raise UsageError(
                f"--over {text!r} has {length:,} values, more than {MAX_POINTS:,}",
                fix="use a coarser step",
            )
        values: Sequence[int] = range(start, stop + (1 if step > 0 else -1), step)
        if not length:
            raise UsageError(
                f"--over {text!r} is empty: {start} cannot reach {stop} in steps of {step}",
                fix="swap start and stop, or give a negative step",
            )
    else:
        values = [_integer(part, text) for part in spec.split(",")]
    if len(values) > MAX_POINTS:
        raise UsageError(f"--over {text!r} has {len(values):,} values, more than {MAX_POINTS:,}")
    return Axis(symbol, values)


def _integer(part: str, text: str) -> int:
    from graphcost.graph.expr import parse_expression

    part = part.strip()
    try:
        value = parse_expression(part).evaluate({}) if part else None
    except ExpressionError as error:
        raise UsageError(f"--over {text!r}: {error.message}", fix="give integers") from None
    if value is None or value.denominator != 1:
        raise UsageError(f"--over {text!r}: {part!r} is not an integer", fix="give integers")
    return int(value)


@dataclass(frozen=True)
class SweepPlan:
    """What to sweep: a graph, a convention, the axes and the fixed symbol values.

    Attributes
    ----------
    graph, convention
        The graph and the counting convention's name.
    axes
        The swept symbols; several make a grid (the first varies slowest).
    fixed
        Values of the other symbols (defaults updated with ``--set``).
    symbols
        The symbol columns, in the order ``analyze`` gives them.
    nodes
        Count on the expanded graph (one task per point) instead of in closed form.
    strategy, strategy_options
        An elimination strategy spec to score at every point (or ``None``), and the
        :class:`~graphcost.eliminate.strategies.StrategyOptions` it runs with.
    """

    graph: Graph
    convention: str
    axes: tuple[Axis, ...]
    fixed: dict[str, int]
    symbols: list[str]
    nodes: bool = False
    strategy: str | None = None
    strategy_options: Any = None

    @property
    def shape(self) -> tuple[int, ...]:
        """The grid's shape."""
        return tuple(len(axis) for axis in self.axes)

    @property
    def total(self) -> int:
        """Number of points."""
        return int(np.prod(self.shape, dtype=object))

    @property
    def columns(self) -> list[str]:
        """The record columns: the symbols, the counts, then the strategy's when there is one."""
        return record_columns(self.symbols) + (list(STRATEGY_COLUMNS) if self.strategy else [])

    @property
    def per_point(self) -> bool:
        """Whether each point is a separate task (node-level work or a strategy)."""
        return self.nodes or self.strategy is not None

    def points(self) -> Iterator[dict[str, int]]:
        """The points' symbol values (fixed and swept) in sweep order, as dicts."""
        for index in range(self.total):
            yield self.point(index)

    def point(self, index: int) -> dict[str, int]:
        """The symbol values of point ``index`` (fixed values first, then the axes)."""
        values = dict(self.fixed)
        for axis, position in zip(self.axes, _unravel(index, self.shape), strict=True):
            values[axis.symbol] = axis.values[position]
        return values


#: Columns appended after the count columns when a sweep scores an elimination strategy.
STRATEGY_COLUMNS = ("strategy", "strategy_multiplications", "strategy_additions")


def _unravel(index: int, shape: tuple[int, ...]) -> list[int]:
    positions = []
    for length in reversed(shape):
        index, position = divmod(index, length)
        positions.append(position)
    return positions[::-1]


def plan_sweep(
    graph: Graph,
    axes: Sequence[Axis],
    *,
    convention: str = "elimination",
    values: Mapping[str, int] | None = None,
    nodes: bool = False,
    strategy: str | None = None,
    strategy_options: Any = None,
) -> SweepPlan:
    """Check the axes against the graph and fix the other symbols.

    Parameters
    ----------
    graph
        The graph.
    axes
        From :func:`parse_over`; at least one, each symbol once.
    convention
        A name in :data:`graphcost.count.recursions.CONVENTIONS`.
    values
        ``--set`` values for symbols that are not swept.
    nodes, strategy, strategy_options
        Node-level counting; an elimination strategy to score at each point.

    Returns
    -------
    SweepPlan

    Raises
    ------
    UsageError
        No axis, a repeated or unknown symbol, a symbol both set and swept, too many points,
        an unknown convention or strategy.
    SizeError
        A symbol no axis, default or ``--set`` gives a value.
    """
    from graphcost.count.recursions import get_convention

    convention = get_convention(convention).name
    if strategy is not None:
        from graphcost.eliminate.strategies import get_strategy

        get_strategy(strategy)
    values = dict(values or {})
    if not axes:
        raise UsageError("sweep needs at least one --over", fix="e.g. --over n=3:300:3")
    known = graph.free_symbols | set(graph.symbols)
    seen: set[str] = set()
    for axis in axes:
        if axis.symbol in seen:
            raise UsageError(
                f"--over names symbol {axis.symbol!r} twice",
                fix="give each symbol one --over (a list or a range)",
            )
        seen.add(axis.symbol)
        if axis.symbol not in known:
            listed = ", ".join(sorted(known)) or "none (its sizes are constants)"
            raise UsageError(
                f"--over {axis.symbol}: the graph {graph.name!r} has no symbol {axis.symbol!r}",
                fix=f"its symbols are: {listed}",
            )
        if axis.symbol in values:
            raise UsageError(
                f"symbol {axis.symbol!r} is both set (--set) and swept (--over)",
                fix="drop one of them",
            )
    total = int(np.prod([len(axis) for axis in axes], dtype=object))
    if total > MAX_POINTS:
        raise UsageError(
            f"the sweep has {total:,} points, more than {MAX_POINTS:,}",
            fix="use coarser steps or fewer values",
        )
    first = {**values, **{axis.symbol: axis.values[0] for axis in axes}}
    fixed = {k: v for k, v in graph.symbol_values(first).items() if k not in seen}
    symbols = list(graph.symbol_values(first))
    return SweepPlan(
        graph, convention, tuple(axes), fixed, symbols, nodes, strategy, strategy_options
    )


# --- block-level sweeps: exact vectorised evaluation of the symbolic counts -----------------


@dataclass(frozen=True)
class _IntPolynomial:
    """An integer-coefficient polynomial, evaluated with numpy by a lambdified function."""

    terms: tuple[tuple[int, tuple[int, ...]], ...]
    function: Callable[..., Any] = field(repr=False)

    @classmethod
    def build(cls, expression: Any, variables: Sequence[Any]) -> _IntPolynomial | None:
        import sympy

        if not variables:
            value = sympy.sympify(expression)
            if not value.is_Integer:
                return None
            return cls(((int(value), ()),), lambda: int(value))
        if not sympy.sympify(expression).is_polynomial(*variables):
            return None
        polynomial = sympy.Poly(expression, *variables)
        terms = []
        for exponents, coefficient in polynomial.terms():
            if not coefficient.is_Integer:
                return None
            terms.append((int(coefficient), tuple(int(e) for e in exponents)))
        function = sympy.lambdify(variables, polynomial.as_expr(), modules="numpy")
        return cls(tuple(terms), function)

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
        largest = [_largest(column) for column in columns]
        safe = self.bound(largest) < _INT64_LIMIT and all(v < _INT64_LIMIT for v in largest)
        arrays = [_as_int64(c) if safe else c.astype(object) for c in columns]
        result = self.function(*arrays)
        if np.ndim(result) == 0:
            return np.full(count, result, dtype=np.int64 if safe else object)
        return result


def _largest(column: np.ndarray) -> int:
    if column.size == 0:
        return 0
    if column.dtype == object:
        return max(abs(v) for v in column.tolist())
    return max(abs(int(column.max())), abs(int(column.min())))


def _as_int64(column: np.ndarray) -> np.ndarray:
    return column if column.dtype == np.int64 else column.astype(np.int64)


def _int_array(values: Sequence[int]) -> np.ndarray:
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

    Raises
    ------
    UsageError, SizeError
    """
    import sympy

    from graphcost.count.recursions import get_convention
    from graphcost.jacobian.structure import block_structure

    chosen = get_convention(convention)
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


# --- running a sweep -------------------------------------------------------------------------


@dataclass
class SweepChunk:
    """Rows of consecutive points, as they complete.

    Attributes
    ----------
    rows
        One tuple per admissible point, in :attr:`SweepPlan.columns` order.
    points
        Points covered by this chunk (admissible or not).
    skipped
        Points skipped because a size is not a positive integer there.
    """

    rows: list[tuple[Any, ...]]
    points: int
    skipped: int


def run_sweep(
    plan: SweepPlan,
    *,
    strict: bool = False,
    jobs: int = 1,
    scheduler: Any = None,
    chunk_points: int = CHUNK_POINTS,
) -> Iterator[SweepChunk]:
    """Evaluate the plan chunk by chunk, in sweep order.

    Parameters
    ----------
    plan
        From :func:`plan_sweep`.
    strict
        Raise :class:`SizeError` at the first point where a size is not a positive integer
        instead of skipping it.
    jobs, scheduler
        Where per-point work runs (see :func:`graphcost.parallel.map_ordered`); block-level
        sweeps are vectorised in this process and ignore them.
    chunk_points
        Points per chunk of a block-level sweep.

    Yields
    ------
    SweepChunk

    Raises
    ------
    SizeError
        With ``strict``, naming the first inadmissible point's block and values.

    Examples
    --------
    >>> from graphcost.graph.layers import layered_graph
    >>> plan = plan_sweep(layered_graph(["n", "2*n/3", "n/3", "1"]), [parse_over("n=3:9")])
    >>> [(chunk.rows, chunk.skipped) for chunk in run_sweep(plan)]
    [([(3, 9, 3, 8, 3, '1.125'), (6, 60, 42, 32, 22, '1.875'), (9, 189, 153, 72, 57, '2.625')], 4)]
    """
    if plan.per_point:
        yield from _run_per_point(plan, strict, jobs, scheduler)
        return
    compiled = compile_counts(plan.graph, plan.convention)
    for start in range(0, plan.total, chunk_points):
        stop = min(plan.total, start + chunk_points)
        yield _block_chunk(plan, compiled, start, stop, strict)


def _block_chunk(
    plan: SweepPlan, compiled: CompiledCounts, start: int, stop: int, strict: bool
) -> SweepChunk:
    count = stop - start
    positions = np.unravel_index(np.arange(start, stop, dtype=np.int64), plan.shape)
    columns: dict[str, np.ndarray] = {}
    for axis, position in zip(plan.axes, positions, strict=True):
        columns[axis.symbol] = axis.take(position)
    for name, value in plan.fixed.items():
        columns[name] = _int_array([value]).repeat(count)
    result = evaluate_counts(compiled, columns)
    ok = result.admissible
    skipped = count - int(ok.sum())
    if skipped and strict:
        first = start + int(np.flatnonzero(~ok)[0])
        plan.graph.sizes(plan.point(first))  # raises the SizeError that names the block
        raise SizeError(f"a size is not a positive integer at {plan.point(first)}")
    symbol_lists = [columns[name][ok].tolist() for name in plan.symbols]
    fm, fa, bm, ba = (array.tolist() for array in result.counts)
    speedups = _speedup_cells(result.counts[0], result.counts[2])
    rows = list(zip(*symbol_lists, fm, fa, bm, ba, speedups, strict=True))
    return SweepChunk(rows, count, skipped)


def _speedup_cells(forward: np.ndarray, backward: np.ndarray) -> list[str]:
    """``speedup_cell`` for every point; vectorised while the ints are exact as floats."""
    if (
        forward.dtype == np.int64
        and _largest(forward) < _FLOAT_EXACT
        and _largest(backward) < _FLOAT_EXACT
        and (backward != 0).all()
    ):
        # Both exactly representable: one IEEE division is the correctly rounded quotient.
        ratio = forward.astype(np.float64) / backward.astype(np.float64)
        return [repr(value) for value in ratio.tolist()]
    return [speedup_cell(f, b) for f, b in zip(forward.tolist(), backward.tolist(), strict=True)]


@dataclass(frozen=True)
class PointTask:
    """The work of one sweep point on its own (node-level counting, a strategy): picklable,
    so that :func:`graphcost.parallel.map_ordered` can ship it to processes or a cluster.

    Calling it with a point's symbol values returns the row, or ``None`` when a size is not a
    positive integer there (with ``strict``, the :class:`SizeError` propagates).
    """

    graph: Graph
    convention: str
    symbols: tuple[str, ...]
    nodes: bool
    strict: bool
    strategy: str | None = None
    strategy_options: Any = None

    def __call__(self, values: dict[str, int]) -> tuple[Any, ...] | None:
        from graphcost.count.recursions import count

        level = "node" if self.nodes else "block"
        try:
            result = count(self.graph, convention=self.convention, values=values, level=level)
        except SizeError:
            if self.strict:
                raise
            return None
        record = result_record(result)
        row = tuple(record[column] for column in record_columns(self.symbols))
        if self.strategy is None:
            return row
        from graphcost.eliminate.engine import elimination_problem
        from graphcost.eliminate.strategies import run_strategy

        problem = elimination_problem(self.graph, values, level=level)
        outcome = run_strategy(problem, self.strategy, self.strategy_options)
        return (*row, outcome.name, outcome.cost.multiplications, outcome.cost.additions)


def _run_per_point(
    plan: SweepPlan, strict: bool, jobs: int, scheduler: Any
) -> Iterator[SweepChunk]:
    from graphcost.parallel import map_ordered

    task = PointTask(
        plan.graph,
        plan.convention,
        tuple(plan.symbols),
        plan.nodes,
        strict,
        plan.strategy,
        plan.strategy_options,
    )
    workers = 1 if scheduler is None and jobs == 1 else max(jobs, 2)
    # Several points per task amortise shipping the graph, while keeping every worker busy.
    chunksize = max(1, min(16, plan.total // (8 * workers)))
    for row in map_ordered(
        task, plan.points(), jobs=jobs, scheduler=scheduler, chunksize=chunksize
    ):
        if row is None:
            yield SweepChunk([], 1, 1)
        else:
            yield SweepChunk([row], 1, 0)


def sweep_rows(plan: SweepPlan, **options: Any) -> tuple[list[tuple[Any, ...]], int]:
    """All rows of a sweep and the number of skipped points (a convenience for small sweeps)."""
    rows: list[tuple[Any, ...]] = []
    skipped = 0
    for chunk in run_sweep(plan, **options):
        rows.extend(chunk.rows)
        skipped += chunk.skipped
    return rows, skipped


def rows_as_records(columns: Sequence[str], rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Rows as dicts keyed by column (for JSON and tables)."""
    return [dict(zip(columns, row, strict=True)) for row in rows]
