"""Sweep plans: which symbols a sweep varies, over which values, and what stays fixed.

A sweep is planned once (:func:`plan_sweep`: the axes from ``--over``, parsed by
:func:`parse_over`, and the fixed values from the graph's defaults and ``--set``) into a
:class:`SweepPlan`, which names the grid's points in sweep order and the record columns of its
rows. :mod:`graphcost.count.sweep` runs a plan.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphcost.count.compiled import int_array
from graphcost.count.records import record_columns
from graphcost.errors import ExpressionError, UsageError
from graphcost.graph.model import Graph

#: Most points a sweep may have (the product of the axes' lengths).
MAX_POINTS = 10**9


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
        return int_array(values)[indices]


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
        """Whether each point is a separate task (node-level work, a strategy, or a graph with
        shaped blocks or index signatures: the compiled path holds vector sizes only, so those
        are counted exactly point by point at block level)."""
        return self.nodes or self.strategy is not None or self.graph.is_shaped

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
        from graphcost.eliminate.registry import get_strategy

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
