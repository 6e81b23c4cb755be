"""The block-structure algebra (index patterns) against plain enumeration of the expanded blocks.

Every node pair of a block is written out by brute force (one loop per index), and every rule of
:mod:`graphcost.jacobian.blocks` is compared with what the enumeration gives.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from graphcost.jacobian.blocks import (
    Pattern,
    compose,
    compose_cost,
    contains,
    join,
    new_partials,
    node_pairs,
    overlap,
    partials,
    same,
    sources_per_node,
    targets_per_node,
)

SETTINGS = settings(max_examples=300, derandomize=True, database=None, deadline=None)


def flat(index: tuple[int, ...], shape: tuple[int, ...]) -> int:
    return int(np.ravel_multi_index(index, shape)) if shape else 0


def pairs(p: Pattern, source: tuple[int, ...], target: tuple[int, ...]) -> set[tuple[int, int]]:
    """The node pairs (i, j) with ∂target_j/∂source_i structurally non-zero, by enumeration."""
    out = set()
    for si in itertools.product(*(range(s) for s in source)):
        for ti in itertools.product(*(range(t) for t in target)):
            env: dict[str, int] = {}
            ok = True
            for letter, value in (*zip(p.source, si, strict=True), *zip(p.target, ti, strict=True)):
                ok = ok and env.setdefault(letter, value) == value
            if ok:
                out.add((flat(si, source), flat(ti, target)))
    return out


@st.composite
def patterns(draw: st.DrawFn, source_rank: int, target_rank: int) -> Pattern:
    """A random pattern between blocks of these ranks (pairs, sums, broadcasts)."""
    letters = "abcdefgh"
    source = draw(st.permutations(letters[: source_rank + target_rank]))[:source_rank]
    unused = [x for x in letters if x not in source]
    target: list[str] = []
    for _ in range(target_rank):
        free = [x for x in source if x not in target]
        if free and draw(st.booleans()):
            target.append(draw(st.sampled_from(free)))
        else:
            target.append(unused.pop(0))
    return Pattern(tuple(source), tuple(target))


@st.composite
def chains(draw: st.DrawFn, length: int) -> tuple[list[Pattern], list[tuple[int, ...]]]:
    """``length`` composable patterns and the shapes of the ``length + 1`` blocks they join,
    with every paired dimension of equal size."""
    ranks = [draw(st.integers(0, 3)) for _ in range(length + 1)]
    found = [draw(patterns(ranks[i], ranks[i + 1])) for i in range(length)]
    shapes = [tuple(draw(st.integers(1, 3)) for _ in range(ranks[0]))]
    for p, rank in zip(found, ranks[1:], strict=True):
        sizes = dict(zip(p.source, shapes[-1], strict=True))
        shapes.append(tuple(sizes.get(x) or draw(st.integers(1, 3)) for x in p.target[:rank]))
    return found, shapes


@SETTINGS
@given(chains(1))
def test_an_edge_stands_for_its_node_pairs(case) -> None:
    (p,), (source, target) = case
    expected = pairs(p, source, target)
    a, b = node_pairs(p, source, target)
    assert set(zip(a.tolist(), b.tolist(), strict=True)) == expected
    assert len(a) == len(expected) == partials(p, source, target)
    per_target = {j: sum(1 for _, t in expected if t == j) for j in range(int(np.prod(target)))}
    assert set(per_target.values()) == {sources_per_node(p, source)}
    per_source = {i: sum(1 for s, _ in expected if s == i) for i in range(int(np.prod(source)))}
    assert set(per_source.values()) == {targets_per_node(p, target)}


@SETTINGS
@given(chains(2))
def test_composition_and_its_cost(case) -> None:
    (p, q), (si, sj, sk) = case
    first, second = pairs(p, si, sj), pairs(q, sj, sk)
    triples = [(i, k) for i, j in first for j2, k in second if j == j2]
    assert compose_cost(p, q, si, sj, sk) == len(triples)
    assert pairs(compose(p, q), si, sk) == set(triples)


@SETTINGS
@given(chains(1), st.data())
def test_a_fill_in_joins_an_existing_edge(case, data) -> None:
    (existing,), (source, target) = case
    added = data.draw(patterns(len(source), len(target)))
    sizes = dict(zip(existing.source, source, strict=True))
    sizes.update(zip(existing.target, target, strict=True))
    if any(
        source[d] != target[t] for d, t in added.paired
    ):  # the added pattern pairs dimensions of unequal size: no such edge
        return
    before, fill = pairs(existing, source, target), pairs(added, source, target)
    assert overlap(existing, added, source, target) == len(before & fill)
    assert new_partials(existing, added, source, target) == len(fill - before)
    assert new_partials(None, added, source, target) == len(fill)
    assert contains(existing, added) <= (fill <= before)  # structural containment is sound
    joined = join(existing, added)
    if joined is not None:
        assert pairs(joined, source, target) == before | fill


def test_join_of_incomparable_patterns_is_none() -> None:
    diag, transpose = Pattern.parse("ij->ij"), Pattern.parse("ij->ji")
    assert join(diag, transpose) is None
    assert join(None, diag) is diag
    assert join(Pattern.full(2, 2), diag) == Pattern.full(2, 2)
    assert join(diag, Pattern.full(2, 2)) == Pattern.full(2, 2)


@pytest.mark.parametrize(
    ("signature", "source", "target", "count"),
    [
        ("ij->ij", (2, 3), (2, 3), 6),  # elementwise
        ("i->j", (2,), (5,), 10),  # dense
        ("ik->i", (4, 3), (4,), 12),  # weight of h = W·x
        ("ij->ji", (2, 3), (3, 2), 6),  # transpose
        ("ij->i", (2, 3), (2,), 6),  # reduction
        ("i->ij", (2,), (2, 3), 6),  # broadcast
        ("bik->bi", (2, 3, 4), (2, 3), 24),  # batched matmul, weight side
        ("->", (), (), 1),  # scalar to scalar
    ],
)
def test_common_signatures(signature: str, source, target, count: int) -> None:
    p = Pattern.parse(signature)
    assert partials(p, source, target) == count == len(pairs(p, source, target))


def test_full_and_diag_are_the_old_kinds() -> None:
    full, diag = Pattern.full(1, 1), Pattern.diag(1)
    assert partials(full, (3,), (4,)) == 12
    assert partials(diag, (4,), (4,)) == 4
    assert same(compose(diag, diag), diag)
    assert same(compose(full, diag), full)
    assert diag.is_diag
    assert full.is_full


def test_sizes_may_be_symbols() -> None:
    n, m, k = sympy.symbols("n m k", positive=True, integer=True)
    full, diag = Pattern.full(1, 1), Pattern.diag(1)
    assert compose_cost(full, full, (n,), (m,), (k,)) == n * m * k
    assert compose_cost(diag, full, (m,), (m,), (k,)) == m * k
    assert sympy.expand(new_partials(diag, full, (n,), (n,)) - (n**2 - n)) == 0
    weight = Pattern.parse("ik->i")
    assert compose_cost(weight, full, (n, m), (n,), (1,)) == n * m


def test_patterns_reject_repeated_letters_and_huge_ranks() -> None:
    with pytest.raises(ValueError, match="repeats"):
        Pattern.parse("ii->i")
    with pytest.raises(ValueError, match="dimensions"):
        Pattern.parse("abcdefghi->a")
    with pytest.raises(ValueError, match="not an index signature"):
        Pattern.parse("I->i")
