"""The ``optimal`` strategy (graphcost.eliminate.exact): A* over subsets, its lower bound and its
limits."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphcost.eliminate.bound import CutBound, cut_weights, lower_bound
from graphcost.eliminate.engine import eliminate
from graphcost.eliminate.exact import MAX_INTERMEDIATES, solve
from graphcost.eliminate.kernels import BitKernel
from graphcost.eliminate.problem import elimination_problem, problem_from_edges
from graphcost.eliminate.registry import STRATEGIES, StrategyOptions
from graphcost.eliminate.strategies import run_strategy
from graphcost.errors import UsageError
from graphcost.graph.loader import graph_from_dict, load_graph
from tests.conftest import GRAPHS
from tests.test_elimination import node_graphs, reference_eliminate

QUICK = StrategyOptions(seed=0, time_limit=5, iterations=300)


def edge_set(problem) -> set[tuple[str, str]]:
    names = problem.names
    return {(names[a], names[b]) for a, succs in enumerate(problem.succs) for b in succs}


def eliminated(edges: set[tuple[str, str]], prefix: list[str]) -> set[tuple[str, str]]:
    """The edge set after eliminating ``prefix``, written plainly (fill-in, then removal)."""
    edges = set(edges)
    for j in prefix:
        preds = [a for a, b in edges if b == j]
        succs = [b for a, b in edges if a == j]
        edges |= set(itertools.product(preds, succs))
        edges = {(a, b) for a, b in edges if j not in (a, b)}
    return edges


def brute_force(edges: set[tuple[str, str]], vertices: list[str]) -> int:
    """The cheapest multiplications over every order of ``vertices``, by enumeration."""
    return min(reference_eliminate(edges, list(p))[0] for p in itertools.permutations(vertices))


def brute_force_cut(problem, j: int, *, towards_outputs: bool) -> int:
    """The smallest vertex set (not j) meeting every input→j (j→output) path, by enumeration."""
    ends = [v for v, r in enumerate(problem.roles) if r == ("D'" if towards_outputs else "V")]
    step = problem.succs if towards_outputs else problem.preds
    others = [v for v in range(len(problem.names)) if v != j]
    for size in range(len(others) + 1):
        for removed in itertools.combinations(others, size):
            seen, stack = {j}, [j]
            while stack:  # walk from j against (or along) the edges, around removed vertices
                for w in step[stack.pop()]:
                    if w not in seen and w not in removed:
                        seen.add(w)
                        stack.append(w)
            if not any(e in seen for e in ends):
                return size
    raise AssertionError("unreachable: removing every other vertex cuts every path")


@settings(max_examples=60, deadline=None)
@given(node_graphs(most_intermediates=6))
def test_optimal_equals_brute_force_over_all_orders(data: dict) -> None:
    problem = elimination_problem(graph_from_dict(data))
    result = solve(problem, time_limit=None)
    names = [problem.names[v] for v in problem.intermediates]
    assert result.proven_optimal
    assert result.cost == brute_force(edge_set(problem), names)
    assert eliminate(problem, result.order).multiplications == result.cost
    assert result.lower_bound == result.cost


@pytest.mark.parametrize("seed", range(4))
def test_optimal_equals_brute_force_with_seven_intermediates(seed: int) -> None:
    rng = random.Random(seed)
    names = ["x0", "x1", *[f"v{i}" for i in range(7)], "y0", "y1"]
    edges = [
        (a, b)
        for i, a in enumerate(names)
        for b in names[i + 1 :]
        if a[0] != "y" and b[0] != "x" and rng.random() < 0.35
    ]
    problem = problem_from_edges(
        edges, inputs=names[:2], intermediates=names[2:9], outputs=names[9:]
    )
    result = run_strategy(problem, "optimal", QUICK)
    assert result.proven_optimal
    assert result.cost.multiplications == brute_force(set(edges), names[2:9])


@settings(max_examples=40, deadline=None)
@given(node_graphs(most_intermediates=6), st.randoms(use_true_random=False))
def test_the_lower_bound_is_admissible_from_any_state(data: dict, rng: random.Random) -> None:
    """h(T) = Σ_{j ∉ T} w(j) never exceeds the cheapest way to finish from T."""
    problem = elimination_problem(graph_from_dict(data))
    weights = dict(zip(problem.intermediates, cut_weights(problem), strict=True))
    members = list(problem.intermediates)
    rng.shuffle(members)
    prefix = members[: rng.randint(0, len(members))]
    rest = [problem.names[v] for v in members[len(prefix) :]]
    after = eliminated(edge_set(problem), [problem.names[v] for v in prefix])
    bound = sum(weights[v] for v in members[len(prefix) :])
    cheapest = brute_force(after, rest) if rest else 0
    assert bound <= cheapest
    assert lower_bound(problem) == sum(weights.values())
    # The dynamic bound: cuts taken in the graph after the prefix, by the bitmask max-flow.
    kernel = BitKernel(problem)
    state = kernel.fresh()
    for v in prefix:
        kernel.step(state, v)
    dynamic = sum(CutBound(problem).weights(*state, sum(1 << v for v in prefix)))
    assert bound <= dynamic <= cheapest


@settings(max_examples=60, deadline=None)
@given(node_graphs(most_intermediates=8))
def test_bitmask_cuts_equal_the_networkx_cuts(data: dict) -> None:
    """CutBound (hand-written max-flow on bitmasks) against cut_weights (networkx)."""
    problem = elimination_problem(graph_from_dict(data))
    preds, succs = BitKernel(problem).fresh()
    assert CutBound(problem).weights(preds, succs, 0) == cut_weights(problem)


@settings(max_examples=40, deadline=None)
@given(node_graphs(most_intermediates=4))
def test_cut_weights_are_min_vertex_cuts(data: dict) -> None:
    problem = elimination_problem(graph_from_dict(data))
    expected = [
        brute_force_cut(problem, j, towards_outputs=False)
        * brute_force_cut(problem, j, towards_outputs=True)
        for j in problem.intermediates
    ]
    assert cut_weights(problem) == expected


@pytest.mark.parametrize("name", ["Hole", "CloudSchemes_step"])
def test_benchmark_graphs_are_solved_with_proof(name: str) -> None:
    problem = elimination_problem(load_graph(GRAPHS / "benchmarks" / f"{name}.yaml"))
    result = run_strategy(problem, "optimal", StrategyOptions(time_limit=60))
    assert result.proven_optimal
    assert result.lower_bound == result.cost.multiplications
    for other in ("forward", "backward", "markowitz", "search"):
        cost = run_strategy(problem, other, QUICK).cost.multiplications
        assert result.cost.multiplications <= cost


def test_hole_optimum_by_brute_force() -> None:
    """Hole has 5 intermediates: all 120 orders enumerated; optimal finds the cheapest."""
    problem = elimination_problem(load_graph(GRAPHS / "benchmarks" / "Hole.yaml"))
    names = [problem.names[v] for v in problem.intermediates]
    best = brute_force(edge_set(problem), names)
    assert solve(problem).cost == best
    assert best < problem_published(problem, "reverse")


def problem_published(problem, key: str) -> int:
    graph = load_graph(GRAPHS / "benchmarks" / f"{problem.graph_name}.yaml")
    return graph.extra["published"][key]


@pytest.mark.parametrize("name", ["exercise-4b", "mlp-relu", "seed-002-network"])
def test_block_level_optimum_equals_brute_force(name: str) -> None:
    problem = elimination_problem(load_graph(GRAPHS / f"{name}.yaml"), level="block")
    result = solve(problem, time_limit=None)
    best = min(
        eliminate(problem, order).multiplications
        for order in itertools.permutations(problem.intermediates)
    )
    assert result.proven_optimal
    assert result.cost == best == eliminate(problem, result.order).multiplications


def test_out_of_time_returns_the_best_order_and_a_proven_bound() -> None:
    """RoeFlux_1d (98 intermediates) cannot be proven in a few states: the answer says so."""
    problem = elimination_problem(load_graph(GRAPHS / "benchmarks" / "RoeFlux_1d.yaml"))
    upper = run_strategy(problem, "markowitz")
    order = [problem.index[n] for n in upper.order]
    result = solve(problem, upper=(upper.cost.multiplications, order), max_states=1)
    assert result.stopped == "memory"
    assert not result.proven_optimal
    assert lower_bound(problem) <= result.lower_bound < result.cost
    assert result.cost <= upper.cost.multiplications
    assert eliminate(problem, result.order).multiplications == result.cost


def test_too_many_intermediates_are_refused() -> None:
    count = MAX_INTERMEDIATES + 1
    names = ["x", *[f"v{i}" for i in range(count)], "y"]
    problem = problem_from_edges(
        list(itertools.pairwise(names)), inputs=["x"], intermediates=names[1:-1], outputs=["y"]
    )
    with pytest.raises(UsageError, match=f"at most {MAX_INTERMEDIATES} intermediate"):
        run_strategy(problem, "optimal")


def test_a_wrong_upper_bound_is_caught() -> None:
    problem = problem_from_edges(
        [("x", "a"), ("a", "y")], inputs=["x"], intermediates=["a"], outputs=["y"]
    )
    with pytest.raises(ValueError, match="does not match"):
        solve(problem, upper=(0, [1]))


def test_optimal_is_not_beaten_by_any_registered_strategy() -> None:
    problem = elimination_problem(load_graph(GRAPHS / "seed-004-expression.yaml"))
    best = run_strategy(problem, "optimal", QUICK).cost.multiplications
    for name, strategy in STRATEGIES.items():
        if strategy.takes_argument or name == "chain":
            continue
        assert best <= run_strategy(problem, name, QUICK).cost.multiplications
