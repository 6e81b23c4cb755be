"""Edge elimination: the engine against the vertex engine, exact optima against brute force."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import graphcost.eliminate.portfolio  # noqa: F401  (registers the family strategies)
from graphcost.eliminate.edge_strategies import edge_lower_bound
from graphcost.eliminate.edges import (
    BACK,
    FRONT,
    EdgeEliminationState,
    EdgeStep,
    eliminate_edges,
    vertex_order_as_edges,
)
from graphcost.eliminate.engine import eliminate
from graphcost.eliminate.families import run_family_strategy
from graphcost.eliminate.problem import EliminationProblem, elimination_problem
from graphcost.eliminate.registry import StrategyOptions
from graphcost.errors import UsageError
from graphcost.graph.loader import graph_from_dict, load_graph
from tests.conftest import GRAPHS
from tests.test_elimination import node_graphs
from tests.test_strategies import brute_force_minimum, random_problem

WITNESS = GRAPHS / "witness-edge.yaml"


def brute_force_edges(state: EdgeEliminationState, memo: dict | None = None) -> int:
    """The cheapest edge sequence from ``state``: every step tried from every edge set (the
    cheapest completion of each edge set remembered), no pruning, no bound."""
    memo = {} if memo is None else memo
    key = frozenset((i, j) for i, out in enumerate(state.succs) for j in out)
    if key not in memo:
        rest = []
        for step in list(state.options()):
            child = state.copy()
            cost = child.apply(step)[0]
            rest.append(cost + brute_force_edges(child, memo) - child.multiplications)
        memo[key] = min(rest, default=0)
    return state.multiplications + memo[key]


@settings(max_examples=150, deadline=None)
@given(data=node_graphs(most_intermediates=7), seed=st.integers(0, 2**32 - 1))
def test_a_vertex_order_as_edge_steps_costs_what_the_vertex_engine_says(data, seed) -> None:
    problem = elimination_problem(graph_from_dict(data))
    rng = random.Random(seed)
    order = list(problem.intermediates)
    rng.shuffle(order)
    directions = [rng.choice((FRONT, BACK)) for _ in order]
    steps = vertex_order_as_edges(problem, order, directions)
    vertex = eliminate(problem, order)
    edge = eliminate_edges(problem, steps)
    assert (edge.multiplications, edge.additions) == (vertex.multiplications, vertex.additions)


def test_front_and_back_elimination_by_hand() -> None:
    # x -> a -> {y, z}, w -> a: front x->a costs |succs(a)| = 2 (two fill-ins), back a->y
    # then costs |preds(a)| = 1 (w only; w->y is new), back a->z 1: 4 = the vertex cost 2·2.
    problem = elimination_problem(
        graph_from_dict(
            {
                "V": ["x", "w"],
                "D": ["a"],
                "D'": ["y", "z"],
                "E": [["x", "a"], ["w", "a"], ["a", "y"], ["a", "z"], ["x", "y"]],
            }
        )
    )
    state = EdgeEliminationState(problem)
    x, w, a, y, z = (problem.index[n] for n in "xwayz")
    assert state.apply(EdgeStep(x, a, FRONT)) == (2, 1)  # x->y existed: one addition
    assert state.preds[a] == {w}
    assert state.apply(EdgeStep(a, y, BACK)) == (1, 0)
    assert state.apply(EdgeStep(a, z, BACK)) == (1, 0)
    assert state.done
    assert state.succs[w] == {y, z}
    assert state.preds[a] == set()
    assert eliminate(problem, ["a"]).multiplications == 4


def test_an_edge_whose_pivot_loses_its_last_in_edge_takes_its_out_edges_along() -> None:
    problem = elimination_problem(
        graph_from_dict(
            {"V": ["x"], "D": ["a", "b"], "D'": ["y"], "E": [["x", "a"], ["a", "b"], ["b", "y"]]}
        )
    )
    state = EdgeEliminationState(problem)
    x, a, b = (problem.index[n] for n in "xab")
    state.apply(EdgeStep(x, a, FRONT))
    assert state.succs[a] == set()
    assert state.preds[b] == {x}


@pytest.mark.parametrize("seed", range(30))
def test_edge_optimal_equals_brute_force_on_tiny_graphs(seed: int) -> None:
    rng = random.Random(seed)
    problem = random_problem(rng, intermediates=rng.randint(1, 3))
    result = run_family_strategy(problem, "edge-optimal")
    assert result.proven_optimal
    assert result.family == "edge"
    assert result.cost.multiplications == brute_force_edges(EdgeEliminationState(problem))
    assert result.cost.multiplications <= brute_force_minimum(problem)


@pytest.mark.parametrize("seed", range(40))
def test_the_edge_lower_bound_is_consistent_and_below_brute_force(seed: int) -> None:
    # Along a random edge sequence: the bound never exceeds the cheapest completion (brute
    # force), drops by at most the step's multiplications (what keeps edge-optimal's A*
    # exact), and is 0 when done.
    rng = random.Random(seed)
    problem = random_problem(rng, intermediates=rng.randint(1, 4))
    state, memo = EdgeEliminationState(problem), {}
    while not state.done:
        bound = edge_lower_bound(state)
        assert bound <= brute_force_edges(state, memo) - state.multiplications
        cost = state.apply(rng.choice(list(state.options())))[0]
        assert bound <= cost + edge_lower_bound(state)
    assert edge_lower_bound(state) == 0


def witness() -> EliminationProblem:
    return elimination_problem(load_graph(WITNESS))


def test_the_edge_witness_has_vertex_optimum_7_and_edge_optimum_6() -> None:
    problem = witness()
    vertex = min(
        eliminate(problem, order).multiplications
        for order in itertools.permutations(problem.intermediates)
    )
    assert vertex == 7
    assert run_family_strategy(problem, "optimal").cost.multiplications == 7
    assert brute_force_edges(EdgeEliminationState(problem)) == 6
    result = run_family_strategy(problem, "edge-optimal")
    assert result.cost.multiplications == 6
    assert result.proven_optimal
    assert eliminate_edges(problem, result.steps).multiplications == 6


@pytest.mark.parametrize(
    "name",
    [
        "edge-markowitz",
        "edge-relative-markowitz",
        "edge-fill-in",
        "edge-search",
        pytest.param("edge-optimal", marks=pytest.mark.slow),
    ],
)
def test_every_edge_strategy_finishes_the_elimination_on_random_graphs(name: str) -> None:
    rng = random.Random(7)
    for _ in range(15):
        problem = random_problem(rng, intermediates=rng.randint(1, 5))
        result = run_family_strategy(problem, name, StrategyOptions(iterations=20))
        assert result.family == "edge"
        assert result.cost == eliminate_edges(problem, result.steps)
        assert (
            result.cost.multiplications >= brute_force_edges(EdgeEliminationState(problem))
            if len(problem.intermediates) <= 3
            else result.cost.multiplications >= 0
        )


def test_edge_search_is_never_worse_than_the_vertex_heuristics() -> None:
    rng = random.Random(3)
    for _ in range(10):
        problem = random_problem(rng, intermediates=6)
        search = run_family_strategy(problem, "edge-search", StrategyOptions(iterations=30))
        for vertex in ("forward", "backward", "markowitz"):
            assert (
                search.cost.multiplications
                <= run_family_strategy(problem, vertex).cost.multiplications
            )


def test_block_level_is_refused_with_the_fix() -> None:
    problem = elimination_problem(load_graph(GRAPHS / "exercise-4b.yaml"), level="block")
    with pytest.raises(UsageError, match="edge elimination works on node-level graphs") as info:
        run_family_strategy(problem, "edge-markowitz")
    assert "--nodes" in str(info.value)


def test_impossible_steps_are_refused() -> None:
    problem = witness()
    with pytest.raises(UsageError, match="not in the graph"):
        eliminate_edges(problem, [("x", "y", FRONT)])
    with pytest.raises(UsageError, match="not an intermediate"):
        eliminate_edges(problem, [("a", "y", FRONT)])
    with pytest.raises(UsageError, match="uneliminated"):
        eliminate_edges(problem, [("x", "a", FRONT)])
    with pytest.raises(UsageError, match="unknown vertex"):
        eliminate_edges(problem, [("x", "nowhere", FRONT)])
