"""Sweep speed, whole process (issue 16, point 1): ``graphcost sweep`` against a plain loop.

Run with ``python -m pytest -m benchmark -s tests/benchmarks/test_sweep_speed.py``.

The baseline is the plain loop of the issue: a fresh Python process that evaluates Exercise
4b's closed forms point by point and writes the same bytes with the ``csv`` module. Both are
run interleaved, several times, as fresh processes writing a file; the medians and their ratio
are printed with the machine's load. Nothing about time is asserted; the bytes are.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.benchmarks.conftest import verdict
from tests.conftest import GRAPHS, ROOT

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


def _run(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, capture_output=True, env=ENVIRONMENT)
    return time.perf_counter() - start


@pytest.mark.parametrize("points", [10, 10**5, 10**6])
def test_sweep_against_the_plain_loop(tmp_path: Path, points: int) -> None:
    stop = 3 * points
    ours, theirs = tmp_path / "sweep.csv", tmp_path / "loop.csv"
    sweep = [sys.executable, "-m", "graphcost", "sweep", str(GRAPHS / "exercise-4b.yaml")]
    sweep += ["--over", f"n=3:{stop}:3", "-o", str(ours)]
    loop = [sys.executable, "-c", PLAIN_LOOP, str(stop), str(theirs)]
    repeats = 5 if points < 10**6 else 3
    load = os.getloadavg()[0]
    times: dict[str, list[float]] = {"sweep": [], "loop": []}
    _run(sweep)  # warm: byte-code caches, the file system
    _run(loop)
    for _ in range(repeats):  # interleaved: drift in the machine's load hits both alike
        times["sweep"].append(_run(sweep))
        times["loop"].append(_run(loop))
    assert ours.read_bytes() == theirs.read_bytes()
    mine, base = statistics.median(times["sweep"]), statistics.median(times["loop"])
    print(
        f"\n[sweep, {points:,} points, whole process, median of {repeats}, load "
        f"{load:.1f}→{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores] graphcost sweep "
        f"{mine:.3f} s, plain loop {base:.3f} s: ratio loop/sweep ×{base / mine:.2f}"
    )
    if points == 10:
        verdict("10 points ≤ 0.35 s", mine <= 0.35, f"{mine:.3f} s")
    elif points == 10**5:
        verdict("10^5 points at least level", mine <= base, f"×{base / mine:.2f}")
    else:
        verdict("10^6 points ≥ 3× the loop", base >= 3 * mine, f"×{base / mine:.2f}")
