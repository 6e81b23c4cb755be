"""The block-structure algebra against plain node-level enumeration of the expanded blocks."""

from __future__ import annotations

import itertools

import pytest
import sympy

from graphcost.jacobian.blocks import (
    Kind,
    compose,
    compose_cost,
    join,
    new_partials,
    partials,
    sources_per_node,
    targets_per_node,
)


def pairs(kind: Kind, s_src: int, s_dst: int) -> set[tuple[int, int]]:
    """The node pairs (i, j) with ∂dst_j/∂src_i structurally non-zero, written out."""
    if kind is Kind.DIAG:
        return {(i, i) for i in range(s_src)}
    return {(i, j) for i in range(s_src) for j in range(s_dst)}


def shapes(kinds: tuple[Kind, ...]) -> list[tuple[int, ...]]:
    """Block sizes (one more than edges) with every diag edge between equal sizes."""
    found = []
    for sizes in itertools.product(range(1, 4), repeat=len(kinds) + 1):
        if all(k is Kind.FULL or sizes[i] == sizes[i + 1] for i, k in enumerate(kinds)):
            found.append(sizes)
    return found


CASES_1 = [(k, s) for k in Kind for s in shapes((k,))]
CASES_2 = [((a, b), s) for a in Kind for b in Kind for s in shapes((a, b))]
#: Two edges between the same blocks: each diag one between equal sizes.
JOIN_CASES = [
    ((e, a), (s, t))
    for e in Kind
    for a in Kind
    for s, t in itertools.product(range(1, 4), repeat=2)
    if s == t or Kind.DIAG not in (e, a)
]


@pytest.mark.parametrize(("kind", "sizes"), CASES_1)
def test_an_edge_stands_for_its_node_pairs(kind: Kind, sizes: tuple[int, int]) -> None:
    s_src, s_dst = sizes
    edge = pairs(kind, s_src, s_dst)
    assert partials(kind, s_src, s_dst) == len(edge)
    for j in range(s_dst):
        assert sources_per_node(kind, s_src) == sum(1 for (_, b) in edge if b == j)
    for i in range(s_src):
        assert targets_per_node(kind, s_dst) == sum(1 for (a, _) in edge if a == i)


@pytest.mark.parametrize(("kinds", "sizes"), CASES_2)
def test_composition_and_its_cost(kinds: tuple[Kind, Kind], sizes: tuple[int, int, int]) -> None:
    first, second = kinds
    s_i, s_j, s_k = sizes
    a, b = pairs(first, s_i, s_j), pairs(second, s_j, s_k)
    products = [(i, k) for (i, j) in a for (j2, k) in b if j == j2]
    assert compose_cost(first, second, s_i, s_j, s_k) == len(products)
    assert pairs(compose(first, second), s_i, s_k) == set(products)


@pytest.mark.parametrize(("kinds", "sizes"), JOIN_CASES)
def test_a_fill_in_joins_an_existing_edge(kinds: tuple[Kind, Kind], sizes: tuple[int, int]) -> None:
    existing, added = kinds
    s_src, s_dst = sizes
    before, fill = pairs(existing, s_src, s_dst), pairs(added, s_src, s_dst)
    assert pairs(join(existing, added), s_src, s_dst) == before | fill
    assert new_partials(existing, added, s_src, s_dst) == len(fill - before)
    assert new_partials(None, added, s_src, s_dst) == len(fill)
    assert join(None, added) is added


def test_sizes_may_be_symbols() -> None:
    n, m, k = sympy.symbols("n m k", positive=True, integer=True)
    assert compose_cost(Kind.FULL, Kind.FULL, n, m, k) == n * m * k
    assert compose_cost(Kind.DIAG, Kind.FULL, m, m, k) == m * k
    assert sympy.expand(new_partials(Kind.DIAG, Kind.FULL, n, n) - (n**2 - n)) == 0
