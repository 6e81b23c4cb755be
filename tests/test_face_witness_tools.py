"""The face-witness search's own tools (``tests/benchmarks/test_face_witness_search.py``)
against the plain brute forces: a search that is wrong would report no witness for the wrong
reason."""

from __future__ import annotations

import random

import pytest

from graphcost.eliminate.edge_strategies import edge_lower_bound
from graphcost.eliminate.edges import EdgeEliminationState
from graphcost.eliminate.faces import FaceEliminationState
from graphcost.eliminate.families import shortest_sequence
from tests.benchmarks.test_face_witness_search import (
    face_below_edge,
    faces_within,
    graphs,
    problem,
)
from tests.test_edge_elimination import brute_force_edges
from tests.test_faces import brute_force_faces


def _sample(shape: tuple[int, int, int], seed: int, count: int) -> list:
    rng = random.Random(seed)
    found = []
    for edges in graphs(shape, rng):
        if rng.random() < 0.3:
            found.append(problem(edges, shape))
        if len(found) == count:
            break
    return found


@pytest.mark.parametrize("shape", [(1, 3, 2), (2, 3, 1), (2, 3, 2)])
def test_the_edge_bound_never_exceeds_what_is_left_and_the_bounded_optimum_is_exact(
    shape: tuple[int, int, int],
) -> None:
    for p in _sample(shape, seed=sum(shape), count=4):
        rng = random.Random(len(p.names))
        state = EdgeEliminationState(p)
        optimum = brute_force_edges(EdgeEliminationState(p))
        while True:
            assert edge_lower_bound(state) <= brute_force_edges(state) - state.multiplications
            if state.done:
                break
            state.apply(rng.choice(list(state.options())))
        start = EdgeEliminationState(p)
        bounded = shortest_sequence(start, upper=(10**6, []), bound=edge_lower_bound)
        assert bounded.proven
        assert bounded.cost == optimum


@pytest.mark.parametrize("shape", [(1, 3, 2), (2, 3, 1)])
def test_faces_within_a_budget_is_the_brute_force_answer(shape: tuple[int, int, int]) -> None:
    for p in _sample(shape, seed=7 * sum(shape), count=4):
        optimum = brute_force_faces(FaceEliminationState(p, track_paths=True))
        for budget in (optimum - 1, optimum):
            start = FaceEliminationState(p, track_paths=True)
            assert faces_within(start, budget, {}, [0]) == (budget >= optimum)
        found = face_below_edge(p)
        if found is not None:  # a face sequence beat the edge heuristic: both optima exact
            assert found == (optimum, brute_force_edges(EdgeEliminationState(p)))


@pytest.mark.parametrize(
    "edges",
    [  # two graphs (found by the search) where a face sequence beats the best edge heuristic
        "x0-v0 x0-v3 v0-v1 v0-v2 v1-v2 v1-v3 v2-v3 v3-y0",
        "x0-v0 x0-v2 v0-v1 v0-v3 v1-v2 v1-v3 v2-v3 v0-y0 v3-y0",
    ],
)
def test_a_face_sequence_below_the_edge_heuristic_gets_both_exact_optima(edges: str) -> None:
    p = problem([tuple(pair.split("-")) for pair in edges.split()], (1, 4, 1))
    face = brute_force_faces(FaceEliminationState(p, track_paths=True))
    edge = brute_force_edges(EdgeEliminationState(p))
    assert face_below_edge(p) == (face, edge)


def test_processes_sharing_a_class_search_each_graph_once() -> None:
    shape = (1, 3, 2)
    whole = [tuple(sorted(e)) for e in graphs(shape, random.Random(0))]
    parts = [[tuple(sorted(e)) for e in graphs(shape, random.Random(0), (k, 3))] for k in range(3)]
    assert len(whole) == len(set(whole)) > 100
    assert sorted(whole) == sorted(e for part in parts for e in part)
    assert all(parts)
