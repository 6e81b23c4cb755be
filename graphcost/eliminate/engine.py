"""Vertex elimination: the one cost model that scores every elimination order.

Forward and backward recursion are two orders of one process (Griewank & Walther,
*Evaluating Derivatives*, ch. 9–10; Naumann). Eliminating an intermediate vertex j of the
current graph multiplies every edge into j by every edge out of j: |preds(j)|·|succs(j)|
scalar multiplications. Each product pred→succ becomes a *fill-in* edge, or, where that edge
already exists, is added to it (one scalar addition). When every intermediate is gone, the
edges left join inputs to outputs and carry the Jacobian.

Two levels, one definition:

``node``
    One vertex per node; the graph is held as Python sets per vertex, so eliminating j costs
    O(|preds(j)|·|succs(j)|) C-level set work and graphs of 10^4 nodes and 10^5 edges are fine.
``block``
    One vertex per block of ``size`` nodes, edges *full* or *diag*. Eliminating a whole block J
    composes I→J (kind a) with J→K (kind b) into a fill I→K that is diag only if both are; it
    costs, in scalar multiplications, s_I·s_J·s_K (full·full), s_I·s_J (full·diag), s_J·s_K
    (diag·full) or s_J (diag·diag). Joined with an existing I→K edge the result is full unless
    both are diag. Additions = multiplications − the node-level pairs that did not exist yet.
    Since no block has edges inside itself, this equals eliminating J's nodes one after the
    other at node level (tested), in time independent of the sizes, which may be ints or sympy
    expressions (symbolic costs).

Strategies (:mod:`graphcost.eliminate.strategies`) return orders; :func:`eliminate` scores them, and
:class:`EliminationState` is the incremental form of the same computation for strategies that
explore orders. The problem itself is built in :mod:`graphcost.eliminate.problem`; node level may
run on bit matrices instead of sets (:mod:`graphcost.eliminate.bitmatrix`, chosen by
:func:`node_engine`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphcost.eliminate.bitmatrix import BitMatrixState
from graphcost.eliminate.problem import EliminationCost, EliminationProblem
from graphcost.errors import UsageError
from graphcost.jacobian.blocks import Kind, compose, compose_cost, join, new_partials


class EliminationState:
    """The graph part-way through an elimination: the incremental form of :func:`eliminate`.

    Attributes
    ----------
    problem
        The problem being eliminated.
    preds, succs
        The current adjacency (mutable sets; do not modify them directly).
    diag
        The current diag edges (block level).
    eliminated
        The vertices eliminated so far, in order.
    multiplications, additions
        The running totals.

    Examples
    --------
    >>> from graphcost.eliminate.problem import problem_from_edges
    >>> p = problem_from_edges([("x", "a"), ("a", "b"), ("x", "b"), ("b", "y")],
    ...     inputs=["x"], intermediates=["a", "b"], outputs=["y"])
    >>> state = EliminationState(p)
    >>> state.cost(1), state.eliminate(1), state.eliminate(2)
    (1, (1, 1), (1, 0))
    """

    def __init__(self, problem: EliminationProblem) -> None:
        self.problem = problem
        self.preds: list[set[int]] = [set(p) for p in problem.preds]
        self.succs: list[set[int]] = [set(s) for s in problem.succs]
        self.diag: set[tuple[int, int]] = set(problem.diag)
        self.eliminated: list[int] = []
        zero = problem.sizes[0] * 0 if problem.symbolic and problem.sizes else 0
        self.multiplications: Any = zero
        self.additions: Any = zero
        self._node = problem.level == "node"

    def copy(self) -> EliminationState:
        """An independent copy (for branching searches)."""
        twin = EliminationState.__new__(EliminationState)
        twin.problem = self.problem
        twin.preds = [set(p) for p in self.preds]
        twin.succs = [set(s) for s in self.succs]
        twin.diag = set(self.diag)
        twin.eliminated = list(self.eliminated)
        twin.multiplications = self.multiplications
        twin.additions = self.additions
        twin._node = self._node
        return twin

    def cost(self, vertex: int) -> Any:
        """Scalar multiplications of eliminating ``vertex`` now (the graph is not changed)."""
        preds, succs = self.preds[vertex], self.succs[vertex]
        if self._node:
            return len(preds) * len(succs)
        sizes, kind = self.problem.sizes, self._kind
        total = 0
        for p in preds:
            into = kind(p, vertex)
            for s in succs:
                total = total + compose_cost(
                    into, kind(vertex, s), sizes[p], sizes[vertex], sizes[s]
                )
        return total

    def _kind(self, src: int, dst: int) -> Kind:
        """The structure of the current edge src → dst (block level)."""
        return Kind.DIAG if (src, dst) in self.diag else Kind.FULL

    def eliminate(self, vertex: int) -> tuple[Any, Any]:
        """Eliminate ``vertex``: add fill-in, update the totals.

        Returns
        -------
        multiplications, additions
            The cost of this one elimination.
        """
        preds, succs = self.preds[vertex], self.succs[vertex]
        if self._node:
            multiplications = len(preds) * len(succs)
            fresh = 0
            for p in preds:
                out = self.succs[p]
                out.discard(vertex)
                before = len(out)
                out |= succs
                fresh += len(out) - before
            for s in succs:
                into = self.preds[s]
                into.discard(vertex)
                into |= preds
            additions = multiplications - fresh
        else:
            multiplications, additions = self._eliminate_block(vertex, preds, succs)
        self.preds[vertex] = set()
        self.succs[vertex] = set()
        self.eliminated.append(vertex)
        self.multiplications = self.multiplications + multiplications
        self.additions = self.additions + additions
        return multiplications, additions

    def _eliminate_block(self, vertex: int, preds: set[int], succs: set[int]) -> tuple[Any, Any]:
        sizes, diag, kind = self.problem.sizes, self.diag, self._kind
        multiplications: Any = 0
        fresh: Any = 0  # node-level pairs that did not exist before
        for p in preds:
            into = kind(p, vertex)
            out = self.succs[p]
            out.discard(vertex)
            diag.discard((p, vertex))
            for s in succs:
                second = kind(vertex, s)
                multiplications = multiplications + compose_cost(
                    into, second, sizes[p], sizes[vertex], sizes[s]
                )
                fill = compose(into, second)
                existing = kind(p, s) if s in out else None
                fresh = fresh + new_partials(existing, fill, sizes[p], sizes[s])
                if existing is None:
                    out.add(s)
                    self.preds[s].add(p)
                if join(existing, fill) is Kind.DIAG:
                    diag.add((p, s))
                else:
                    diag.discard((p, s))
        for s in succs:
            self.preds[s].discard(vertex)
            diag.discard((vertex, s))
        return multiplications, multiplications - fresh


#: Node-level graphs with more vertices than this use sets, not bit matrices (2·n²/8 bytes).
BIT_MATRIX_MAX_NODES = 20_000
#: Node-level graphs with fewer vertices than this use sets (numpy's per-call overhead wins).
BIT_MATRIX_MIN_NODES = 2_000
ENGINES = ("auto", "sets", "bits")


def node_engine(problem: EliminationProblem, engine: str = "auto") -> str:
    """Which implementation eliminates ``problem``: ``"sets"`` or ``"bits"``.

    Block level always uses sets (with sizes and edge kinds); node level uses bit matrices
    between :data:`BIT_MATRIX_MIN_NODES` and :data:`BIT_MATRIX_MAX_NODES` vertices.
    """
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}", fix=f"choose one of: {', '.join(ENGINES)}")
    if problem.level != "node":
        return "sets"
    if engine != "auto":
        return engine
    size = len(problem.names)
    return "bits" if BIT_MATRIX_MIN_NODES <= size <= BIT_MATRIX_MAX_NODES else "sets"


def new_state(problem: EliminationProblem, engine: str = "auto") -> Any:
    """A fresh :class:`EliminationState` or :class:`BitMatrixState` (see :func:`node_engine`)."""
    if node_engine(problem, engine) == "bits":
        return BitMatrixState(problem)
    return EliminationState(problem)


def eliminate(
    problem: EliminationProblem, order: Iterable[Any], *, engine: str = "auto"
) -> EliminationCost:
    """Score an elimination order: the one cost model of graphcost.

    Parameters
    ----------
    problem
        From :func:`~graphcost.eliminate.problem.elimination_problem`.
    order
        Every intermediate vertex exactly once, as names or indices.
    engine
        ``"auto"``, ``"sets"`` or ``"bits"`` (node level): two implementations of the same
        count, chosen by size under ``"auto"`` (see :func:`node_engine`).

    Returns
    -------
    EliminationCost

    Raises
    ------
    UsageError
        When ``order`` is not a permutation of the intermediate vertices.

    Examples
    --------
    Seed 004's y = x + 1/(w·x + b): the forward order costs 2·1 + 3·1 + 3·1 = 8.

    >>> from graphcost.eliminate.problem import elimination_problem
    >>> from graphcost.graph.loader import graph_from_dict
    >>> g = graph_from_dict({"V": ["x", "w", "b"], "D": ["v1", "v2", "v3"], "D'": ["y"],
    ...     "E": [["x", "v1"], ["w", "v1"], ["v1", "v2"], ["b", "v2"], ["v2", "v3"],
    ...           ["v3", "y"], ["x", "y"]]})
    >>> p = elimination_problem(g)
    >>> eliminate(p, ["v1", "v2", "v3"])
    EliminationCost(multiplications=8, additions=1, order=('v1', 'v2', 'v3'))
    >>> eliminate(p, ["v3", "v2", "v1"]).multiplications
    5
    """
    vertices = problem.resolve_order(order)
    state = new_state(problem, engine)
    for vertex in vertices:
        state.eliminate(vertex)
    return EliminationCost(
        multiplications=state.multiplications,
        additions=state.additions,
        order=tuple(problem.names[v] for v in vertices),
    )
