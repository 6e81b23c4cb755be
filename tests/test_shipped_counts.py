"""Every shipped graph counts exactly as it did before blocks had shapes and edges patterns.

``tests/data/counts-before-shapes.json`` was computed by graphcost at commit 8b62366 (vector
blocks, full and diag edges only) from the graph files in ``graphs/``; the current code reads
the same files through the shaped model and the pattern algebra and must give the same numbers.
"""

from __future__ import annotations

import json

import pytest

from graphcost.count.recursions import count
from graphcost.eliminate.problem import elimination_problem
from graphcost.eliminate.strategies import run_strategy
from graphcost.graph.loader import load_graph
from tests.conftest import ROOT

BEFORE = json.loads((ROOT / "tests" / "data" / "counts-before-shapes.json").read_text("utf-8"))
GRAPH_FILES = sorted(key for key in BEFORE if not key.startswith("_"))


def test_every_graph_of_that_time_is_covered() -> None:
    # Graphs added since then are new; none of those that existed may be missing.
    assert all((ROOT / name).is_file() for name in GRAPH_FILES)
    assert len(GRAPH_FILES) >= 15


@pytest.mark.parametrize("name", GRAPH_FILES)
def test_counts_unchanged(name: str) -> None:
    graph = load_graph(ROOT / name)
    for convention in ("elimination", "dense"):
        r = count(graph, convention=convention)
        now = [r.forward.multiplications, r.forward.additions]
        now += [r.backward.multiplications, r.backward.additions]
        assert now == BEFORE[name][convention], convention
        assert r.approximate == ()
    markowitz = run_strategy(elimination_problem(graph), "markowitz").cost
    assert [markowitz.multiplications, markowitz.additions] == BEFORE[name]["markowitz"]
