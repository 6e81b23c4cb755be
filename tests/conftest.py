"""Shared fixtures: paths to the shipped graphs, a CLI runner, a graph-file writer."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import settings

# Property tests run the same examples on every machine and every run (a fresh clone's CI must
# not pass or fail by luck), with no deadline (the machine may be loaded); explore new examples
# on purpose with HYPOTHESIS_PROFILE=explore.
settings.register_profile("ci", derandomize=True, database=None, deadline=None)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parent.parent
GRAPHS = ROOT / "graphs"
BENCHMARKS = GRAPHS / "benchmarks"
#: The AD benchmark graphs shipped in graphs/benchmarks/, smallest first.
BENCHMARK_NAMES = [
    "Simple",
    "Hole",
    "CloudSchemes_step",
    "RoeFlux_1d",
    "RobotArm_6DOF",
    "HumanHeartDipole",
    "PropaneCombustion",
    "g",
]


@pytest.fixture(autouse=True, scope="session")
def _no_inherited_terminal_width() -> Iterator[None]:
    """Tables are laid out in ``COLUMNS`` when it is set (report/terminal.py); the caller's
    terminal width (or a test runner's worker setting it) must not change what the tests
    read. Tests that need a width set it themselves."""
    saved = {name: os.environ.pop(name) for name in ("COLUMNS", "LINES") if name in os.environ}
    yield
    os.environ.update(saved)


@pytest.fixture(autouse=True, scope="session")
def _private_plan_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """graphcost's plan cache (``$XDG_CACHE_HOME/graphcost``) in a folder of this test run,
    never the user's ``~/.cache``; subprocesses inherit it."""
    saved = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if saved is None:
        del os.environ["XDG_CACHE_HOME"]
    else:
        os.environ["XDG_CACHE_HOME"] = saved


@pytest.fixture
def graphs_dir() -> Path:
    """The repository's graphs/ directory (example graphs that are also test data)."""
    return GRAPHS


@pytest.fixture
def runner() -> CliRunner:
    """A click CliRunner (stdout and stderr kept apart)."""
    return CliRunner()


@pytest.fixture
def write_graph(tmp_path: Path) -> Callable[..., Path]:
    """Write a graph file from (dedented) YAML text and return its path."""

    def write(text: str, name: str = "graph.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


@pytest.fixture
def peak_allocation() -> Callable[..., int]:
    """Run ``function(*args)`` under tracemalloc and return the peak bytes it allocated.

    "Refuses at once" is checked by memory, not by the clock: a refusal that expanded the
    graph or built the huge number first would allocate far more than the bound.
    """
    import tracemalloc

    def measure(function: Callable[..., object], *args: object) -> int:
        tracemalloc.start()
        try:
            function(*args)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        return peak

    return measure


@pytest.fixture(scope="module")
def dask_scheduler() -> Iterator[str]:
    """The address of a Dask LocalCluster on loopback (threads, two workers), logs silenced.

    dask[distributed] is a test extra, so it is imported, not skipped: a missing install fails.
    """
    import logging

    import distributed

    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        protocol="tcp://",
        host="127.0.0.1",
        # Every server on a free port: dashboard_address=None still starts the scheduler's
        # HTTP server (metrics, health) on the default 8787, which fails when that is taken.
        scheduler_port=0,
        dashboard_address="127.0.0.1:0",
        silence_logs=logging.ERROR,
    )
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()
