"""Elimination strategies: the registry, each strategy against brute force and hand counts."""

from __future__ import annotations

import itertools
import random

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from graphcost.cli.strategies import write_order
from graphcost.eliminate.engine import EliminationState, eliminate
from graphcost.eliminate.heuristics import read_order
from graphcost.eliminate.problem import (
    EliminationProblem,
    elimination_problem,
    problem_from_edges,
)
from graphcost.eliminate.registry import (
    ALIASES,
    STRATEGIES,
    Strategy,
    StrategyOptions,
    StrategyOutcome,
    get_strategy,
    register,
)
from graphcost.eliminate.strategies import run_strategy
from graphcost.errors import GraphFileError, UsageError
from graphcost.graph.loader import graph_from_dict, load_graph
from tests.conftest import GRAPHS
from tests.test_elimination import SEED_004, node_graphs

#: Options that keep every strategy (including searches registered by other modules) quick.
QUICK = StrategyOptions(seed=0, time_limit=0.2, iterations=200)
#: Published vertex-elimination counts of two small AD benchmark graphs (AlphaGrad, NeurIPS
#: 2024; ../shared/benchmarks/ad-scalar-graphs.json): forward, reverse, Markowitz.
SIMPLE = {
    "inputs": ["v0", "v1"],
    "intermediates": ["v2", "v3"],
    "outputs": ["v4", "v5"],
    "edges": [("v0", "v2"), ("v1", "v2"), ("v2", "v3"), ("v2", "v4"), ("v3", "v4"), ("v3", "v5")],
    "published": (8, 6, 6),
}
HOLE = {
    "inputs": ["v0", "v1", "v2", "v3"],
    "intermediates": ["v4", "v5", "v6", "v7", "v8"],
    "outputs": ["v9", "v10", "v11"],
    "edges": [
        ("v1", "v4"),
        ("v2", "v4"),
        ("v0", "v5"),
        ("v4", "v5"),
        ("v3", "v6"),
        ("v4", "v6"),
        ("v5", "v7"),
        ("v6", "v8"),
        ("v7", "v9"),
        ("v8", "v9"),
        ("v7", "v10"),
        ("v8", "v10"),
        ("v7", "v11"),
        ("v8", "v11"),
    ],
    "published": (28, 24, 26),
}
#: Cormen et al., Introduction to Algorithms, §15.2: the optimum is 15125 scalar products.
CORMEN = [30, 35, 15, 5, 10, 20, 25]


def brute_force_minimum(problem: EliminationProblem) -> int:
    """The cheapest multiplications over every order of the intermediates, by enumeration."""
    return min(
        eliminate(problem, order).multiplications
        for order in itertools.permutations(problem.intermediates)
    )


def layered_chain(dims: list[int], diag: list[bool] | None = None) -> dict:
    """x(d0) → h1(d1) → … → y(dL) as a graph dict; edge i is diag where ``diag[i]``."""
    names = ["x"] + [f"h{i}" for i in range(1, len(dims) - 1)] + ["y"]
    diag = diag or [False] * (len(dims) - 1)
    return {
        "V": {"x": dims[0]},
        "D": dict(zip(names[1:-1], dims[1:-1], strict=True)),
        "D'": {"y": dims[-1]},
        "E": [
            [a, b, "diag"] if is_diag else [a, b]
            for (a, b), is_diag in zip(itertools.pairwise(names), diag, strict=True)
        ],
    }


def strategy_spec(name: str, problem: EliminationProblem) -> str:
    """The spec to run a registered strategy: those taking an argument get the forward order."""
    if not STRATEGIES[name].takes_argument:
        return name
    order = [problem.names[v] for v in problem.topological_order()]
    if name == "graphax":  # Graphax's equation indices: v12 -> 12
        return "graphax:[" + ",".join(n.removeprefix("v") for n in order) + "]"
    return f"{name}:" + ",".join(order)


def check_result(problem: EliminationProblem, name: str) -> int:
    """Run a strategy and check what every strategy must satisfy; return its multiplications
    (-1 when ``graphax`` refuses a graph without equation numbering, as it must)."""
    try:
        result = run_strategy(problem, strategy_spec(name, problem), QUICK)
    except (UsageError, GraphFileError) as error:
        if name == "graphax" and "equation" in str(error):  # tests/test_graphax_orders.py
            return -1
        raise
    assert sorted(problem.index[n] for n in result.order) == sorted(problem.intermediates)
    assert result.cost == eliminate(problem, result.order)
    best = brute_force_minimum(problem)
    assert result.cost.multiplications >= best
    if result.lower_bound is not None:
        assert result.lower_bound <= best
    if result.proven_optimal:
        assert result.cost.multiplications == best
    assert result.seconds >= 0
    return result.cost.multiplications


# --- every registered strategy (those registered by other modules included) ---------------


@pytest.mark.parametrize("name", sorted(STRATEGIES))
@settings(max_examples=25, deadline=None)
@given(data=node_graphs(most_intermediates=6))
def test_every_strategy_returns_a_valid_order_scored_by_the_engine(name: str, data: dict) -> None:
    problem = elimination_problem(graph_from_dict(data))
    try:
        check_result(problem, name)
    except UsageError:
        if name != "chain":  # the only built-in strategy that applies to some graphs only
            raise


@pytest.mark.parametrize("name", sorted(STRATEGIES))
@pytest.mark.parametrize("graph", [SIMPLE, HOLE], ids=["Simple", "Hole"])
def test_every_strategy_on_the_published_graphs(name: str, graph: dict) -> None:
    problem = scalar_problem(graph)
    if name == "chain":
        with pytest.raises(UsageError, match="chain-structured"):
            run_strategy(problem, name, QUICK)
        return
    check_result(problem, name)


@pytest.mark.parametrize("name", sorted(STRATEGIES))
@pytest.mark.parametrize("level", ["block", "node"])
def test_every_strategy_applies_to_a_chain_at_both_levels(name: str, level: str) -> None:
    problem = elimination_problem(graph_from_dict(layered_chain([3, 2, 4, 1, 2])), level=level)
    if level == "node" and name == "chain":
        with pytest.raises(UsageError, match="chain-structured"):
            run_strategy(problem, name, QUICK)
        return
    check_result(problem, name)


def test_optimal_equals_brute_force_and_beats_every_strategy() -> None:
    """Runs once another module registers 'optimal' (graphcost.eliminate.exact); fails if it is
    wrong."""
    if "optimal" not in STRATEGIES:
        pytest.skip("no 'optimal' strategy registered yet (graphcost.eliminate.exact)")
    rng = random.Random(5)
    graphs = [scalar_problem(SIMPLE), scalar_problem(HOLE)]
    for _ in range(40):
        graphs.append(random_problem(rng, intermediates=rng.randint(1, 7)))
    for problem in graphs:
        optimal = run_strategy(problem, "optimal", QUICK)
        best = brute_force_minimum(problem)
        assert optimal.cost.multiplications == best, problem.graph_name
        assert optimal.proven_optimal
        for name in STRATEGIES:
            if name in ("optimal", "chain") or STRATEGIES[name].takes_argument:
                continue
            assert best <= run_strategy(problem, name, QUICK).cost.multiplications


def random_problem(rng: random.Random, *, intermediates: int) -> EliminationProblem:
    inputs = [f"x{i}" for i in range(rng.randint(1, 3))]
    middle = [f"v{i}" for i in range(intermediates)]
    outputs = [f"y{i}" for i in range(rng.randint(1, 3))]
    names = inputs + middle + outputs
    edges = [
        (a, b)
        for i, a in enumerate(names)
        for b in names[i + 1 :]
        if a not in outputs and b not in inputs and rng.random() < 0.4
    ]
    return problem_from_edges(
        edges, inputs=inputs, intermediates=middle, outputs=outputs, name=f"random-{len(edges)}"
    )


def scalar_problem(graph: dict) -> EliminationProblem:
    return problem_from_edges(
        graph["edges"],
        inputs=graph["inputs"],
        intermediates=graph["intermediates"],
        outputs=graph["outputs"],
    )


# --- the registry ---------------------------------------------------------------------------


def test_reverse_is_an_alias_of_backward() -> None:
    assert ALIASES["reverse"] == "backward"
    assert get_strategy("reverse") is get_strategy("backward")
    problem = elimination_problem(graph_from_dict(SEED_004))
    result = run_strategy(problem, "reverse")
    assert result.name == "backward"
    assert result.order == ("v3", "v2", "v1")


def test_unknown_strategy_lists_the_valid_names_and_aliases() -> None:
    with pytest.raises(UsageError, match="unknown strategy 'fastest'") as error:
        get_strategy("fastest")
    for name in ("forward", "backward", "markowitz", "chain", "reverse (= backward)"):
        assert name in str(error.value)


def test_register_refuses_a_taken_name() -> None:
    with pytest.raises(ValueError, match="'forward' is taken"):
        register("forward", description="again")(lambda problem, options: ())


def test_a_plain_sequence_is_accepted_and_rescored(monkeypatch: pytest.MonkeyPatch) -> None:
    def flattering(problem: EliminationProblem, options: StrategyOptions):
        return [problem.names[v] for v in problem.intermediates]

    monkeypatch.setitem(STRATEGIES, "plain", Strategy("plain", flattering, "a plain list"))
    problem = elimination_problem(graph_from_dict(SEED_004))
    assert run_strategy(problem, "plain").cost.multiplications == 8


def test_a_lower_bound_above_the_own_cost_is_a_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    def boastful(problem: EliminationProblem, options: StrategyOptions) -> StrategyOutcome:
        return StrategyOutcome(tuple(problem.intermediates), lower_bound=10**6)

    monkeypatch.setitem(STRATEGIES, "boastful", Strategy("boastful", boastful, "wrong bound"))
    with pytest.raises(RuntimeError, match="lower bound 1000000 above the cost 8"):
        run_strategy(elimination_problem(graph_from_dict(SEED_004)), "boastful")


# --- forward, backward, markowitz -----------------------------------------------------------


@pytest.mark.parametrize("graph", [SIMPLE, HOLE], ids=["Simple", "Hole"])
def test_published_forward_reverse_markowitz_counts(graph: dict) -> None:
    problem = scalar_problem(graph)
    counts = tuple(
        run_strategy(problem, name).cost.multiplications
        for name in ("forward", "reverse", "markowitz")
    )
    assert counts == graph["published"]


def test_markowitz_ties_go_to_the_earliest_vertex_in_d() -> None:
    # Seed 004: v3 costs 1 first; then v1 and v2 both cost 2·1: v1 (earlier in D) goes first,
    # after which v2 costs 3·1. Ties to v2 would give 1 + 2 + 2 = 5.
    problem = elimination_problem(graph_from_dict(SEED_004))
    result = run_strategy(problem, "markowitz")
    assert result.order == ("v3", "v1", "v2")
    assert result.cost.multiplications == 6
    swapped = graph_from_dict({**SEED_004, "D": ["v2", "v1", "v3"]})
    assert run_strategy(elimination_problem(swapped), "markowitz").order == ("v3", "v2", "v1")


def reference_markowitz(problem: EliminationProblem) -> list[int]:
    """Markowitz written plainly: every step recomputes every remaining vertex's cost."""
    state = EliminationState(problem)
    remaining = list(problem.intermediates)
    order = []
    while remaining:
        vertex = min(remaining, key=lambda v: (state.cost(v), problem.position[v]))
        state.eliminate(vertex)
        remaining.remove(vertex)
        order.append(vertex)
    return order


@settings(max_examples=100, deadline=None)
@given(node_graphs(most_intermediates=10))
def test_markowitz_heap_equals_the_plain_greedy(data: dict) -> None:
    problem = elimination_problem(graph_from_dict(data))
    result = run_strategy(problem, "markowitz")
    assert [problem.index[n] for n in result.order] == reference_markowitz(problem)


@settings(max_examples=100, deadline=None)
@given(node_graphs(most_intermediates=10))
def test_markowitz_on_bit_matrices_equals_markowitz_on_sets(data: dict) -> None:
    problem = elimination_problem(graph_from_dict(data))
    bits = run_strategy(problem, "markowitz", StrategyOptions(engine="bits"))
    assert bits.order == run_strategy(problem, "markowitz", StrategyOptions(engine="sets")).order


def test_markowitz_at_block_level_uses_block_costs() -> None:
    problem = elimination_problem(load_graph(GRAPHS / "exercise-4b.yaml"))
    # h1: 30·20·10 = 6000 now, h2: 20·10·1 = 200: h2 first, then h1 costs 30·20·1 = 600.
    result = run_strategy(problem, "markowitz")
    assert result.order == ("h2", "h1")
    assert result.cost.multiplications == 800


def test_strategies_that_compare_costs_refuse_symbolic_sizes() -> None:
    problem = elimination_problem(load_graph(GRAPHS / "exercise-4b.yaml"), symbolic=True)
    for name in ("markowitz", "chain"):
        with pytest.raises(UsageError, match="needs numeric sizes"):
            run_strategy(problem, name)
    # Exercise 4b backward: |V1|·(|V2| + |V|) = (2n/3)·(4n/3).
    backward = run_strategy(problem, "backward").cost.multiplications
    (n,) = backward.free_symbols
    assert sympy.expand(backward - 8 * n**2 / 9) == 0


# --- chain ----------------------------------------------------------------------------------


def test_chain_gives_the_cormen_optimum() -> None:
    graph = graph_from_dict(layered_chain(CORMEN))
    problem = elimination_problem(graph)
    result = run_strategy(problem, "chain")
    assert result.cost.multiplications == 15125
    # Factor A_k is d_{k-1} × d_k, so multiplying A_k by A_{k+1} eliminates layer h_k. Cormen's
    # bracketing ((A1 (A2 A3)) ((A4 A5) A6)) in post-order: h2, h1, then h4, h5, and h3 last.
    assert result.order == ("h2", "h1", "h4", "h5", "h3")
    assert result.cost.multiplications == brute_force_minimum(problem)
    # The same order at node level, on the 140-node expanded graph, costs the same.
    nodes = elimination_problem(graph, level="node")
    expanded = [n for block in result.order for n in nodes.names if n.startswith(f"{block}[")]
    assert eliminate(nodes, expanded).multiplications == 15125


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(1, 6), min_size=2, max_size=7).flatmap(
        lambda dims: st.tuples(
            st.just(dims),
            st.lists(st.booleans(), min_size=len(dims) - 1, max_size=len(dims) - 1),
        )
    )
)
def test_chain_equals_brute_force_over_block_orders(case: tuple[list[int], list[bool]]) -> None:
    dims, diag = case
    diag = [d and dims[i] == dims[i + 1] for i, d in enumerate(diag)]
    problem = elimination_problem(graph_from_dict(layered_chain(dims, diag)), level="block")
    assert run_strategy(problem, "chain").cost.multiplications == brute_force_minimum(problem)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (SEED_004, "has 3 inputs and 1 outputs"),
        (
            {"V": ["x"], "D": ["a", "b"], "D'": ["y"], "E": [["x", "a"], ["x", "b"], ["a", "y"]]},
            "'x' has 2 successors",
        ),
        (
            {"V": ["x"], "D": ["a", "b"], "D'": ["y"], "E": [["x", "a"], ["a", "y"], ["b", "y"]]},
            "'y' has 2 predecessors",
        ),
    ],
)
def test_chain_refuses_other_graphs(data: dict, reason: str) -> None:
    with pytest.raises(UsageError, match=reason):
        run_strategy(elimination_problem(graph_from_dict(data)), "chain")


def test_chain_handles_diag_edges_of_an_mlp() -> None:
    problem = elimination_problem(load_graph(GRAPHS / "mlp-relu.yaml"))
    result = run_strategy(problem, "chain")
    assert result.cost.multiplications == brute_force_minimum(problem)


# --- explicit orders ------------------------------------------------------------------------


def test_explicit_order_from_text_and_from_a_file(tmp_path) -> None:
    problem = elimination_problem(graph_from_dict(SEED_004))
    inline = run_strategy(problem, "order:v3, v1,v2")
    assert inline.name == "order:v3, v1,v2"
    assert inline.order == ("v3", "v1", "v2")
    path = tmp_path / "best.order"
    write_order(path, inline.order)
    assert path.read_text() == "v3\nv1\nv2\n"
    assert read_order(path) == ["v3", "v1", "v2"]
    from_file = run_strategy(problem, f"order:{path}")
    assert from_file.cost == inline.cost


def test_order_files_skip_comments_and_blank_lines(tmp_path) -> None:
    path = tmp_path / "o.txt"
    path.write_text("# best found\nv2\n\n v1  # first\nv3\n")
    assert read_order(path) == ["v2", "v1", "v3"]


def test_explicit_order_needs_an_argument_and_a_permutation() -> None:
    problem = elimination_problem(graph_from_dict(SEED_004))
    with pytest.raises(UsageError, match="needs an argument"):
        run_strategy(problem, "order")
    with pytest.raises(UsageError, match="leaves out 1 intermediate vertex: v2"):
        run_strategy(problem, "order:v1,v3")


def test_a_missing_order_file_is_named(tmp_path) -> None:
    problem = elimination_problem(graph_from_dict(SEED_004))
    with pytest.raises(GraphFileError, match=r"best\.txt: no such order file"):
        run_strategy(problem, f"order:{tmp_path / 'best.txt'}")


def test_unreadable_order_file(tmp_path) -> None:
    with pytest.raises(GraphFileError, match="cannot read the order file"):
        read_order(tmp_path / "missing.txt")
