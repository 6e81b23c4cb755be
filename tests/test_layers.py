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
