"""Markowitz on sets at scale (graphcost.eliminate.markowitz), the numpy adjacency and the
memory check that replaced the fixed node-level edge limit (graphcost.eliminate.node_adjacency,
graphcost.eliminate.from_arrays)."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import graphcost.eliminate.markowitz as markowitz_module
import graphcost.eliminate.switching as switching
from graphcost.eliminate.engine import eliminate
from graphcost.eliminate.from_arrays import problem_from_arrays
from graphcost.eliminate.markowitz import markowitz_on_bits, markowitz_on_sets
from graphcost.eliminate.node_adjacency import (
    adjacency,
    check_node_memory,
    node_memory_estimate,
)
from graphcost.eliminate.problem import problem_from_edges
from graphcost.eliminate.registry import StrategyOptions
from graphcost.eliminate.strategies import run_strategy
from graphcost.eliminate.switching import bits_are_cheaper
from graphcost.errors import GraphTooLargeError, UsageError


def plain_markowitz(problem) -> tuple[list[int], int]:
    """Markowitz written plainly: every step recomputes every remaining vertex's
    |preds|·|succs| on fresh sets and takes the smallest (cost, position in D)."""
    preds = [set(p) for p in problem.preds]
    succs = [set(s) for s in problem.succs]
    remaining = list(problem.intermediates)
    order, total = [], 0
    while remaining:
        vertex = min(
            remaining,
            key=lambda v: (len(preds[v]) * len(succs[v]), problem.intermediates.index(v)),
        )
        remaining.remove(vertex)
        total += len(preds[vertex]) * len(succs[vertex])
        for p in preds[vertex]:
            succs[p] = (succs[p] - {vertex}) | succs[vertex]
        for s in succs[vertex]:
            preds[s] = (preds[s] - {vertex}) | preds[vertex]
        order.append(vertex)
    return order, total


def random_problem(nodes: int, edges: int, seed: int):
    """A random DAG over ``nodes`` vertices (an edge goes from a lower to a higher index);
    vertices without predecessors are inputs, those without successors outputs, D's order
    shuffled so that ties are not broken by index."""
    rng = random.Random(seed)
    pairs = {tuple(sorted(rng.sample(range(nodes), 2))) for _ in range(edges)}
    has_in = {b for _, b in pairs}
    has_out = {a for a, _ in pairs}
    inputs = [v for v in range(nodes) if v not in has_in]
    outputs = [v for v in range(nodes) if v not in has_out and v in has_in]
    middle = [v for v in range(nodes) if v in has_in and v in has_out]
    rng.shuffle(middle)
    name = [f"v{v}" for v in range(nodes)]
    return problem_from_edges(
        [(name[a], name[b]) for a, b in sorted(pairs)],
        inputs=[name[v] for v in inputs],
        intermediates=[name[v] for v in middle],
        outputs=[name[v] for v in outputs],
    )


@settings(max_examples=60, deadline=None)
@given(
    nodes=st.integers(3, 30),
    edges=st.integers(2, 120),
    seed=st.integers(0, 10**6),
    rebuild=st.booleans(),
)
def test_markowitz_on_sets_equals_the_plain_greedy(
    nodes: int, edges: int, seed: int, rebuild: bool
) -> None:
    problem = random_problem(nodes, edges, seed)
    expected, cost = plain_markowitz(problem)
    with pytest.MonkeyPatch.context() as patch:
        if rebuild:  # the heap rebuilt whenever it holds more keys than live vertices
            patch.setattr(markowitz_module, "_BLOAT", 1)
        order = markowitz_on_sets(problem)
    assert order == expected
    assert eliminate(problem, order).multiplications == cost


@settings(max_examples=40, deadline=None)
@given(nodes=st.integers(3, 30), edges=st.integers(2, 120), seed=st.integers(0, 10**6))
def test_markowitz_is_the_same_order_on_sets_on_bits_and_switching_midway(
    nodes: int, edges: int, seed: int
) -> None:
    problem = random_problem(nodes, edges, seed)
    expected, _ = plain_markowitz(problem)
    assert markowitz_on_bits(problem) == expected
    for switch_at in (len(problem.names), len(problem.names) // 2, 1):
        assert markowitz_on_sets(problem, switch_at, always_switch=True) == expected
    for engine in ("auto", "sets", "bits"):
        outcome = run_strategy(problem, "markowitz", StrategyOptions(engine=engine))
        assert [problem.index[n] for n in outcome.cost.order] == expected


def test_markowitz_leaves_the_problem_unchanged() -> None:
    # The node-level loop writes into copies of the problem's frozensets, never into them.
    problem = random_problem(25, 90, 7)
    before = (problem.preds, problem.succs)
    copies = ([set(p) for p in problem.preds], [set(s) for s in problem.succs])
    markowitz_on_sets(problem)
    assert (problem.preds, problem.succs) == before
    assert ([set(p) for p in problem.preds], [set(s) for s in problem.succs]) == copies


def test_ties_go_to_the_earliest_vertex_in_d() -> None:
    # x → a, x → b, a → y, b → y: a and b both cost 1·1; D's order decides.
    edges = [("x", "a"), ("x", "b"), ("a", "y"), ("b", "y")]
    for middle in (["a", "b"], ["b", "a"]):
        problem = problem_from_edges(edges, inputs=["x"], intermediates=middle, outputs=["y"])
        assert [problem.names[v] for v in markowitz_on_sets(problem)] == middle


def test_the_switch_to_bit_matrices_follows_the_cost_model() -> None:
    # Sparse steps stay on sets, heavy fill-in moves; more live vertices make bits dearer.
    assert not bits_are_cheaper(products=400, degree=40, alive=20_000)
    assert bits_are_cheaper(products=50_000, degree=500, alive=5_000)
    assert not bits_are_cheaper(products=50_000, degree=500, alive=10**7)
    assert not bits_are_cheaper(products=0, degree=0, alive=1)


@settings(max_examples=50, deadline=None)
@given(
    count=st.integers(1, 12),
    data=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11)), max_size=60),
)
def test_numpy_adjacency_equals_the_plain_one(count: int, data: list) -> None:
    pairs = [(a % count, b % count) for a, b in data]  # repeats included
    preds, succs = adjacency(count, [a for a, _ in pairs], [b for _, b in pairs])
    assert preds == tuple(frozenset(a for a, b in pairs if b == v) for v in range(count))
    assert succs == tuple(frozenset(b for a, b in pairs if a == v) for v in range(count))


def test_problem_from_arrays_equals_problem_from_edges() -> None:
    rng = np.random.default_rng(3)
    src = rng.integers(0, 20, 60)
    dst = src + rng.integers(1, 10, 60)
    roles = ["V"] * 5 + ["D"] * 20 + ["D'"] * 5
    ours = problem_from_arrays(src, dst, roles)
    names = [f"v{i}" for i in range(30)]
    theirs = problem_from_edges(
        [(names[a], names[b]) for a, b in zip(src.tolist(), dst.tolist(), strict=True)],
        inputs=names[:5],
        intermediates=names[5:25],
        outputs=names[25:],
    )
    assert (ours.names, ours.roles, ours.intermediates) == (
        theirs.names,
        theirs.roles,
        theirs.intermediates,
    )
    assert (ours.preds, ours.succs) == (theirs.preds, theirs.succs)
    assert markowitz_on_sets(ours) == plain_markowitz(theirs)[0]


@pytest.mark.parametrize(
    ("src", "dst", "roles", "message"),
    [
        ([0], [1], ["V", "X"], "unknown role 'X'"),
        ([0], [2], ["V", "D'"], "hold vertices 0 .. 1"),
        ([0, 1], [1], ["V", "D'"], "equal lengths"),
        ([-1], [1], ["V", "D'"], "hold vertices 0 .. 1"),
    ],
)
def test_problem_from_arrays_refuses_bad_arrays(src, dst, roles, message) -> None:
    with pytest.raises(UsageError, match=message):
        problem_from_arrays(src, dst, roles)


def test_node_memory_check_refuses_with_the_figures() -> None:
    need = node_memory_estimate(6_001, 8_001_000)
    assert need == 320 * 8_001_000 + 1_100 * 6_001
    check_node_memory(6_001, 8_001_000, graph_name="g", available=need)  # fits exactly
    with pytest.raises(GraphTooLargeError) as error:
        check_node_memory(6_001, 8_001_000, graph_name="g", available=need - 1)
    text = str(error.value)
    assert "node-level elimination of 'g' (6,001 nodes, 8,001,000 edges)" in text
    assert "about 2.4 GiB before fill-in, and 2.4 GiB of memory is available" in text
    assert "drop --nodes" in text


@settings(max_examples=40, deadline=None)
@given(
    nodes=st.integers(3, 30),
    edges=st.integers(2, 120),
    seed=st.integers(0, 10**6),
    ratio=st.sampled_from([0.0, 0.05, 1.0]),
)
def test_scoring_that_moves_to_bit_matrices_midway_gives_the_same_count(
    nodes: int, edges: int, seed: int, ratio: float
) -> None:
    # Ratio 0 moves to bit matrices at the first step, larger ratios later or never.
    problem = random_problem(nodes, edges, seed)
    order = list(problem.intermediates)
    random.Random(seed).shuffle(order)
    on_sets = eliminate(problem, order, engine="sets")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(switching, "SWITCH_RATIO", ratio)
        automatic = eliminate(problem, order)
    assert (automatic.multiplications, automatic.additions) == (
        on_sets.multiplications,
        on_sets.additions,
    )
    assert automatic.order == on_sets.order
