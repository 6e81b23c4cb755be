"""The ``optimal`` strategy: the cheapest vertex elimination order, proven, by A* over subsets.

Dynamic programming over subsets
    The graph left after eliminating a set T of intermediates does not depend on the order
    in which T was eliminated: an edge u→v exists iff the original graph has a path
    u→…→v whose interior vertices all lie in T (by induction on |T|: eliminating j joins
    every predecessor of j to every successor of j). So the cost of eliminating j next
    depends only on T, and the cheapest order is a shortest path from ∅ to D in the lattice
    of subsets, 2^|D| states instead of |D|! orders.

Branch and bound (A*)
    The shortest path is searched best-first (A*) with

    - an **upper bound** U from the cheap strategies and a short, seeded run of ``search``:
      only states that might lead to an order cheaper than U are kept;
    - an **admissible lower bound** h(T) on the cost of finishing from T (below);
    - **memoised states**: one dict entry per subset (a bitmask): the cheapest cost found to
      reach it and the vertex eliminated last. A state's graph is rebuilt when it is expanded.

Reduction rules
    At node level a state whose graph has a zero-cost vertex (no predecessor or no successor)
    or a chain vertex (one predecessor, one successor) has that elimination as its only
    child, and of twin vertices (same predecessors and successors) only the first is branched
    on: :mod:`graphcost.eliminate.reductions` says why no optimum is lost.

Bounded memory
    Past ``--memory-limit`` (default a quarter of the RAM; :mod:`graphcost.eliminate.memory`)
    it frees its states and continues depth first from the bound proven so far (iterative
    deepening A*, :mod:`graphcost.eliminate.deepening`), in memory proportional to the depth.

The lower bound
    h(T) is the larger of two: the sum over the intermediates not yet eliminated of min-cut
    products κ_in·κ_out (admissible and consistent, :mod:`graphcost.eliminate.bound`), and the
    group bound computed once at the start (small groups of neighbours solved exactly, combined
    by a linear programme; admissible, not consistent, so states reached more cheaply are
    reopened: :mod:`graphcost.eliminate.groups`). At block level (sizes, diag edges) the bound
    is 0 (plain Dijkstra over the subsets): still exact, but only small block graphs are feasible.

Limits
    More than :data:`MAX_INTERMEDIATES` (node level) or :data:`MAX_BLOCK_INTERMEDIATES` (block
    level) intermediates: refused (:class:`~graphcost.errors.UsageError`). When ``--time-limit``
    (default :data:`DEFAULT_SECONDS` s) expires, the best order found so far is returned with
    ``proven_optimal=False`` and the lower bound proven so far (the start bound, or the least f
    in the queue or the depth-first threshold if larger), both reported as they change
    (:mod:`graphcost.eliminate.progress`).
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass
from typing import Any

from graphcost.eliminate.bound import CutBound
from graphcost.eliminate.deepening import deepen
from graphcost.eliminate.groups import root_table
from graphcost.eliminate.kernels import kernel_for, order_cost
from graphcost.eliminate.memory import CACHE_BYTES, MEMO_BYTES, QUEUE_BYTES, default_memory_limit
from graphcost.eliminate.problem import EliminationProblem
from graphcost.eliminate.progress import report as report_progress
from graphcost.eliminate.reductions import RULES, branch_vertices, check_rules, forced_vertex
from graphcost.eliminate.registry import StrategyOptions, StrategyOutcome, register
from graphcost.errors import UsageError

#: Most intermediates ``optimal`` accepts at node level.
MAX_INTERMEDIATES = 128
#: Most intermediates (blocks) ``optimal`` accepts at block level, where the bound is 0.
MAX_BLOCK_INTERMEDIATES = 24
#: Seconds ``optimal`` runs when no ``--time-limit`` is given.
DEFAULT_SECONDS = 20.0
#: Iterations of the seeded ``search`` run that gives the first upper bound (per intermediate).
UPPER_BOUND_ITERATIONS = 2000
#: At most this share of the time limit goes to that search.
UPPER_BOUND_SHARE = 0.25
#: The group bound (:mod:`graphcost.eliminate.groups`) is computed until this share has passed.
GROUP_SHARE = 0.5
#: The clock is read every this many expansions.
CLOCK_EVERY = 128


@dataclass(frozen=True)
class ExactResult:
    """What :func:`solve` found.

    Attributes
    ----------
    order
        The cheapest order found (vertex indices).
    cost
        Its multiplications.
    lower_bound
        Proven: no order costs less (equal to ``cost`` when proven optimal).
    proven_optimal
        Whether the search finished (``cost == lower_bound``).
    expanded
        States expanded (best-first) plus states visited (depth-first).
    stopped
        ``"time"``, ``"memory"`` (the ``max_states`` cap), or ``None`` when it finished.
    mode
        ``"best-first"``, or ``"depth-first"`` past the memory limit (:mod:`.deepening`).
    seconds
        Wall-clock time of the whole solve.
    memory
        Peak estimated bytes of the states kept (:mod:`graphcost.eliminate.memory`; the
        memoised cuts, at most a quarter of the limit, not included).
    bounds
        The start bounds by name: ``min_cut`` and (when computed) ``groups``.
    """

    order: tuple[int, ...]
    cost: int
    lower_bound: int
    proven_optimal: bool
    expanded: int
    stopped: str | None
    mode: str = "best-first"
    seconds: float = 0.0
    memory: int = 0
    bounds: tuple[tuple[str, int], ...] = ()

    def details(self, memory_limit: int) -> dict[str, object]:
        """The search statistics for the JSON report (states, states/second, memory, mode)."""
        from graphcost.eliminate.memory import peak_resident_bytes

        return {
            "mode": self.mode,
            "states": self.expanded,
            "states_per_second": round(self.expanded / self.seconds) if self.seconds else None,
            "memory_bytes": self.memory,
            "memory_limit_bytes": memory_limit,
            "peak_resident_bytes": peak_resident_bytes(),
            "start_bounds": dict(self.bounds),
        }


def solve(
    problem: EliminationProblem,
    *,
    upper: tuple[int, list[int]] | None = None,
    time_limit: float | None = DEFAULT_SECONDS,
    max_states: int | None = None,
    memory_limit: int | None = None,
    seed: int = 0,
    rules: tuple[str, ...] = RULES,
    groups: bool = True,
) -> ExactResult:
    """A* over subsets of eliminated vertices (see the module docstring).

    Parameters
    ----------
    problem
        A numeric elimination problem.
    upper
        A known ``(cost, order)`` to beat; by default the best of the cheap strategies and a
        short seeded ``search``.
    time_limit, max_states
        Seconds, and states stored, before giving up the proof (``None``: no limit).
    memory_limit
        Bytes the best-first search may hold (estimated), then depth first
        (:mod:`graphcost.eliminate.deepening`). ``None``: a quarter of the RAM.
    seed
        Seed of the upper-bound search.
    rules
        Reduction rules (:mod:`graphcost.eliminate.reductions`; node level only).
    groups
        Also use the group bound (:mod:`graphcost.eliminate.groups`; node level only).

    Returns
    -------
    ExactResult

    Raises
    ------
    UsageError
        Beyond the size limits, or for symbolic sizes.

    Examples
    --------
    >>> from graphcost.eliminate.problem import problem_from_edges
    >>> p = problem_from_edges([("x", "a"), ("a", "b"), ("b", "c"), ("c", "y"), ("x", "c")],
    ...     inputs=["x"], intermediates=["a", "b", "c"], outputs=["y"])
    >>> result = solve(p)
    >>> result.cost, result.proven_optimal
    (3, True)
    """
    # Deferred, as is check_budget's in optimal: 'search' must register after 'optimal'.
    from graphcost.eliminate.search import search_order

    began = time.perf_counter()  # the time limit covers the upper-bound search too
    rules = check_rules(rules)
    limit_bytes = default_memory_limit() if memory_limit is None else memory_limit
    kernel = kernel_for(problem)
    members = list(problem.intermediates)
    count = len(members)
    node = problem.level == "node"
    limit = MAX_INTERMEDIATES if node else MAX_BLOCK_INTERMEDIATES
    if count > limit:
        raise UsageError(
            f"optimal handles at most {limit} intermediate vertices at {problem.level} level; "
            f"{problem.graph_name!r} has {count}",
            fix="use --strategy search (it reports the proven lower bound too)",
        )
    if not node:
        rules = ()
    # Memoised cuts get a quarter of the memory, the states the rest.
    cuts = CutBound(problem, max_cache=max(1, limit_bytes // 4 // CACHE_BYTES)) if node else None
    weights = cuts.weights(*kernel.fresh(), 0) if cuts is not None else [0] * count
    root_bound = sum(weights)
    if upper is None:
        budget = None if time_limit is None else UPPER_BOUND_SHARE * time_limit
        cost, order, _ = search_order(
            problem,
            StrategyOptions(
                seed=seed, iterations=UPPER_BOUND_ITERATIONS * count, time_limit=budget
            ),
            target=root_bound,
        )
        upper = (cost, order)
    best_cost, best_order = upper[0], list(upper[1])
    if best_cost != order_cost(kernel, best_order):
        raise ValueError("the upper bound's cost does not match its order")

    start = {"min_cut": root_bound}

    def finish(bound: int, proven: bool, expanded: int, stopped: str | None, **more: Any):
        more.update(seconds=time.perf_counter() - began, bounds=tuple(start.items()))
        return ExactResult(tuple(best_order), best_cost, bound, proven, expanded, stopped, **more)

    full = (1 << count) - 1
    table = None
    if cuts is not None and groups and root_bound < best_cost:
        deadline = None if time_limit is None else began + GROUP_SHARE * time_limit
        table = root_table(problem, cuts, deadline=deadline)
        root_bound = max(root_bound, start.setdefault("groups", table.bound))
        report_progress("optimal", best_cost, root_bound)
    if root_bound >= best_cost:
        return finish(best_cost, True, 0, None)
    slot = {v: k for k, v in enumerate(members)}
    # memo[mask] = (g << 8) | k: cheapest cost found to reach mask, and the member eliminated
    # last on that path (count ≤ 255), so that the order is rebuilt by walking back.
    memo: dict[int, int] = {0: 0}
    # Queue entries (f, -g, mask, evaluated): a child is queued with f from its parent's cuts
    # (a valid but weaker bound) and re-queued once with its own cuts when it comes first.
    queue: list[tuple[int, int, int, bool]] = [(root_bound, 0, 0, True)]
    expanded = 0
    stopped = None
    state_bytes = limit_bytes - (limit_bytes // 4 if node else 0)
    peak = 0
    out_of_memory = False
    while queue:
        f, negative_g, mask, evaluated = queue[0]
        if f >= best_cost:
            break  # every unexplored order costs at least best_cost: it is optimal
        heapq.heappop(queue)
        g = -negative_g
        if memo[mask] >> 8 < g:
            continue  # a cheaper path to this state was found after this entry was queued
        if mask == full:
            best_cost, best_order = g, _walk_back(memo, full, members)
            break
        state = kernel.fresh()
        rest = mask
        gone = 0
        while rest:
            low = rest & -rest
            rest ^= low
            vertex = members[low.bit_length() - 1]
            kernel.step(state, vertex)
            gone |= 1 << vertex
        if cuts is not None:
            weights = cuts.weights(state[0], state[1], gone)
            remaining = cut_rest = sum(weights)
            if table is not None:
                remaining = max(remaining, table.rest(mask))
            if not evaluated and g + remaining > f:
                if g + remaining >= best_cost:
                    continue  # cannot lead to a cheaper order
                if queue and g + remaining > queue[0][0]:
                    heapq.heappush(queue, (g + remaining, negative_g, mask, True))
                    continue
                # still first in the queue: expand it now instead of rebuilding it later
        else:
            remaining = cut_rest = 0
        expanded += 1
        if expanded % CLOCK_EVERY == 0:
            report_progress("optimal", best_cost, max(root_bound, f))
            if time_limit is not None and time.perf_counter() - began > time_limit:
                stopped = "time"
        used = MEMO_BYTES * len(memo) + QUEUE_BYTES * len(queue)
        peak = max(peak, used)
        if not stopped and max_states is not None and len(memo) > max_states:
            stopped = "memory"
        out_of_memory = not stopped and used > state_bytes
        if stopped or out_of_memory:
            heapq.heappush(queue, (f, negative_g, mask, evaluated))
            break
        alive = [members[k] for k in range(count) if not mask >> k & 1]
        forced = forced_vertex(state, alive, rules) if rules else None
        if forced is not None:
            choices = [forced]
        else:
            choices = branch_vertices(state, alive, rules) if rules else alive
        for vertex in choices:
            k = slot[vertex]
            g2 = g + kernel.cost(state, vertex)
            child = mask | 1 << k
            f2 = g2 + cut_rest - weights[k]
            if table is not None:
                f2 = max(f2, g2 + table.rest(child))
            if f2 >= best_cost:
                continue
            known = memo.get(child)
            if known is not None and known >> 8 <= g2:
                continue
            memo[child] = (g2 << 8) | k
            heapq.heappush(queue, (f2, -g2, child, False))
    if not out_of_memory:
        proven = stopped is None
        bound = best_cost if proven else max(root_bound, min(queue[0][0], best_cost))
        return finish(bound, proven, expanded, stopped, memory=peak)
    bound = max(root_bound, queue[0][0])
    # Out of memory: keep the bound and the best order, free the states, go depth first.
    del memo, queue
    if cuts is None:  # block level: no bound, so no depth-first search either
        return finish(bound, False, expanded, "memory", memory=peak)
    deadline = None if time_limit is None else began + time_limit
    deep = deepen(
        kernel,
        cuts,
        members,
        (best_cost, best_order),
        bound,
        deadline=deadline,
        table_size=max(0, state_bytes // MEMO_BYTES),
        rules=rules,
    )
    best_cost, best_order = deep.cost, deep.order
    return finish(
        deep.lower_bound,
        deep.proven_optimal,
        expanded + deep.visited,
        deep.stopped,
        mode="depth-first",
        memory=max(peak, MEMO_BYTES * deep.table_peak),
    )


def _walk_back(memo: dict[int, int], mask: int, members: list[int]) -> list[int]:
    order = []
    while mask:
        k = memo[mask] & 0xFF
        order.append(members[k])
        mask ^= 1 << k
    return order[::-1]


@register(
    "optimal",
    description="exact minimum over all orders: A* over subsets with a min-cut lower bound and "
    "reduction rules, depth first past --memory-limit (--time-limit)",
)
def optimal(problem: EliminationProblem, options: StrategyOptions) -> StrategyOutcome:
    """The ``optimal`` strategy: :func:`solve` with the user's time limit and seed.

    When the time limit expires it returns the best order found, ``proven_optimal=False``
    and the lower bound proven so far.

    Examples
    --------
    >>> from graphcost.eliminate.problem import problem_from_edges
    >>> from graphcost.eliminate.strategies import run_strategy
    >>> p = problem_from_edges([("x", "a"), ("a", "b"), ("x", "b"), ("b", "y")],
    ...     inputs=["x"], intermediates=["a", "b"], outputs=["y"])
    >>> result = run_strategy(p, "optimal")
    >>> result.cost.multiplications, result.proven_optimal
    (2, True)
    """
    from graphcost.eliminate.search import check_budget

    check_budget(options.time_limit, None)
    seconds = DEFAULT_SECONDS if options.time_limit is None else options.time_limit
    memory = default_memory_limit() if options.memory_limit is None else options.memory_limit
    result = solve(problem, time_limit=seconds, seed=options.seed, memory_limit=memory)
    remark = {
        None: None,
        "time": f"time limit of {seconds:g} s reached before the proof: best order found so far "
        "(raise --time-limit to prove more)",
        "memory": "state limit reached before the proof: best order found so far",
    }[result.stopped]
    if result.mode == "depth-first":
        switched = "memory limit reached: continued depth first (iterative deepening)"
        remark = switched if remark is None else f"{switched}; {remark}"
    return StrategyOutcome(
        result.order,
        lower_bound=result.lower_bound,
        proven_optimal=result.proven_optimal,
        remark=remark,
        details=result.details(memory),
    )
