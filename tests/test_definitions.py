"""The g: section: parsing, the edges it implies, and agreement with E (through the loader)."""

from __future__ import annotations

import numpy as np
import pytest

from graphcost.count.recursions import count
from graphcost.errors import ExpressionError, GraphValidationError
from graphcost.graph.definitions import parse_definitions
from graphcost.graph.loader import graph_from_dict, load_graph
from tests.conftest import GRAPHS


def edges_of(graph) -> set[tuple[str, str, bool]]:
    names = [b.name for b in graph.blocks]
    return {
        (names[a], names[b], bool(d))
        for a, b, d in zip(graph.edges.src, graph.edges.dst, graph.edges.diag, strict=True)
    }


def test_edges_derived_from_g_equal_the_listed_ones() -> None:
    listed = load_graph(GRAPHS / "seed-004-expression.yaml")
    data = {"V": ["x", "w", "b"], "D": ["v1", "v2", "v3"], "D'": ["y"], "g": listed.extra["g"]}
    derived = graph_from_dict(data)
    assert edges_of(derived) == edges_of(listed)
    assert count(derived).to_dict() | {"graph": None} == count(listed).to_dict() | {"graph": None}


def test_block_edges_derived_from_layer_ops_and_elementwise() -> None:
    listed = load_graph(GRAPHS / "seed-002-network.yaml")
    data = {
        "symbols": listed.symbols,
        "V": {"x0": "h0"},
        "D": {"z1": "h1", "x1": "h1", "z2": "h2", "x2": "h2"},
        "D'": {"f": "h3"},
        "g": listed.extra["g"],
    }
    derived = graph_from_dict(data)
    assert edges_of(derived) == edges_of(listed)
    assert ("z1", "x1", True) in edges_of(derived)  # sigmoid is elementwise: diag
    assert ("x0", "z1", False) in edges_of(derived)  # linear is a layer op: full


def test_shipped_graphs_keep_their_counts() -> None:
    # Adding g must not change what the core counts (values derived by hand in test_counting).
    result = count(load_graph(GRAPHS / "seed-004-expression.yaml"))
    assert (result.forward.multiplications, result.backward.multiplications) == (8, 5)


def test_definition_parents_and_constants() -> None:
    graph = load_graph(GRAPHS / "mlp-relu.yaml")
    definitions = parse_definitions(graph.extra["g"], graph.blocks, graph.extra["params"])
    loss = definitions[graph.index["loss"]]
    assert loss.op is None
    assert loss.constants == ("y",)
    assert [graph.blocks[p].name for p in loss.parents] == ["f3"]
    f2 = definitions[graph.index["f2"]]
    assert (f2.op, [graph.blocks[p].name for p in f2.parents]) == ("affine", ["z1"])


BASE = {"V": ["x", "w"], "D": ["v"], "D'": ["y"]}


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (
            {"g": {"v": "x * w", "y": "v"}, "E": [["x", "v"], ["v", "y"]]},
            "g of 'v' (x * w) uses 'w', but E has no edge [w, v]",
        ),
        (
            {"g": {"v": "x", "y": "v"}, "E": [["x", "v"], ["w", "v"], ["v", "y"]]},
            "E has edge [w, v], but g of 'v' (x) does not use 'w'",
        ),
        ({"g": {"v": "x"}}, "g has no definition for 'y'"),
        ({"g": {"v": "x", "y": "v", "x": "1"}}, "g defines input 'x'"),
        ({"g": {"v": "x", "y": "v", "q": "1"}}, "g defines 'q', which is not a declared node"),
        ({"g": {"v": "x + k", "y": "v"}}, "uses unknown name 'k'"),
        ({"g": {"v": "x", "y": "relu(linear(v))"}}, "linear(...) must be the whole definition"),
        ({"g": {"v": "linear(x + w)", "y": "v"}}, "the arguments of linear must be block names"),
        ({"g": {"v": "linear()", "y": "v"}}, "needs at least one parent block"),
        ({"g": {"v": "v * x", "y": "v"}}, "uses 'v' itself"),
        ({"g": {"v": "x", "y": "v"}, "params": {"x": 1}}, "parameter 'x' has the name of a node"),
        ({"g": {"v": [1, 2], "y": "v"}}, "must be an expression"),
        ({"g": ["v"]}, "'g' must be a mapping"),
    ],
)
def test_bad_definitions(extra: dict, fragment: str) -> None:
    with pytest.raises(GraphValidationError) as caught:
        graph_from_dict({**BASE, **extra})
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    ("g", "fragment"),
    [
        ("exp(x, w)", "exp takes 1 argument, got 2 in 'exp(x, w)'"),
        ("x + sin()", "sin takes 1 argument, got 0 in 'sin()'"),
    ],
)
def test_function_arity_is_checked_at_load(g: str, fragment: str) -> None:
    # Found by the acceptance audit: a wrong arity used to reach sympy as an internal error.
    with pytest.raises(ExpressionError) as caught:
        graph_from_dict({**BASE, "g": {"v": g, "y": "v"}})
    assert fragment in str(caught.value)


def test_edge_kind_must_match_the_op() -> None:
    data = {
        "V": {"x": 3},
        "D'": {"y": 3},
        "g": {"y": "sin(x)"},
        "E": [["x", "y"]],
    }
    with pytest.raises(GraphValidationError, match="needs a diag \\(elementwise\\) edge"):
        graph_from_dict(data)
    data["g"] = {"y": "linear(x)"}
    data["E"] = [["x", "y", "diag"]]
    with pytest.raises(GraphValidationError, match="needs a full \\(layer op\\) edge"):
        graph_from_dict(data)


def test_error_names_the_line(write_graph) -> None:
    path = write_graph("V: [x]\nD': [y]\ng:\n  y: x.real\n")
    with pytest.raises(ExpressionError) as caught:
        load_graph(path)
    assert str(caught.value).startswith(f"{path}:4: g of 'y': attribute access not allowed")


def test_missing_e_and_g_still_reports_missing_e() -> None:
    with pytest.raises(GraphValidationError, match="missing section 'E'"):
        graph_from_dict(BASE)


def test_numbers_are_definitions() -> None:
    graph = graph_from_dict({"V": ["x"], "D'": ["y", "z"], "g": {"y": "2.5 * x", "z": 3}})
    assert np.array_equal(graph.edges.src, [0])


@pytest.mark.parametrize("constant", ["10**400", "(1e308 * 10)", "(2**1000 * 2**30)"])
def test_constants_beyond_the_float_range_are_refused(constant: str) -> None:
    with pytest.raises(ExpressionError, match="beyond the range of a float"):
        graph_from_dict({"V": ["x"], "D'": ["y"], "g": {"y": f"x * {constant}"}})


def test_a_non_integer_constant_power_stays_allowed() -> None:
    graph_from_dict({"V": ["x"], "D'": ["y"], "g": {"y": "x * 2**0.5"}})
