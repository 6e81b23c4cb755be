"""``analyze --explain``: each block's term of the counts (graphcost.count.explain).

The block terms are checked three ways: by hand (Exercise 4b, the README's worked example);
against a plain node-by-node reference written here with networkx (expand the graph, count
each node's products from its ancestors, successors, predecessors and descendants, add them up
per block); and their sums against ``count`` for every shipped graph and random graphs.
"""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from graphcost.count.explain import explain
from graphcost.count.recursions import count, count_symbolic
from graphcost.errors import GraphcostError
from graphcost.graph.loader import graph_from_dict, load_graph
from graphcost.jacobian.structure import expand
from tests.conftest import GRAPHS

SHIPPED = sorted(GRAPHS.rglob("*.yaml"))
QUANTITIES = (
    "forward_multiplications",
    "forward_additions",
    "backward_multiplications",
    "backward_additions",
)


def block_values(explanation, quantity: str) -> dict[str, object]:
    return {b.block: b.values[quantity] for b in explanation.blocks}


def test_exercise_4b_terms_by_hand() -> None:
    # The README's worked example: every node of h1 (|V1| = 2n/3) has the n inputs as
    # ancestors and the n/3 nodes of h2 as successors; every node of h2 the n inputs and y.
    n = sympy.Symbol("n", positive=True, integer=True)
    e = explain(load_graph(GRAPHS / "exercise-4b.yaml"), symbolic=True)
    forward = block_values(e, "forward_multiplications")
    backward = block_values(e, "backward_multiplications")
    assert sympy.simplify(forward["h1"] - (2 * n / 3) * n * (n / 3)) == 0
    assert sympy.simplify(forward["h2"] - (n / 3) * n * 1) == 0
    assert sympy.simplify(backward["h1"] - (2 * n / 3) * n * 1) == 0
    assert sympy.simplify(backward["h2"] - (n / 3) * (2 * n / 3) * 1) == 0
    assert forward["x"] == forward["y"] == backward["x"] == backward["y"] == 0
    [h1] = [b for b in e.blocks if b.block == "h1"]
    [part] = h1.parts["forward_multiplications"]
    assert part.labels == ("size", "inputs reaching", "successors")
    assert [
        sympy.simplify(f - g) for f, g in zip(part.factors, (2 * n / 3, n, n / 3), strict=True)
    ] == [0] * 3


def test_exercise_4b_general_terms_are_the_readme_products() -> None:
    V, V1, V2 = sympy.symbols("V V1 V2", positive=True, integer=True)
    e = explain(load_graph(GRAPHS / "exercise-4b-general.yaml"), symbolic=True)
    forward = block_values(e, "forward_multiplications")
    backward = block_values(e, "backward_multiplications")
    assert (forward["h1"], forward["h2"]) == (V1 * V * V2, V2 * V)
    assert (backward["h1"], backward["h2"]) == (V1 * V, V2 * V1)


def test_exercise_4b_dense_by_hand() -> None:
    # n = 30: every partial times |V| = 30 forward, times |D'| = 1 backward.
    e = explain(load_graph(GRAPHS / "exercise-4b.yaml"), convention="dense")
    partials = {"h1": 30 * 20, "h2": 20 * 10, "y": 10}
    assert block_values(e, "forward_multiplications") == {
        "x": 0,
        **{b: 30 * k for b, k in partials.items()},
    }
    assert block_values(e, "backward_multiplications") == {"x": 600, "h1": 200, "h2": 10, "y": 0}


def node_reference(graph, values=None) -> dict[str, dict[str, dict[str, int]]]:
    """Per convention and quantity, each block's term computed node by node, plainly."""
    nodes = expand(graph, graph.sizes(values), graph.shapes(values))
    g = nx.DiGraph()
    g.add_nodes_from(range(nodes.node_count))
    g.add_edges_from(zip(nodes.src.tolist(), nodes.dst.tolist(), strict=True))
    role = nodes.role.tolist()
    inputs = {v for v in g if role[v] == 0}
    outputs = {v for v in g if role[v] == 2}
    block_of = np.searchsorted(nodes.offsets, np.arange(nodes.node_count), side="right") - 1
    names = [b.name for b in graph.blocks]
    out = {c: {q: dict.fromkeys(names, 0) for q in QUANTITIES} for c in ("elimination", "dense")}

    def anc(v):  # inputs reaching v (an input reaches itself)
        return len((nx.ancestors(g, v) | {v}) & inputs)

    def desc(v):
        return len((nx.descendants(g, v) | {v}) & outputs)

    for v in g:
        name = names[block_of[v]]
        ops = out["elimination"]
        if role[v] == 1:
            ops["forward_multiplications"][name] += anc(v) * g.out_degree(v)
            ops["backward_multiplications"][name] += g.in_degree(v) * desc(v)
        # additions: the non-zero terms a node receives, less one per non-zero Δ it assembles
        if role[v] != 0:
            arriving = sum(anc(w) for w in g.predecessors(v))
            ops["forward_additions"][name] += arriving - anc(v)
        if role[v] != 2:
            arriving = sum(desc(w) for w in g.successors(v))
            ops["backward_additions"][name] += arriving - desc(v)
        dense = out["dense"]
        dense["forward_multiplications"][name] += len(inputs) * g.in_degree(v)
        dense["backward_multiplications"][name] += len(outputs) * g.out_degree(v)
        if g.in_degree(v):
            dense["forward_additions"][name] += len(inputs) * (g.in_degree(v) - 1)
        if g.out_degree(v):
            dense["backward_additions"][name] += len(outputs) * (g.out_degree(v) - 1)
    return out


SMALL = [
    p for p in SHIPPED if p.name in {"exercise-4b.yaml", "small.yaml", "seed-004-expression.yaml"}
]


@pytest.mark.parametrize("path", SMALL, ids=lambda p: p.name)
@pytest.mark.parametrize("convention", ["elimination", "dense"])
def test_block_terms_equal_the_node_by_node_reference(path: Path, convention: str) -> None:
    graph = load_graph(path)
    values = {"n": 6} if graph.free_symbols else None
    reference = node_reference(graph, values)[convention]
    e = explain(graph, convention=convention, values=values)
    for quantity in QUANTITIES:
        assert block_values(e, quantity) == reference[quantity], quantity


def shipped_graph(path: Path):
    try:
        return load_graph(path)
    except GraphcostError as error:  # pragma: no cover - every shipped graph loads
        pytest.fail(f"{path}: {error}")


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(GRAPHS)))
@pytest.mark.parametrize("convention", ["elimination", "dense"])
def test_block_terms_add_up_to_the_count_of_every_shipped_graph(
    path: Path, convention: str
) -> None:
    graph = shipped_graph(path)
    e = explain(graph, convention=convention)
    counted = count(graph, convention=convention, level="block")
    sums = {q: sum(b.values[q] for b in e.blocks) for q in QUANTITIES}
    assert sums == {
        "forward_multiplications": counted.forward.multiplications,
        "forward_additions": counted.forward.additions,
        "backward_multiplications": counted.backward.multiplications,
        "backward_additions": counted.backward.additions,
    }


SYMBOLIC = [p for p in SHIPPED if "benchmarks" not in p.parts and load_graph(p).free_symbols]


@pytest.mark.parametrize("path", SYMBOLIC, ids=lambda p: p.name)
def test_symbolic_block_terms_add_up_and_evaluate_to_the_numbers(path: Path) -> None:
    graph = load_graph(path)
    formulas = explain(graph, symbolic=True)
    numbers = explain(graph)
    symbolic = count_symbolic(graph)
    total = sympy.Add(*(b.values["forward_multiplications"] for b in formulas.blocks))
    assert sympy.expand(total - symbolic.forward.multiplications) == 0
    total = sympy.Add(*(b.values["backward_additions"] for b in formulas.blocks))
    assert sympy.expand(total - symbolic.backward.additions) == 0
    at = {sympy.Symbol(k, positive=True, integer=True): v for k, v in graph.symbol_values().items()}
    for f, v in zip(formulas.blocks, numbers.blocks, strict=True):
        for quantity in QUANTITIES:
            assert sympy.sympify(f.values[quantity]).subs(at) == v.values[quantity], f.block


@st.composite
def random_dags(draw):
    """A small random DAG of single nodes: inputs first, then the rest in topological order."""
    n_in = draw(st.integers(1, 3))
    n_mid = draw(st.integers(0, 5))
    n_out = draw(st.integers(1, 3))
    names = [f"x{i}" for i in range(n_in)] + [f"h{i}" for i in range(n_mid)]
    names += [f"y{i}" for i in range(n_out)]
    edges = []
    for j in range(n_in, len(names)):
        for i in range(j):
            if names[i].startswith("y"):
                continue
            if draw(st.booleans()):
                edges.append([names[i], names[j]])
    return {
        "V": names[:n_in],
        "D": names[n_in : n_in + n_mid],
        "D'": names[n_in + n_mid :],
        "E": edges,
    }


@settings(max_examples=60, deadline=None)
@given(random_dags(), st.sampled_from(["elimination", "dense"]))
def test_random_graphs_terms_match_the_reference_and_the_count(spec, convention) -> None:
    graph = graph_from_dict(spec)
    e = explain(graph, convention=convention)
    reference = node_reference(graph)[convention]
    counted = count(graph, convention=convention, level="node")
    for quantity in QUANTITIES:
        assert block_values(e, quantity) == reference[quantity], quantity
    assert sum(b.values["forward_multiplications"] for b in e.blocks) == (
        counted.forward.multiplications
    )
    assert sum(b.values["backward_multiplications"] for b in e.blocks) == (
        counted.backward.multiplications
    )


# -- the command ------------------------------------------------------------------------------


def run(runner, *args: str):
    from graphcost.cli import cli

    return runner.invoke(cli, list(args))


def test_explain_json_adds_up_to_analyze(runner) -> None:
    path = str(GRAPHS / "exercise-4b.yaml")
    explained = json.loads(run(runner, "analyze", path, "--explain", "--format", "json").stdout)
    analyzed = json.loads(run(runner, "analyze", path, "--format", "json").stdout)
    for schedule in ("forward", "backward"):
        for what in ("multiplications", "additions"):
            quantity = f"{schedule}_{what}"
            assert sum(b[quantity] for b in explained["blocks"]) == analyzed[schedule][what]
            assert explained["totals"][quantity] == analyzed[schedule][what]
    [h1] = [b for b in explained["blocks"] if b["block"] == "h1"]
    assert h1["formulas"]["forward_multiplications"] == "2*n**3/9"
    assert h1["forward_multiplications"] == 6000


def test_explain_table_names_the_convention_and_the_other_one(runner) -> None:
    result = run(runner, "analyze", str(GRAPHS / "exercise-4b.yaml"), "--explain")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "(2*n/3)·n·(n/3) = 2*n**3/9" in out
    assert "unit seed" in out
    # the other convention's counts at n = 30: 30 · 810 partials forward, 810 backward
    assert "24,300 forward, 810 backward, speed-up 30" in out


def test_explain_formulas_only(runner) -> None:
    result = run(runner, "analyze", "--layers", "n,2*n/3,n/3,1", "--explain", "--format", "json")
    data = json.loads(result.stdout)
    assert data["totals"] is None
    assert data["formulas"]["forward_multiplications"] == "2*n**3/9 + n**2/3"
    assert {b["block"]: b["forward_multiplications"] for b in data["blocks"]}["h1"] is None


def test_explain_refuses_nodes(runner) -> None:
    result = run(runner, "analyze", str(GRAPHS / "exercise-4b.yaml"), "--explain", "--nodes")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: --explain")
