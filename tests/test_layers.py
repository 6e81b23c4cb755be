"""Layered graphs from --layers: structure, counts by hand, errors."""

from __future__ import annotations

import pytest

from graphcost.count.recursions import count
from graphcost.errors import UsageError
from graphcost.graph.layers import layered_graph, parse_layers


def test_structure() -> None:
    graph = layered_graph(["n", "2*n/3", "n/3", "1"])
    assert [(b.name, b.role, b.size.text) for b in graph.blocks] == [
        ("x", "V", "n"), ("h1", "D", "2*n/3"), ("h2", "D", "n/3"), ("y", "D'", "1"),
    ]  # fmt: skip
    assert graph.edges.src.tolist() == [0, 1, 2]
    assert graph.edges.dst.tolist() == [1, 2, 3]
    assert not graph.edges.diag.any()
    assert graph.free_symbols == {"n"}
    assert graph.symbols == {}


def test_counts_match_exercise_4b_by_hand() -> None:
    n = 30
    result = count(layered_graph(parse_layers("n, 2*n/3, n/3, 1")), values={"n": n})
    v, v1, v2 = n, 2 * n // 3, n // 3
    assert result.forward.multiplications == v * v2 * (v1 + 1)
    assert result.backward.multiplications == v1 * (v2 + v)


def test_two_layers_is_one_full_edge() -> None:
    # x → y directly: no intermediate, so no products in either recursion.
    result = count(layered_graph([5, 3]))
    assert (result.forward.multiplications, result.backward.multiplications) == (0, 0)
    assert result.forward.additions == 0


def test_no_value_for_a_symbol() -> None:
    from graphcost.errors import SizeError

    with pytest.raises(SizeError, match="'n' has no value"):
        count(layered_graph(["n", "1"]))


@pytest.mark.parametrize(
    ("sizes", "message"),
    [
        (["3"], "at least two"),
        (["3", "-1"], "not a positive integer"),
        (["3", "1/2"], "not a positive integer"),
        (["3", "n.x"], "attribute"),
    ],
)
def test_errors(sizes: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        layered_graph(sizes)


def test_parse_layers_rejects_empty() -> None:
    with pytest.raises(UsageError, match="empty layer"):
        parse_layers("3,,1")


# --- --wrt params: weights and biases as inputs ------------------------------------------------


def test_parameter_graph_structure() -> None:
    from graphcost.graph.layers import parameter_graph, parameter_names

    graph = parameter_graph(["n", "m", "1"])
    assert [(b.name, b.role, b.size.text) for b in graph.blocks][:4] == [
        ("x", "V", "n"), ("W1", "V", "(m)*(n)"), ("b1", "V", "m"), ("W2", "V", "(1)*(m)"),
    ]  # fmt: skip
    assert [dim.text for dim in graph.blocks[graph.index["W1"]].shape] == ["m", "n"]
    assert parameter_names(graph) == ["W1", "b1", "W2", "b2"]
    assert graph.symbols == {}
    assert graph.free_symbols == {"n", "m"}


def test_params_8_6_4_2_by_hand() -> None:
    """Counts of ``--layers 8,6,4,2 --wrt params`` (elimination convention), by hand.

    Inputs W1 [6, 8], b1 (6), W2 [4, 6], b2 (4), W3 [2, 4], b3 (2); x (8) is a constant and
    drops out. Intermediates h1 (6), h2 (4); output y (2). Node h1_i has predecessors
    W1[i, :] (8) and b1_i: 9; node h2_j has h1 (6), W2[j, :] (6) and b2_j: 13.

    Forward, Σ_j |input ancestors of j|·|successors of j|:
      h1: 6 nodes × 9 ancestors × 4 successors (h2)                         = 216
      h2: 4 nodes × (48 + 6 of W1, b1 + 6 + 1 of W2, b2 = 61) × 2 (y)       = 488
      forward = 704.
    Backward, Σ_j |predecessors of j|·|output descendants of j|:
      h1: 6 × 9 × 2 = 108;  h2: 4 × 13 × 2 = 104;  backward = 212.
    Evaluation (h_l = W_l·h_{l-1} + b_l): 6·8 + 4·6 + 2·4 = 80.
    """
    import json

    from click.testing import CliRunner

    from graphcost.cli import cli

    runner = CliRunner()
    args = ["analyze", "--layers", "8,6,4,2", "--wrt", "params", "-f", "json"]
    block = json.loads(runner.invoke(cli, args).stdout)
    nodes = json.loads(runner.invoke(cli, [*args, "--nodes"]).stdout)
    assert block["forward"]["multiplications"] == 704
    assert block["backward"]["multiplications"] == 212
    assert nodes["level"] == "node"
    assert (nodes["forward"], nodes["backward"]) == (block["forward"], block["backward"])
    assert block["evaluation"]["multiplications"] == 80
    assert block["wrt"]["independent"] == ["W1", "b1", "W2", "b2", "W3", "b3"]
    assert block["wrt"]["dropped"] == ["x"]


def test_params_mlp_784_300_100_10_in_closed_form() -> None:
    from graphcost.count.evaluation import evaluation_multiplications
    from graphcost.graph.layers import parameter_graph, parameter_names
    from graphcost.graph.wrt import with_respect_to

    graph = parameter_graph([784, 300, 100, 10])
    reduced = with_respect_to(graph, parameter_names(graph))
    result = count(reduced)
    # h1: 300 × (784 + 1) × 100 forward, × 10 backward; h2: 100 × (300·784 + 300 + 300 + 1) × 10
    # forward, 100 × (300 + 300 + 1) × 10 backward.
    assert result.forward.multiplications == 300 * 785 * 100 + 100 * 235_801 * 10
    assert result.backward.multiplications == 300 * 785 * 10 + 100 * 601 * 10
    assert evaluation_multiplications(reduced) == 784 * 300 + 300 * 100 + 100 * 10


def test_wrt_x_on_the_parameter_graph_is_the_plain_graph() -> None:
    from graphcost.graph.layers import parameter_graph
    from graphcost.graph.wrt import with_respect_to

    sizes = ["n", "2*n/3", "n/3", "1"]
    reduced = with_respect_to(parameter_graph(sizes), ["x"])
    assert (
        count(reduced, values={"n": 30}).to_dict()
        == count(layered_graph(sizes), values={"n": 30}).to_dict()
    )
