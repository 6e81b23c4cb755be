"""Block- and node-level structure: hand-derived quantities, expansion, and size limits."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import sympy

from graphcost.errors import GraphTooLargeError
from graphcost.graph.loader import graph_from_dict, load_graph
from graphcost.jacobian import expansion as expansion_module
from graphcost.jacobian import structure as structure_module
from graphcost.jacobian.structure import (
    block_structure,
    expand,
    expansion_size,
    node_structure,
)
from tests.conftest import GRAPHS


def _ex4b():
    return load_graph(GRAPHS / "exercise-4b.yaml")


def test_exercise_4b_block_structure_by_hand() -> None:
    graph = _ex4b()
    s = block_structure(graph, graph.sizes({"n": 30}))  # x 30, h1 20, h2 10, y 1
    assert s.level == "block"
    assert s.size.tolist() == [30, 20, 10, 1]
    assert s.role.tolist() == [0, 1, 1, 2]
    assert s.pred.tolist() == [0, 30, 20, 10]
    assert s.succ.tolist() == [20, 10, 1, 0]
    assert s.anc.tolist() == [1, 30, 30, 30]  # an input reaches itself only
    assert s.desc.tolist() == [1, 1, 1, 1]
    assert s.edge_count.tolist() == [600, 200, 10]


def test_symbolic_block_structure() -> None:
    graph = _ex4b()
    sizes, symbols = graph.symbolic_sizes()
    n = symbols["n"]
    s = block_structure(graph, sizes)
    assert [
        sympy.simplify(a - b) for a, b in zip(s.pred, [0, n, 2 * n / 3, n / 3], strict=True)
    ] == [0] * 4
    assert sympy.simplify(s.anc[3] - n) == 0


def test_diag_reachability_is_aligned() -> None:
    # x (4) -diag-> z (4) -full-> y (2): each z node is reached by its own x node only,
    # while each y node is reached by every x node through the full edge.
    graph = graph_from_dict(
        {
            "V": {"x": 4},
            "D": {"z": 4},
            "D'": {"y": 2},
            "E": [["x", "z", "diag"], ["z", "y"]],
        }
    )
    s = block_structure(graph, graph.sizes())
    assert s.anc.tolist() == [1, 1, 4]
    assert s.desc.tolist() == [2, 2, 1]
    assert s.pred.tolist() == [0, 1, 4]
    assert s.edge_count.tolist() == [4, 8]
    nodes = node_structure(expand(graph, graph.sizes()))
    assert nodes.anc.tolist() == [1] * 4 + [1] * 4 + [4] * 2
    assert nodes.desc.tolist() == [2] * 4 + [2] * 4 + [1] * 2


def test_expand_small_block_graph() -> None:
    graph = graph_from_dict(
        {
            "V": {"x": 2},
            "D": {"z": 2, "h": 1},
            "D'": ["y"],
            "E": [["x", "z", "diag"], ["z", "h"], ["h", "y"], ["x", "h"]],
        }
    )
    nodes = expand(graph, graph.sizes())
    assert nodes.names() == ["x[0]", "x[1]", "z[0]", "z[1]", "h", "y"]
    assert [nodes.name(i) for i in range(6)] == nodes.names()
    assert nodes.offsets.tolist() == [0, 2, 4, 5, 6]
    assert nodes.node_count == 6
    assert nodes.role.tolist() == [0, 0, 1, 1, 1, 2]
    edges = sorted(zip(nodes.src.tolist(), nodes.dst.tolist(), strict=True))
    assert edges == [(0, 2), (0, 4), (1, 3), (1, 4), (2, 4), (3, 4), (4, 5)]
    assert nodes.level.tolist() == [0, 0, 1, 1, 2, 3]
    assert expansion_size(graph, graph.sizes()) == (6, 7)


def test_node_structure_of_exercise_4b() -> None:
    graph = _ex4b()
    nodes = expand(graph, graph.sizes({"n": 6}))  # x 6, h1 4, h2 2, y 1
    s = node_structure(nodes)
    assert s.level == "node"
    assert s.pred.tolist() == [0] * 6 + [6] * 4 + [4] * 2 + [2]
    assert s.succ.tolist() == [4] * 6 + [2] * 4 + [1] * 2 + [0]
    assert s.anc.tolist() == [1] * 6 + [6] * 7
    assert s.desc.tolist() == [1] * 13
    assert len(s.edge_src) == 6 * 4 + 4 * 2 + 2


def test_expanding_a_huge_graph_refuses_at_once() -> None:
    graph = _ex4b()
    sizes = graph.sizes({"n": 3 * 10**9})
    tracemalloc.start()
    try:
        with pytest.raises(GraphTooLargeError) as caught:
            expand(graph, sizes)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1024**2
    assert "6,000,000,001 nodes and 8,000,000,001,000,000,000 edges" in caught.value.message


def test_edge_limit_alone_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(expansion_module, "MAX_EDGES", 100)
    graph = _ex4b()
    with pytest.raises(GraphTooLargeError, match="61 nodes and 810 edges"):
        expand(graph, graph.sizes({"n": 30}))  # 30·20 + 20·10 + 10 edges


def test_bitset_limit_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(structure_module, "MAX_BITSET_BYTES", 1000)
    graph = _ex4b()
    nodes = expand(graph, graph.sizes({"n": 300}))
    with pytest.raises(GraphTooLargeError, match=r"reachability bitsets \(601 nodes × 300"):
        node_structure(nodes)


def test_expanded_ids_fit_their_dtype() -> None:
    graph = _ex4b()
    nodes = expand(graph, graph.sizes({"n": 3}))
    assert nodes.src.dtype == nodes.dst.dtype
    assert int(nodes.src.max()) < nodes.node_count
    assert np.all(nodes.level[nodes.src] < nodes.level[nodes.dst])


def test_exact_sum_is_linear_for_sympy_terms() -> None:
    # A block with thousands of distinct symbolic terms: one Add, not a quadratic fold.
    import time

    import sympy

    from graphcost.jacobian.structure import exact_sum

    terms = list(sympy.symbols("a0:4000"))
    start = time.monotonic()
    total = exact_sum([0, *terms, 1])
    assert time.monotonic() - start < 2
    assert total == sympy.Add(*terms) + 1
    assert exact_sum([1, 2, 3]) == 6
    assert isinstance(exact_sum([1, 2]), int)
