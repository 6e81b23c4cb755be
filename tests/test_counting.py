"""Counts of the forward and backward recursion against hand derivations from the seeds."""

from __future__ import annotations

from fractions import Fraction

import pytest

from graphcost.count.recursions import count
from graphcost.graph.loader import load_graph
from tests.conftest import GRAPHS


def exercise_4b_formulas(n: int) -> tuple[int, int]:
    """Seed 000, Exercise 4b, derived by hand.

    Forward: each of the |V1| nodes has |V| input ancestors and |V2| successors, each of the
    |V2| nodes |V| input ancestors and one successor: |V|·|V2|·(|V1| + 1).
    Backward: each V1 node has |V| predecessors and reaches the one output, each V2 node
    |V1| predecessors: |V1|·(|V| + |V2|).
    """
    v, v1, v2 = n, 2 * n // 3, n // 3
    return v * v2 * (v1 + 1), v1 * (v2 + v)


@pytest.mark.parametrize("n", [3, 30, 300, 3 * 10**9])
def test_exercise_4b_block_level(n: int) -> None:
    result = count(load_graph(GRAPHS / "exercise-4b.yaml"), values={"n": n})
    forward, backward = exercise_4b_formulas(n)
    assert result.level == "block"
    assert result.forward.multiplications == forward
    assert result.backward.multiplications == backward
    assert result.speedup == Fraction(2 * n + 3, 8)


@pytest.mark.parametrize("n", [3, 30, 120])
def test_exercise_4b_expanded_to_nodes(n: int) -> None:
    result = count(load_graph(GRAPHS / "exercise-4b.yaml"), values={"n": n}, level="node")
    assert result.level == "node"
    assert (result.forward.multiplications, result.backward.multiplications) == (
        exercise_4b_formulas(n)
    )


def test_small_graph_by_hand() -> None:
    # a: input ancestors {x1, x2}, successors {b, y}; b: ancestors {x1, x2}, successor {y}.
    # Forward 2·2 + 2·1 = 6; backward: a has 2 predecessors, b has 2 (a, x2): 2 + 2 = 4.
    # Additions: forward Δ_{x2,b} = Δ_{x2,a}·∂b/∂a + ∂b/∂x2 (1), Δ_{·,y} over a and b (2);
    # backward Δ_{a,y} = ∂b/∂a·Δ_{b,y} + ∂y/∂a (1), Δ_{x2,y} via a and b (1).
    result = count(load_graph(GRAPHS / "small.yaml"))
    assert (result.forward.multiplications, result.forward.additions) == (6, 3)
    assert (result.backward.multiplications, result.backward.additions) == (4, 2)


def test_speedup_beyond_float_range_stays_exact() -> None:
    n = 3 * 10**900
    result = count(load_graph(GRAPHS / "exercise-4b.yaml"), values={"n": n})
    data = result.to_dict()
    assert data["speedup"] is None  # no float holds (2n + 3)/8
    assert data["speedup_exact"] == str(Fraction(2 * n + 3, 8))
    assert data["forward"]["multiplications"] == exercise_4b_formulas(n)[0]
