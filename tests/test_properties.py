"""Property tests on random small DAGs: two independent computations must agree.

(a) Block level = node level: a random block graph counted in closed form equals the same
    graph expanded to single nodes (by the engine, and by a plain expansion written here).
(b) The engine = the literal recursions, written plainly below: per input (forward) or per
    output (backward), propagate the set of structurally non-zero Δ and count every
    multiplication that is not by a unit seed or a structural zero, and every addition;
    for ``dense``, propagate an identity seed matrix, one product per edge and direction.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphcost.count.recursions import CONVENTIONS, count, count_symbolic
from graphcost.graph.loader import graph_from_dict
from graphcost.graph.model import Graph

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- the reference: literal recursions on a node list --------------------------------------


@dataclass
class NodeDag:
    """A node-level DAG in topological order: ``role[i]`` in V/D/D', edges (i, j) with i < j."""

    role: list[str]
    edges: list[tuple[int, int]]

    def preds(self, v: int) -> list[int]:
        return [a for a, b in self.edges if b == v]

    def succs(self, v: int) -> list[int]:
        return [b for a, b in self.edges if a == v]


def forward_elimination(dag: NodeDag) -> tuple[int, int]:
    """Δ_uv = Σ_{w∈P_v} Δ_uw·∂g_v/∂α_w for each input u, skipping unit seeds and zeros."""
    multiplications = additions = 0
    for u in (i for i, r in enumerate(dag.role) if r == "V"):
        nonzero = {u}  # Δ_uu = 1; every other Δ_u· starts as a structural zero
        for v in range(len(dag.role)):
            if dag.role[v] == "V":
                continue
            terms = [w for w in dag.preds(v) if w in nonzero]
            multiplications += sum(1 for w in terms if w != u)  # Δ_uu·∂g_v/∂α_u is free
            if terms:
                additions += len(terms) - 1
                nonzero.add(v)
    return multiplications, additions


def backward_elimination(dag: NodeDag) -> tuple[int, int]:
    """Δ_uv = Σ_{w: u∈P_w} ∂g_w/∂α_u·Δ_wv for each output v, skipping unit seeds and zeros."""
    multiplications = additions = 0
    for v in (i for i, r in enumerate(dag.role) if r == "D'"):
        nonzero = {v}  # Δ_vv = 1
        for u in reversed(range(len(dag.role))):
            if dag.role[u] == "D'":
                continue
            terms = [w for w in dag.succs(u) if w in nonzero]
            multiplications += sum(1 for w in terms if w != v)
            if terms:
                additions += len(terms) - 1
                nonzero.add(u)
    return multiplications, additions


def forward_dense(dag: NodeDag) -> tuple[int, int]:
    """An identity seed matrix pushed forward: every partial times every seed direction."""
    multiplications = additions = 0
    for _ in (i for i, r in enumerate(dag.role) if r == "V"):
        for v in range(len(dag.role)):
            terms = dag.preds(v)
            multiplications += len(terms)
            additions += max(len(terms) - 1, 0)
    return multiplications, additions


def backward_dense(dag: NodeDag) -> tuple[int, int]:
    """An identity seed matrix pulled back from the outputs: one product per edge and output."""
    multiplications = additions = 0
    for _ in (i for i, r in enumerate(dag.role) if r == "D'"):
        for u in reversed(range(len(dag.role))):
            terms = dag.succs(u)
            multiplications += len(terms)
            additions += max(len(terms) - 1, 0)
    return multiplications, additions


REFERENCE = {
    "elimination": (forward_elimination, backward_elimination),
    "dense": (forward_dense, backward_dense),
}


def reference_counts(dag: NodeDag, convention: str) -> tuple[tuple[int, int], tuple[int, int]]:
    forward, backward = REFERENCE[convention]
    return forward(dag), backward(dag)


def engine_counts(graph: Graph, convention: str, level: str) -> tuple[tuple[int, int], ...]:
    result = count(graph, convention=convention, level=level)
    assert result.level == level
    return (
        (result.forward.multiplications, result.forward.additions),
        (result.backward.multiplications, result.backward.additions),
    )


def test_reference_on_the_small_graph_by_hand() -> None:
    # The recursions above, checked once against the hand count in tests/test_counting.py.
    dag = NodeDag(["V", "V", "D", "D", "D'"], [(0, 2), (1, 2), (2, 3), (1, 3), (3, 4), (2, 4)])
    assert reference_counts(dag, "elimination") == ((6, 3), (4, 2))
    assert reference_counts(dag, "dense") == ((12, 6), (6, 2))


def test_every_convention_has_a_reference() -> None:
    assert set(REFERENCE) == set(CONVENTIONS)


# -- random node-level graphs --------------------------------------------------------------


@st.composite
def node_dags(draw: st.DrawFn) -> NodeDag:
    size = draw(st.integers(2, 9))
    role = [draw(st.sampled_from(["V", "D", "D'"])) for _ in range(size)]
    role[0], role[-1] = "V", "D'"
    pairs = [(a, b) for a in range(size) for b in range(a + 1, size)]
    allowed = [(a, b) for a, b in pairs if role[a] != "D'" and role[b] != "V"]
    edges = draw(st.lists(st.sampled_from(allowed), unique=True)) if allowed else []
    return NodeDag(role, sorted(edges))


def node_graph(dag: NodeDag) -> Graph:
    names = [f"v{i}" for i in range(len(dag.role))]
    data = {key: [names[i] for i, r in enumerate(dag.role) if r == key] for key in ("V", "D", "D'")}
    data["E"] = [[names[a], names[b]] for a, b in dag.edges]
    return graph_from_dict(data)


@SETTINGS
@given(node_dags(), st.sampled_from(sorted(CONVENTIONS)))
def test_engine_equals_the_literal_recursion_on_node_graphs(dag: NodeDag, convention: str) -> None:
    graph = node_graph(dag)
    expected = reference_counts(dag, convention)
    assert engine_counts(graph, convention, "block") == expected
    assert engine_counts(graph, convention, "node") == expected


# -- random block graphs -------------------------------------------------------------------


@dataclass
class BlockDag:
    """Blocks in topological order with sizes, and edges (a, b, diag) with a < b."""

    role: list[str]
    size: list[int]
    edges: list[tuple[int, int, bool]]

    def expand(self) -> NodeDag:
        """Every block to its nodes, written out plainly (full: all pairs; diag: i to i)."""
        first = [sum(self.size[:b]) for b in range(len(self.size))]
        role = [r for r, s in zip(self.role, self.size, strict=True) for _ in range(s)]
        edges = []
        for a, b, diag in self.edges:
            if diag:
                edges += [(first[a] + i, first[b] + i) for i in range(self.size[a])]
            else:
                edges += [
                    (first[a] + i, first[b] + j)
                    for i in range(self.size[a])
                    for j in range(self.size[b])
                ]
        return NodeDag(role, sorted(edges))


@st.composite
def block_dags(draw: st.DrawFn) -> BlockDag:
    count = draw(st.integers(2, 7))
    role = [draw(st.sampled_from(["V", "D", "D'"])) for _ in range(count)]
    role[0], role[-1] = "V", "D'"
    size = [draw(st.integers(1, 4)) for _ in range(count)]
    edges = []
    for a in range(count):
        for b in range(a + 1, count):
            if role[a] == "D'" or role[b] == "V":
                continue
            kinds = ["none", "full"] + (["diag"] if size[a] == size[b] else [])
            kind = draw(st.sampled_from(kinds))
            if kind != "none":
                edges.append((a, b, kind == "diag"))
    return BlockDag(role, size, edges)


def block_graph(dag: BlockDag, *, symbolic: bool = False) -> Graph:
    names = [f"b{i}" for i in range(len(dag.role))]
    # Symbolic sizes: blocks of equal size share a symbol, so diag edges stay well-formed.
    sizes = [f"s{s}" if symbolic else s for s in dag.size]
    data = {
        key: {names[i]: sizes[i] for i, r in enumerate(dag.role) if r == key}
        for key in ("V", "D", "D'")
    }
    data["E"] = [[names[a], names[b], "diag" if d else "full"] for a, b, d in dag.edges]
    if symbolic:
        data["symbols"] = {f"s{s}": s for s in set(dag.size)}
    return graph_from_dict(data)


@SETTINGS
@given(block_dags(), st.sampled_from(sorted(CONVENTIONS)))
def test_block_level_equals_node_level(dag: BlockDag, convention: str) -> None:
    graph = block_graph(dag)
    block = engine_counts(graph, convention, "block")
    assert block == engine_counts(graph, convention, "node")
    assert block == reference_counts(dag.expand(), convention)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(block_dags(), st.sampled_from(sorted(CONVENTIONS)))
def test_symbolic_counts_evaluate_to_the_numeric_ones(dag: BlockDag, convention: str) -> None:
    graph = block_graph(dag, symbolic=True)
    symbolic = count_symbolic(graph, convention=convention)
    numeric = count(graph, convention=convention)
    values = dict(graph.symbols)
    for schedule in ("forward", "backward"):
        for field in ("multiplications", "additions"):
            expression = getattr(getattr(symbolic, schedule), field)
            substituted = expression.subs(
                {s: values[s.name] for s in getattr(expression, "free_symbols", ())}
            )
            assert substituted == getattr(getattr(numeric, schedule), field)


@pytest.mark.parametrize("convention", sorted(CONVENTIONS))
def test_diag_chain_by_hand(convention: str) -> None:
    # x (3) -full-> z (3) -diag-> a (3) -full-> y (1): the diag block has one predecessor per
    # node, so block and node levels must handle its "aligned node only" reachability.
    dag = BlockDag(
        ["V", "D", "D", "D'"], [3, 3, 3, 1], [(0, 1, False), (1, 2, True), (2, 3, False)]
    )
    graph = block_graph(dag)
    expected = reference_counts(dag.expand(), convention)
    assert engine_counts(graph, convention, "block") == expected
    if convention == "elimination":
        # z: 3 inputs × 1 successor, a: 3 inputs × 1 successor, per node: 3·3 + 3·3.
        assert expected[0][0] == 18
        # z: 3 predecessors × 1 output, a: 1 predecessor × 1 output, per node: 9 + 3.
        assert expected[1][0] == 12
