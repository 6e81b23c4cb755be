"""Vertex, edge and face elimination on the ten AlphaGrad tasks (issue 15, point 5).

Run with ``python -m pytest -m benchmark -s tests/benchmarks/test_beyond_vertex.py``.

Per task, at node level (the tensor tasks with their nodes expanded, as ``--nodes``):

best vertex
    The cheapest of forward, backward, Markowitz, ``search`` at node level
    (:data:`SEARCH_SECONDS`), for the tensor tasks also ``search`` over whole blocks
    (:data:`SEARCH_SECONDS`) with each block expanded into its nodes, and then the *vertex-only
    control*: :func:`~graphcost.eliminate.edge_local.improve_edges` with ``vertex_only`` from
    that order for :data:`EDGE_SECONDS` — the same annealing as the edge search, moving vertex
    tokens only, so an edge sequence's gain is not a better order's.
best edge
    :func:`~graphcost.eliminate.edge_local.improve_edges` from the best vertex order for
    :data:`EDGE_SECONDS` (edge tokens annealed into it), and that order's prefixes completed
    by greedy edge steps.
best face
    The best edge sequence as faces, and the face heuristics (graphs with at most
    :data:`FACE_EDGE_LIMIT` edges).

Every count in the table is re-scored from scratch here: the vertex order by
:func:`~graphcost.eliminate.engine.eliminate`, the edge steps by
:func:`~graphcost.eliminate.edges.eliminate_edges`, the faces by
:func:`~graphcost.eliminate.faces.eliminate_faces`. Target: edge or face strictly cheaper than
the best vertex order on at least two of the ten tasks; the verdict line says whether it was
met. Budgets are seconds, so the figures depend on the machine and its load.
"""

from __future__ import annotations

import time

import pytest

import graphcost.eliminate.portfolio  # noqa: F401  (registers the family strategies)
from graphcost.eliminate.edge_local import improve_edges
from graphcost.eliminate.edge_strategies import prefix_completions
from graphcost.eliminate.edges import eliminate_edges
from graphcost.eliminate.engine import eliminate
from graphcost.eliminate.faces import edge_steps_as_faces, eliminate_faces
from graphcost.eliminate.families import run_family_strategy
from graphcost.eliminate.problem import EliminationProblem, elimination_problem
from graphcost.eliminate.registry import StrategyOptions
from graphcost.graph.loader import load_graph
from tests.conftest import BENCHMARKS

SCALAR = ("RoeFlux_1d", "RobotArm_6DOF", "HumanHeartDipole", "PropaneCombustion", "g")
TENSOR = ("RoeFlux_3d", "Perceptron", "BlackScholes_Jacobian", "Encoder", "f")
SEARCH_SECONDS = 30.0
EDGE_SECONDS = 45.0
#: Face heuristics scan every face per step; beyond this many edges they are skipped.
FACE_EDGE_LIMIT = 1_000
ROWS: list[tuple] = []


def block_order_as_nodes(path, problem: EliminationProblem) -> list[int]:
    """``search`` over whole blocks, each block then expanded into its nodes (the nodes of one
    block share no edge, so their order inside the block changes no count)."""
    blocks = elimination_problem(load_graph(path), level="block")
    result = run_family_strategy(blocks, "search", StrategyOptions(time_limit=SEARCH_SECONDS))
    order = []
    for block in result.cost.order:
        order += [
            v
            for v in problem.intermediates
            if problem.names[v] == block or problem.names[v].startswith(block + "[")
        ]
    assert sorted(order) == sorted(problem.intermediates)
    return order


def best_vertex(path, problem: EliminationProblem) -> tuple[int, list[int], str]:
    """(cost, order, how) of the cheapest vertex order found."""
    candidates = []
    for name in ("forward", "backward", "markowitz", "search"):
        options = StrategyOptions(seed=0, time_limit=SEARCH_SECONDS)
        result = run_family_strategy(problem, name, options)
        candidates.append(
            (result.cost.multiplications, problem.resolve_order(result.cost.order), name)
        )
    if path.parent.name == "tensor":
        order = block_order_as_nodes(path, problem)
        candidates.append((eliminate(problem, order).multiplications, order, "block search"))
    cost, order, how = min(candidates, key=lambda c: c[0])
    control, steps = improve_edges(problem, order, time_limit=EDGE_SECONDS, vertex_only=True)
    if control < cost:
        order = list(dict.fromkeys(s.dst if s.direction == "front" else s.src for s in steps))
        order += [v for v in problem.intermediates if v not in order]
        cost, how = control, f"{how} + vertex moves"
    assert eliminate(problem, order).multiplications == cost
    return cost, order, how


def measure(path) -> tuple:
    problem = elimination_problem(load_graph(path), level="node")
    start = time.perf_counter()
    vertex, order, how = best_vertex(path, problem)
    _, local = improve_edges(problem, order, time_limit=EDGE_SECONDS)
    hybrid = prefix_completions(problem, order, time.perf_counter() + EDGE_SECONDS / 3).steps
    edge_steps = min(local, hybrid, key=lambda s: eliminate_edges(problem, s).multiplications)
    edge = eliminate_edges(problem, edge_steps).multiplications
    faces = [eliminate_faces(problem, edge_steps_as_faces(problem, edge_steps)).multiplications]
    if problem.edge_count <= FACE_EDGE_LIMIT:
        faces += [
            run_family_strategy(problem, n).cost.multiplications
            for n in ("face-markowitz", "face-fill-in")
        ]
    return (
        len(problem.intermediates),
        problem.edge_count,
        vertex,
        how,
        edge,
        min(faces),
        time.perf_counter() - start,
    )


@pytest.mark.benchmark
@pytest.mark.parametrize("name", [*SCALAR, *(f"tensor/{n}" for n in TENSOR)])
def test_vertex_edge_face_on_the_alphagrad_tasks(name: str) -> None:
    row = measure(BENCHMARKS / f"{name}.yaml")
    ROWS.append((name, *row))
    size, edges, vertex, how, edge, face, seconds = row
    print(
        f"\n{name}: |D| {size}, {edges} edges; vertex {vertex} ({how}), edge {edge}, "
        f"face {face}; {seconds:.0f} s"
    )
    assert face <= edge <= vertex


@pytest.mark.benchmark
def test_zz_table_and_target() -> None:
    if not ROWS:
        pytest.skip("run with the task benchmarks")
    print("\n| task | |D| | edges | best vertex | best edge | best face |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, size, edges, vertex, how, edge, face, _ in ROWS:
        print(f"| {name} | {size} | {edges} | {vertex} ({how}) | {edge} | {face} |")
    beaten = [r[0] for r in ROWS if min(r[5], r[6]) < r[3]]
    verdict = "met" if len(beaten) >= 2 else "NOT met"
    print(
        f"target (edge or face < best vertex on >= 2 of {len(ROWS)} tasks): {verdict}; "
        f"strictly cheaper on: {', '.join(beaten) or 'none'}"
    )
