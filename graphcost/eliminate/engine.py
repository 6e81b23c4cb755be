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
    One vertex per block (a shape of nodes), each edge with an index pattern
    (:mod:`graphcost.jacobian.blocks`; *full* and *diag* among them). Eliminating a whole block
    J composes I→J with J→K into a fill I→K (``compose``) and costs the number of node triples
    i→j→k (``compose_cost``: s_I·s_J·s_K for full·full, s_J for diag·diag, n·m for the weight
    ``ik->i`` of h = W·x after a full edge into a scalar ...). Joined with an existing I→K edge
    the result is the larger pattern; where neither contains the other the union is no
    pattern, the edge is held as full (a superset) and the cost is marked approximate.
    Additions = multiplications − the node-level pairs that did not exist yet. Since no block
    has edges inside itself, this equals eliminating J's nodes one after the other at node
    level (tested), in time independent of the sizes, which may be ints or sympy expressions
    (symbolic costs).

Strategies (:mod:`graphcost.eliminate.strategies`) return orders; :func:`eliminate` scores them, and
:class:`EliminationState` is the incremental form of the same computation for strategies that
explore orders. The problem itself is built in :mod:`graphcost.eliminate.problem`; node level may
run on bit matrices instead of sets (:mod:`graphcost.eliminate.bitmatrix`, chosen by
:func:`node_engine`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphcost.eliminate.problem import EliminationCost, EliminationProblem
from graphcost.errors import UsageError
from graphcost.jacobian.blocks import Pattern, compose, compose_cost, join, new_partials


class EliminationState:
    """The graph part-way through an elimination: the incremental form of :func:`eliminate`.

    Attributes
    ----------
    problem
        The problem being eliminated.
    preds, succs
        The current adjacency (mutable sets; do not modify them directly).
    patterns
        The current pattern of every edge (block level; :mod:`graphcost.jacobian.blocks`).
    approximate
        Block level: the edges (``"a -> b"``) whose fill-in had no exact join with the edge
        already there and are held as full; the totals are then upper bounds.
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
        self.patterns: dict[tuple[int, int], Pattern] = dict(problem.patterns)
        self.approximate: list[str] = list(problem.inexact)
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
        twin.patterns = dict(self.patterns)
        twin.approximate = list(self.approximate)
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
        shapes, patterns = self.problem.shapes, self.patterns
        total = 0
        for p in preds:
            into = patterns[p, vertex]
            for s in succs:
                total = total + compose_cost(
                    into, patterns[vertex, s], shapes[p], shapes[vertex], shapes[s]
                )
        return total

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
        shapes, patterns = self.problem.shapes, self.patterns
        multiplications: Any = 0
        fresh: Any = 0  # node-level pairs that did not exist before
        for p in preds:
            into = patterns.pop((p, vertex))
            out = self.succs[p]
            out.discard(vertex)
            for s in succs:
                second = patterns[vertex, s]
                multiplications = multiplications + compose_cost(
                    into, second, shapes[p], shapes[vertex], shapes[s]
                )
                fill = compose(into, second)
                existing = patterns.get((p, s)) if s in out else None
                fresh = fresh + new_partials(existing, fill, shapes[p], shapes[s])
                if existing is None:
                    out.add(s)
                    self.preds[s].add(p)
                joined = join(existing, fill)
                if joined is None:  # the union is no pattern: hold a superset
                    joined = Pattern.full(len(shapes[p]), len(shapes[s]))
                    names = self.problem.names
                    self.approximate.append(f"{names[p]} -> {names[s]}")
                patterns[p, s] = joined
        for s in succs:
            self.preds[s].discard(vertex)
            patterns.pop((vertex, s), None)
        return multiplications, multiplications - fresh


#: Node-level graphs with more vertices than this use sets, not bit matrices (2·n²/8 bytes).
BIT_MATRIX_MAX_NODES = 20_000
#: Node-level graphs with fewer vertices than this use sets (numpy's per-call overhead wins).
BIT_MATRIX_MIN_NODES = 2_000
#: Edges per vertex from which bit matrices score a given order faster than sets.
BIT_MATRIX_MIN_DEGREE = 30
ENGINES = ("auto", "sets", "bits")


def node_engine(problem: EliminationProblem, engine: str = "auto", *, greedy: bool = False) -> str:
    """Which implementation eliminates ``problem``: ``"sets"`` or ``"bits"``.

    Block level always uses sets (with sizes and edge kinds). At node level, ``"auto"`` picks
    by what ``tests/benchmarks/test_node_scale.py`` measures (2 cores; ratio bits / sets):

    - scoring an order (forward, backward): sets cost Σ |preds|·|succs| set insertions, bits
      (|preds| + |succs|)·n/64 word operations plus numpy's fixed cost per step; on random
      DAGs of 10^4 nodes and 10 edges per node sets win (bits/sets 3.4–14), from 50 edges per
      node bits win (0.52–0.60 at 2,000 nodes, 0.26–0.28 at 3,000 nodes and 100 edges per
      node): bits between :data:`BIT_MATRIX_MIN_NODES` and :data:`BIT_MATRIX_MAX_NODES`
      vertices with at least :data:`BIT_MATRIX_MIN_DEGREE` edges per vertex;
    - a greedy order (``greedy``: Markowitz, which fills the graph in as it goes): sets, which
      move to bits over the live vertices once the fill-in makes bits cheaper
      (:func:`graphcost.eliminate.switching.bits_are_cheaper`). In
      ``tests/benchmarks/test_markowitz_scale.py`` (c) bits from the start were 3× slower on a
      sparse DAG of 10^4 nodes, sets alone 13× slower on a dense one; ``auto`` stays within
      1.25× of the faster on all four.
    """
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}", fix=f"choose one of: {', '.join(ENGINES)}")
    if problem.level != "node":
        return "sets"
    if engine != "auto":
        return engine
    size = len(problem.names)
    if not BIT_MATRIX_MIN_NODES <= size <= BIT_MATRIX_MAX_NODES:
        return "sets"
    dense = problem.edge_count >= BIT_MATRIX_MIN_DEGREE * size
    return "bits" if dense and not greedy else "sets"


def new_state(problem: EliminationProblem, engine: str = "auto") -> Any:
    """A fresh :class:`EliminationState` or :class:`BitMatrixState` (see :func:`node_engine`)."""
    if node_engine(problem, engine) == "bits":
        from graphcost.eliminate.bitmatrix import BitMatrixState  # numpy, imported when needed

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
    if engine == "auto" and problem.level == "node" and isinstance(state, EliminationState):
        multiplications, additions = _eliminate_switching(state, vertices)
    else:
        for vertex in vertices:
            state.eliminate(vertex)
        multiplications, additions = state.multiplications, state.additions
    return EliminationCost(
        multiplications=multiplications,
        additions=additions,
        order=tuple(problem.names[v] for v in vertices),
        approximate=tuple(dict.fromkeys(getattr(state, "approximate", ()))),
    )


def _eliminate_switching(state: EliminationState, vertices: list[int]) -> tuple[int, int]:
    """Eliminate ``vertices`` on sets, finishing on bit matrices over the live vertices once
    they fit and the recent steps say bits are cheaper (:mod:`.switching`: an order with heavy
    fill-in, such as Markowitz's on a denser DAG, went from 43 s to seconds at 10^4 nodes)."""
    from graphcost.eliminate.switching import (
        RECENT,
        bits_are_cheaper,
        initial_averages,
        live_subproblem,
    )

    problem, preds, succs = state.problem, state.preds, state.succs
    products, degree = initial_averages(preds, succs, problem.intermediates)
    alive = len(problem.names)
    for done, vertex in enumerate(vertices):
        if alive <= BIT_MATRIX_MAX_NODES and bits_are_cheaper(products, degree, alive):
            from graphcost.eliminate.bitmatrix import BitMatrixState

            sub, live = live_subproblem(problem, preds, succs, set(vertices[:done]))
            local = {v: i for i, v in enumerate(live)}
            bits = BitMatrixState(sub)
            for rest in vertices[done:]:
                bits.eliminate(local[rest])
            return (
                state.multiplications + bits.multiplications,
                state.additions + bits.additions,
            )
        before, after = len(preds[vertex]), len(succs[vertex])
        products += (before * after - products) * RECENT
        degree += (before + after - degree) * RECENT
        state.eliminate(vertex)
        alive -= 1
    return state.multiplications, state.additions
