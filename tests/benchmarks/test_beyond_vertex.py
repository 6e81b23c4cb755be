"""Vertex, edge and face elimination on the ten AlphaGrad tasks (issue 15, point 5).

Run with ``python -m pytest -m benchmark -s tests/benchmarks/test_beyond_vertex.py``.

Per task, at node level (the tensor tasks with their nodes expanded, as ``--nodes``): the best
vertex order found (the cheapest of forward, backward, Markowitz and ``search`` with
:data:`SEARCH_SECONDS`), the best edge sequence (``edge-search``, and the best vertex order's
prefixes completed by greedy edge steps), the best face sequence (the face heuristics, and the
best edge sequence as faces) — each scored by its family's engine. Target: edge or face
strictly cheaper than the best vertex order on at least two of the ten tasks; the verdict line
says whether it was met.
"""

from __future__ import annotations

import time

import pytest

import graphcost.eliminate.portfolio  # noqa: F401  (registers the family strategies)
from graphcost.eliminate.edge_strategies import prefix_completions
from graphcost.eliminate.faces import edge_steps_as_faces, eliminate_faces
from graphcost.eliminate.families import run_family_strategy
from graphcost.eliminate.problem import elimination_problem
from graphcost.eliminate.registry import StrategyOptions
from graphcost.graph.loader import load_graph
from tests.conftest import BENCHMARKS

SCALAR = ("RoeFlux_1d", "RobotArm_6DOF", "HumanHeartDipole", "PropaneCombustion", "g")
TENSOR = ("RoeFlux_3d", "Perceptron", "BlackScholes_Jacobian", "Encoder", "f")
SEARCH_SECONDS = 20.0
EDGE_SECONDS = 20.0
#: Face heuristics scan every face per step; beyond this many edges they are skipped.
FACE_EDGE_LIMIT = 1_000
ROWS: list[tuple] = []


def measure(path) -> tuple:
    problem = elimination_problem(load_graph(path), level="node")
    start = time.perf_counter()
    vertex = min(
        (
            run_family_strategy(problem, name, StrategyOptions(seed=0, time_limit=SEARCH_SECONDS))
            for name in ("forward", "backward", "markowitz", "search")
        ),
        key=lambda r: r.cost.multiplications,
    )
    order = [problem.index[n] for n in vertex.cost.order]
    hybrid = prefix_completions(problem, order, time.perf_counter() + EDGE_SECONDS)
    search = run_family_strategy(problem, "edge-search", StrategyOptions(time_limit=EDGE_SECONDS))
    edge = min(hybrid.multiplications, search.cost.multiplications)
    edge_steps = hybrid.steps if hybrid.multiplications <= edge else list(search.steps)
    faces = [eliminate_faces(problem, edge_steps_as_faces(problem, edge_steps)).multiplications]
    if problem.edge_count <= FACE_EDGE_LIMIT:
        faces += [
            run_family_strategy(problem, n).cost.multiplications
            for n in ("face-markowitz", "face-fill-in")
        ]
    return (
        len(problem.intermediates),
        problem.edge_count,
        vertex.cost.multiplications,
        vertex.name,
        edge,
        min(faces),
        time.perf_counter() - start,
    )


@pytest.mark.benchmark
@pytest.mark.parametrize("name", [*SCALAR, *(f"tensor/{n}" for n in TENSOR)])
def test_vertex_edge_face_on_the_alphagrad_tasks(name: str) -> None:
    row = measure(BENCHMARKS / f"{name}.yaml")
    ROWS.append((name, *row))
    size, edges, vertex, winner, edge, face, seconds = row
    print(
        f"\n{name}: |D| {size}, {edges} edges; vertex {vertex} ({winner}), edge {edge}, "
        f"face {face}; {seconds:.0f} s"
    )
    assert face <= edge <= vertex


@pytest.mark.benchmark
def test_zz_table_and_target() -> None:
    if not ROWS:
        pytest.skip("run with the task benchmarks")
    print("\n| task | |D| | edges | best vertex | best edge | best face |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, size, edges, vertex, winner, edge, face, _ in ROWS:
        print(f"| {name} | {size} | {edges} | {vertex} ({winner}) | {edge} | {face} |")
    beaten = [r[0] for r in ROWS if min(r[5], r[6]) < r[3]]
    verdict = "met" if len(beaten) >= 2 else "NOT met"
    print(
        f"target (edge or face < best vertex on >= 2 of {len(ROWS)} tasks): {verdict}; "
        f"strictly cheaper on: {', '.join(beaten) or 'none'}"
    )
