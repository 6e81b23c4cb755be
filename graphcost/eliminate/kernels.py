"""Elimination kernels for searches: the graph state as cheap-to-copy data, stepped in place.

:class:`BitKernel` (node level, Python int bitmasks) and :class:`StateKernel` (block level, on
:class:`~graphcost.eliminate.engine.EliminationState` copies) share one interface: ``fresh()``,
``copy(state)``, ``cost(state, vertex)`` and ``step(state, vertex)``. :func:`kernel_for` picks
one; :func:`order_cost` scores an order with it. Used by the lower bound
(:mod:`graphcost.eliminate.bound`), local search (:mod:`graphcost.eliminate.search`) and exact
search (:mod:`graphcost.eliminate.exact`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphcost.eliminate.engine import EliminationState
from graphcost.eliminate.problem import EliminationProblem
from graphcost.errors import UsageError


class BitKernel:
    """Node-level elimination on Python int bitmasks: the state is ``[preds, succs]``.

    ``preds[v]`` has bit u set iff u→v is an edge of the current graph. Eliminating j ORs
    j's successors into each predecessor's row and j's predecessors into each successor's;
    its cost is popcount(preds[j])·popcount(succs[j]).

    Examples
    --------
    >>> from graphcost.eliminate.problem import problem_from_edges
    >>> p = problem_from_edges([("x", "a"), ("a", "b"), ("x", "b"), ("b", "y")],
    ...     inputs=["x"], intermediates=["a", "b"], outputs=["y"])
    >>> kernel = BitKernel(p)
    >>> state = kernel.fresh()
    >>> kernel.step(state, 1), kernel.step(state, 2)
    (1, 1)
    """

    def __init__(self, problem: EliminationProblem) -> None:
        self.preds = [sum(1 << u for u in ps) for ps in problem.preds]
        self.succs = [sum(1 << v for v in ss) for ss in problem.succs]

    def fresh(self) -> list[list[int]]:
        """The state of the initial graph."""
        return [list(self.preds), list(self.succs)]

    @staticmethod
    def copy(state: list[list[int]]) -> list[list[int]]:
        """An independent copy of ``state``."""
        return [state[0][:], state[1][:]]

    @staticmethod
    def cost(state: list[list[int]], vertex: int) -> int:
        """Multiplications of eliminating ``vertex`` now."""
        return state[0][vertex].bit_count() * state[1][vertex].bit_count()

    @staticmethod
    def step(state: list[list[int]], vertex: int) -> int:
        """Eliminate ``vertex`` in ``state`` (in place); returns its multiplications."""
        preds, succs = state
        into, out = preds[vertex], succs[vertex]
        keep = ~(1 << vertex)
        rest = into
        while rest:
            low = rest & -rest
            rest ^= low
            p = low.bit_length() - 1
            succs[p] = (succs[p] | out) & keep
        rest = out
        while rest:
            low = rest & -rest
            rest ^= low
            s = low.bit_length() - 1
            preds[s] = (preds[s] | into) & keep
        return into.bit_count() * out.bit_count()


class StateKernel:
    """Block-level elimination (sizes, diag edges) on :class:`EliminationState` copies."""

    def __init__(self, problem: EliminationProblem) -> None:
        self.problem = problem

    def fresh(self) -> EliminationState:
        """The state of the initial graph."""
        return EliminationState(self.problem)

    @staticmethod
    def copy(state: EliminationState) -> EliminationState:
        """An independent copy of ``state``."""
        return state.copy()

    @staticmethod
    def cost(state: EliminationState, vertex: int) -> Any:
        """Multiplications of eliminating ``vertex`` now."""
        return state.cost(vertex)

    @staticmethod
    def step(state: EliminationState, vertex: int) -> Any:
        """Eliminate ``vertex`` in ``state`` (in place); returns its multiplications."""
        return state.eliminate(vertex)[0]


def kernel_for(problem: EliminationProblem) -> BitKernel | StateKernel:
    """The fastest kernel for ``problem``; refuses symbolic sizes (costs must compare)."""
    if problem.symbolic:
        raise UsageError(
            f"searching elimination orders of {problem.graph_name!r} compares costs and needs "
            "numeric sizes",
            fix="give symbol values (the defaults, or --set) instead of symbolic sizes",
        )
    return BitKernel(problem) if problem.level == "node" else StateKernel(problem)


def order_cost(kernel: BitKernel | StateKernel, order: Sequence[int]) -> int:
    """Multiplications of eliminating ``order`` (vertex indices) with ``kernel``."""
    state = kernel.fresh()
    return sum(kernel.step(state, v) for v in order)
