"""Sweep speed, whole process (issue 16, point 1): ``graphcost sweep`` against a plain loop.

Run with ``python -m pytest -m benchmark -s tests/benchmarks/test_sweep_speed.py``.

The baseline is the plain loop of the issue: a fresh Python process that evaluates Exercise
4b's closed forms point by point and writes the same bytes with the ``csv`` module. Both are
run interleaved, several times, as fresh processes writing a file; the medians of their CPU
time (user + system, what a shared machine cannot inflate much) and of their wall time are
printed with the machine's load, and the targets are judged on the CPU ratio. The plan cache
lives in the test's temporary directory and is warm after the first run (as for a user who
sweeps a graph again); :func:`test_plan_cache_cold_and_warm` shows what it saves on a graph
whose sizes need sympy. Nothing about time is asserted; the bytes are.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.benchmarks.conftest import verdict
from tests.conftest import GRAPHS, ROOT
from tests.test_sweep_cache import FLOORED  # sizes no polynomial expresses: compiled by sympy

pytestmark = pytest.mark.benchmark

#: The plain loop: Exercise 4b's closed forms (count_symbolic), one csv row per point.
PLAIN_LOOP = """
import csv, sys
stop, path = int(sys.argv[1]), sys.argv[2]
columns = ["n", "forward_multiplications", "forward_additions", "backward_multiplications",
           "backward_additions", "speedup", "approximate", "evaluation_multiplications"]
with open(path, "w", newline="", encoding="utf-8") as stream:
    writer = csv.writer(stream, lineterminator="\\n")
    writer.writerow(columns)
    for n in range(3, stop + 1, 3):
        fm = n * n * (2 * n + 3) // 9
        fa = n * (2 * n * n - 9) // 9
        bm = 8 * n * n // 9
        ba = n * (8 * n - 15) // 9
        writer.writerow([n, fm, fa, bm, ba, repr(fm / bm), "", ""])
"""


#: Byte-code caches are written (a PYTHONDONTWRITEBYTECODE environment would compile every
#: edited module from source in every run, which no installed graphcost does).
ENVIRONMENT = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _run(command: list[str], environment: dict[str, str]) -> tuple[float, float]:
    """CPU seconds (user + system) and wall seconds of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, capture_output=True, env=environment)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, wall


def _medians(
    commands: dict[str, list[str]], repeats: int, environment: dict[str, str]
) -> dict[str, tuple[float, float]]:
    """Median (CPU, wall) per command, the commands interleaved so that drift in the machine's
    load hits all alike; one warm-up run each (byte-code caches, the file system, the plan
    cache)."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for command in commands.values():
        _run(command, environment)
    for _ in range(repeats):
        for name, command in commands.items():
            times[name].append(_run(command, environment))
    return {
        name: (statistics.median(t[0] for t in runs), statistics.median(t[1] for t in runs))
        for name, runs in times.items()
    }


def _load() -> str:
    return f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


@pytest.mark.parametrize("points", [10, 10**5, 10**6])
def test_sweep_against_the_plain_loop(tmp_path: Path, points: int) -> None:
    stop = 3 * points
    ours, theirs = tmp_path / "sweep.csv", tmp_path / "loop.csv"
    sweep = [sys.executable, "-m", "graphcost", "sweep", str(GRAPHS / "exercise-4b.yaml")]
    sweep += ["--over", f"n=3:{stop}:3", "-o", str(ours)]
    loop = [sys.executable, "-c", PLAIN_LOOP, str(stop), str(theirs)]
    environment = {**ENVIRONMENT, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    repeats = 7 if points < 10**6 else 3
    load = _load()
    medians = _medians({"sweep": sweep, "loop": loop}, repeats, environment)
    assert ours.read_bytes() == theirs.read_bytes()
    (mine, mine_wall), (base, base_wall) = medians["sweep"], medians["loop"]
    print(
        f"\n[sweep, {points:,} points, whole process, median of {repeats}, {load} → {_load()}] "
        f"graphcost sweep {mine:.3f} s CPU ({mine_wall:.3f} s wall), plain loop {base:.3f} s "
        f"CPU ({base_wall:.3f} s wall): ratio loop/sweep ×{base / mine:.2f} CPU, "
        f"×{base_wall / mine_wall:.2f} wall"
    )
    if points == 10:
        verdict("10 points ≤ 0.35 s", mine <= 0.35, f"{mine:.3f} s CPU, {mine_wall:.3f} s wall")
    elif points == 10**5:
        verdict("10^5 points at least level", mine <= base, f"×{base / mine:.2f} CPU")
    else:
        verdict("10^6 points ≥ 3× the loop", base >= 3 * mine, f"×{base / mine:.2f} CPU")


def test_plan_cache_cold_and_warm(tmp_path: Path) -> None:
    graph = tmp_path / "floored.yaml"
    graph.write_text(FLOORED)
    sweep = [sys.executable, "-m", "graphcost", "sweep", str(graph), "--over", "n=2:20:2"]
    environment = {**ENVIRONMENT, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    cold = {**environment, "GRAPHCOST_NO_CACHE": "1"}
    load = _load()
    warm_cpu, warm_wall = _medians({"warm": sweep}, 5, environment)["warm"]
    cold_cpu, cold_wall = _medians({"cold": sweep}, 5, cold)["cold"]
    print(
        f"\n[plan cache, sizes n//2 and n/m (sympy), 10 points, median of 5, {load}] "
        f"compiled each time {cold_cpu:.3f} s CPU ({cold_wall:.3f} s wall), from the cache "
        f"{warm_cpu:.3f} s CPU ({warm_wall:.3f} s wall): ×{cold_cpu / warm_cpu:.2f}"
    )
