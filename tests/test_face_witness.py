"""``graphs/witness-face.yaml``: a graph where face elimination beats edge elimination.

The scalar "bat" (ADMission's ``graphs/paper/bat_n1_c1.xml`` with every vector expanded):
inputs x0a, x0b -> v2 and x1a, x1b -> v3; v2, v3 -> v4; v4 -> y5, y6a, y6b, y7; and the
direct edges v2 -> y5 and v3 -> y7. Optima: vertex 24, edge 23, face 22.

By hand: every vertex order costs 24 (v4 first: 2 x 4, then v2 and v3 2 x 4 each; v2 and v3
first: 2 x 2 each, then v4 4 x 4). The face sequence multiplies v2 -> v4 into v4 -> y5 only
(absorbed into v2 -> y5, whose predecessors and successors it shares) and v3 -> v4 into
v4 -> y7 only, then eliminates v2 and v3 whole (2 x 2 each) and v4 last, whose four input
partials now need 3 outputs each instead of 4: 2 + 8 + 12 = 22. An edge step cannot take
one face of v4 alone: back-eliminating v4 -> y5 also multiplies it into v3 -> v4.
"""

from __future__ import annotations

import itertools

import pytest

import graphcost.eliminate.portfolio  # noqa: F401  (registers the family strategies)
from graphcost.eliminate.edge_strategies import edge_lower_bound
from graphcost.eliminate.edges import EdgeEliminationState, eliminate_edges
from graphcost.eliminate.engine import eliminate
from graphcost.eliminate.face_strategies import face_lower_bound, faces_within
from graphcost.eliminate.faces import FaceEliminationState, eliminate_faces
from graphcost.eliminate.families import run_family_strategy
from graphcost.eliminate.problem import EliminationProblem, elimination_problem
from graphcost.graph.loader import load_graph
from tests.conftest import GRAPHS
from tests.test_edge_elimination import brute_force_edges


def bat() -> EliminationProblem:
    return elimination_problem(load_graph(GRAPHS / "witness-face.yaml"))


def hand_faces(problem: EliminationProblem) -> FaceEliminationState:
    """The face sequence of the module docstring, step by step."""
    state = FaceEliminationState(problem)
    index = problem.index

    def partial(i: str, j: str) -> int:
        return state.dual_vertex(index[i], index[j])

    state.apply((partial("v2", "v4"), partial("v4", "y5")))
    state.apply((partial("v3", "v4"), partial("v4", "y7")))
    for vertex in ("v2", "v3", "v4"):  # then each vertex whole: every face through it
        while faces := [f for f in state.options() if state.end[f[0]] == index[vertex]]:
            state.apply(faces[0])
    return state


def test_every_vertex_order_costs_24() -> None:
    problem = bat()
    costs = {
        eliminate(problem, order).multiplications
        for order in itertools.permutations(problem.intermediates)
    }
    assert costs == {24}
    assert run_family_strategy(problem, "optimal").cost.multiplications == 24


def test_the_hand_face_sequence_costs_22_and_beats_the_edge_optimum_23() -> None:
    problem = bat()
    state = hand_faces(problem)
    assert state.done
    assert state.multiplications == 22
    assert eliminate_faces(problem, state.steps).multiplications == 22  # the one cost model
    result = run_family_strategy(problem, "edge-optimal")
    assert result.proven_optimal
    assert result.cost.multiplications == 23
    assert eliminate_edges(problem, result.steps).multiplications == 23


def test_the_bounds_at_the_start_by_hand() -> None:
    # 16 input-output pairs, all pending; x0a and x0b reach y6a, y6b, y7 and x1a, x1b reach
    # y5, y6a, y6b only through two intermediates: far pairs covered by no fewer than the 4
    # inputs. So both bounds start at 20; the intermediates alone give only 2 + 2 + 1.
    problem = bat()
    assert face_lower_bound(FaceEliminationState(problem)) == 20
    assert edge_lower_bound(EdgeEliminationState(problem)) == 20


@pytest.mark.slow
def test_the_edge_optimum_is_23_by_brute_force() -> None:
    assert brute_force_edges(EdgeEliminationState(bat())) == 23  # about a minute


@pytest.mark.slow
def test_no_face_sequence_costs_21() -> None:
    # The bounded depth-first face search (tested against brute force on small graphs),
    # pruned by face_lower_bound: about 100,000 dual graphs.
    assert faces_within(FaceEliminationState(bat(), track_paths=True), 21, {}) is None


def test_face_absorb_and_the_portfolio_find_22() -> None:
    problem = bat()
    absorb = run_family_strategy(problem, "face-absorb")
    assert absorb.cost.multiplications == 22
    assert eliminate_faces(problem, absorb.steps).multiplications == 22
    portfolio = run_family_strategy(problem, "portfolio")
    assert portfolio.cost.multiplications == 22
    assert portfolio.details["winner"] == "face-absorb"
