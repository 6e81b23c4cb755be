"""Elimination families: vertex orders, edge sequences, face sequences — one scorer each.

A *family strategy* returns a :class:`FamilyOutcome` (its family and its steps);
:func:`run_family_strategy` scores the steps with the family's own engine
(:func:`graphcost.eliminate.engine.eliminate`, :func:`graphcost.eliminate.edges.eliminate_edges`,
:func:`graphcost.eliminate.faces.eliminate_faces`), all in the one convention (every product of
two partials counted, fill-in, an addition where a product meets an existing entry), so no
strategy can report a flattering number. The registry is separate from
:data:`graphcost.eliminate.registry.STRATEGIES`, whose strategies all return vertex orders
(scored, listed by ``--strategy all`` and tested as such); a name of that registry runs here
too, as the vertex family. :func:`shortest_sequence` is the exact solver shared by the edge
and face families (Dijkstra over states with equal futures merged).
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from graphcost.eliminate.edges import eliminate_edges, require_node_level
from graphcost.eliminate.engine import eliminate
from graphcost.eliminate.faces import eliminate_faces
from graphcost.eliminate.problem import EliminationCost, EliminationProblem
from graphcost.eliminate.registry import Strategy, StrategyOptions, get_strategy
from graphcost.errors import UsageError

FAMILIES = ("vertex", "edge", "face")
SCORERS: dict[str, Callable[[EliminationProblem, Sequence[Any]], EliminationCost]] = {
    "vertex": eliminate,
    "edge": eliminate_edges,
    "face": eliminate_faces,
}


@dataclass(frozen=True)
class FamilyOutcome:
    """What a family strategy returns: its family, its steps, and what it can prove.

    Attributes
    ----------
    family
        ``"vertex"``, ``"edge"`` or ``"face"``.
    steps
        Vertices, :class:`~graphcost.eliminate.edges.EdgeStep` items or face id pairs.
    lower_bound, proven_optimal
        A proven bound on every sequence *of this family*, and whether ``steps`` attains it.
    remark
        Anything the user should know (who won a portfolio, why a proof is missing).
    details
        Machine-readable extras (the portfolio's winner and members' counts), or ``None``.
    """

    family: str
    steps: tuple[Any, ...]
    lower_bound: int | None = None
    proven_optimal: bool = False
    remark: str | None = None
    details: dict[str, Any] | None = None


@dataclass(frozen=True)
class FamilyResult:
    """A family strategy's steps, scored by the family's engine.

    Attributes
    ----------
    name, family
        The strategy and the family of its steps.
    cost
        The family scorer's :class:`EliminationCost` (``order`` = the steps as text).
    steps
        The steps as returned (replayable by :data:`SCORERS`).
    lower_bound, proven_optimal, remark, details, seconds
        As reported, and the strategy's wall-clock time.
    """

    name: str
    family: str
    cost: EliminationCost
    steps: tuple[Any, ...]
    lower_bound: int | None
    proven_optimal: bool
    seconds: float
    remark: str | None = None
    details: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "strategy": self.name,
            "family": self.family,
            "multiplications": self.cost.multiplications,
            "additions": self.cost.additions,
            "steps": list(self.cost.order),
            "lower_bound": self.lower_bound,
            "proven_optimal": self.proven_optimal,
            "remark": self.remark,
            "seconds": round(self.seconds, 6),
            **({} if self.details is None else {"details": self.details}),
        }


#: Family strategies by name (vertex-order strategies live in the main registry).
FAMILY_STRATEGIES: dict[str, Strategy] = {}


def register_family(name: str, *, description: str) -> Callable[[Any], Any]:
    """Register a family strategy ``(problem, options) -> FamilyOutcome`` (a decorator)."""

    def decorate(function: Any) -> Any:
        if name in FAMILY_STRATEGIES:
            raise ValueError(f"family strategy name {name!r} is taken")
        FAMILY_STRATEGIES[name] = Strategy(name, function, description)
        return function

    return decorate


def score(problem: EliminationProblem, family: str, steps: Sequence[Any]) -> EliminationCost:
    """Score ``steps`` of ``family`` with that family's engine."""
    if family not in SCORERS:
        raise UsageError(f"unknown family {family!r}", fix=f"choose one of {', '.join(FAMILIES)}")
    return SCORERS[family](problem, steps)


def run_family_strategy(
    problem: EliminationProblem, name: str, options: StrategyOptions | None = None
) -> FamilyResult:
    """Run a family strategy (or a vertex strategy of the main registry) and score it.

    Raises
    ------
    UsageError
        Unknown name (listing both registries); a block-level problem for the edge and face
        families; a strategy that does not apply.

    Examples
    --------
    >>> from graphcost.eliminate.problem import problem_from_edges
    >>> import graphcost.eliminate.portfolio  # registers the edge, face and portfolio families
    >>> p = problem_from_edges([("x", "a"), ("a", "y")], inputs=["x"],
    ...     intermediates=["a"], outputs=["y"])
    >>> run_family_strategy(p, "edge-markowitz").cost.multiplications
    1
    """
    options = options or StrategyOptions()
    if name not in FAMILY_STRATEGIES:
        from graphcost.eliminate.strategies import run_strategy

        try:
            get_strategy(name)
        except UsageError:
            raise UsageError(
                f"unknown strategy {name!r}",
                fix=f"choose from: {', '.join(FAMILY_STRATEGIES)}, or a vertex strategy",
            ) from None
        vertex = run_strategy(problem, name, options)
        return FamilyResult(
            vertex.name,
            "vertex",
            vertex.cost,
            vertex.order,
            vertex.lower_bound,
            vertex.proven_optimal,
            vertex.seconds,
            vertex.remark,
        )
    start = time.perf_counter()
    outcome = FAMILY_STRATEGIES[name].function(problem, options)
    seconds = time.perf_counter() - start
    cost = score(problem, outcome.family, outcome.steps)
    if outcome.lower_bound is not None and outcome.lower_bound > cost.multiplications:
        raise RuntimeError(f"strategy {name!r} claims a bound above its own cost")
    return FamilyResult(
        name,
        outcome.family,
        cost,
        tuple(outcome.steps),
        outcome.lower_bound,
        outcome.proven_optimal,
        seconds,
        outcome.remark,
        outcome.details,
    )


@dataclass
class SolveResult:
    """What :func:`shortest_sequence` found: the steps, their cost, and whether it finished."""

    steps: list[Any]
    cost: int
    proven: bool
    states: int


def shortest_sequence(
    start: Any,
    *,
    upper: tuple[int, list[Any]],
    time_limit: float | None = None,
    max_states: int = 200_000,
    bound: Callable[[Any], int] | None = None,
) -> SolveResult:
    """The cheapest sequence of steps from ``start`` to a finished state (Dijkstra, or A*).

    ``start`` is an elimination state with ``options()``, ``apply(step)`` (returning the
    step's multiplications first), ``copy()``, ``key()``, ``multiplications`` and ``done``;
    equal keys mean equal futures, so each key is expanded once. ``upper`` = (cost, steps) of
    a known sequence: states that cannot beat it are pruned, and it is returned (not proven)
    when the time or state budget runs out. ``bound(state)``, if given, is a lower bound on a
    state's remaining cost that drops by at most a step's cost along any step (consistent;
    0 for a finished state): the search then orders states by cost + bound (A*) and stays
    exact, as the first time a key comes off the heap it carries its cheapest cost.
    """
    best_cost, best_steps = upper
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    estimate = bound or (lambda state: 0)
    tie = itertools.count()
    heap = [(estimate(start), 0, next(tie), start)]  # ties: the deeper state first
    settled: dict[Any, int] = {}
    while heap:
        priority, depth, _, state = heapq.heappop(heap)
        cost = -depth
        if priority >= best_cost:
            return SolveResult(best_steps, best_cost, True, len(settled))
        if state.done:
            return SolveResult(list(state.steps), cost, True, len(settled))
        key = state.key()
        if key in settled:
            continue
        settled[key] = cost
        if len(settled) > max_states or (deadline and time.perf_counter() > deadline):
            return SolveResult(best_steps, best_cost, False, len(settled))
        for step in list(state.options()):
            child = state.copy()
            total = cost + child.apply(step)[0]
            guess = total + estimate(child)
            if guess < best_cost:
                heapq.heappush(heap, (guess, -total, next(tie), child))
    return SolveResult(best_steps, best_cost, True, len(settled))


def solved_outcome(family: str, result: SolveResult) -> FamilyOutcome:
    """The outcome of an exact family strategy: proven optimal, or the best sequence found
    with a remark saying the budget ran out."""
    if result.proven:
        return FamilyOutcome(
            family, tuple(result.steps), lower_bound=result.cost, proven_optimal=True
        )
    return FamilyOutcome(
        family,
        tuple(result.steps),
        remark=(
            f"not proven: the budget ran out after {result.states:,} states; "
            f"the best {family} sequence found is shown"
        ),
    )


def check_node_level(problem: EliminationProblem, family: str) -> None:
    """Refuse block-level or symbolic problems (the edge and face families are node level)."""
    require_node_level(problem, family)
