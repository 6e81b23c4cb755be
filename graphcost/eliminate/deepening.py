"""Depth-first exact search in bounded memory: iterative deepening A* (IDA*) over subsets.

``optimal`` (:mod:`graphcost.eliminate.exact`) searches best-first, which keeps every state it
has seen. When its memory estimate reaches ``--memory-limit`` it hands over to this search,
which keeps only the current path and a transposition table of bounded size:

- a threshold t starts at the lower bound proven so far (no order costs less than t);
- one iteration walks depth first through every state whose f = g + h is at most t (h the
  admissible min-cut bound of :mod:`graphcost.eliminate.bound`, children tried cheapest f
  first, the reduction rules of :mod:`graphcost.eliminate.reductions` applied);
- reaching the full set with g ≤ t proves that order optimal (t is a lower bound); an
  iteration that finds none proves that no order costs t or less, and the next threshold is the
  smallest f that was cut off. So the bound it reports only grows, and it reaches the best
  known cost when that cost is optimal.

The transposition table maps a subset to the least g it was reached with in this iteration;
a state reached again with no smaller g has nothing new below it. It holds at most
``table_size`` entries (the memory left), later states are simply not remembered.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from graphcost.eliminate.bound import CutBound
from graphcost.eliminate.kernels import BitKernel
from graphcost.eliminate.progress import report as report_progress
from graphcost.eliminate.reductions import branch_vertices, forced_vertex

#: Progress is reported every this many states (the clock is read at every state: a state
#: costs a cut computation, far more than reading the clock).
CLOCK_EVERY = 256


class _OutOfTime(Exception):
    pass


@dataclass
class DeepeningResult:
    """What :func:`deepen` found: best order and cost, the proven bound, states visited."""

    order: list[int]
    cost: int
    lower_bound: int
    proven_optimal: bool
    visited: int
    stopped: str | None
    table_peak: int = 0


def deepen(
    kernel: BitKernel,
    cuts: CutBound,
    members: list[int],
    best: tuple[int, list[int]],
    bound: int,
    *,
    deadline: float | None,
    table_size: int,
    rules: tuple[str, ...],
) -> DeepeningResult:
    """IDA* from the empty set with the proven ``bound`` and the incumbent ``best``.

    Parameters
    ----------
    kernel, cuts
        The node-level kernel and the cut bound of the problem.
    members
        The intermediates (vertex indices).
    best
        ``(cost, order)`` of the cheapest order known.
    bound
        A proven lower bound to start the threshold from.
    deadline
        ``time.perf_counter()`` value to stop at (``None``: no limit).
    table_size
        Most transposition table entries.
    rules
        Reduction rules (:data:`graphcost.eliminate.reductions.RULES`).
    """
    best_cost, best_order = best[0], list(best[1])
    count = len(members)
    full = (1 << count) - 1
    slot = {v: k for k, v in enumerate(members)}
    visited = 0
    threshold = bound
    table: dict[int, int] = {}
    peak = 0

    def visit(state: list[list[int]], mask: int, gone: int, g: int, path: list[int]) -> int:
        """Smallest f above the threshold below this state, or -1 when an optimum is found."""
        nonlocal visited, best_cost, best_order, peak
        visited += 1
        if visited % CLOCK_EVERY == 0:
            report_progress("optimal", best_cost, threshold)
        if deadline is not None and time.perf_counter() > deadline:
            raise _OutOfTime
        if mask == full:
            best_cost, best_order = g, list(path)
            return -1
        known = table.get(mask)
        if known is not None and known <= g:
            return best_cost
        if known is not None or len(table) < table_size:
            table[mask] = g
            peak = max(peak, len(table))
        weights = cuts.weights(state[0], state[1], gone)
        remaining = sum(weights)
        if g + remaining > threshold:  # this state's own cuts are stronger than its parent's
            return min(g + remaining, best_cost)
        alive = [members[k] for k in range(count) if not mask >> k & 1]
        forced = forced_vertex(state, alive, rules)
        choices = [forced] if forced is not None else branch_vertices(state, alive, rules)
        scored = []
        for v in choices:
            k = slot[v]
            step = kernel.cost(state, v)
            scored.append((g + step + remaining - weights[k], step, v))
        scored.sort()
        cut_off = best_cost
        for f, step, v in scored:
            if f >= best_cost:
                break
            if f > threshold:
                cut_off = min(cut_off, f)
                break
            child = kernel.copy(state)
            kernel.step(child, v)
            path.append(v)
            found = visit(child, mask | 1 << slot[v], gone | 1 << v, g + step, path)
            path.pop()
            if found == -1:
                return -1
            cut_off = min(cut_off, found)
        return cut_off

    stopped = None
    try:
        while threshold < best_cost:
            table.clear()
            following = visit(kernel.fresh(), 0, 0, 0, [])
            if following == -1:
                threshold = best_cost
                break
            threshold = following  # no order costs less than this
    except _OutOfTime:
        stopped = "time"
    proven = stopped is None
    return DeepeningResult(
        best_order, best_cost, best_cost if proven else threshold, proven, visited, stopped, peak
    )
