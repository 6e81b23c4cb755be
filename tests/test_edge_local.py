"""The edge local search: token replay against the edge and vertex engines, incremental scores
against full replays, and results re-scored from scratch."""

from __future__ import annotations

import random

import pytest

import graphcost.eliminate.portfolio  # noqa: F401  (registers the family strategies)
from graphcost.eliminate.edge_local import (
    BACK_EDGE,
    FRONT_EDGE,
    VERTEX,
    Replay,
    TokenMachine,
    improve_edges,
)
from graphcost.eliminate.edges import BACK, FRONT, EdgeEliminationState, EdgeStep, eliminate_edges
from graphcost.eliminate.engine import eliminate
from graphcost.eliminate.families import run_family_strategy
from graphcost.eliminate.problem import elimination_problem
from graphcost.eliminate.registry import StrategyOptions
from graphcost.graph.loader import load_graph
from tests.conftest import BENCHMARKS, GRAPHS
from tests.test_edge_elimination import brute_force_edges
from tests.test_strategies import random_problem


def random_tokens(problem, rng: random.Random) -> list:
    """A random vertex order with random edge tokens (some naming edges never present)."""
    order = list(problem.intermediates)
    rng.shuffle(order)
    tokens = [(VERTEX, v, 0) for v in order]
    count = len(problem.names)
    for _ in range(rng.randint(0, 2 * len(order))):
        token = (rng.choice((FRONT_EDGE, BACK_EDGE)), rng.randrange(count), rng.randrange(count))
        tokens.insert(rng.randint(0, len(tokens)), token)
    return tokens


def plain_replay(problem, tokens) -> int:
    """The tokens replayed on the edge engine itself, skipping impossible edge steps."""
    state = EdgeEliminationState(problem)
    middle = [v in set(problem.intermediates) for v in range(len(problem.names))]
    for kind, a, b in tokens:
        if kind == VERTEX:
            for step in state.vertex_steps(a):
                state.apply(step)
        elif b in state.succs[a] and middle[b if kind == FRONT_EDGE else a]:
            state.apply(EdgeStep(a, b, FRONT if kind == FRONT_EDGE else BACK))
    assert state.done
    return state.multiplications


@pytest.mark.parametrize("seed", range(40))
def test_token_replay_costs_what_the_edge_engine_says(seed: int) -> None:
    rng = random.Random(seed)
    problem = random_problem(rng, intermediates=rng.randint(1, 7))
    tokens = random_tokens(problem, rng)
    machine = TokenMachine(problem)
    steps = machine.steps(tokens)
    replayed = Replay(machine, tokens).total
    assert replayed == eliminate_edges(problem, steps).multiplications
    assert replayed == plain_replay(problem, tokens)
    vertex_only = [t for t in tokens if t[0] == VERTEX]
    assert (
        Replay(machine, vertex_only).total
        == eliminate(problem, [t[1] for t in vertex_only]).multiplications
    )


@pytest.mark.parametrize("seed", range(20))
def test_incremental_scores_equal_full_replays(seed: int) -> None:
    rng = random.Random(100 + seed)
    problem = random_problem(rng, intermediates=rng.randint(5, 12))
    machine = TokenMachine(problem)
    tokens = random_tokens(problem, rng)
    replay = Replay(machine, tokens)
    for _ in range(30):
        changed = list(replay.tokens)
        low = rng.randrange(len(changed))
        high = min(len(changed), low + rng.randint(0, 5))
        middle = changed[low:high]
        rng.shuffle(middle)
        if rng.random() < 0.3 and any(t[0] != VERTEX for t in middle):
            middle.remove(next(t for t in middle if t[0] != VERTEX))
        changed[low:high] = middle
        total = replay.score(changed, low, high)
        assert total == Replay(machine, changed).total
        replay.accept(changed, low, total)


def test_the_witness_move_is_found_and_is_optimal() -> None:
    problem = elimination_problem(load_graph(GRAPHS / "witness-edge.yaml"))
    cost, steps = improve_edges(problem, problem.intermediates, iterations=300)
    assert cost == eliminate_edges(problem, steps).multiplications == 6
    assert cost == brute_force_edges(EdgeEliminationState(problem))
    assert eliminate(problem, problem.intermediates).multiplications == 7


@pytest.mark.parametrize("seed", range(15))
def test_never_worse_than_the_start_and_rescored_exactly(seed: int) -> None:
    rng = random.Random(200 + seed)
    problem = random_problem(rng, intermediates=rng.randint(1, 6))
    order = list(problem.intermediates)
    rng.shuffle(order)
    cost, steps = improve_edges(problem, order, seed=seed, iterations=200)
    assert cost == eliminate_edges(problem, steps).multiplications
    assert cost <= eliminate(problem, order).multiplications
    if len(problem.intermediates) <= 4:  # beyond, the brute force takes seconds per graph
        assert cost >= brute_force_edges(EdgeEliminationState(problem))


def test_vertex_only_returns_a_vertex_order() -> None:
    problem = elimination_problem(load_graph(BENCHMARKS / "PropaneCombustion.yaml"))
    cost, steps = improve_edges(problem, problem.intermediates, iterations=300, vertex_only=True)
    order = []
    for step in steps:  # a vertex token's steps share their pivot, in one run
        pivot = step.dst if step.direction == "front" else step.src
        if not order or order[-1] != pivot:
            order.append(pivot)
    assert len(order) == len(set(order))
    rest = [v for v in problem.intermediates if v not in order]  # isolated at their turn
    assert cost == eliminate(problem, order + rest).multiplications


def test_edge_search_with_an_iteration_budget_is_reproducible() -> None:
    problem = elimination_problem(load_graph(BENCHMARKS / "PropaneCombustion.yaml"))
    runs = [
        run_family_strategy(problem, "edge-search", StrategyOptions(seed=5, iterations=200))
        for _ in range(2)
    ]
    assert runs[0].steps == runs[1].steps
    assert runs[0].cost == eliminate_edges(problem, runs[0].steps)
    witness = elimination_problem(load_graph(GRAPHS / "witness-edge.yaml"))
    found = run_family_strategy(witness, "edge-search", StrategyOptions(iterations=200))
    assert found.cost.multiplications == 6
