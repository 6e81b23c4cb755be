"""The Markowitz order on sets, in about O(E log V) time: a lazy heap of integer keys.

The greedy step takes the intermediate vertex with the smallest (cost, position in D). Both
fit in one integer, ``cost · (|D| + 1) + position``, so the heap holds plain ints, not tuples
(at 10^5 vertices the tuple heap spent 41 of 54 s in ``heappop``, chasing pointers). After an
elimination only the neighbours' costs change; a neighbour gets a fresh key only when its cost
did change, an entry that is no longer a vertex's current key is skipped when popped, and the
heap is rebuilt from the current keys once stale entries outnumber the live ones, so it never
grows beyond about twice the live intermediates. The key of a vertex is unique, so the order
is exactly the plain greedy one (tested against a plainly written reference).

At node level the elimination itself is written out here (|preds|·|succs| set insertions per
step, as in :class:`~graphcost.eliminate.engine.EliminationState`) over the problem's own
frozensets, each copied into a set only when the fill-in first writes to it, and dropped once
its vertex is eliminated (at 10^5 nodes / 10^6 edges: 250 MB above the problem instead of
340 MB). At block level the costs come from
:class:`~graphcost.eliminate.engine.EliminationState`.
"""

from __future__ import annotations

import heapq
from collections.abc import Set as AbstractSet

from graphcost.eliminate.engine import EliminationState
from graphcost.eliminate.problem import EliminationProblem
from graphcost.eliminate.switching import (
    RECENT,
    bits_are_cheaper,
    initial_averages,
    live_subproblem,
)

#: What an eliminated vertex's adjacency becomes (one shared object, not a set per vertex).
_GONE: frozenset[int] = frozenset()
#: Rebuild the heap from the current keys once it holds this many times the live ones.
_BLOAT = 2


def markowitz_on_sets(
    problem: EliminationProblem, switch_at: int = 0, *, always_switch: bool = False
) -> list[int]:
    """The Markowitz order of ``problem`` (vertex indices), ties to the earliest vertex in D.

    Parameters
    ----------
    problem
        A numeric problem (node or block level).
    switch_at
        Node level: once at most this many vertices are alive (and some intermediates are
        left), finish on bit matrices over the live vertices (:mod:`.bitmatrix`) when the
        recent steps say they are cheaper (:func:`~.switching.bits_are_cheaper`: the fill-in
        made the graph dense); 0 never switches. The order is the same.
    always_switch
        Switch as soon as ``switch_at`` vertices are alive, whatever the cost (for tests).

    Examples
    --------
    >>> from graphcost.eliminate.problem import problem_from_edges
    >>> p = problem_from_edges([("x", "a"), ("x", "b"), ("a", "b"), ("b", "y"), ("a", "y")],
    ...     inputs=["x"], intermediates=["a", "b"], outputs=["y"])
    >>> [p.names[v] for v in markowitz_on_sets(p)]  # both cost 1·2 first: a, earlier in D
    ['a', 'b']
    """
    if problem.level != "node":
        return _block_level(problem)
    preds: list[AbstractSet[int]] = list(problem.preds)  # sets once written to
    succs: list[AbstractSet[int]] = list(problem.succs)
    return _node_level(problem, preds, succs, switch_at, always_switch)


class _Keys:
    """The lazy heap: ``current[rank]`` is the live key of intermediate ``rank`` (-1 once
    eliminated); the heap may also hold stale keys, skipped when popped."""

    def __init__(self, costs: list[int]) -> None:
        self.stride = len(costs) + 1
        self.current = [cost * self.stride + rank for rank, cost in enumerate(costs)]
        self.heap = list(self.current)
        heapq.heapify(self.heap)
        self.live = len(costs)

    def pop(self) -> int:
        """The rank of the intermediate with the smallest live key (-1 when none is left)."""
        heap, current, stride = self.heap, self.current, self.stride
        while heap:
            key = heapq.heappop(heap)
            rank = key % stride
            if current[rank] == key:
                current[rank] = -1
                self.live -= 1
                return rank
        return -1

    def update(self, rank: int, cost: int) -> None:
        """Give a live intermediate its current cost (nothing is pushed when unchanged)."""
        key = cost * self.stride + rank
        if self.current[rank] != key:
            self.current[rank] = key
            heapq.heappush(self.heap, key)

    def tidy(self) -> None:
        """Rebuild the heap from the live keys once stale entries dominate it (a rebuild
        reads every key, so it waits for |D|/4 stale ones: O(1) per push amortised)."""
        if len(self.heap) > _BLOAT * self.live + (self.stride >> 2):
            self.heap = [key for key in self.current if key >= 0]
            heapq.heapify(self.heap)


def _node_level(
    problem: EliminationProblem,
    preds: list[AbstractSet[int]],
    succs: list[AbstractSet[int]],
    switch_at: int,
    always_switch: bool,
) -> list[int]:
    intermediates = problem.intermediates
    rank_of = [-1] * len(problem.names)
    for rank, vertex in enumerate(intermediates):
        rank_of[vertex] = rank
    keys = _Keys([len(preds[v]) * len(succs[v]) for v in intermediates])
    current, stride, push, pop = keys.current, keys.stride, heapq.heappush, heapq.heappop
    order: list[int] = []
    alive = len(problem.names)
    # Moving averages of |preds|·|succs| and |preds| + |succs|, from the graph's means.
    products, degree = initial_averages(preds, succs, intermediates)
    # _Keys.pop, .update and .tidy written out: method calls were a fifth of the time.
    for _ in range(len(intermediates)):
        if alive <= switch_at and (always_switch or bits_are_cheaper(products, degree, alive)):
            return order + _rest_on_bits(problem, preds, succs, order)
        heap = keys.heap
        key = pop(heap)
        while current[key % stride] != key:
            key = pop(heap)
        rank = key % stride
        current[rank] = -1
        keys.live -= 1
        vertex = intermediates[rank]
        before, after = preds[vertex], succs[vertex]
        products += (len(before) * len(after) - products) * RECENT
        degree += (len(before) + len(after) - degree) * RECENT
        for p in before:
            out = succs[p]
            if out.__class__ is not set:  # still the problem's frozenset: copy on write
                out = succs[p] = set(out)
            out.discard(vertex)
            out |= after
        for s in after:
            into = preds[s]
            if into.__class__ is not set:
                into = preds[s] = set(into)
            into.discard(vertex)
            into |= before
        preds[vertex] = succs[vertex] = _GONE
        order.append(vertex)
        alive -= 1
        for group in (before, after):  # disjoint: the graph is acyclic
            for other in group:
                rank = rank_of[other]
                if rank >= 0 and current[rank] >= 0:
                    key = len(preds[other]) * len(succs[other]) * stride + rank
                    if current[rank] != key:
                        current[rank] = key
                        push(heap, key)
        if len(heap) > _BLOAT * keys.live + (stride >> 2):
            keys.tidy()  # replaces keys.heap
    return order


def _block_level(problem: EliminationProblem) -> list[int]:
    """The same heap over block costs (:meth:`EliminationState.cost`, patterns and sizes)."""
    state = EliminationState(problem)
    cost = state.cost
    intermediates = problem.intermediates
    rank_of = {vertex: rank for rank, vertex in enumerate(intermediates)}
    keys = _Keys([cost(v) for v in intermediates])
    order: list[int] = []
    while keys.live:
        vertex = intermediates[keys.pop()]
        neighbours = state.preds[vertex] | state.succs[vertex]
        state.eliminate(vertex)
        order.append(vertex)
        for other in neighbours:
            rank = rank_of.get(other, -1)
            if rank >= 0 and keys.current[rank] >= 0:
                keys.update(rank, cost(other))
        keys.tidy()
    return order


def _rest_on_bits(
    problem: EliminationProblem,
    preds: list[AbstractSet[int]],
    succs: list[AbstractSet[int]],
    done: list[int],
) -> list[int]:
    """Markowitz on bit matrices over the vertices still alive, in the original numbering."""
    sub, alive = live_subproblem(problem, preds, succs, set(done))
    return [alive[v] for v in markowitz_on_bits(sub)]


def markowitz_on_bits(problem: EliminationProblem) -> list[int]:
    """Markowitz on bit matrices: the (cost, position) minimum is a vectorised argmin over one
    int64 key per vertex, cost·(|D| + 1) + position, refreshed for the neighbours only."""
    import numpy as np  # here, not at the top: `graphcost analyze` starts without numpy

    from graphcost.eliminate.bitmatrix import BitMatrixState

    state = BitMatrixState(problem)
    stride = len(problem.intermediates) + 1
    done = np.iinfo(np.int64).max
    key = np.full(len(problem.names), done, dtype=np.int64)
    rank = np.full(len(problem.names), -1, dtype=np.int64)
    members = np.array(problem.intermediates, dtype=np.int64)
    rank[members] = np.arange(len(members))
    key[members] = state.indegree[members] * state.outdegree[members] * stride + rank[members]
    order: list[int] = []
    for _ in range(len(members)):
        vertex = int(np.argmin(key))
        state.eliminate(vertex)
        touched = np.concatenate(state.last_neighbours)
        key[vertex] = done
        order.append(vertex)
        touched = touched[(rank[touched] >= 0) & (key[touched] != done)]
        key[touched] = state.indegree[touched] * state.outdegree[touched] * stride + rank[touched]
    return order
