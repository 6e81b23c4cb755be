"""The ``search`` strategy: anytime, reproducible local search over vertex elimination orders.

Method: simulated annealing over permutations of D, with *window* moves and incremental cost.

Why this method
    Vertex elimination has a property that makes local search cheap: the graph left after
    eliminating a *set* of vertices does not depend on the order they were eliminated in
    (an edge u→v exists iff the original graph has a path u→…→v through eliminated vertices
    only). A move that permutes the positions a..b of an order therefore changes only the
    costs of the eliminations at positions a..b: the graph before position a and the graph
    after position b (hence every later cost) are the same as before. We keep a snapshot of
    the graph before every position and the running totals, so a move is scored by
    re-eliminating just its window from the snapshot, O(window) eliminations instead of
    O(|D|) (here windows have at most :data:`MAX_WINDOW` + 1 positions). Moves are the two
    classic ones on permutations: *insert* (move one vertex a few places earlier or later)
    and *swap* (exchange two vertices a few places apart). Annealing (rather than pure
    descent or tabu) because the landscape has wide plateaus of equal cost, which annealing
    crosses freely at no bookkeeping cost; its temperature falls geometrically from
    :data:`START_TEMPERATURE` to :data:`END_TEMPERATURE` multiplications (the typical cost
    difference of one move is a few multiplications) over the budget.

Reheated rounds (measured, not the default)
    :func:`anneal_in_rounds` spends half the budget on one cooling and the rest on four rounds
    reheated from a kicked copy of the best order. On RoeFlux_1d and g it found the same
    orders as one cooling at 5, 20 and 60 s (295, 409) and worse ones at 1 s (302 vs 297,
    413 vs 411; ``tests/benchmarks/test_search_curve.py``), so the search stays one cooling.

Start and guarantee
    The search starts from the cheapest of ``forward``, ``backward`` and ``markowitz`` (ties
    to the first of these) and returns the cheapest order it visited, so it is never worse
    than its start.

Reproducibility
    Restart r uses its own random stream seeded by ``(seed, r)``. With an iteration budget
    (``--iterations``) and no time limit the result depends only on the seed, the budget and
    the number of restarts (``--jobs``), not on the machine or who runs the restarts:
    ``--jobs N`` runs restarts 0..N-1 on N local processes, or on a Dask cluster when a
    scheduler is given, and keeps the cheapest (ties to the lowest restart). With a time
    limit (default :data:`DEFAULT_SECONDS` s when no iteration budget is given) the search
    stops when the time is up, so how far it gets depends on the machine.

At node level the graph state is two lists of Python int bitmasks (predecessors and
successors of every vertex), so eliminating j is |preds(j)| + |succs(j)| big-int ORs. At
block level (sizes, diag edges) the same search runs on
:class:`graphcost.eliminate.engine.EliminationState` copies, slower but the same algorithm.
Every cost the strategy reports is recomputed by :func:`graphcost.eliminate.engine.eliminate`
(:func:`graphcost.eliminate.strategies.run_strategy`); the tests check the two agree.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import graphcost.eliminate.heuristics  # noqa: F401  (registers START_STRATEGIES)
from graphcost.eliminate.bound import lower_bound
from graphcost.eliminate.kernels import BitKernel, StateKernel, kernel_for, order_cost
from graphcost.eliminate.problem import EliminationProblem
from graphcost.eliminate.progress import report as report_progress
from graphcost.eliminate.registry import STRATEGIES, StrategyOptions, StrategyOutcome, register
from graphcost.errors import UsageError

#: Seconds the search runs when neither a time limit nor an iteration budget is given.
DEFAULT_SECONDS = 5.0
#: Temperatures (in multiplications) at the start and the end of the annealing schedule.
START_TEMPERATURE = 3.0
END_TEMPERATURE = 0.05
#: Largest distance between the two positions a move touches.
MAX_WINDOW = 12
#: The clock is read every this many iterations (reading it costs as much as a small move).
CLOCK_EVERY = 256
#: Share of the budget of the first annealing round, and of each later (reheated) round.
FIRST_ROUND = 0.5
LATER_ROUND = 0.125
#: The cheap strategies the search starts from, in tie-break order.
START_STRATEGIES = ("forward", "backward", "markowitz")
#: Largest ``--iterations``: 10⁹ moves already take hours; a larger budget is a typo that
#: would run for ever.
MAX_ITERATIONS = 10**9
#: Largest ``--time-limit`` in seconds (a week): beyond it the limit is no limit at all.
MAX_SECONDS = 7 * 24 * 3600.0


def check_budget(time_limit: float | None, iterations: int | None) -> None:
    """Refuse a search budget that is not a budget: NaN, infinite, non-positive or huge.

    Raises
    ------
    UsageError
        For a time limit that is not a finite number in (0, :data:`MAX_SECONDS`], or an
        iteration budget outside [0, :data:`MAX_ITERATIONS`].

    Examples
    --------
    >>> check_budget(2.5, 1000)
    """
    if time_limit is not None and not 0 < time_limit <= MAX_SECONDS:  # NaN fails too
        raise UsageError(
            f"--time-limit must be a number of seconds in (0, {MAX_SECONDS:g}], got {time_limit}",
            fix="e.g. --time-limit 30",
        )
    if iterations is not None and not 0 <= iterations <= MAX_ITERATIONS:
        raise UsageError(
            f"--iterations must be between 0 and {MAX_ITERATIONS:,}, got {iterations:,}",
            fix="give a smaller budget, or --time-limit SECONDS",
        )


def start_order(problem: EliminationProblem, kernel: BitKernel | StateKernel) -> list[int]:
    """The cheapest order of :data:`START_STRATEGIES` (ties to the first), as vertex indices."""
    best: tuple[int, list[int]] | None = None
    for name in START_STRATEGIES:
        outcome = STRATEGIES[name].function(problem, StrategyOptions())
        order = problem.resolve_order(getattr(outcome, "order", outcome))
        cost = order_cost(kernel, order)
        if best is None or cost < best[0]:
            best = (cost, order)
    assert best is not None  # START_STRATEGIES is not empty
    return best[1]


@dataclass(frozen=True)
class Restart:
    """One annealing run: picklable, so that restarts can run on other processes or Dask.

    Calling it with a restart number returns ``(cost, order, iterations_done)``.
    """

    problem: EliminationProblem
    start: tuple[int, ...]
    seed: int
    iterations: int | None
    seconds: float | None
    target: int | None = None

    def __call__(self, restart: int) -> tuple[int, list[int], int]:
        return anneal(
            kernel_for(self.problem),
            self.start,
            rng=random.Random(f"graphcost-search:{self.seed}:{restart}"),
            iterations=self.iterations,
            seconds=self.seconds,
            target=self.target,
        )


def anneal_in_rounds(
    kernel: BitKernel | StateKernel,
    start: Sequence[int],
    *,
    rng: random.Random,
    iterations: int | None = None,
    seconds: float | None = None,
    target: int | None = None,
) -> tuple[int, list[int], int]:
    """Annealing with reheats: :data:`FIRST_ROUND` of the budget from ``start``, then rounds
    of :data:`LATER_ROUND` of it, each from the best order so far with a random window of it
    shuffled (a kick) and the temperature raised again. Returns (best cost, best order,
    iterations run); never worse than ``start``.

    One long cooling settles in one valley; reheating from a kicked copy of the best order
    lets a longer budget explore other valleys near it instead of idling at a low
    temperature.
    """
    shares = [FIRST_ROUND] + [LATER_ROUND] * round((1 - FIRST_ROUND) / LATER_ROUND)
    best, best_order, done = None, list(start), 0
    began = time.perf_counter()
    for number, share in enumerate(shares):
        order = list(best_order)
        if number and len(order) > 2:
            width = min(len(order), rng.randint(3, 2 * MAX_WINDOW))
            at = rng.randrange(len(order) - width + 1)
            window = order[at : at + width]
            rng.shuffle(window)
            order[at : at + width] = window
        budget = None if iterations is None else max(1, int(iterations * share))
        left = None if seconds is None else seconds - (time.perf_counter() - began)
        if left is not None and left <= 0:
            break
        clock = None if left is None else (left if number == len(shares) - 1 else seconds * share)
        cost, found, steps = anneal(
            kernel, order, rng=rng, iterations=budget, seconds=clock, target=target
        )
        done += steps
        if best is None or cost < best:
            best, best_order = cost, found
        if target is not None and best <= target:
            break
    assert best is not None  # the first round always runs
    return best, best_order, done


def anneal(
    kernel: BitKernel | StateKernel,
    start: Sequence[int],
    *,
    rng: random.Random,
    iterations: int | None = None,
    seconds: float | None = None,
    target: int | None = None,
) -> tuple[int, list[int], int]:
    """Simulated annealing from ``start``; returns (best cost, best order, iterations run).

    At least one of ``iterations`` and ``seconds`` must be given; the temperature follows
    the larger of the two fractions of budget used. The search stops early once an order
    costs ``target`` or less (a proven lower bound: nothing cheaper exists). The returned
    order is never worse than ``start``.

    Examples
    --------
    >>> from graphcost.eliminate.problem import problem_from_edges
    >>> p = problem_from_edges([("x", "a"), ("a", "b"), ("b", "c"), ("c", "y"), ("x", "c")],
    ...     inputs=["x"], intermediates=["a", "b", "c"], outputs=["y"])
    >>> kernel = BitKernel(p)
    >>> order_cost(kernel, [3, 2, 1])
    4
    >>> anneal(kernel, [3, 2, 1], rng=random.Random(0), iterations=200)[0]
    3
    """
    if iterations is None and seconds is None:
        raise ValueError("anneal needs an iteration budget or a time limit")
    order = list(start)
    count = len(order)
    # snapshots[k]: the graph before position k; totals[k]: cost of positions 0..k-1.
    snapshots: list[Any] = [None] * (count + 1)
    totals = [0] * (count + 1)
    state = kernel.fresh()
    for k, vertex in enumerate(order):
        snapshots[k] = kernel.copy(state)
        totals[k + 1] = totals[k] + kernel.step(state, vertex)
    current = totals[count]
    best, best_order = current, list(order)
    if count < 2 or (target is not None and best <= target):
        return best, best_order, 0
    window = min(MAX_WINDOW, count - 1)
    ratio = END_TEMPERATURE / START_TEMPERATURE
    began = time.perf_counter()
    done = 0
    progress = 0.0
    while True:
        if iterations is not None and done >= iterations:
            break
        if done % CLOCK_EVERY == 0:
            report_progress("search", best, target)
            progress = done / iterations if iterations else 0.0
            if seconds is not None:
                elapsed = time.perf_counter() - began
                if elapsed >= seconds:
                    break
                progress = max(progress, elapsed / seconds)
        elif iterations is not None:
            progress = max(progress, done / iterations)
        done += 1
        temperature = START_TEMPERATURE * ratio**progress
        i = rng.randrange(count)
        distance = rng.randint(1, window)
        j = i + distance if rng.random() < 0.5 else i - distance
        if not 0 <= j < count:
            continue
        a, b = (i, j) if i < j else (j, i)
        segment = order[a : b + 1]
        if rng.random() < 0.5:  # insert: move the vertex at i to position j
            moved = segment[1:] + segment[:1] if i < j else segment[-1:] + segment[:-1]
        else:  # swap the two ends
            moved = [segment[-1], *segment[1:-1], segment[0]]
        trial = kernel.copy(snapshots[a])
        window_cost = sum(kernel.step(trial, v) for v in moved)
        delta = window_cost - (totals[b + 1] - totals[a])
        if delta > 0 and rng.random() >= math.exp(-delta / temperature):
            continue
        order[a : b + 1] = moved
        state = kernel.copy(snapshots[a])
        for q in range(a, b + 1):
            if q > a:
                snapshots[q] = kernel.copy(state)
            totals[q + 1] = totals[q] + kernel.step(state, order[q])
        if delta:
            for q in range(b + 2, count + 1):
                totals[q] += delta
        current += delta
        if current < best:
            best, best_order = current, list(order)
            if target is not None and best <= target:
                break
    return best, best_order, done


def search_order(
    problem: EliminationProblem, options: StrategyOptions, *, target: int | None = None
) -> tuple[int, list[int], int]:
    """Run the search as ``options`` ask; returns (cost, order as vertex indices, start cost).

    ``target``, a proven lower bound, stops every restart as soon as it is reached.

    Raises
    ------
    UsageError
        For symbolic sizes, ``jobs`` out of :func:`graphcost.parallel.check_jobs`' bounds, or
        a budget :func:`check_budget` refuses.
    """
    from graphcost.parallel import check_jobs

    kernel = kernel_for(problem)
    # Restarts are as many as --jobs: bound them before any work (10,000 would run for hours).
    check_jobs(options.jobs, cluster=options.scheduler is not None)
    check_budget(options.time_limit, options.iterations)
    start = start_order(problem, kernel)
    start_cost = order_cost(kernel, start)
    seconds = options.time_limit
    if seconds is None and options.iterations is None:
        seconds = DEFAULT_SECONDS
    restart = Restart(problem, tuple(start), options.seed, options.iterations, seconds, target)
    restarts = options.jobs
    if restarts == 1 and options.scheduler is None:
        runs = [restart(0)]
    else:
        from graphcost.parallel import map_ordered

        runs = list(
            map_ordered(restart, range(restarts), jobs=restarts, scheduler=options.scheduler)
        )
    cost, order, _ = min(runs, key=lambda run: run[0])  # min keeps the first of equals
    if cost > start_cost:  # cannot happen (anneal keeps its start); kept as a guarantee
        cost, order = start_cost, start
    return cost, order, start_cost


@register(
    "search",
    description="simulated annealing from the best cheap order (--seed, --iterations, "
    "--time-limit, --jobs)",
)
def search(problem: EliminationProblem, options: StrategyOptions) -> StrategyOutcome:
    """The ``search`` strategy: see the module docstring.

    At node level it also reports the admissible lower bound of :mod:`graphcost.eliminate.exact`
    (a sum of min-cut products over the intermediates), so the user sees the gap; when the
    order found meets it, the order is proven optimal.

    Examples
    --------
    >>> from graphcost.eliminate.problem import problem_from_edges
    >>> from graphcost.eliminate.strategies import run_strategy
    >>> p = problem_from_edges([("x", "a"), ("a", "b"), ("b", "c"), ("c", "y"), ("x", "c")],
    ...     inputs=["x"], intermediates=["a", "b", "c"], outputs=["y"])
    >>> result = run_strategy(p, "search", StrategyOptions(iterations=200))
    >>> result.cost.multiplications, result.lower_bound, result.proven_optimal
    (3, 3, True)
    """
    bound = None
    if problem.level == "node":
        bound = lower_bound(problem)
    cost, order, _ = search_order(problem, options, target=bound)
    return StrategyOutcome(
        tuple(order), lower_bound=bound, proven_optimal=bound is not None and cost == bound
    )
