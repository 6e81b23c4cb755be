"""Shifted signatures (``a+2->a``): the exact structure of slices, concatenations, paddings
and reversals. Node pairs against a plain enumeration; block level a superset, marked
approximate; a hand count on a small graph."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphcost.count.recursions import count
from graphcost.errors import SizeError
from graphcost.graph.loader import graph_from_dict
from graphcost.graph.signature import Pattern, Shifted
from graphcost.jacobian.blocks import node_pairs, partials


def _plain_pairs(p: Shifted, source: tuple[int, ...], target: tuple[int, ...]) -> set:
    """Every (source entry, target entry) pair, by looping over both blocks' entries."""
    pairs = set()
    for s in itertools.product(*map(range, source)):
        for t in itertools.product(*map(range, target)):
            values = dict(zip(p.target, t, strict=True))
            ok = True
            for x, move, index in zip(p.source, p.moves, s, strict=True):
                if move is not None:
                    ok &= index == move[0] * values[x] + move[1]
                elif x in values:
                    ok &= index == values[x]
            if ok:
                flat_s = sum(i * _stride(source, d) for d, i in enumerate(s))
                flat_t = sum(i * _stride(target, d) for d, i in enumerate(t))
                pairs.add((flat_s, flat_t))
    return pairs


def _stride(shape: tuple[int, ...], d: int) -> int:
    out = 1
    for size in shape[d + 1 :]:
        out *= size
    return out


@st.composite
def shifted_edges(draw):
    rank = draw(st.integers(1, 3))
    letters = "abc"[:rank]
    target = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    source, moves = [], []
    for d in range(rank):
        if draw(st.booleans()):
            stride = draw(st.sampled_from([1, 2, -1, 3]))
            offset = draw(st.integers(-3, 5))
            moves.append((stride, offset))
            source.append(draw(st.integers(1, 6)))
        else:
            moves.append(None)
            source.append(target[d])
    if all(m is None for m in moves):
        moves[0] = (1, 1)
    pattern = Shifted(Pattern(tuple(letters), tuple(letters)), tuple(moves))
    return pattern, tuple(source), target


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(shifted_edges())
def test_node_pairs_equal_the_plain_enumeration(edge) -> None:
    pattern, source, target = edge
    first, second = node_pairs(pattern, source, target)
    assert set(zip(first.tolist(), second.tolist(), strict=True)) == _plain_pairs(
        pattern, source, target
    )
    assert partials(pattern, source, target) == len(first)
    # the block-level superset holds every exact pair
    wide = node_pairs(pattern.superset(), source, target)
    assert set(zip(first.tolist(), second.tolist(), strict=True)) <= set(
        zip(wide[0].tolist(), wide[1].tolist(), strict=True)
    )


@pytest.mark.parametrize(
    "text", ["a+2->a", "a*2+1->a", "a-3b->ab", "a*-1+4->a", "a+0->a", "ab+1->ab"]
)
def test_text_round_trips(text: str) -> None:
    assert str(Shifted.parse(text)) == text


@pytest.mark.parametrize("text", ["a+1->", "a*0+1->a", "a++1->a", "ab+1->a", "a1->a"])
def test_bad_shifted_signatures_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        Shifted.parse(text)


def _graph(kind: str) -> dict:
    """x [4] → y = x[1:3] (kind) → z = sum(y) [] ."""
    return {
        "name": "slice",
        "V": {"x": [4]},
        "D": {"y": [2]},
        "D'": {"z": []},
        "E": [["x", "y", kind], ["y", "z", "a->"]],
    }


def test_a_slice_counted_by_hand() -> None:
    """y_t = x_{t+1} (t = 0, 1), z = y_0 + y_1. Node level: forward eliminates y: each y_t has
    one input reaching it (unit seed: free) and one successor — 2 products (x1→y0→z,
    x2→y1→z); backward: z's seed is a unit, so y's adjoints are free and each of x1, x2 has
    one successor: 2 products. At block level the slice is held as x → y full (4·2 pairs):
    forward 4·2 (each y_t reached by 4 inputs, one successor) = 8, and it says so."""
    graph = graph_from_dict(_graph("a+1->a"))
    node = count(graph, level="node")
    assert (node.forward.multiplications, node.backward.multiplications) == (2, 2)
    assert not node.approximate
    block = count(graph, level="block")
    assert block.forward.multiplications == 8
    assert block.approximate == ("x -> y",)


def test_a_plain_pairing_of_unequal_sizes_is_refused_but_shifted_is_not() -> None:
    with pytest.raises(SizeError, match="pairs dimension 1 of x"):
        graph_from_dict(_graph("a->a")).shapes({})
    prefix = graph_from_dict(_graph("a+0->a"))  # x[0:2]
    assert count(prefix, level="node").forward.multiplications == 2
