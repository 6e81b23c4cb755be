"""Quality against time of ``search`` (issue 16, point 4): does more time buy a cheaper order?

Run with ``python -m pytest -m benchmark -s tests/benchmarks/test_search_curve.py``.

For each graph and each budget (1, 5, 20, 60 s; ``GRAPHCOST_CURVE_SECONDS=1,5`` to shorten) it
runs annealing in reheated rounds (:func:`graphcost.eliminate.search.anneal_in_rounds`) and, in
the same run, the search as shipped: one plain cooling over the same budget
(:func:`graphcost.eliminate.search.anneal`), both from the same start and seed, one core. It
prints the cost of each and the proven lower bound; the verdict says whether the longest budget
found an order at least as cheap as the shortest, and whether rounds are at least as good as
one cooling there.
The tensor graphs are eliminated at block level (their search runs on block states, slower).
"""

from __future__ import annotations

import os
import random

import pytest

from graphcost.eliminate.bound import lower_bound
from graphcost.eliminate.engine import eliminate
from graphcost.eliminate.kernels import kernel_for
from graphcost.eliminate.problem import elimination_problem
from graphcost.eliminate.search import anneal, anneal_in_rounds, start_order
from graphcost.graph.loader import load_graph
from tests.benchmarks.conftest import verdict
from tests.conftest import GRAPHS

SECONDS = [float(s) for s in os.environ.get("GRAPHCOST_CURVE_SECONDS", "1,5,20,60").split(",")]
GRAPH_FILES = [
    "benchmarks/RoeFlux_1d.yaml",
    "benchmarks/g.yaml",
    *sorted(
        f"benchmarks/tensor/{p.name}" for p in (GRAPHS / "benchmarks" / "tensor").glob("*.yaml")
    ),
]


@pytest.mark.benchmark
@pytest.mark.parametrize("path", GRAPH_FILES)
def test_quality_against_time(path: str) -> None:
    problem = elimination_problem(load_graph(GRAPHS / path))
    kernel = kernel_for(problem)
    start = start_order(problem, kernel)
    bound = lower_bound(problem)
    print(f"\n{path}: {len(problem.intermediates)} {problem.level}s, lower bound {bound}")
    print(f"  {'seconds':>7} {'rounds':>10} {'one cooling':>12}")
    rows = []
    for seconds in SECONDS:
        costs = []
        for method in (anneal_in_rounds, anneal):
            cost, order, _ = method(
                kernel, start, rng=random.Random(f"curve:{seconds}"), seconds=seconds
            )
            assert eliminate(problem, order).multiplications == cost
            costs.append(cost)
        rows.append((seconds, *costs))
        print(f"  {seconds:>7g} {costs[0]:>10} {costs[1]:>12}")
    verdict(
        f"{path}: {SECONDS[-1]:g} s no worse than {SECONDS[0]:g} s",
        rows[-1][1] <= rows[0][1],
        f"{rows[0][1]} -> {rows[-1][1]}",
    )
    verdict(
        f"{path}: rounds no worse than one cooling at {SECONDS[-1]:g} s",
        rows[-1][1] <= rows[-1][2],
        f"{rows[-1][1]} vs {rows[-1][2]}",
    )
