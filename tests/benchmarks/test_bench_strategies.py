"""Markowitz on node-level graphs of 10^4 nodes and 10^5 edges, against baselines of the same run.

Run with ``python -m pytest -m benchmark -s tests/benchmarks/test_bench_strategies.py``.
Printed per graph: building the problem, Markowitz (the automatic engine: sets, moving to bit
matrices over the live vertices when its cost model says they are cheaper), re-scoring its
order with the one engine, the forward-order elimination and the vectorised recursion count
(:func:`graphcost.count.recursions.count` at node level) as baselines, and Markowitz on the set
engine where that finishes in reasonable time.
"""

from __future__ import annotations

import random
import time

import pytest

from graphcost.count.recursions import count
from graphcost.eliminate.engine import eliminate
from graphcost.eliminate.problem import problem_from_edges
from graphcost.eliminate.registry import StrategyOptions
from graphcost.eliminate.strategies import run_strategy
from graphcost.graph.loader import graph_from_dict

NODES, EDGES, INPUTS, OUTPUTS = 10_000, 100_000, 100, 100


def random_dag(window: int, *, seed: int = 1) -> tuple[list[str], list[tuple[str, str]]]:
    """10^4 nodes in evaluation order, each non-input with 10 predecessors drawn from the
    ``window`` nodes before it (outputs are never predecessors): 10^5 edges."""
    rng = random.Random(seed)
    names = [f"n{i}" for i in range(NODES)]
    per_node = EDGES // (NODES - INPUTS)
    extra = EDGES - per_node * (NODES - INPUTS)
    edges = []
    for j in range(INPUTS, NODES):
        last = min(j, NODES - OUTPUTS)
        candidates = range(max(0, last - window), last)
        k = per_node + (1 if j - INPUTS < extra else 0)
        edges += [(names[i], names[j]) for i in rng.sample(candidates, min(k, len(candidates)))]
    return names, edges


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    value = function(*args, **kwargs)
    return value, time.perf_counter() - start


@pytest.mark.benchmark
@pytest.mark.parametrize(("window", "sets_too"), [(15, True), (200, False)])
def test_markowitz_on_ten_thousand_nodes(window: int, sets_too: bool) -> None:
    names, edges = random_dag(window)
    assert (len(names), len(edges)) == (NODES, EDGES)
    inputs, middle, outputs = names[:INPUTS], names[INPUTS:-OUTPUTS], names[-OUTPUTS:]
    graph = graph_from_dict(
        {"V": inputs, "D": middle, "D'": outputs, "E": [list(e) for e in edges]}
    )
    problem, build = timed(
        problem_from_edges, edges, inputs=inputs, intermediates=middle, outputs=outputs
    )
    markowitz, markowitz_seconds = timed(run_strategy, problem, "markowitz")
    _, rescore = timed(eliminate, problem, markowitz.order)
    forward, forward_seconds = timed(run_strategy, problem, "forward", StrategyOptions())
    recursion, recursion_seconds = timed(count, graph, level="node")
    assert forward.cost.multiplications == recursion.forward.multiplications
    print(f"\nrandom DAG, window {window}: {NODES:,} nodes, {EDGES:,} edges")
    print(f"  build problem                  {build:8.3f} s")
    print(
        f"  markowitz (auto engine)        {markowitz.seconds:8.3f} s  "
        f"{markowitz.cost.multiplications:>13,} multiplications  "
        f"(run_strategy incl. re-scoring {markowitz_seconds:.3f} s; re-score alone {rescore:.3f} s)"
    )
    print(
        f"  baseline: forward elimination  {forward_seconds:8.3f} s  "
        f"{forward.cost.multiplications:>13,} multiplications"
    )
    print(f"  baseline: recursion count()    {recursion_seconds:8.3f} s  (vectorised, node level)")
    print(
        f"  markowitz / forward-elimination time: {markowitz_seconds / forward_seconds:.1f}×; "
        f"markowitz multiplications / forward: "
        f"{markowitz.cost.multiplications / forward.cost.multiplications:.3f}"
    )
    if sets_too:
        on_sets, _ = timed(run_strategy, problem, "markowitz", StrategyOptions(engine="sets"))
        assert on_sets.order == markowitz.order
        print(
            f"  markowitz on the set engine    {on_sets.seconds:8.3f} s  "
            f"(auto {on_sets.seconds / markowitz.seconds:.1f}× faster)"
        )
