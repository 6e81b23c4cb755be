"""The eight scalar AD benchmark graphs (graphs/benchmarks/): the published counts reproduced.

The ``published`` section of each graph file holds the forward, reverse and Markowitz
multiplication counts reported by the AlphaGrad project (NeurIPS 2024); the registry's
strategies, scored by the one elimination engine, must give exactly those numbers. Markowitz
pins the tie rule (the earliest vertex in D's order), forward pins D's order (the JSON's
evaluation order).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from graphcost.eliminate.problem import elimination_problem
from graphcost.eliminate.strategies import run_strategy
from graphcost.graph.loader import load_graph
from tests.conftest import BENCHMARK_NAMES, BENCHMARKS, ROOT

NAMES = BENCHMARK_NAMES
#: A copy of the shared ``ad-scalar-graphs.json`` (27 kB) shipped with the tests, so that the
#: converter's round trip is checked in every clone, not only in one beside ``../shared``.
SOURCE = ROOT / "tests" / "data" / "ad-scalar-graphs.json"


def converter():
    spec = importlib.util.spec_from_file_location("convert", BENCHMARKS / "convert.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_all_eight_graphs_are_shipped() -> None:
    assert sorted(p.stem for p in BENCHMARKS.glob("*.yaml")) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    ("strategy", "key"),
    [("forward", "forward"), ("reverse", "reverse"), ("markowitz", "markowitz")],
)
def test_published_counts_are_reproduced(name: str, strategy: str, key: str) -> None:
    graph = load_graph(BENCHMARKS / f"{name}.yaml")
    published = graph.extra["published"]
    problem = elimination_problem(graph)
    assert problem.level == "node"
    assert run_strategy(problem, strategy).cost.multiplications == published[key]


@pytest.mark.parametrize("name", NAMES)
def test_d_keeps_the_evaluation_order(name: str) -> None:
    """D's file order is the JSON's (evaluation) order: v<k> with increasing k."""
    problem = elimination_problem(load_graph(BENCHMARKS / f"{name}.yaml"))
    numbers = [int(problem.names[v][1:]) for v in problem.intermediates]
    assert numbers == sorted(numbers)
    assert problem.topological_order() == problem.intermediates


def test_the_files_are_what_the_converter_writes(tmp_path: Path) -> None:
    module = converter()
    data = json.loads(SOURCE.read_text(encoding="utf-8"))
    assert sorted(data) == sorted(NAMES)
    for path in module.convert(SOURCE, tmp_path):
        shipped = (BENCHMARKS / path.name).read_text(encoding="utf-8")
        assert path.read_text(encoding="utf-8") == shipped, path.name


@pytest.mark.parametrize("name", NAMES)
def test_the_shipped_published_numbers_are_the_json_ones(name: str) -> None:
    """Each graph's ``published:`` section is the JSON's, key by key (best_known included)."""
    entry = json.loads(SOURCE.read_text(encoding="utf-8"))[name]
    published = load_graph(BENCHMARKS / f"{name}.yaml").extra["published"]
    assert dict(published) == entry["published"]


def test_the_converter_keeps_order_edges_and_published_numbers(tmp_path: Path) -> None:
    entry = {
        "inputs": ["v0"],
        "intermediates": ["v2", "v1"],
        "outputs": ["v3"],
        "edges": [["v0", "v2"], ["v2", "v1"], ["v1", "v3"]],
        "ops": {"v0": "input", "v1": "sin", "v2": "cos", "v3": "exp"},
        "published": {"forward": 2, "reverse": 2, "markowitz": 2},
    }
    source = tmp_path / "graphs.json"
    source.write_text(json.dumps({"tiny": entry}), encoding="utf-8")
    (path,) = converter().convert(source, tmp_path / "out")
    graph = load_graph(path)
    assert [b.name for b in graph.blocks] == ["v0", "v2", "v1", "v3"]
    assert dict(graph.extra["published"]) == entry["published"]
    assert "# sin" in path.read_text(encoding="utf-8")
    problem = elimination_problem(graph)
    assert run_strategy(problem, "forward").cost.multiplications == 2
