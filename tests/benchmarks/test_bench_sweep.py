"""Sweep benchmarks: 10^5 block-level points, and per-point node-level work on three backends.

Run with ``python -m pytest -m benchmark -s tests/benchmarks/test_bench_sweep.py``. Figures are
printed with their ratio to a baseline measured in the same run; nothing is asserted about time.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from graphcost.count.recursions import count
from graphcost.count.sweep import run_sweep, sweep_rows
from graphcost.count.sweep_plan import parse_over, plan_sweep
from graphcost.graph.loader import load_graph
from graphcost.parallel import map_ordered
from graphcost.report.writers import CsvRowFile
from tests.conftest import GRAPHS

pytestmark = pytest.mark.benchmark


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def write_sweep(plan, path: Path) -> int:
    with CsvRowFile(path, plan.columns) as sink:
        for chunk in run_sweep(plan):
            sink.write(chunk.rows)
    return sink.rows_written


@pytest.mark.parametrize(
    ("label", "over"),
    [("int64 path", "n=3:3*10**5:3"), ("Python-int path", "n=3*10**6:3*10**6+3*10**5-3:3")],
)
def test_sweep_100k_points(tmp_path: Path, label: str, over: str) -> None:
    graph = load_graph(GRAPHS / "exercise-4b.yaml")
    plan = plan_sweep(graph, [parse_over(over)])
    assert plan.total == 10**5
    run_sweep(plan, chunk_points=1).__next__()  # warm up: imports, sympy
    count(graph, values=plan.point(0))
    rows, seconds = timed(write_sweep, plan, tmp_path / "sweep.csv")
    assert rows == 10**5
    # Baseline: one count() per point (rebuilding the block structure each time), on a sample.
    sample = [plan.point(i) for i in range(0, plan.total, 50)]
    _, base = timed(lambda: [count(graph, values=v) for v in sample])
    per_point = base / len(sample)
    print(
        f"\n[sweep {label}] 10^5 points written to CSV in {seconds:.3f} s "
        f"({seconds / 1e5 * 1e6:.2f} µs/point); count() per point: {per_point * 1e6:.1f} µs "
        f"→ 10^5 points ≈ {per_point * 1e5:.1f} s; "
        f"vectorised speed-up ×{per_point * 1e5 / seconds:.0f}"
    )


def test_node_level_sweep_backends() -> None:
    distributed = pytest.importorskip("distributed")
    graph = load_graph(GRAPHS / "exercise-4b.yaml")
    plan = plan_sweep(graph, [parse_over("n=600:1200:30")], nodes=True)
    count(graph, values={"n": 300}, level="node")  # warm up
    _, pool_startup = timed(lambda: list(map_ordered(abs, [1, 2], jobs=2)))
    (one, _), serial = timed(sweep_rows, plan)
    (local, _), processes = timed(sweep_rows, plan, jobs=2)
    cluster, startup = timed(
        distributed.LocalCluster,
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        protocol="tcp://",
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",  # None still serves metrics on port 8787
        scheduler_port=0,
        silence_logs=logging.ERROR,
    )
    try:
        (remote, _), dask_seconds = timed(sweep_rows, plan, scheduler=cluster.scheduler_address)
    finally:
        cluster.close()
    assert local == one
    assert remote == one
    print(
        f"\n[node-level sweep] {plan.total} points of exercise-4b (n = 600…1200) expanded to nodes "
        f"(≈{serial / plan.total * 1e3:.0f} ms/point), 2 cores:\n"
        f"  one process        {serial:7.2f} s  ×1.00\n"
        f"  --jobs 2           {processes:7.2f} s  ×{serial / processes:.2f} "
        f"(includes pool start-up, alone {pool_startup:.2f} s)\n"
        f"  Dask LocalCluster  {dask_seconds:7.2f} s  ×{serial / dask_seconds:.2f} "
        f"(2 worker processes on loopback; cluster start-up {startup:.2f} s not included)"
    )
