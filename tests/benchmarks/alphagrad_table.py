"""The AlphaGrad table: the ten benchmark tasks counted by graphcost beside the field's counts.

Run ``python -m tests.benchmarks.alphagrad_table`` from the repository root (about 11 minutes:
a 60 s search per task) to print the two Markdown tables of the README section "The AlphaGrad
table"; ``tests/benchmarks/test_alphagrad_table.py`` runs the same and prints the verdicts.

Per task (``graphs/benchmarks/tensor/<task>.yaml``, imported from the trace file):

- |D|: the intermediate vertices graphcost eliminates (whole blocks: one per jaxpr equation);
- forward / reverse / Markowitz in the elimination convention, at block level (``≤``: an upper
  bound, a fill-in was held as full);
- the published (AlphaGrad's joint.yaml), AlphaGrad-recomputed (its vertex game) and
  Graphax-measured (``graphax.jacve(..., count_ops=True)``) counts, from the ``published:``
  section;
- AlphaGrad's best order, its published count and graphcost's re-scoring of it
  (:func:`graphcost.eliminate.graphax.rescore`: pruned equations dropped, unnamed vertices
  appended in forward order);
- ``graphcost analyze FILE -s search --time-limit 60 -j 2 --search-seed 0 --format json`` (the real
  command), and the proven lower bound: the one ``search`` reports (node-level graphs), else
  the node-level min-cut bound of the expanded graph
  (:func:`graphcost.eliminate.bound.lower_bound`), which bounds every block order too, as a
  block order is a node order;
- the time of import (trace record → graph, in process) plus the real command
  ``graphcost analyze FILE -s markowitz`` (a new process: start-up, loading, counting).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from graphcost.eliminate.bound import lower_bound
from graphcost.eliminate.graphax import rescore
from graphcost.eliminate.problem import EliminationCost, elimination_problem
from graphcost.eliminate.strategies import run_strategy
from graphcost.graph.loader import graph_from_dict, load_graph
from graphcost.importers import graph_from_trace

ROOT = Path(__file__).resolve().parents[2]
TENSOR = ROOT / "graphs" / "benchmarks" / "tensor"
TRACE = ROOT / "tests" / "data" / "ad-tensor-graphs.json"
#: The order of the field's table.
TASKS = (
    "RoeFlux_1d",
    "RoeFlux_3d",
    "RobotArm_6DOF",
    "HumanHeartDipole",
    "PropaneCombustion",
    "BlackScholes_Jacobian",
    "f",
    "g",
    "Encoder",
    "Perceptron",
)
SEARCH_SECONDS = 60.0
JOBS = 2
SEED = 0


@dataclass(frozen=True)
class Row:
    """One task's figures (multiplications unless said otherwise)."""

    task: str
    intermediates: int
    ours: tuple[str, str, str]  # forward, reverse, Markowitz; "≤n" when an upper bound
    published: tuple[int, int, int]
    vertex_game: tuple[int, int, int]
    graphax: tuple[int, int, int]
    best_published: int
    best_vertex_game: int
    best_graphax: int
    rescored: str
    dropped: int
    appended: int
    search: int
    search_approximate: bool
    bound: int
    bound_source: str
    seconds: float


def command(*args: str) -> list[str]:
    """The real ``graphcost`` command in this interpreter's environment."""
    return [sys.executable, "-m", "graphcost", *args]


def _shown(cost: EliminationCost) -> str:
    multiplications = cost.multiplications
    return f"≤{multiplications:,}" if cost.approximate else f"{multiplications:,}"


def run_search(path: Path, seconds: float = SEARCH_SECONDS) -> dict:
    """``search``'s JSON entry from the real command."""
    out = subprocess.run(
        command(
            "analyze",
            str(path),
            "-s",
            "search",
            "--time-limit",
            str(seconds),
            "-j",
            str(JOBS),
            "--search-seed",
            str(SEED),
            "--format",
            "json",
        ),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)["strategies"]["search"]


def timed_import_and_analyze(record: dict, path: Path) -> float:
    """Seconds of trace record → graph (in process) plus ``graphcost analyze FILE -s markowitz``."""
    start = time.perf_counter()
    graph_from_dict(graph_from_trace(record))
    subprocess.run(
        command("analyze", str(path), "-s", "markowitz"), check=True, capture_output=True
    )
    return time.perf_counter() - start


def task_row(name: str, record: dict, *, search_seconds: float = SEARCH_SECONDS) -> Row:
    """Measure one task."""
    path = TENSOR / f"{name}.yaml"
    graph = load_graph(path)
    problem = elimination_problem(graph)
    ours = tuple(_shown(run_strategy(problem, s).cost) for s in ("forward", "reverse", "markowitz"))
    published = graph.extra["published"]
    game, graphax, best = (published[k] for k in ("alphagrad_vertex_game", "graphax", "best_order"))
    cost, imported = rescore(problem, best["order"])
    found = run_search(path, search_seconds)
    bound, source = found["lower_bound"], "search"
    if bound is None:
        bound, source = lower_bound(elimination_problem(graph, level="node")), "node min-cut"
    return Row(
        task=name,
        intermediates=len(problem.intermediates),
        ours=ours,  # type: ignore[arg-type]
        published=(published["forward"], published["reverse"], published["markowitz"]),
        vertex_game=(game["forward"], game["reverse"], game["markowitz"]),
        graphax=tuple(
            graphax[k]["num_muls"]
            for k in (
                "forward",
                "reverse",  # type: ignore
                "markowitz_order",
            )
        ),
        best_published=published["best_alphagrad"],
        best_vertex_game=best["alphagrad_vertex_game_mults"],
        best_graphax=best["graphax"]["num_muls"],
        rescored=_shown(cost),
        dropped=len(imported.pruned) + len(imported.outputs),
        appended=len(imported.appended),
        search=found["multiplications"],
        search_approximate=bool(found["approximate"]),
        bound=bound,
        bound_source=source,
        seconds=timed_import_and_analyze(record, path),
    )


def rescored_value(row: Row) -> int:
    """The re-scored count as an int (an upper bound counts as its value)."""
    return int(row.rescored.lstrip("≤").replace(",", ""))


def _triple(values: tuple[object, ...]) -> str:
    return " / ".join(v if isinstance(v, str) else f"{v:,}" for v in values)


def counts_table(rows: list[Row]) -> str:
    """Forward / reverse / Markowitz side by side."""
    lines = [
        "| task | \\|D\\| | graphcost | published | AlphaGrad recomputed | Graphax measured |",
        "| --- | --: | --: | --: | --: | --: |",
    ]
    for r in rows:
        lines.append(
            f"| {r.task} | {r.intermediates} | {_triple(r.ours)} | {_triple(r.published)} | "
            f"{_triple(r.vertex_game)} | {_triple(r.graphax)} |"
        )
    return "\n".join(lines)


def orders_table(rows: list[Row]) -> str:
    """AlphaGrad's best order against search and the lower bound."""
    lines = [
        "| task | AlphaGrad best: published / recomputed / Graphax | re-scored by graphcost "
        "(dropped, appended) | search 60 s | lower bound | search vs re-scored | import + "
        "analyze |",
        "| --- | --: | --: | --: | --: | :-: | --: |",
    ]
    for r in rows:
        rescored = rescored_value(r)
        relation = "<" if r.search < rescored else "=" if r.search == rescored else "**>**"
        search = f"≤{r.search:,}" if r.search_approximate else f"{r.search:,}"
        lines.append(
            f"| {r.task} | {r.best_published:,} / {r.best_vertex_game:,} / {r.best_graphax:,} | "
            f"{r.rescored} ({r.dropped}, {r.appended}) | {search} | {r.bound:,} "
            f"({r.bound_source}) | {relation} | {r.seconds:.2f} s |"
        )
    return "\n".join(lines)


def measure(*, search_seconds: float = SEARCH_SECONDS) -> list[Row]:
    """Every task's row, printed as it is measured."""
    records = json.loads(TRACE.read_text())
    rows = []
    for name in TASKS:
        rows.append(task_row(name, records[name], search_seconds=search_seconds))
        print(rows[-1], flush=True)
    return rows


if __name__ == "__main__":
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else SEARCH_SECONDS
    measured = measure(search_seconds=seconds)
    print(counts_table(measured))
    print()
    print(orders_table(measured))
