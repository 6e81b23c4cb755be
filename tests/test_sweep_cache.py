"""The cache of compiled sweep counts (graphcost.count.plan_cache, issue 16 point 1).

A cached plan must give the bytes a fresh compilation gives; anything wrong with the cache (a
corrupt or foreign file, a directory that cannot be written) must be ignored; an edited graph
must not read the old plan; ``GRAPHCOST_NO_CACHE=1`` must read and write nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from graphcost.count import plan_cache
from graphcost.count.compiled import compile_counts, evaluate_counts
from graphcost.graph.loader import load_graph
from tests.conftest import GRAPHS, ROOT

#: Sizes that are no polynomials in the symbols: compiled by sympy (the costly path).
FLOORED = """\
name: floored
symbols: {n: 12, m: 4}
V: {x: n}
D: {h: n//2, g: n/m}
D': {y: 1}
E: [[x, h], [h, g], [g, y], [x, g]]
"""


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test here caches under its own directory, never in the user's home."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv(plan_cache.OFF_SWITCH, raising=False)
    return tmp_path / "cache" / "graphcost"


def _sweep(*arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "graphcost", "sweep", *arguments],
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        check=True,
    )


def _plans(directory: Path) -> list[Path]:
    return sorted(directory.glob("plan-*.json")) if directory.exists() else []


def test_a_cache_hit_gives_the_same_bytes_and_imports_no_sympy(
    tmp_path: Path, cache_home: Path
) -> None:
    graph = tmp_path / "floored.yaml"
    graph.write_text(FLOORED)
    arguments = (str(graph), "--over", "n=2:400:2", "--over", "m=1,2,3")
    probe = "import sys, runpy; sys.argv = ['graphcost', 'sweep', *sys.argv[1:]]\n"
    probe += "try:\n    runpy.run_module('graphcost', run_name='__main__')\n"
    probe += "except SystemExit:\n    pass\nprint('sympy' in sys.modules, file=sys.stderr)"
    runs = [
        subprocess.run(
            [sys.executable, "-c", probe, *arguments],
            capture_output=True,
            cwd=ROOT,
            check=True,
            text=True,
        )
        for _ in range(2)
    ]
    assert len(_plans(cache_home)) == 1
    assert runs[0].stderr.strip().endswith("True")  # compiled: n//2 and n/m need sympy
    assert runs[1].stderr.strip().endswith("False")  # read from the cache
    assert runs[0].stdout == runs[1].stdout
    assert runs[0].stdout.count("\n") > 300
    fresh = _sweep(*arguments, env={plan_cache.OFF_SWITCH: "1"}).stdout
    assert fresh.decode() == runs[0].stdout


def test_the_read_plan_equals_the_compiled_one(cache_home: Path) -> None:
    graph = load_graph(GRAPHS / "exercise-4b-general.yaml")
    stored = plan_cache.cached_compile(graph, "dense")
    (path,) = _plans(cache_home)
    key = path.stem.removeprefix("plan-")
    read = plan_cache._read(path, key, graph)
    assert read is not None
    assert read is not stored
    fresh = compile_counts(graph, "dense")
    assert (read.symbols, read.sizes, read.constant, read.counts) == (
        fresh.symbols,
        fresh.sizes,
        fresh.constant,
        fresh.counts,
    )


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # cut short
        lambda text: "not json",
        lambda text: text.replace('"counts":[', '"counts":[[[1,[1,2,3,4,5,6]]],'),  # wrong width
        lambda text: text.replace('"format":1', '"format":99'),
        lambda text: json.dumps({**json.loads(text), "key": "0" * 64}),  # another graph's plan
        lambda text: text.replace('"symbols":["n"]', '"symbols":["m"]'),
        lambda text: text.replace("[[3,1]]", "[[3,1.5]]"),  # a float coefficient
    ],
)
def test_a_damaged_cache_file_is_ignored(cache_home: Path, damage) -> None:
    graph = load_graph(GRAPHS / "exercise-4b.yaml")
    expected = evaluate_counts(compile_counts(graph), {"n": _values()}).counts
    plan_cache.cached_compile(graph, "elimination")
    (path,) = _plans(cache_home)
    path.write_text(damage(path.read_text()))
    key = path.stem.removeprefix("plan-")
    assert plan_cache._read(path, key, graph) is None
    again = plan_cache.cached_compile(graph, "elimination")  # compiles, rewrites the file
    assert [c.tolist() for c in evaluate_counts(again, {"n": _values()}).counts] == [
        c.tolist() for c in expected
    ]
    assert plan_cache._read(path, key, graph) is not None


def _values():
    import numpy as np

    return np.arange(3, 3000, 3, dtype=np.int64)


def test_an_unwritable_cache_directory_is_ignored(tmp_path: Path, monkeypatch) -> None:
    blocker = tmp_path / "file-not-directory"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # graphcost/ cannot be created in a file
    done = _sweep(str(GRAPHS / "exercise-4b.yaml"), "--over", "n=3:30:3")
    assert done.stderr == b""
    assert done.stdout.count(b"\n") == 11


def test_editing_the_graph_file_gives_another_plan(tmp_path: Path, cache_home: Path) -> None:
    graph = tmp_path / "layers.yaml"
    graph.write_text((GRAPHS / "exercise-4b.yaml").read_text())
    first = _sweep(str(graph), "--over", "n=3:30:3").stdout
    graph.write_text(
        graph.read_text().replace(
            "E: [[x, h1], [h1, h2], [h2, y]]", "E: [[x, h1], [h1, h2], [h2, y], [x, h2]]"
        )
    )
    second = _sweep(str(graph), "--over", "n=3:30:3").stdout
    fresh = _sweep(str(graph), "--over", "n=3:30:3", env={plan_cache.OFF_SWITCH: "1"}).stdout
    assert second == fresh != first  # the new edge's counts, not the cached ones
    assert len(_plans(cache_home)) == 2


def test_the_off_switch_reads_and_writes_nothing(cache_home: Path) -> None:
    _sweep(str(GRAPHS / "exercise-4b.yaml"), "--over", "n=3:30:3", env={"GRAPHCOST_NO_CACHE": "1"})
    assert not cache_home.exists()
    _sweep(str(GRAPHS / "exercise-4b.yaml"), "--over", "n=3:30:3", env={"GRAPHCOST_NO_CACHE": "0"})
    assert len(_plans(cache_home)) == 1


def test_the_default_directory_follows_xdg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", "/home/someone")
    assert plan_cache.cache_directory() == Path("/home/someone/.cache/graphcost")
    monkeypatch.setenv("XDG_CACHE_HOME", "/var/cache/me")
    assert plan_cache.cache_directory() == Path("/var/cache/me/graphcost")
