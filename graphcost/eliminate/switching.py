"""When a node-level elimination on sets should move to bit matrices, and the graph it moves.

Sets pay |preds|·|succs| insertions per eliminated vertex, bit matrices a fixed numpy cost plus
(|preds| + |succs|) rows of n/64 words (:mod:`graphcost.eliminate.bitmatrix`). An elimination
that fills the graph in gets dearer on sets step by step, so the Markowitz greedy
(:mod:`graphcost.eliminate.markowitz`) and the scoring of an order
(:func:`graphcost.eliminate.engine.eliminate`) watch the recent steps and, once at most
:data:`~graphcost.eliminate.engine.BIT_MATRIX_MAX_NODES` vertices are alive and
:func:`bits_are_cheaper`, finish on bit matrices over the live vertices
(:func:`live_subproblem`). Counts and orders are the same either way (tested).
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import replace

from graphcost.eliminate.problem import EliminationProblem

#: The cost model of one step (µs, fitted by hand to per-step timings of both engines on the
#: four random DAGs of ``tests/benchmarks/test_markowitz_scale.py`` (c), which checks the
#: choice): on sets |preds|·|succs| insertions; on bit matrices numpy's fixed cost plus
#: (|preds| + |succs|) rows of live/64 words.
SET_INSERTION_US = 0.1
BIT_STEP_US = 120.0
BIT_WORD_US = 0.012
#: Move to bit matrices once sets cost this many times the bit-matrix estimate (recent steps;
#: 2 was 1.75× slower than bits from the start on the medium DAG of (c), 1 within 1.25×).
SWITCH_RATIO = 1.0
#: Weight of the latest step in the moving averages.
RECENT = 1 / 32


def bits_are_cheaper(products: float, degree: float, alive: int) -> bool:
    """Whether a step with ``products`` = |preds|·|succs| and ``degree`` = |preds| + |succs|
    (recent averages) would be :data:`SWITCH_RATIO` times cheaper on bit matrices of ``alive``
    vertices than on sets.

    >>> bits_are_cheaper(products=400, degree=40, alive=20_000)  # sparse: stay on sets
    False
    >>> bits_are_cheaper(products=50_000, degree=500, alive=5_000)
    True
    """
    on_bits = BIT_STEP_US + BIT_WORD_US * degree * (alive / 64)
    return SET_INSERTION_US * products > SWITCH_RATIO * on_bits


def initial_averages(
    preds: list[AbstractSet[int]], succs: list[AbstractSet[int]], vertices: Iterable[int]
) -> tuple[float, float]:
    """The means of |preds|·|succs| and of |preds| + |succs| over ``vertices`` (the moving
    averages' starting point)."""
    products = degree = 0.0
    count = 0
    for v in vertices:
        products += len(preds[v]) * len(succs[v])
        degree += len(preds[v]) + len(succs[v])
        count += 1
    return (products / count, degree / count) if count else (0.0, 0.0)


def live_subproblem(
    problem: EliminationProblem,
    preds: list[AbstractSet[int]],
    succs: list[AbstractSet[int]],
    gone: AbstractSet[int],
) -> tuple[EliminationProblem, list[int]]:
    """The current graph over the vertices not in ``gone``, renumbered (the intermediates keep
    their relative D order, so ties go the same way), and the list local → original vertex."""
    alive = [v for v in range(len(problem.names)) if v not in gone]
    local = {v: i for i, v in enumerate(alive)}
    rest = [v for v in problem.intermediates if v not in gone]
    sub = replace(
        problem,
        names=[problem.names[v] for v in alive],
        roles=[problem.roles[v] for v in alive],
        sizes=[1] * len(alive),
        intermediates=[local[v] for v in rest],
        preds=tuple(frozenset(local[u] for u in preds[v]) for v in alive),
        succs=tuple(frozenset(local[w] for w in succs[v]) for v in alive),
    )
    return sub, alive
