"""Running sweeps: the counts of one graph at every point of a planned grid, chunk by chunk.

:func:`run_sweep` runs a :class:`~graphcost.count.sweep_plan.SweepPlan` in chunks, each chunk a
list of rows in the stable record layout of :mod:`graphcost.count.records` (the same columns as
``graphcost analyze --format csv``).

Block-level sweeps are evaluated with :mod:`graphcost.count.compiled`, exactly and vectorised:
points where a size is not a positive integer are skipped and counted (or, with ``strict``,
reported as a :class:`~graphcost.errors.SizeError` naming the block); the speed-up cell is
forward / backward rounded once to the nearest float, like ``analyze``.

Sweeps whose points need node-level work (``nodes=True``, or an elimination ``strategy``) run
one :class:`PointTask` per point through :func:`graphcost.parallel.map_ordered`, so they can use
local processes or a Dask cluster and still give identical rows in identical order.

:class:`graphcost.report.writers.CsvRowFile` writes the rows as they complete: see its docstring
for what an interrupted sweep leaves behind.
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphcost.count.compiled import (
    CompiledCounts,
    evaluate_counts,
    int_array,
    largest_magnitude,
)
from graphcost.count.plan_cache import cached_compile
from graphcost.count.records import (
    COUNT_COLUMNS,
    record_columns,
    result_record,
    speedup_cell,
    trailing_cells,
)
from graphcost.count.sweep_csv import int_field, numeric_csv, speedup_digits
from graphcost.count.sweep_plan import SweepPlan
from graphcost.errors import SizeError
from graphcost.graph.model import Graph

#: Points evaluated (and written) together in a block-level sweep.
CHUNK_POINTS = 16_384
_FLOAT_EXACT = 2**53


@dataclass
class SweepChunk:
    """Rows of consecutive points, as they complete, held column by column.

    Attributes
    ----------
    points
        Points covered by this chunk (admissible or not).
    skipped
        Points skipped because a size is not a positive integer there.
    symbols
        How many leading columns are symbol values.
    listed
        The cells as lists, one per column (per-point work); ``None`` when :attr:`arrays`
        holds them.
    arrays
        Block level: the symbol columns and the four counts as arrays over the admissible
        points (the speed-up column is derived); :attr:`cells` lists them on demand, and
        :meth:`csv_bytes` formats them without lists when it can.
    """

    points: int
    skipped: int
    symbols: int = 0
    listed: list[list[Any]] | None = None
    arrays: list[np.ndarray] | None = None

    @classmethod
    def of_rows(
        cls, rows: list[tuple[Any, ...]], points: int, skipped: int, symbols: int = 0
    ) -> SweepChunk:
        """A chunk from row tuples."""
        listed = [list(column) for column in zip(*rows, strict=True)]
        return cls(points, skipped, symbols, listed=listed)

    @functools.cached_property
    def cells(self) -> list[list[Any]]:
        """One list per column (:attr:`~graphcost.count.sweep_plan.SweepPlan.columns` order),
        one entry per admissible point; :attr:`rows` gives them as tuples."""
        if self.arrays is None:
            return self.listed or []
        speedups = _speedup_cells(self.arrays[-4], self.arrays[-2])
        return [*(array.tolist() for array in self.arrays), speedups]

    @property
    def rows(self) -> list[tuple[Any, ...]]:
        """One tuple per admissible point, in column order."""
        return list(zip(*self.cells, strict=True))

    def __len__(self) -> int:
        if self.arrays is not None:
            return len(self.arrays[0])
        return len(self.cells[0]) if self.cells else 0

    def csv_bytes(self, approximate: Sequence[str], evaluation: Callable[..., Any] | None) -> bytes:
        """:meth:`csv_text` encoded as UTF-8, formatted by numpy when every cell is a
        non-negative int64 or a short exact speed-up and no evaluation cell is needed
        (:mod:`graphcost.count.sweep_csv`); the same bytes either way."""
        if self.arrays is not None and evaluation is None and len(self):
            pieces = _numeric_pieces(self.arrays, approximate)
            if pieces is not None:
                return numeric_csv(pieces)
        return self.csv_text(approximate, evaluation).encode("utf-8")

    def csv_text(self, approximate: Sequence[str], evaluation: Callable[..., Any] | None) -> str:
        """The rows as CSV lines with the trailing cells appended
        (:func:`~graphcost.count.records.trailing_cells`): the bytes ``csv.writer`` writes for
        the rows, formatted a chunk at a time.

        ``evaluation`` is called with each row's symbol values (a tuple, in column order);
        ``None`` leaves the cell empty on every row (the cost is unknown).
        Only the ``approximate`` cell can need quoting (its edge names may hold ``"``); it is
        the same on every row, so ``csv`` quotes it once.
        """
        count = len(self)
        if not count:
            return ""
        symbols = self.cells[: self.symbols]
        symbol_rows = zip(*symbols, strict=True) if symbols else [()] * count
        if evaluation is None:
            evaluations: list[Any] = [""] * count
        else:
            evaluations = ["" if (v := evaluation(row)) is None else v for row in symbol_rows]
        if len(self.cells) > self.symbols + len(COUNT_COLUMNS):  # strategy names: csv quotes
            rows = zip(
                *self.cells, [_approximate_text(approximate)] * count, evaluations, strict=True
            )
            return _csv_text(rows)
        cell = _approximate_cell(approximate).replace("%", "%%")
        line = "%s," * len(self.cells) + cell + ",%s\n"
        flat = itertools.chain.from_iterable(zip(*self.cells, evaluations, strict=True))
        return (line * count) % tuple(flat)


def _approximate_text(approximate: Sequence[str]) -> str:
    return trailing_cells(approximate, None)[0]


def _approximate_cell(approximate: Sequence[str]) -> str:
    """The ``approximate`` cell as csv writes it (quoted when needed)."""
    return _csv_text([[_approximate_text(approximate), ""]])[:-2]  # a lone "" would be quoted


def _numeric_pieces(arrays: list[np.ndarray], approximate: Sequence[str]) -> list[Any] | None:
    """The row layout for :func:`~graphcost.count.sweep_csv.numeric_csv`, or ``None`` when a
    cell is not a non-negative int64 or a speed-up is no short exact decimal."""
    if any(a.dtype != np.int64 or (len(a) and int(a.min()) < 0) for a in arrays):
        return None
    speedup = speedup_digits(arrays[-4], arrays[-2])
    if speedup is None:
        return None
    pieces: list[Any] = []
    for array in arrays:
        pieces += [int_field(array), b","]
    tail = "," + _approximate_cell(approximate) + ",\n"
    return [*pieces, *speedup, tail.encode("utf-8")]


def _csv_text(rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


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
        From :func:`~graphcost.count.sweep_plan.plan_sweep`.
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
    >>> from graphcost.count.sweep_plan import parse_over, plan_sweep
    >>> from graphcost.graph.layers import layered_graph
    >>> plan = plan_sweep(layered_graph(["n", "2*n/3", "n/3", "1"]), [parse_over("n=3:9")])
    >>> [(chunk.rows, chunk.skipped) for chunk in run_sweep(plan)]
    [([(3, 9, 3, 8, 3, '1.125'), (6, 60, 42, 32, 22, '1.875'), (9, 189, 153, 72, 57, '2.625')], 4)]
    """
    if plan.per_point:
        yield from _run_per_point(plan, strict, jobs, scheduler)
        return
    compiled = cached_compile(plan.graph, plan.convention)
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
        columns[name] = int_array([value]).repeat(count)
    result = evaluate_counts(compiled, columns)
    ok = result.admissible
    skipped = count - int(ok.sum())
    if skipped and strict:
        first = start + int(np.flatnonzero(~ok)[0])
        plan.graph.sizes(plan.point(first))  # raises the SizeError that names the block
        raise SizeError(f"a size is not a positive integer at {plan.point(first)}")
    symbol_columns = [columns[name][ok] for name in plan.symbols]
    arrays = [*symbol_columns, *result.counts]
    return SweepChunk(count, skipped, len(plan.symbols), arrays=arrays)


def _speedup_cells(forward: np.ndarray, backward: np.ndarray) -> list[str]:
    """``speedup_cell`` for every point, without a Python call per point.

    The quotient is correctly rounded either way: one IEEE division while both ints are exact
    as floats, else Python's int / int (``operator.truediv``), which rounds correctly too.
    """
    if (backward == 0).any():
        return [
            speedup_cell(f, b) for f, b in zip(forward.tolist(), backward.tolist(), strict=True)
        ]
    if (
        forward.dtype == np.int64
        and largest_magnitude(forward) < _FLOAT_EXACT
        and largest_magnitude(backward) < _FLOAT_EXACT
    ):
        quotients = (forward.astype(np.float64) / backward.astype(np.float64)).tolist()
    else:
        try:
            quotients = list(map(operator.truediv, forward.tolist(), backward.tolist()))
        except OverflowError:  # beyond float range: speedup_cell says "inf"
            return [
                speedup_cell(f, b) for f, b in zip(forward.tolist(), backward.tolist(), strict=True)
            ]
    return list(map(repr, quotients))


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
        from graphcost.eliminate.problem import elimination_problem
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
        symbols = len(plan.symbols)
        if row is None:
            yield SweepChunk(1, 1, symbols)
        else:
            yield SweepChunk.of_rows([row], 1, 0, symbols)


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
