"""Start-up time: what a user waits for before the first line (issue 13, point 6).

Run with ``python -m pytest -m benchmark -s tests/benchmarks/test_startup.py``.

The benchmark times ``graphcost --help`` and ``graphcost analyze graphs/exercise-4b.yaml
--format csv`` (no formula shown, so no sympy) beside ``python -c pass`` in the same run,
interleaved so that a change in the machine's load touches all three alike; the figures are
medians. Targets: 0.15 s and 0.35 s.

The tests without the benchmark mark run in the default suite: they check, in a fresh
interpreter, which heavy modules each path imports, which is what the time depends on.
"""

from __future__ import annotations

import ast
import shutil
import statistics
import subprocess
import sys
import time

import pytest

from tests.benchmarks.conftest import verdict
from tests.conftest import GRAPHS, ROOT

EX4B = str(GRAPHS / "exercise-4b.yaml")
HEAVY = ("sympy", "numpy", "networkx", "rich", "yaml", "matplotlib", "dask", "multiprocessing")


def imported_after(code: str) -> list[str]:
    """The modules of :data:`HEAVY` that a fresh interpreter holds after running ``code``."""
    probe = f"{code}\nimport sys\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return ast.literal_eval(done.stdout.strip().splitlines()[-1])


def run_cli(*args: str) -> str:
    """Python that runs ``graphcost ARGS`` in-process and keeps going after its exit."""
    return (
        "import contextlib, io\n"
        "from graphcost.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        f"    main({list(args)!r})"
    )


def test_importing_the_cli_imports_no_heavy_module() -> None:
    assert imported_after("import graphcost.cli") == []


def test_help_imports_no_heavy_module() -> None:
    assert imported_after(run_cli("--help")) == []


def test_analyze_csv_imports_no_sympy() -> None:
    # CSV shows no formula, so none is derived; numpy and yaml hold and read the graph.
    assert imported_after(run_cli("analyze", EX4B, "--format", "csv")) == ["numpy", "yaml"]


def test_analyze_table_still_derives_the_formulas() -> None:
    # The table shows the formulas of a graph with size symbols: sympy is imported for them.
    assert "sympy" in imported_after(run_cli("analyze", EX4B))


def median_times(commands: dict[str, list[str]], repeats: int) -> dict[str, float]:
    """Median wall time of each command, the runs interleaved (one of each per round)."""
    times: dict[str, list[float]] = {label: [] for label in commands}
    for command in commands.values():  # warm the file cache and the bytecode
        subprocess.run(command, capture_output=True, check=True, cwd=ROOT)
    for _ in range(repeats):
        for label, command in commands.items():
            start = time.perf_counter()
            subprocess.run(command, capture_output=True, check=True, cwd=ROOT)
            times[label].append(time.perf_counter() - start)
    return {label: statistics.median(values) for label, values in times.items()}


@pytest.mark.benchmark
def test_startup_time() -> None:
    script = shutil.which("graphcost") or ""
    graphcost = [script] if script else [sys.executable, "-m", "graphcost"]
    targets = {"graphcost --help": 0.15, "graphcost analyze exercise-4b --format csv": 0.35}
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "graphcost --help": [*graphcost, "--help"],
        "graphcost analyze exercise-4b --format csv": [*graphcost, "analyze", EX4B, "-f", "csv"],
    }
    timings = median_times(commands, repeats=11)
    floor = timings["python -c pass"]
    print(f"\nstart-up, median of 11 interleaved runs ({' '.join(graphcost)}):")
    for label, seconds in timings.items():
        extra = "" if label == "python -c pass" else f"  (python -c pass + {seconds - floor:.3f} s)"
        print(f"  {label:<45} {seconds:.3f} s{extra}")
    for label, target in targets.items():
        verdict(f"{label} <= {target} s", timings[label] <= target, f"{timings[label]:.3f} s")
