"""Reduction rules of exact elimination (graphcost.eliminate.reductions): at every state of
random DAGs, the forced move and the twin-pruned branching keep the optimum, checked against
a plain dynamic programme over all subsets written here."""

from __future__ import annotations

import itertools

from hypothesis import given, settings

from graphcost.eliminate.exact import solve
from graphcost.eliminate.kernels import BitKernel
from graphcost.eliminate.problem import elimination_problem, problem_from_edges
from graphcost.eliminate.reductions import branch_vertices, forced_vertex
from graphcost.graph.loader import graph_from_dict
from tests.test_elimination import node_graphs


def plain_graph(edges: set[tuple[int, int]], gone: frozenset[int]) -> set[tuple[int, int]]:
    """The edges after eliminating ``gone`` (any order), written plainly."""
    edges = set(edges)
    for j in sorted(gone):
        preds = [a for a, b in edges if b == j]
        succs = [b for a, b in edges if a == j]
        edges |= set(itertools.product(preds, succs))
        edges = {(a, b) for a, b in edges if j not in (a, b)}
    return edges


def plain_cost(edges: set[tuple[int, int]], j: int) -> int:
    return sum(1 for _, b in edges if b == j) * sum(1 for a, _ in edges if a == j)


def optima(problem) -> dict[frozenset[int], int]:
    """opt[T]: the cheapest cost of eliminating the rest after T, for every subset T."""
    edges = {(a, b) for a, succs in enumerate(problem.succs) for b in succs}
    members = list(problem.intermediates)
    opt: dict[frozenset[int], int] = {frozenset(members): 0}
    for size in range(len(members) - 1, -1, -1):
        for subset in itertools.combinations(members, size):
            gone = frozenset(subset)
            graph = plain_graph(edges, gone)
            opt[gone] = min(
                plain_cost(graph, j) + opt[gone | {j}] for j in members if j not in gone
            )
    return opt


def bit_state(problem, gone: frozenset[int]) -> list[list[int]]:
    kernel = BitKernel(problem)
    state = kernel.fresh()
    for v in sorted(gone):
        kernel.step(state, v)
    return state


@settings(max_examples=80, deadline=None)
@given(node_graphs(most_intermediates=7))
def test_forced_moves_and_twin_branching_keep_the_optimum_at_every_state(data: dict) -> None:
    problem = elimination_problem(graph_from_dict(data))
    opt = optima(problem)
    edges = {(a, b) for a, succs in enumerate(problem.succs) for b in succs}
    forced_seen = 0
    for gone, best in opt.items():
        alive = [v for v in problem.intermediates if v not in gone]
        if not alive:
            continue
        state = bit_state(problem, gone)
        graph = plain_graph(edges, gone)
        forced = forced_vertex(state, alive)
        if forced is not None:
            forced_seen += 1
            assert plain_cost(graph, forced) + opt[gone | {forced}] == best
        branched = branch_vertices(state, alive)
        assert set(branched) <= set(alive)
        assert min(plain_cost(graph, v) + opt[gone | {v}] for v in branched) == best
    assert solve(problem, time_limit=None).cost == opt[frozenset()]
    assert solve(problem, time_limit=None, rules=()).cost == opt[frozenset()]


def test_a_chain_vertex_is_forced_and_twins_are_branched_on_once() -> None:
    """z→a→b→y (a a chain vertex), and twins t1, t2 (both x→t→b)."""
    problem = problem_from_edges(
        [("z", "a"), ("a", "b"), ("x", "t1"), ("x", "t2"), ("t1", "b"), ("t2", "b"), ("b", "y")],
        inputs=["x", "z"],
        intermediates=["a", "t1", "t2", "b"],
        outputs=["y"],
    )
    index = problem.index
    state = BitKernel(problem).fresh()
    assert forced_vertex(state, problem.intermediates) == index["a"]
    assert forced_vertex(state, problem.intermediates, rules=("twins",)) is None
    assert branch_vertices(state, problem.intermediates) == [index["a"], index["t1"], index["b"]]


def test_a_vertex_without_successors_is_forced_first() -> None:
    """d has no successor: eliminating it costs 0, even before the chain vertex a."""
    problem = problem_from_edges(
        [("x", "d"), ("x", "a"), ("a", "y")], inputs=["x"], intermediates=["a", "d"], outputs=["y"]
    )
    assert forced_vertex(BitKernel(problem).fresh(), problem.intermediates) == problem.index["d"]
