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

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphcost.count.compiled import (
    CompiledCounts,
    compile_counts,
    evaluate_counts,
    int_array,
    largest_magnitude,
)
from graphcost.count.records import record_columns, result_record, speedup_cell
from graphcost.count.sweep_plan import SweepPlan
from graphcost.errors import SizeError
from graphcost.graph.model import Graph

#: Points evaluated (and written) together in a block-level sweep.
CHUNK_POINTS = 16_384
_FLOAT_EXACT = 2**53


@dataclass
class SweepChunk:
    """Rows of consecutive points, as they complete.

    Attributes
    ----------
    rows
        One tuple per admissible point, in
        :attr:`~graphcost.count.sweep_plan.SweepPlan.columns` order.
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
        columns[name] = int_array([value]).repeat(count)
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
        and largest_magnitude(forward) < _FLOAT_EXACT
        and largest_magnitude(backward) < _FLOAT_EXACT
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
