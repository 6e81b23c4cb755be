"""The ``optimal`` strategy (graphcost.eliminate.exact): A* over subsets, its lower bound and its
limits."""

from __future__ import annotations

import functools
import itertools
import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphcost.cli import cli
from graphcost.eliminate.bound import CutBound, cut_weights, lower_bound
from graphcost.eliminate.engine import eliminate
from graphcost.eliminate.exact import MAX_INTERMEDIATES, solve
from graphcost.eliminate.kernels import BitKernel, order_cost
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
    result = solve(problem, upper=(upper.cost.multiplications, order), max_states=1, time_limit=2)
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


def all_orders_minimum(edges: set[tuple[str, str]], vertices: list[str]) -> int:
    """The cheapest multiplications over every order of ``vertices``: each of the n! orders is
    walked to its end (the plain elimination of ``eliminated``, one step per tree edge, so
    orders that share a prefix share its steps; nothing is pruned or merged)."""
    best = None

    def walk(edges: set[tuple[str, str]], rest: list[str], spent: int) -> None:
        nonlocal best
        if not rest:
            best = spent if best is None else min(best, spent)
            return
        for j in rest:
            preds = sum(1 for _, b in edges if b == j)
            succs = sum(1 for a, _ in edges if a == j)
            walk(eliminated(edges, [j]), [v for v in rest if v != j], spent + preds * succs)

    walk(set(edges), list(vertices), 0)
    assert best is not None
    return best


def random_dag(seed: int, intermediates: int, density: float = 0.3):
    """Two inputs, two outputs, D in topological order; edges drawn with ``density``."""
    rng = random.Random(seed)
    names = ["x0", "x1", *[f"v{i}" for i in range(intermediates)], "y0", "y1"]
    edges = [
        (a, b)
        for i, a in enumerate(names)
        for b in names[i + 1 :]
        if a[0] != "y" and b[0] != "x" and rng.random() < density
    ]
    return problem_from_edges(
        edges, inputs=names[:2], intermediates=names[2:-2], outputs=names[-2:]
    ), set(edges)


@pytest.mark.parametrize("seed", range(3))
def test_optimal_equals_all_orders_with_eight_intermediates(seed: int) -> None:
    problem, edges = random_dag(seed, 8)
    result = solve(problem, time_limit=None)
    names = [problem.names[v] for v in problem.intermediates]
    assert result.proven_optimal
    assert result.cost == all_orders_minimum(edges, names)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(2))
def test_optimal_equals_all_orders_with_ten_intermediates(seed: int) -> None:
    """10! = 3,628,800 orders walked: a few minutes each (run with -m slow)."""
    problem, edges = random_dag(100 + seed, 10)
    result = solve(problem, time_limit=None)
    names = [problem.names[v] for v in problem.intermediates]
    assert result.proven_optimal
    assert result.cost == all_orders_minimum(edges, names)


def test_the_bound_never_exceeds_the_optimum_on_200_random_graphs() -> None:
    """The root bound and a bound proven part-way (one state, then depth first for a moment)
    against the optimum by enumeration of all orders (5-6 intermediates)."""
    below = 0
    for seed in range(200):
        problem, edges = random_dag(1000 + seed, 5 + seed % 2, density=0.25 + 0.1 * (seed % 3))
        optimum = all_orders_minimum(edges, [problem.names[v] for v in problem.intermediates])
        root = lower_bound(problem)
        assert root <= optimum
        below += root < optimum
        topological = problem.topological_order()
        upper = (order_cost(BitKernel(problem), topological), topological)
        partial = solve(problem, upper=upper, max_states=1, time_limit=None)
        assert root <= partial.lower_bound <= optimum <= partial.cost
    assert below >= 20  # the bound is not simply exact on these graphs


@functools.cache
def gap_graph(intermediates: int):
    """The first random DAG whose start bounds (min-cut and group) are below its optimum, so
    that A* has states to expand (with 7 intermediates the group bound proves the first 200)."""
    for seed in itertools.count():
        problem, edges = random_dag(seed, intermediates, density=0.4)
        topological = problem.topological_order()  # a quick upper bound: no search per seed
        upper = (order_cost(BitKernel(problem), topological), topological)
        result = solve(problem, upper=upper, time_limit=None)
        if max(dict(result.bounds).values()) < result.cost:
            assert lower_bound(problem) < result.cost
            return problem, edges, result
    raise AssertionError("unreachable: itertools.count() does not end")


def test_a_tiny_memory_limit_switches_to_depth_first_and_still_proves_the_optimum() -> None:
    problem, edges, unlimited = gap_graph(8)
    assert unlimited.mode == "best-first"
    tiny = solve(problem, time_limit=None, memory_limit=1)
    assert tiny.mode == "depth-first"
    assert tiny.proven_optimal
    assert tiny.lower_bound == tiny.cost
    names = [problem.names[v] for v in problem.intermediates]
    assert tiny.cost == unlimited.cost == all_orders_minimum(edges, names)
    assert eliminate(problem, tiny.order).multiplications == tiny.cost
    assert tiny.memory <= unlimited.memory


def test_depth_first_out_of_time_keeps_a_proven_bound() -> None:
    """RoeFlux_1d, depth first from the start for 2 s: the bound is the min-cut bound or
    above, and the order is the best known, not proven."""
    problem = elimination_problem(load_graph(GRAPHS / "benchmarks" / "RoeFlux_1d.yaml"))
    upper = run_strategy(problem, "markowitz")
    order = [problem.index[n] for n in upper.order]
    result = solve(problem, upper=(upper.cost.multiplications, order), memory_limit=1, time_limit=2)
    assert result.mode == "depth-first"
    assert result.stopped == "time"
    assert not result.proven_optimal
    assert lower_bound(problem) <= result.lower_bound < result.cost
    assert result.expanded > 0


def test_the_json_reports_states_per_second_and_memory(tmp_path, runner) -> None:
    path = tmp_path / "g.yaml"
    problem, edges, _ = gap_graph(8)
    names = problem.names
    path.write_text(
        "V: [x0, x1]\nD: [" + ", ".join(n for n in names if n[0] == "v") + "]\nD': [y0, y1]\n"
        "E:\n" + "".join(f"  - [{a}, {b}]\n" for a, b in sorted(edges))
    )
    args = ["analyze", str(path), "--strategy", "optimal", "--format", "json"]
    result = runner.invoke(cli, [*args, "--memory-limit", "1K"])
    assert result.exit_code == 0, result.stderr
    search = json.loads(result.stdout)["strategies"]["optimal"]["search"]
    assert search["mode"] == "depth-first"
    assert search["memory_limit_bytes"] == 1024
    assert search["states"] > 0
    assert search["states_per_second"] > 0
    bad = runner.invoke(cli, [*args, "--memory-limit", "lots"])
    assert bad.exit_code == 2
    assert bad.stderr.startswith("Error: --memory-limit must be a size")
