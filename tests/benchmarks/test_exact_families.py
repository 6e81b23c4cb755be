"""The exact edge and face solvers against their previous searches, in the same run.

Run with ``python -m pytest -m benchmark -s tests/benchmarks/test_exact_families.py`` (about
five minutes). CPU seconds per graph:

edge
    ``edge-optimal`` (A* guided by :func:`~graphcost.eliminate.edge_strategies.edge_lower_bound`)
    against the Dijkstra search it replaced (the same :func:`shortest_sequence`, no bound).
face
    ``face-optimal`` (ever cheaper sequences by the depth-first
    :func:`~graphcost.eliminate.face_strategies.faces_within`) against the A* search it
    replaced (:func:`shortest_sequence` with the same :func:`face_lower_bound`), whose dual
    graphs are all kept in memory: capped at :data:`ASTAR_STATES`.

Each baseline gets :data:`SECONDS`; where both finish, their optima must agree.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import pytest

from graphcost.eliminate.edge_strategies import best_heuristic, edge_optimal
from graphcost.eliminate.edges import EdgeEliminationState, eliminate_edges
from graphcost.eliminate.face_strategies import face_lower_bound, face_optimal
from graphcost.eliminate.faces import FaceEliminationState, edge_steps_as_faces
from graphcost.eliminate.families import shortest_sequence
from graphcost.eliminate.problem import EliminationProblem, elimination_problem
from graphcost.eliminate.registry import StrategyOptions
from graphcost.graph.loader import load_graph
from tests.conftest import GRAPHS
from tests.test_strategies import random_problem

SECONDS = 120.0
ASTAR_STATES = 50_000


def cases() -> list[tuple[str, EliminationProblem]]:
    """The two witnesses and two random graphs with 5 intermediates (seeds picked for an
    optimum of 11 faces, well above the bound at the start)."""
    shipped = [
        (name, elimination_problem(load_graph(GRAPHS / f"{name}.yaml")))
        for name in ("witness-edge", "witness-face")
    ]
    drawn = [
        (
            f"random, 5 intermediates (seed {seed})",
            random_problem(random.Random(seed), intermediates=5),
        )
        for seed in (28, 37)
    ]
    return [*shipped, *drawn]


def timed(run: Callable[[], tuple[int, bool]]) -> tuple[int, bool, float]:
    start = time.process_time()
    cost, proven = run()
    return cost, proven, time.process_time() - start


def show(result: tuple[int, bool, float]) -> str:
    cost, proven, seconds = result
    return f"{cost} in {seconds:.2f} s" if proven else f"unfinished, {cost} in {seconds:.2f} s"


def measure(problem: EliminationProblem) -> dict[str, tuple[int, bool, float]]:
    """Each solver and its baseline on one problem: (cost, proven, CPU seconds)."""
    options = StrategyOptions(time_limit=SECONDS)
    heuristic = best_heuristic(problem)
    face_upper = edge_steps_as_faces(problem, heuristic.steps)

    def edge_now() -> tuple[int, bool]:
        outcome = edge_optimal(problem, options)
        return eliminate_edges(problem, outcome.steps).multiplications, outcome.proven_optimal

    def edge_before() -> tuple[int, bool]:
        found = shortest_sequence(
            EdgeEliminationState(problem),
            upper=(heuristic.multiplications, list(heuristic.steps)),
            time_limit=SECONDS,
        )
        return found.cost, found.proven

    def face_now() -> tuple[int, bool]:
        outcome = face_optimal(problem, options)
        return len(outcome.steps), outcome.proven_optimal

    def face_before() -> tuple[int, bool]:
        found = shortest_sequence(
            FaceEliminationState(problem, track_paths=True),
            upper=(len(face_upper), face_upper),
            time_limit=SECONDS,
            max_states=ASTAR_STATES,
            bound=face_lower_bound,
        )
        return found.cost, found.proven

    runs = {"edge now": edge_now, "edge before": edge_before}
    runs |= {"face now": face_now, "face before": face_before}
    return {label: timed(run) for label, run in runs.items()}


@pytest.mark.benchmark
def test_the_exact_edge_and_face_solvers_against_their_previous_searches() -> None:
    print(f"\nexact solvers, CPU seconds (baselines stop at {SECONDS:.0f} s):")
    for name, problem in cases():
        rows = measure(problem)
        for family in ("edge", "face"):
            now, before = rows[f"{family} now"], rows[f"{family} before"]
            if now[1] and before[1]:
                assert now[0] == before[0], (name, family)
            ratio = before[2] / now[2] if now[2] else float("inf")
            print(
                f"  {name}: {family} optimum {show(now)}; before: {show(before)} (x{ratio:.1f})",
                flush=True,
            )
