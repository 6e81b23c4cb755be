"""The vertex elimination engine against the recursion counts, a plain reference, and itself
at block and node level."""

from __future__ import annotations

import itertools
import random

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from graphcost.count.recursions import count, count_symbolic
from graphcost.eliminate.bitmatrix import BitMatrixState
from graphcost.eliminate.engine import EliminationState, eliminate, node_engine
from graphcost.eliminate.problem import elimination_problem, problem_from_edges
from graphcost.errors import GraphTooLargeError, UsageError
from graphcost.graph.loader import graph_from_dict, load_graph
from tests.conftest import GRAPHS

SEED_004 = {
    "V": ["x", "w", "b"],
    "D": ["v1", "v2", "v3"],
    "D'": ["y"],
    "E": [
        ["x", "v1"],
        ["w", "v1"],
        ["v1", "v2"],
        ["b", "v2"],
        ["v2", "v3"],
        ["v3", "y"],
        ["x", "y"],
    ],
}


@st.composite
def node_graphs(draw: st.DrawFn, most_intermediates: int = 7) -> dict:
    """A random node-level graph file (as a dict): inputs have no predecessors, outputs no
    successors, and D is listed in a shuffled (not necessarily topological) file order."""
    inputs = draw(st.integers(1, 3))
    middle = draw(st.integers(0, most_intermediates))
    outputs = draw(st.integers(1, 3))
    hidden = [f"x{i}" for i in range(inputs)] + [f"v{i}" for i in range(middle)]
    hidden += [f"y{i}" for i in range(outputs)]
    pairs = [
        (a, b)
        for i, a in enumerate(hidden)
        for b in hidden[i + 1 :]
        if not a.startswith("y") and not b.startswith("x")
    ]
    chosen = draw(st.lists(st.booleans(), min_size=len(pairs), max_size=len(pairs)))
    d_names = [f"v{i}" for i in range(middle)]
    file_order = draw(st.permutations(d_names))
    return {
        "V": hidden[:inputs],
        "D": list(file_order),
        "D'": hidden[inputs + middle :],
        "E": [list(pair) for pair, keep in zip(pairs, chosen, strict=True) if keep],
    }


def reference_eliminate(edges: set[tuple[str, str]], order: list[str]) -> tuple[int, int]:
    """Vertex elimination written plainly over a set of (from, to) pairs."""
    edges = set(edges)
    multiplications = additions = 0
    for j in order:
        preds = [a for a, b in edges if b == j]
        succs = [b for a, b in edges if a == j]
        for p, s in itertools.product(preds, succs):
            multiplications += 1
            if (p, s) in edges:
                additions += 1
            edges.add((p, s))
        edges = {(a, b) for a, b in edges if j not in (a, b)}
    return multiplications, additions


def assert_topological_orders_match_the_recursion(graph, level: str = "block") -> None:
    """Eliminating in topological order (and its reverse) counts what forward (backward)
    recursion counts, multiplications and additions."""
    recursion = count(graph, level=level)
    problem = elimination_problem(graph, level=level)
    order = problem.topological_order()
    forward, backward = eliminate(problem, order), eliminate(problem, order[::-1])
    assert (forward.multiplications, forward.additions) == (
        recursion.forward.multiplications,
        recursion.forward.additions,
    )
    assert (backward.multiplications, backward.additions) == (
        recursion.backward.multiplications,
        recursion.backward.additions,
    )


@settings(max_examples=150, deadline=None)
@given(node_graphs())
def test_forward_and_reverse_orders_equal_the_recursion_counts(data: dict) -> None:
    assert_topological_orders_match_the_recursion(graph_from_dict(data), level="node")


@settings(max_examples=100, deadline=None)
@given(node_graphs(), st.randoms(use_true_random=False))
def test_any_order_equals_the_plain_reference(data: dict, rng: random.Random) -> None:
    graph = graph_from_dict(data)
    problem = elimination_problem(graph)
    order = list(data["D"])
    rng.shuffle(order)
    cost = eliminate(problem, order)
    edges = {(a, b) for a, b in data["E"]}
    assert (cost.multiplications, cost.additions) == reference_eliminate(edges, order)
    assert cost.order == tuple(order)


def test_topological_order_follows_the_file_order_where_it_can() -> None:
    graph = graph_from_dict(
        {
            "V": ["x"],
            "D": ["c", "a", "b"],
            "D'": ["y"],
            "E": [["x", "a"], ["a", "b"], ["b", "c"], ["c", "y"]],
        }
    )
    problem = elimination_problem(graph)
    assert [problem.names[v] for v in problem.intermediates] == ["c", "a", "b"]
    assert [problem.names[v] for v in problem.topological_order()] == ["a", "b", "c"]


def test_seed_004_by_hand() -> None:
    # Forward: v1 has preds {x, w}, succ v2 (2); then v2 has {x, w, b} → v3 (3); v3 has
    # {x, w, b} → y (3), and x→y exists: one addition. Reverse: v3 1, v2 2 (v1, b → y),
    # v1 2 (x, w → y), x→y exists: one addition.
    problem = elimination_problem(graph_from_dict(SEED_004))
    forward = eliminate(problem, ["v1", "v2", "v3"])
    reverse = eliminate(problem, ["v3", "v2", "v1"])
    assert (forward.multiplications, forward.additions) == (8, 1)
    assert (reverse.multiplications, reverse.additions) == (5, 1)


def exercise_4b(n: int) -> tuple[int, int]:
    """Seed 000, Exercise 4b by hand (see tests/test_counting.py)."""
    v, v1, v2 = n, 2 * n // 3, n // 3
    return v * v2 * (v1 + 1), v1 * (v2 + v)


@pytest.mark.parametrize("n", [3, 30, 3 * 10**9])
def test_exercise_4b_block_level(n: int) -> None:
    problem = elimination_problem(load_graph(GRAPHS / "exercise-4b.yaml"), {"n": n})
    assert problem.level == "block"
    forward = eliminate(problem, ["h1", "h2"]).multiplications
    backward = eliminate(problem, ["h2", "h1"]).multiplications
    assert (forward, backward) == exercise_4b(n)


@pytest.mark.parametrize(
    "name", ["exercise-4b.yaml", "exercise-4c.yaml", "mlp-relu.yaml", "seed-002-network.yaml"]
)
def test_shipped_block_graphs_match_the_recursion(name: str) -> None:
    assert_topological_orders_match_the_recursion(load_graph(GRAPHS / name))


@st.composite
def block_graphs(draw: st.DrawFn) -> dict:
    """A random block graph with sizes 1..3, full and diag edges (diag only between equal sizes)."""
    inputs = draw(st.integers(1, 2))
    middle = draw(st.integers(0, 4))
    outputs = draw(st.integers(1, 2))
    names = [f"x{i}" for i in range(inputs)] + [f"b{i}" for i in range(middle)]
    names += [f"y{i}" for i in range(outputs)]
    sizes = {name: draw(st.integers(1, 3)) for name in names}
    edges = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            if a.startswith("y") or b.startswith("x"):
                continue
            kind = draw(
                st.sampled_from(
                    ["none", "full", "diag"] if sizes[a] == sizes[b] else ["none", "full"]
                )
            )
            if kind != "none":
                edges.append([a, b, "diag"] if kind == "diag" else [a, b])
    return {
        "symbols": {f"s_{name}": size for name, size in sizes.items()},
        "V": {name: f"s_{name}" for name in names[:inputs]},
        "D": {name: f"s_{name}" for name in names[inputs : inputs + middle]},
        "D'": {name: f"s_{name}" for name in names[inputs + middle :]},
        "E": edges,
    }


def nodes_of(problem, block: str) -> list[str]:
    return [n for n in problem.names if n == block or n.startswith(f"{block}[")]


@settings(max_examples=150, deadline=None)
@given(block_graphs(), st.randoms(use_true_random=False))
def test_block_level_equals_node_level(data: dict, rng: random.Random) -> None:
    graph = graph_from_dict(data)
    blocks = elimination_problem(graph, level="block")
    nodes = elimination_problem(graph, level="node")
    order = list(data["D"])
    rng.shuffle(order)
    at_block = eliminate(blocks, order)
    at_node = eliminate(nodes, [n for block in order for n in nodes_of(nodes, block)])
    assert (at_block.multiplications, at_block.additions) == (
        at_node.multiplications,
        at_node.additions,
    )


@settings(max_examples=60, deadline=None)
@given(block_graphs())
def test_block_level_forward_and_backward_equal_the_recursion(data: dict) -> None:
    assert_topological_orders_match_the_recursion(graph_from_dict(data))


def test_symbolic_costs_equal_the_symbolic_recursion() -> None:
    graph = load_graph(GRAPHS / "exercise-4b.yaml")
    problem = elimination_problem(graph, symbolic=True)
    assert problem.symbolic
    forward = eliminate(problem, ["h1", "h2"])
    backward = eliminate(problem, ["h2", "h1"])
    recursion = count_symbolic(graph)
    assert sympy.expand(forward.multiplications - recursion.forward.multiplications) == 0
    assert sympy.expand(backward.additions - recursion.backward.additions) == 0
    (n,) = forward.multiplications.free_symbols
    for value in (3, 30, 300):
        assert forward.multiplications.subs(n, value) == exercise_4b(value)[0]


@pytest.mark.parametrize("values", [{}, {"p": 7, "m1": 5, "m2": 3}])
def test_symbolic_costs_with_diag_edges_evaluate_to_the_numeric_ones(values: dict) -> None:
    graph = load_graph(GRAPHS / "mlp-relu.yaml")
    symbolic = elimination_problem(graph, symbolic=True)
    numeric = elimination_problem(graph, values)
    order = ["z2", "f1", "f3", "z1", "f2"]
    exact = eliminate(numeric, order)
    expression = eliminate(symbolic, order)
    substitution = {
        s: graph.symbol_values(values)[s.name]
        for s in sympy.Add(expression.multiplications, expression.additions).free_symbols
    }
    assert expression.multiplications.subs(substitution) == exact.multiplications
    assert expression.additions.subs(substitution) == exact.additions


def test_symbolic_needs_block_level() -> None:
    with pytest.raises(UsageError, match="block level"):
        elimination_problem(load_graph(GRAPHS / "exercise-4b.yaml"), level="node", symbolic=True)


def test_unknown_level_is_refused() -> None:
    with pytest.raises(UsageError, match="unknown level 'edges'"):
        elimination_problem(graph_from_dict(SEED_004), level="edges")


@pytest.mark.parametrize(
    ("order", "message"),
    [
        (["v1", "v2"], "leaves out 1 intermediate vertex: v3"),
        (["v1", "v2", "v2"], "names 'v2' twice"),
        (["v1", "v2", "nope"], "unknown vertex 'nope'"),
        (["v1", "v2", "x"], "'x' is not an intermediate vertex"),
        (["v1", "v2", 99], "vertex index 99 is out of range"),
        (["v1", "v2", 2.5], "not 2.5"),
    ],
)
def test_orders_that_are_not_permutations_of_d_are_refused(order: list, message: str) -> None:
    problem = elimination_problem(graph_from_dict(SEED_004))
    with pytest.raises(UsageError, match=message):
        eliminate(problem, order)


def test_orders_may_be_given_as_indices() -> None:
    problem = elimination_problem(graph_from_dict(SEED_004))
    by_index = eliminate(problem, problem.intermediates[::-1])
    assert by_index == eliminate(problem, ["v3", "v2", "v1"])


def test_state_cost_predicts_the_elimination_and_copies_are_independent() -> None:
    problem = elimination_problem(load_graph(GRAPHS / "seed-002-network.yaml"))
    state = EliminationState(problem)
    z2 = problem.index["z2"]
    twin = state.copy()
    predicted = state.cost(z2)
    assert state.eliminate(z2)[0] == predicted
    assert twin.cost(z2) == predicted
    assert twin.eliminated == []
    assert twin.multiplications == 0
    assert state.eliminated == [z2]


def test_problem_from_edges_checks_names() -> None:
    with pytest.raises(UsageError, match="undeclared vertex 'q'"):
        problem_from_edges([("x", "q")], inputs=["x"], intermediates=[], outputs=["y"])


@settings(max_examples=100, deadline=None)
@given(node_graphs(most_intermediates=9), st.randoms(use_true_random=False))
def test_bit_matrix_engine_equals_the_set_engine(data: dict, rng: random.Random) -> None:
    problem = elimination_problem(graph_from_dict(data))
    order = list(data["D"])
    rng.shuffle(order)
    assert eliminate(problem, order, engine="bits") == eliminate(problem, order, engine="sets")


def test_bit_matrix_engine_across_word_boundaries() -> None:
    # 150 vertices: rows span three 64-bit words; a ladder with cross links past bit 63.
    names = [f"n{i}" for i in range(150)]
    edges = [(names[i], names[j]) for i in range(149) for j in (i + 1, i + 70) if j < 150]
    problem = problem_from_edges(
        edges, inputs=names[:1], intermediates=names[1:149], outputs=names[149:]
    )
    order = problem.intermediates[::3] + problem.intermediates[1::3] + problem.intermediates[2::3]
    bits = eliminate(problem, order, engine="bits")
    assert bits == eliminate(problem, order, engine="sets")
    named = [problem.names[v] for v in order]
    assert (bits.multiplications, bits.additions) == reference_eliminate(set(edges), named)


def test_engine_choice() -> None:
    problem = elimination_problem(graph_from_dict(SEED_004))
    assert node_engine(problem) == "sets"
    assert node_engine(problem, "bits") == "bits"
    with pytest.raises(UsageError, match="unknown engine 'gpu'"):
        node_engine(problem, "gpu")
    block = elimination_problem(load_graph(GRAPHS / "exercise-4b.yaml"))
    assert node_engine(block, "bits") == "sets"
    with pytest.raises(UsageError, match="node level only"):
        BitMatrixState(block)


@settings(max_examples=100, deadline=None)
@given(node_graphs(most_intermediates=9), st.randoms(use_true_random=False))
def test_bit_matrices_compacted_at_every_step_equal_the_set_engine(
    data: dict, rng: random.Random
) -> None:
    problem = elimination_problem(graph_from_dict(data))
    order = list(problem.intermediates)
    rng.shuffle(order)
    bits = BitMatrixState(problem, compact_above=0)
    sets = EliminationState(problem)
    for vertex in order:
        assert bits.cost(vertex) == sets.cost(vertex)
        assert bits.eliminate(vertex) == sets.eliminate(vertex)
        for other in range(len(problem.names)):
            assert bits.indegree[other] == len(sets.preds[other])
            assert bits.outdegree[other] == len(sets.succs[other])
    assert (bits.multiplications, bits.additions) == (sets.multiplications, sets.additions)


def test_node_level_elimination_refuses_huge_expansions() -> None:
    graph = load_graph(GRAPHS / "exercise-4b.yaml")
    with pytest.raises(GraphTooLargeError, match="node-level elimination of 'exercise-4b'"):
        elimination_problem(graph, {"n": 3 * 10**5}, level="node")
