"""``graphcost sweep``: the counts over a grid of symbol values, as CSV (JSON, table) and a plot."""

from __future__ import annotations

import contextlib
import math
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import click

from graphcost.cli.base import (
    cli,
    convention_option,
    jobs_option,
    output_options,
    parse_assignments,
    scheduler_option,
    set_option,
    warn,
)
from graphcost.cli.completion import complete_strategy
from graphcost.cli.sources import graph_from, graph_source
from graphcost.cli.strategies import search_budget_options
from graphcost.errors import UsageError

#: Seconds a sweep runs before the progress bar appears (quick sweeps stay silent).
PROGRESS_DELAY = 0.5
#: Most points a sweep may keep in memory (JSON and table output, plots); CSV is streamed.
MAX_KEPT_POINTS = 1_000_000


@cli.command()
@graph_source
@click.option(
    "--over",
    "overs",
    multiple=True,
    required=True,
    metavar="SYMBOL=RANGE",
    help="A symbol and its values: START:STOP[:STEP] (STOP inclusive: n=3:300:3 is 3, 6, …, "
    "300) or a list A,B,C. Repeat for a grid (the first --over varies slowest).",
)
@set_option
@convention_option
@click.option(
    "--nodes",
    is_flag=True,
    help="Count every point on the graph expanded to single nodes (one task per point; "
    "use --jobs or --scheduler to spread them).",
)
@click.option(
    "--strategy",
    "-s",
    default=None,
    metavar="NAME",
    shell_complete=complete_strategy,
    help="Also score this vertex elimination strategy at every point (columns strategy, "
    "strategy_multiplications, strategy_additions); one task per point.",
)
@search_budget_options
@click.option(
    "--strict",
    is_flag=True,
    help="Stop with an error at the first point where a size is not a positive integer "
    "(default: skip such points and count them in a note on stderr).",
)
@jobs_option("per-point work (--nodes, --strategy)")
@scheduler_option("per-point work")
@click.option(
    "--plot",
    "plot_path",
    default=None,
    metavar="PATH.png",
    type=click.Path(dir_okay=False),
    help="Also draw the speed-up and both counts (log scale) against the swept symbol "
    "(.png, .svg or .pdf; pip install '.[plot]').",
)
@output_options("csv", "json", "table", "markdown", "latex")
def sweep(
    file: str | None,
    layers: str | None,
    wrt: str | None,
    overs: tuple[str, ...],
    assignments: tuple[str, ...],
    convention: str,
    nodes: bool,
    strategy: str | None,
    seed: int,
    time_limit: float | None,
    iterations: int | None,
    strict: bool,
    jobs: int,
    scheduler: str | None,
    plot_path: str | None,
    fmt: str,
    output: str | None,
) -> None:
    """Count FILE (or --layers) at every point of a grid of symbol values.

    One row per point: the symbol values (one column per symbol), then
    forward_multiplications, forward_additions, backward_multiplications,
    backward_additions, speedup — the columns of `graphcost analyze --format csv`.
    Block graphs are evaluated from the exact symbolic counts, vectorised (10^5 points in
    about a quarter of a second, whole process: the README's Benchmarks); points where a size
    is not a positive integer are skipped and counted on stderr (--strict makes them an
    error). The compiled counts are cached in $XDG_CACHE_HOME/graphcost (~/.cache/graphcost);
    GRAPHCOST_NO_CACHE=1 turns the cache off.

    CSV rows are written as they complete: if the sweep is interrupted (Ctrl-C) or crashes,
    the --output file holds every finished row, each line complete; on a usage error it is
    left untouched. A progress bar shows on stderr when a sweep takes a while and stderr is a
    terminal.

    \b
    Examples:
      graphcost sweep graphs/exercise-4b.yaml --over n=3:300:3
      graphcost sweep graphs/exercise-4b.yaml --over n=3:3*10**5:3 -o 4b.csv --plot 4b.png
      graphcost sweep graphs/exercise-4b-general.yaml --over V=10:100:10 --over V1=5,10,20
      graphcost sweep --layers 'n,2*n/3,n/3,1' --over n=3:99:3 --format table
      graphcost sweep graphs/exercise-4b.yaml --over n=3:15:3 --format latex
      graphcost sweep graphs/mlp-relu.yaml --over p=2:64:2 --nodes --jobs 4
      graphcost sweep graphs/mlp-relu.yaml --over p=2:64:2 --nodes --scheduler tcp://127.0.0.1:8786
    """
    from graphcost.count.sweep import run_sweep
    from graphcost.count.sweep_plan import parse_over, plan_sweep
    from graphcost.report.writers import CsvRowFile

    if plot_path is not None:
        from graphcost.report.plot import check_plot_path

        check_plot_path(plot_path)
    if strategy is not None and strategy.split(":")[0].startswith(("edge-", "face-", "portfolio")):
        raise UsageError(
            f"sweep scores vertex strategies at every point; {strategy!r} eliminates edges or "
            "faces",
            fix=f"count it at one size with graphcost analyze FILE --nodes --strategy {strategy}",
        )
    graph = graph_from(file, layers, wrt)
    plan = plan_sweep(
        graph,
        [parse_over(text) for text in overs],
        convention=convention,
        values=parse_assignments(assignments),
        nodes=nodes,
        strategy=strategy,
        strategy_options=_strategy_options(strategy, seed, time_limit, iterations),
    )
    if not plan.per_point and (jobs != 1 or scheduler is not None):
        warn(
            "--jobs and --scheduler apply to per-point work (--nodes, --strategy); this "
            "block-level sweep is vectorised in one process"
        )
    if fmt == "table":
        _check_table_rows(plan.total)  # before any work: drawing is the cost
    keep = plot_path is not None or fmt != "csv"
    if keep and plan.total > MAX_KEPT_POINTS:
        holders = [f"--format {fmt}"] * (fmt != "csv") + ["--plot"] * (plot_path is not None)
        raise UsageError(
            f"this sweep has {plan.total:,} points, but {' and '.join(holders)} keeps every "
            f"row in memory (at most {MAX_KEPT_POINTS:,} points)",
            fix="write CSV, which is streamed row by row, or use a coarser step",
        )
    from graphcost.count.evaluation import evaluation_cells, evaluation_terms
    from graphcost.count.records import TRAILING_COLUMNS, trailing_cells
    from graphcost.jacobian.structure import approximate_edges
    from graphcost.parallel.signals import terminate_as_interrupt  # not at start-up

    columns = [*plan.columns, *TRAILING_COLUMNS]
    evaluation = evaluation_cells(graph, plan.symbols, plan.fixed)
    cells = None if evaluation_terms(graph) is None else evaluation  # None: unknown everywhere
    # The same at every point (a join's exactness does not depend on the sizes); none at node level.
    approximate = [] if plan.nodes else approximate_edges(graph)
    kept: list[tuple[Any, ...]] = []
    skipped = done = 0
    sink = CsvRowFile(output, columns) if fmt == "csv" else None
    try:
        with (
            terminate_as_interrupt(),
            _progress(plan.total) as advance,
            sink if sink is not None else contextlib.nullcontext(),
        ):
            for chunk in run_sweep(plan, strict=strict, jobs=jobs, scheduler=scheduler):
                if sink is not None:  # formatted a chunk at a time, not row by row
                    sink.write_text(chunk.csv_bytes(approximate, cells), len(chunk))
                if keep:
                    kept.extend(
                        (*row, *trailing_cells(approximate, evaluation(row))) for row in chunk.rows
                    )
                skipped += chunk.skipped
                done += chunk.points
                advance(chunk.points)
    except KeyboardInterrupt:
        if sink is not None and output is not None:
            warn(
                f"interrupted after {done:,} of {plan.total:,} points; the "
                f"{sink.rows_written:,} finished rows are in {output}"
            )
        raise
    if skipped:
        diag = " or diag-linked sizes differ" if graph.edges.diag.any() else ""
        warn(
            f"skipped {skipped:,} of {plan.total:,} points where a block size is not a "
            f"positive integer{diag} (--strict makes this an error)"
        )
    if fmt != "csv":
        from graphcost.report.render import emit

        emit(_report(plan, columns, kept, skipped), fmt, output)
    if plot_path is not None:
        from graphcost.report.plot import plot_sweep

        x_axis = max(plan.axes, key=len)  # the longest axis; one curve per other combination
        plot_sweep(
            plot_path,
            columns,
            kept,
            x=x_axis.symbol,
            graph=graph.name,
            convention=plan.convention,
            group_by=[axis.symbol for axis in plan.axes if axis is not x_axis and len(axis) > 1],
        )


def _strategy_options(
    strategy: str | None, seed: int, time_limit: float | None, iterations: int | None
) -> Any:
    """The search options of ``--strategy`` (``None`` without one: a block sweep does not import
    the elimination layer)."""
    if strategy is None:
        return None
    from graphcost.eliminate.registry import StrategyOptions

    return StrategyOptions(seed=seed, time_limit=time_limit, iterations=iterations)


def _check_table_rows(total: int) -> None:
    from graphcost.report.render import MAX_TABLE_ROWS

    if total > MAX_TABLE_ROWS:
        raise UsageError(
            f"this sweep has {total:,} points, but --format table draws at most "
            f"{MAX_TABLE_ROWS:,} rows",
            fix="use --format csv (with -o FILE for big sweeps) or json, or a coarser step",
        )


#: Table headers of the stable CSV columns (CSV and JSON keep the stable names).
_SHORT = {
    "forward_multiplications": "forward mults",
    "forward_additions": "forward adds",
    "backward_multiplications": "backward mults",
    "backward_additions": "backward adds",
    "speedup": "speed-up",
    "evaluation_multiplications": "evaluation mults",
}


def _report(plan: Any, columns: list[str], rows: list[tuple[Any, ...]], skipped: int) -> Any:
    from graphcost.count.sweep import rows_as_records
    from graphcost.report.render import Report, format_int

    records = rows_as_records(columns, rows)
    swept = ", ".join(axis.symbol for axis in plan.axes)
    # The human formats: short headers that fit 80 columns, and no column that is empty
    # throughout (CSV and JSON keep every stable column name).
    shown = [i for i, c in enumerate(columns) if any(row[i] not in ("", None) for row in rows)]
    if not rows:
        shown = list(range(len(columns)))
    return Report(
        title=f"{plan.graph.name} — {plan.convention} convention, sweep over {swept}",
        columns=[_SHORT.get(columns[i], columns[i]) for i in shown],
        rows=[[format_int(row[i]) for i in shown] for row in rows],
        records=records,
        data={
            "graph": plan.graph.name,
            "path": plan.graph.path,
            "convention": plan.convention,
            "level": "node" if plan.nodes else "block",
            "axes": {axis.symbol: list(axis.values) for axis in plan.axes},
            "fixed": plan.fixed,
            "points": plan.total,
            "skipped": skipped,
            "columns": columns,
            "rows": [typed_row(record) for record in records],
        },
        notes=[f"{len(rows):,} rows; {skipped:,} points skipped"] if skipped else [],
    )


def typed_row(record: dict[str, Any]) -> dict[str, Any]:
    """A sweep row as JSON has it: numbers as numbers, an empty cell as ``null``.

    The CSV cells (``"1.125"``, ``""``) become ``1.125`` and ``null``; ``approximate``, a
    ``"; "``-joined list in CSV, is a list of edges as in ``analyze``'s JSON.

    Examples
    --------
    >>> typed_row({"n": 3, "speedup": "1.125", "approximate": "", "strategy": "chain"})
    {'n': 3, 'speedup': 1.125, 'approximate': [], 'strategy': 'chain'}
    >>> typed_row({"speedup": "", "approximate": "X -> S; Y -> S", "strategy_additions": ""})
    {'speedup': None, 'approximate': ['X -> S', 'Y -> S'], 'strategy_additions': None}
    """
    typed: dict[str, Any] = {}
    for key, value in record.items():
        if key == "approximate":
            value = [edge for edge in str(value).split("; ") if edge]
        elif key == "speedup":
            number = float(value) if value not in ("", None) else None
            value = number if number is not None and math.isfinite(number) else None
        elif value == "":
            value = None
        typed[key] = value
    return typed


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr, shown only after :data:`PROGRESS_DELAY` seconds and only
    when stderr is a terminal; yields ``advance(points)``."""
    state: dict[str, Any] = {"done": 0, "bar": None, "task": None}
    start = time.monotonic()
    interactive = sys.stderr.isatty()

    def advance(points: int) -> None:
        state["done"] += points
        if not interactive:
            return
        if state["bar"] is None:
            if time.monotonic() - start < PROGRESS_DELAY or state["done"] >= total:
                return
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            bar = Progress(
                TextColumn("sweep"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=Console(file=sys.stderr),
                transient=True,
            )
            bar.start()
            state["bar"], state["task"] = bar, bar.add_task("sweep", total=total)
        state["bar"].update(state["task"], completed=state["done"])

    try:
        yield advance
    finally:
        if state["bar"] is not None:
            state["bar"].stop()
