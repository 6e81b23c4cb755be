"""Face elimination: the dual-graph engine against the vertex and edge engines, exact optima
against brute force."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import graphcost.eliminate.portfolio  # noqa: F401  (registers the family strategies)
from graphcost.eliminate.edges import EdgeEliminationState, vertex_order_as_edges
from graphcost.eliminate.engine import eliminate
from graphcost.eliminate.face_strategies import face_lower_bound
from graphcost.eliminate.faces import (
    FaceEliminationState,
    edge_steps_as_faces,
    eliminate_faces,
)
from graphcost.eliminate.families import run_family_strategy
from graphcost.eliminate.problem import EliminationProblem, elimination_problem
from graphcost.eliminate.registry import StrategyOptions
from graphcost.errors import UsageError
from graphcost.graph.loader import graph_from_dict, load_graph
from tests.conftest import GRAPHS
from tests.test_edge_elimination import brute_force_edges
from tests.test_elimination import node_graphs
from tests.test_strategies import random_problem


def live(problem: EliminationProblem) -> bool:
    """Every intermediate has a predecessor and a successor (so lies on an input-output path)."""
    return all(problem.preds[v] and problem.succs[v] for v in problem.intermediates)


def brute_force_faces(state: FaceEliminationState, memo: dict | None = None) -> int:
    """The fewest faces from ``state``: every face tried from every dual graph (the fewest
    completions of each dual graph, named by the paths its vertices sum, remembered)."""
    memo = {} if memo is None else memo
    key = state.key()
    if key not in memo:
        rest = []
        for face in list(state.options()):
            child = state.copy()
            child.apply(face)
            rest.append(1 + brute_force_faces(child, memo) - child.multiplications)
        memo[key] = min(rest, default=0)
    return state.multiplications + memo[key]


@settings(max_examples=150, deadline=None)
@given(data=node_graphs(most_intermediates=7), seed=st.integers(0, 2**32 - 1))
def test_vertex_orders_and_edge_sequences_as_faces_cost_the_same(data, seed) -> None:
    problem = elimination_problem(graph_from_dict(data))
    rng = random.Random(seed)
    order = list(problem.intermediates)
    rng.shuffle(order)
    edges = EdgeEliminationState(problem)
    while not edges.done:  # a random edge sequence
        edges.apply(rng.choice(list(edges.options())))
    for steps in (vertex_order_as_edges(problem, order), edges.steps):
        edge_cost = EdgeEliminationState(problem)
        for step in steps:
            edge_cost.apply(step)
        face = eliminate_faces(problem, edge_steps_as_faces(problem, steps))
        if live(problem):
            assert (face.multiplications, face.additions) == (
                edge_cost.multiplications,
                edge_cost.additions,
            )
        else:  # products into dead ends are wasted in the vertex and edge families only
            assert face.multiplications <= edge_cost.multiplications
    if live(problem):
        assert (
            eliminate(problem, order).multiplications
            == eliminate_faces(
                problem, edge_steps_as_faces(problem, vertex_order_as_edges(problem, order))
            ).multiplications
        )


def test_one_face_alone_by_hand() -> None:
    # x -> a -> {y, z}, w -> a. The face (x->a, a->y) costs 1 and creates x->y with the
    # predecessors of x->a (the source of x) and the successors of a->y (the sink of y);
    # x->a stays, as its face with a->z is not eliminated yet.
    problem = elimination_problem(
        graph_from_dict(
            {
                "V": ["x", "w"],
                "D": ["a"],
                "D'": ["y", "z"],
                "E": [["x", "a"], ["w", "a"], ["a", "y"], ["a", "z"]],
            }
        )
    )
    state = FaceEliminationState(problem)
    xa, ay = state.dual_vertex(0, 2), state.dual_vertex(2, 3)
    assert state.apply((xa, ay)) == (1, 0)
    xy = state.dual_vertex(0, 3)
    assert state.preds[xy] == state.preds[xa]
    assert state.succs[xy] == state.succs[ay]
    assert state.succs[xa] == {state.dual_vertex(2, 4)}
    assert len(list(state.options())) == 3  # x->a->z, w->a->y, w->a->z
    for face in list(state.options()):
        state.apply(face)
    assert state.done
    assert state.multiplications == 4 == eliminate(problem, ["a"]).multiplications


@pytest.mark.parametrize(
    "seed", [*range(8), *(pytest.param(s, marks=pytest.mark.slow) for s in range(8, 25))]
)
def test_face_optimal_equals_brute_force_and_never_exceeds_edges(seed: int) -> None:
    rng = random.Random(seed)
    problem = random_problem(rng, intermediates=rng.randint(1, 3))
    result = run_family_strategy(problem, "face-optimal")
    assert result.proven_optimal
    assert result.family == "face"
    assert result.cost.multiplications == brute_force_faces(
        FaceEliminationState(problem, track_paths=True)
    )
    assert result.cost.multiplications <= brute_force_edges(EdgeEliminationState(problem))


@pytest.mark.parametrize(
    "name",
    [
        "face-markowitz",
        "face-fill-in",
        "face-absorb",
        pytest.param("face-optimal", marks=pytest.mark.slow),
    ],
)
def test_every_face_strategy_finishes_the_elimination(name: str) -> None:
    rng = random.Random(11)
    for _ in range(10):
        problem = random_problem(rng, intermediates=rng.randint(1, 4))
        result = run_family_strategy(problem, name, StrategyOptions(time_limit=1))
        assert result.family == "face"
        assert result.cost == eliminate_faces(problem, result.steps)


def test_face_elimination_refuses_block_level_and_bad_faces() -> None:
    block = elimination_problem(load_graph(GRAPHS / "exercise-4b.yaml"), level="block")
    with pytest.raises(UsageError, match="face elimination works on node-level graphs"):
        run_family_strategy(block, "face-fill-in")
    problem = elimination_problem(load_graph(GRAPHS / "witness-edge.yaml"))
    with pytest.raises(UsageError, match="not an intermediate face"):
        eliminate_faces(problem, [(0, 0)])
    with pytest.raises(UsageError, match="uneliminated"):
        eliminate_faces(problem, [])


@pytest.mark.parametrize("seed", range(16))
def test_the_face_lower_bound_is_consistent_and_below_brute_force(seed: int) -> None:
    # Along a random face sequence: the bound never exceeds the fewest faces left (brute
    # force) and drops by at most one per face (what keeps the A* search exact); 0 when done.
    rng = random.Random(seed)
    problem = random_problem(rng, intermediates=rng.randint(2, 4))
    if sum(map(len, problem.succs)) > 12:  # brute force on denser graphs takes minutes
        problem = random_problem(rng, intermediates=2)
    state, memo = FaceEliminationState(problem, track_paths=True), {}
    while not state.done:
        bound = face_lower_bound(state)
        assert bound <= brute_force_faces(state, memo) - state.multiplications
        state.apply(rng.choice(list(state.options())))
        assert bound <= 1 + face_lower_bound(state)
    assert face_lower_bound(state) == 0
