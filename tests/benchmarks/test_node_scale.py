"""Node level at 10^6–10^7 edges (issue 16, point 2): loading, counts, engines, Markowitz.

Run with ``python -m pytest -m benchmark -s tests/benchmarks/test_node_scale.py``.

Every figure is printed with the machine's load, wall and CPU seconds (on a shared machine
the CPU seconds move less), and its ratio to a baseline of the same run:

(a) Exercise 4b at n = 1200 (1.28 M edges) from an edge file, ``analyze --format csv`` as a
    fresh process, beside ``python -c "import graphcost.cli"`` (the start-up floor);
(b) the engine choice: sets against bit matrices, scoring the forward and backward orders and
    running Markowitz on sparse and dense random DAGs, and which one ``auto`` picks;
(d) a random DAG of 10^6 nodes / 10^7 edges from an edge file: load, counts, peak memory and
    bytes per edge.

Markowitz at 10^5 nodes (once case (c)) is tests/benchmarks/test_markowitz_scale.py. The
targets are judged on CPU seconds (user + sys): on two cores shared by several processes the
wall time measures the neighbours. Nothing about time is asserted; counts are (against each
other and the closed forms).
"""

from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from tests.benchmarks.conftest import verdict
from tests.benchmarks.test_bench_core import exercise_4b_formulas, write_exercise_4b_nodes
from tests.conftest import ROOT

pytestmark = pytest.mark.benchmark


#: Byte-code caches are written: with PYTHONDONTWRITEBYTECODE every edited module would be
#: compiled from source in every run.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def run(command: list[str], timeout: float = 1800) -> tuple[float, float, str]:
    """Wall and CPU seconds (user + sys of the child) of a fresh process, and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        command, capture_output=True, text=True, cwd=ROOT, check=True, timeout=timeout, env=ENV
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def write_random_dag(folder: Path, nodes: int, per_node: int = 10, window: int = 1000) -> int:
    """A random DAG as an edge file: nodes in evaluation order, each non-input with
    ``per_node`` predecessors drawn (with repeats removed) from the ``window`` nodes before it,
    100 inputs first and 100 outputs last (never a predecessor). Returns the edge count."""
    rng = np.random.default_rng(1)
    names = np.char.add("v", np.char.lower(np.array([np.base_repr(i, 36) for i in range(nodes)])))
    dst = np.repeat(np.arange(100, nodes, dtype=np.int64), per_node)
    last = np.minimum(dst, nodes - 100)
    low = np.maximum(0, last - window)
    src = low + (rng.random(len(dst)) * (last - low)).astype(np.int64)
    code = np.unique(src * nodes + dst)
    src, dst = code // nodes, code % nodes
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "edges.csv", "w", encoding="utf-8") as stream:
        for start in range(0, len(src), 10**6):
            part = slice(start, start + 10**6)
            lines = np.char.add(np.char.add(names[src[part]], ","), names[dst[part]])
            stream.write("\n".join(lines.tolist()) + "\n")
    (folder / "graph.yaml").write_text(
        f"name: random-{nodes}\nV: [{', '.join(names[:100])}]\n"
        f"D: [{', '.join(names[100:-100])}]\nD': [{', '.join(names[-100:])}]\n"
        "E: {file: edges.csv}\n",
        encoding="utf-8",
    )
    return len(src)


# -- (a) Exercise 4b at n = 1200 from an edge file, whole process ---------------------------


def test_exercise_4b_from_an_edge_file(tmp_path: Path) -> None:
    graph = write_exercise_4b_nodes(tmp_path, 1200)
    analyze = [sys.executable, "-m", "graphcost", "analyze", str(graph), "--format", "csv"]
    floor = [sys.executable, "-c", "import graphcost.cli"]
    ours, base = [], []
    run(analyze)  # warm: byte-code caches, the file system
    for _ in range(5):
        ours.append(run(analyze))
        base.append(run(floor))
    wall, cpu, out = sorted(ours)[2]
    floor_wall, floor_cpu, _ = sorted(base)[2]
    forward, backward = exercise_4b_formulas(1200)
    row = out.splitlines()[1].split(",")
    assert (int(row[0]), int(row[2])) == (forward, backward)
    print(
        f"\n(a) exercise 4b n = 1200 (1,280,400 edges, edge file), analyze --format csv, median "
        f"of 5, {load()}: wall {wall:.2f} s (CPU {cpu:.2f} s); start-up floor wall "
        f"{floor_wall:.2f} s (CPU {floor_cpu:.2f} s); work above the floor: wall "
        f"{wall - floor_wall:.2f} s"
    )
    verdict("≤ 0.8 s whole process", cpu <= 0.8, f"CPU {cpu:.2f} s, wall {wall:.2f} s")


# -- (b) the engine choice, measured ------------------------------------------------------


def random_problem(nodes: int, per_node: int, window: int, ends: int):
    from graphcost.eliminate.problem import problem_from_edges

    rng = random.Random(1)
    names = [f"n{i}" for i in range(nodes)]
    edges = []
    for j in range(ends, nodes):
        last = min(j, nodes - ends)
        candidates = range(max(0, last - window), last)
        edges += [(names[i], names[j]) for i in rng.sample(candidates, min(per_node, j))]
    return problem_from_edges(
        edges, inputs=names[:ends], intermediates=names[ends:-ends], outputs=names[-ends:]
    )


ENGINE_CASES = {
    "sparse: 10^4 nodes, 10 per node, window 15": (10_000, 10, 15, 100),
    "sparse: 10^4 nodes, 10 per node, window 200": (10_000, 10, 200, 100),
    "medium: 2,000 nodes, 50 per node, window 400": (2_000, 50, 400, 50),
    "dense: 3,000 nodes, 100 per node, window 1000": (3_000, 100, 1000, 50),
}


@pytest.mark.parametrize("case", list(ENGINE_CASES))
def test_engine_choice(case: str) -> None:
    from graphcost.eliminate.engine import eliminate, node_engine
    from graphcost.eliminate.heuristics import markowitz
    from graphcost.eliminate.registry import StrategyOptions

    problem = random_problem(*ENGINE_CASES[case])
    forward = problem.topological_order()
    print(f"\n(b) {case} ({problem.edge_count:,} edges), {load()}")
    for label, work, greedy in (
        ("forward order", lambda e: eliminate(problem, forward, engine=e).multiplications, False),
        (
            "backward order",
            lambda e: eliminate(problem, forward[::-1], engine=e).multiplications,
            False,
        ),
        ("markowitz", lambda e: markowitz(problem, StrategyOptions(engine=e)).order, True),
    ):
        seconds, results = {}, {}
        for engine in ("sets", "bits"):
            start = time.process_time()
            results[engine] = work(engine)
            seconds[engine] = time.process_time() - start
        assert results["sets"] == results["bits"]
        faster = min(seconds, key=seconds.get)
        if greedy:  # auto starts on sets and switches as it goes: test_markowitz_scale.py (c)
            choice = "auto switches as it goes (test_markowitz_scale.py (c))"
        else:
            picked = node_engine(problem, greedy=greedy)
            choice = f"auto picks {picked}{'' if picked == faster else ' (NOT the faster)'}"
        print(
            f"  {label:15s} CPU sets {seconds['sets']:7.2f} s, bits {seconds['bits']:7.2f} s "
            f"(bits/sets {seconds['bits'] / seconds['sets']:.2f}); {choice}"
        )


# -- (d) 10^6 nodes / 10^7 edges: load and counts --------------------------------------------

_COUNT = textwrap.dedent(
    """
    import json, sys, time

    def status(key):
        with open("/proc/self/status") as stream:
            for line in stream:
                if line.startswith(key):
                    return int(line.split()[1]) / 1024

    from graphcost.graph.loader import load_graph
    from graphcost.count.recursions import count
    floor = status("VmRSS:")
    start = time.process_time()
    graph = load_graph(sys.argv[1])
    loaded = time.process_time()
    resident = status("VmRSS:")
    load_peak = status("VmHWM:")
    try:  # reset the high-water mark: the peak below is the counting's own
        with open("/proc/self/clear_refs", "w") as stream:
            stream.write("5")
    except OSError:
        pass
    result = count(graph, level="node")
    done = time.process_time()
    print(json.dumps({
        "edges": len(graph.edges), "load": loaded - start, "count": done - loaded,
        "forward": result.forward.multiplications, "backward": result.backward.multiplications,
        "floor_mb": floor, "resident_mb": resident, "load_peak_mb": load_peak,
        "peak_mb": status("VmHWM:"),
    }))
    """
)


def test_ten_million_edges(tmp_path: Path) -> None:
    edges = write_random_dag(tmp_path, 10**6)
    wall, cpu, out = run([sys.executable, "-c", _COUNT, str(tmp_path / "graph.yaml")])
    f = json.loads(out)
    assert f["edges"] == edges
    per_edge = (f["peak_mb"] - f["resident_mb"]) * 2**20 / edges
    print(
        f"\n(d) random DAG 10^6 nodes / {edges:,} edges (edge file), {load()}: load CPU "
        f"{f['load']:.1f} s, forward + backward counts CPU {f['count']:.1f} s; whole process "
        f"wall {wall:.1f} s, CPU {cpu:.1f} s\n"
        f"    memory: after imports {f['floor_mb']:.0f} MB, graph loaded {f['resident_mb']:.0f} MB "
        f"({(f['resident_mb'] - f['floor_mb']) * 2**20 / edges:.0f} B/edge), peak while loading "
        f"{f['load_peak_mb']:.0f} MB, peak while counting {f['peak_mb']:.0f} MB "
        f"(counting adds {per_edge:.0f} B/edge at its peak)"
    )
    verdict(
        "load + counts ≤ 20 s", f["load"] + f["count"] <= 20, f"CPU {f['load'] + f['count']:.1f} s"
    )
    verdict("≤ 40 B/edge for counting", per_edge <= 40, f"{per_edge:.0f} B/edge")
