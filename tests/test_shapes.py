"""Shaped blocks and index patterns (issue 11): block-level counts equal the node-level counts
of the expanded graph, or are marked approximate and then bound them from above."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphcost.count.recursions import count, count_symbolic
from graphcost.eliminate.engine import eliminate
from graphcost.eliminate.problem import elimination_problem
from graphcost.graph.loader import graph_from_dict, load_graph
from graphcost.graph.model import Graph
from graphcost.jacobian.structure import expansion_size
from tests.conftest import BENCHMARKS, GRAPHS
from tests.test_elimination import nodes_of

SETTINGS = settings(max_examples=120, derandomize=True, database=None, deadline=None)
CONVENTIONS = ("elimination", "dense")


@st.composite
def signatures(draw: st.DrawFn, source: list[int], target: list[int]) -> str:
    """A random signature between blocks of these shapes, pairing equal sizes only."""
    letters = "abcdefgh"
    src = list(letters[: len(source)])
    tgt: list[str] = []
    fresh = iter(letters[len(source) :])
    for size in target:
        free = [x for x, s in zip(src, source, strict=True) if s == size and x not in tgt]
        if free and draw(st.booleans()):
            tgt.append(draw(st.sampled_from(free)))
        else:
            tgt.append(next(fresh))
    return f"{''.join(src)}->{''.join(tgt)}"


@st.composite
def block_graphs(draw: st.DrawFn) -> dict:
    """A DAG of 3–7 blocks of 0–3 dimensions (sizes 1–4) with random valid patterns."""
    count_ = draw(st.integers(3, 7))
    shapes = [draw(st.lists(st.integers(1, 4), min_size=0, max_size=3)) for _ in range(count_)]
    edges = []
    for j in range(1, count_):
        parents = draw(st.sets(st.integers(0, j - 1), min_size=1, max_size=min(j, 3)))
        for i in sorted(parents):
            kind = draw(st.one_of(st.just("full"), signatures(shapes[i], shapes[j])))
            edges.append([f"b{i}", f"b{j}", kind])
    sources = {e[0] for e in edges}
    targets = {e[1] for e in edges}
    names = [f"b{i}" for i in range(count_)]
    inputs = {n: shapes[i] for i, n in enumerate(names) if n not in targets}
    outputs = {n: shapes[i] for i, n in enumerate(names) if n not in sources and n in targets}
    middle = {n: shapes[i] for i, n in enumerate(names) if n not in inputs and n not in outputs}
    return {"V": inputs, "D": middle, "D'": outputs, "E": edges}


@SETTINGS
@given(block_graphs())
def test_block_counts_equal_node_counts_or_bound_them(data: dict) -> None:
    graph = graph_from_dict(data)
    for convention in CONVENTIONS:
        block = count(graph, convention=convention, level="block")
        node = count(graph, convention=convention, level="node")
        if block.approximate:
            assert block.forward.multiplications >= node.forward.multiplications
            assert block.backward.multiplications >= node.backward.multiplications
        else:
            assert (block.forward, block.backward) == (node.forward, node.backward)


@SETTINGS
@given(block_graphs(), st.randoms(use_true_random=False))
def test_block_elimination_equals_node_elimination(data: dict, rng: random.Random) -> None:
    graph = graph_from_dict(data)
    blocks = elimination_problem(graph, level="block")
    nodes = elimination_problem(graph, level="node")
    order = list(data["D"])
    rng.shuffle(order)
    at_block = eliminate(blocks, order)
    at_node = eliminate(nodes, [n for b in order for n in nodes_of(nodes, b)])
    if at_block.approximate:
        assert at_block.multiplications >= at_node.multiplications
    else:
        assert (at_block.multiplications, at_block.additions) == (
            at_node.multiplications,
            at_node.additions,
        )


def matrix_vector(n: int = 3, m: int = 4, weight: str = "ik->i") -> Graph:
    return graph_from_dict(
        {
            "symbols": {"n": n, "m": m},
            "V": {"W": ["n", "m"], "x": "m"},
            "D": {"h": "n"},
            "D'": {"y": 1},
            "E": [["x", "h"], ["W", "h", weight], ["h", "y"]],
        }
    )


@pytest.mark.parametrize(("n", "m"), [(3, 4), (5, 2), (1, 7)])
def test_matrix_vector_product_by_hand(n: int, m: int) -> None:
    """h = W·x, W: [n, m], x: m, h: n, y = f(h) a scalar; inputs W and x.

    Each h_i depends on all m entries of x and on the m entries of row i of W (``ik->i``):
    2m input ancestors and one successor (y). Elimination convention:

    - forward multiplications = Σ_i |anc(h_i)|·|succ(h_i)| = n·2m·1 = 2nm;
    - backward multiplications = Σ_i |pred(h_i)|·|desc(h_i)| = n·2m·1 = 2nm;
    - additions (both): ∂y/∂x_k sums n terms (n − 1 additions, m entries), ∂y/∂W_ik has one
      term: m(n − 1).

    Held as ``full``, W → h would be n·m·n partials: forward n·(m + nm)·1 = nm + n²m.
    Eliminating h (the one intermediate) costs the same 2nm products.
    """
    graph = matrix_vector(n, m)
    for level in ("block", "node"):
        result = count(graph, level=level)
        assert result.forward.multiplications == 2 * n * m
        assert result.backward.multiplications == 2 * n * m
        assert result.forward.additions == m * (n - 1)
        assert result.backward.additions == m * (n - 1)
        assert result.approximate == ()
        problem = elimination_problem(graph, level=level)
        assert eliminate(problem, nodes_of(problem, "h")).multiplications == 2 * n * m
    full = count(matrix_vector(n, m, "full"))
    assert full.forward.multiplications == n * m + n * n * m


@pytest.mark.parametrize(("n", "m"), [(3, 4), (5, 2)])
def test_matrix_vector_with_respect_to_w_alone(n: int, m: int) -> None:
    """h = W·x with x a constant: each h_i has the m entries of row i of W as its only input
    ancestors, so forward = n·m·1 and backward = Σ_i |pred(h_i)|·1 = n·m; every ∂y/∂W_ik is a
    single product, so no additions."""
    from graphcost.graph.wrt import with_respect_to

    graph = with_respect_to(matrix_vector(n, m), ["W"])
    for level in ("block", "node"):
        result = count(graph, level=level)
        assert result.forward.multiplications == result.backward.multiplications == n * m
        assert result.forward.additions == result.backward.additions == 0


def test_matrix_vector_symbolic() -> None:
    import sympy

    n, m = sympy.symbols("n m", positive=True, integer=True)
    result = count_symbolic(matrix_vector())
    assert sympy.expand(result.forward.multiplications - 2 * n * m) == 0
    assert sympy.expand(result.backward.additions - m * (n - 1)) == 0


def test_matrix_node_names_are_row_major() -> None:
    problem = elimination_problem(matrix_vector(2, 2), level="node")
    assert problem.names[:4] == ["W[0][0]", "W[0][1]", "W[1][0]", "W[1][1]"]


def shipped() -> list:
    """The shipped graphs small enough to expand quickly (mlp-weights, 784-300-100-10, is not;
    its 8-6-4-2 copy mlp-weights-small stands for it)."""
    small = []
    for path in sorted([*GRAPHS.glob("*.yaml"), *BENCHMARKS.glob("*.yaml")]):
        graph = load_graph(path)
        nodes, edges = expansion_size(graph, graph.sizes(), graph.shapes())
        if nodes <= 5_000 and edges <= 200_000:
            small.append(path)
    return small


def test_the_expansion_check_covers_the_shipped_graphs() -> None:
    every = [*GRAPHS.glob("*.yaml"), *BENCHMARKS.glob("*.yaml")]
    assert len(every) - len(shipped()) <= 1


@pytest.mark.parametrize("path", shipped(), ids=lambda p: p.name)
def test_every_shipped_graph_counts_as_its_expansion(path) -> None:
    graph = load_graph(path)
    for convention in CONVENTIONS:
        block = count(graph, convention=convention, level="block")
        node = count(graph, convention=convention, level="node")
        if path.name == "attention.yaml":  # two paths' union is no pattern: see below
            assert block.forward.multiplications >= node.forward.multiplications
            continue
        assert block.approximate == ()
        assert (block.forward, block.backward) == (node.forward, node.backward)


ATTENTION_EDGES = [
    ["X", "Q", "ik->ij"],
    ["Q", "S", "ik->ij"],
    ["X", "S", "jk->ij"],
    ["S", "P", "ik->ij"],
    ["P", "O", "ik->ij"],
    ["X", "O", "kj->ij"],
]


def attention(full: bool) -> Graph:
    return graph_from_dict(
        {
            "symbols": {"t": 3, "d": 3},
            "V": {"X": ["t", "d"]},
            "D": {"Q": ["t", "d"], "S": ["t", "t"], "P": ["t", "t"]},
            "D'": {"O": ["t", "d"]},
            "E": [e[:2] if full else e for e in ATTENTION_EDGES],
        }
    )


def test_attention_example() -> None:
    """softmax(X·Wq·Xᵀ)·X with X: [t, d] (graphs/attention.yaml, t = d = 3): the index
    patterns count far fewer products than ``full`` (2187 / 2916). S = Q·Xᵀ reaches X along two
    paths (row i through Q, row j directly) whose union is no pattern, so the forward count
    is marked approximate (567) and bounds the exact node-level count (459); the backward count
    is exact (324)."""
    graph = load_graph(GRAPHS / "attention.yaml")
    block, node = count(graph), count(graph, level="node")
    assert count(attention(False)).backward == block.backward
    assert block.approximate == ("X -> S",)
    assert (block.forward.multiplications, node.forward.multiplications) == (567, 459)
    assert block.backward == node.backward
    assert block.backward.multiplications == 324
    full = count(attention(True))
    assert (full.forward.multiplications, full.backward.multiplications) == (2187, 2916)


def test_a_shaped_graph_shown_at_node_level_loads_back(tmp_path, runner) -> None:
    # Matrix node names carry no comma (W[0][1]), so the node-level YAML and edge file that
    # `show` writes load back and count as the block graph does.
    from graphcost.cli import cli

    source = tmp_path / "wx.yaml"
    source.write_text(
        "symbols: {n: 2, m: 3}\nV: {W: [n, m], x: m}\nD: {h: n}\nD': {y: 1}\n"
        "E: [[x, h], [W, h, 'ik->i'], [h, y]]\n",
        encoding="utf-8",
    )
    nodes = tmp_path / "nodes.yaml"
    result = runner.invoke(cli, ["show", str(source), "--format", "yaml", "-o", str(nodes)])
    assert result.exit_code == 0, result.stderr
    expected = count(load_graph(source))
    again = count(load_graph(nodes))
    assert (again.forward, again.backward) == (expected.forward, expected.backward)
    assert "W[1][2]" in nodes.read_text(encoding="utf-8")
