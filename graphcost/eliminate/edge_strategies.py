"""Edge-elimination strategies (node level), registered as family strategies.

Names after ANGEL (Naumann's library of elimination heuristics, part of OpenAD); the
definitions are ours, written out here:

``edge-markowitz``
    Repeatedly the edge step with the fewest multiplications now (front (i, j): |succs(j)|;
    back (i, j): |preds(i)|); ties to the one creating fewer edges, then to the earliest edge.
``edge-relative-markowitz``
    The step whose multiplications are smallest relative to the degree |preds| + |succs| of
    the vertex it passes (j for front, i for back); ties as above.
``edge-fill-in``
    The step creating the fewest new edges; ties to fewer multiplications.
``edge-search``
    The best of the above, of the vertex heuristics' orders expanded into edges, of the
    vertex ``search``'s order, of *hybrids* (that order for its first t vertices, then greedy
    ``edge-markowitz``, every t), of a local search that anneals single edge steps into that
    order (:mod:`graphcost.eliminate.edge_local`) and of randomised greedy restarts (costs
    perturbed by noise); ``seed``, ``iterations``, ``time_limit`` (default 10 s).
``edge-optimal``
    Exact for small graphs: Dijkstra over edge sets (:func:`shortest_sequence`), pruned by the
    best heuristic sequence; when the budget (``--time-limit``, 200,000 states) runs out, the
    best sequence found, not proven.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterable

import graphcost.eliminate.search  # noqa: F401  (registers the vertex search)
from graphcost.eliminate.edge_local import improve_edges
from graphcost.eliminate.edges import BACK, FRONT, EdgeEliminationState, EdgeStep
from graphcost.eliminate.families import (
    FamilyOutcome,
    register_family,
    shortest_sequence,
    solved_outcome,
)
from graphcost.eliminate.pairs import far_cover
from graphcost.eliminate.problem import EliminationProblem
from graphcost.eliminate.registry import STRATEGIES, StrategyOptions
from graphcost.graph.model import INPUT, INTERMEDIATE, OUTPUT

Key = Callable[[EdgeEliminationState, EdgeStep], tuple]


def _pivot_degree(state: EdgeEliminationState, step: EdgeStep) -> int:
    pivot = step.dst if step.direction == FRONT else step.src
    return len(state.preds[pivot]) + len(state.succs[pivot])


def _tail(step: EdgeStep) -> tuple:
    return (step.src, step.dst, step.direction == BACK)


KEYS: dict[str, Key] = {
    "edge-markowitz": lambda s, e: (s.cost(e), s.fill_in(e), _tail(e)),
    "edge-relative-markowitz": lambda s, e: (
        s.cost(e) / max(1, _pivot_degree(s, e)),
        s.fill_in(e),
        _tail(e),
    ),
    "edge-fill-in": lambda s, e: (s.fill_in(e), s.cost(e), _tail(e)),
}


def greedy_edges(problem: EliminationProblem, key: Key) -> EdgeEliminationState:
    """Eliminate edges greedily: always the step with the smallest ``key`` now."""
    state = EdgeEliminationState(problem)
    while True:
        choice = min(state.options(), key=lambda step: key(state, step), default=None)
        if choice is None:
            return state
        state.apply(choice)


def _greedy_strategy(name: str) -> None:
    key = KEYS[name]

    def run(problem: EliminationProblem, options: StrategyOptions) -> FamilyOutcome:
        return FamilyOutcome("edge", tuple(greedy_edges(problem, key).steps))

    run.__name__ = run.__qualname__ = name.replace("-", "_")
    register_family(name, description=KEYS_DESCRIPTIONS[name])(run)


KEYS_DESCRIPTIONS = {
    "edge-markowitz": "edge step with the fewest multiplications first",
    "edge-relative-markowitz": "fewest multiplications relative to the pivot's degree first",
    "edge-fill-in": "edge step creating the fewest new edges first",
}
for _name in KEYS:
    _greedy_strategy(_name)


def heuristic_orders(problem: EliminationProblem) -> list[list[int]]:
    """The cheap vertex heuristics' orders (forward, backward, Markowitz), as indices."""
    return [
        problem.resolve_order(STRATEGIES[name].function(problem, StrategyOptions()).order)
        for name in ("forward", "backward", "markowitz")
    ]


def vertex_orders_as_edges(problem: EliminationProblem) -> list[EdgeEliminationState]:
    """The cheap vertex heuristics' orders (:func:`heuristic_orders`) as edge states."""
    states = []
    for order in heuristic_orders(problem):
        state = EdgeEliminationState(problem)
        for vertex in order:
            for step in state.vertex_steps(vertex):
                state.apply(step)
        states.append(state)
    return states


def best_heuristic(problem: EliminationProblem) -> EdgeEliminationState:
    """The cheapest of the greedy edge heuristics and the expanded vertex heuristics."""
    candidates = [greedy_edges(problem, key) for key in KEYS.values()]
    candidates += vertex_orders_as_edges(problem)
    return min(candidates, key=lambda s: (s.multiplications, s.additions))


def prefix_completions(
    problem: EliminationProblem, order: list[int], deadline: float
) -> EdgeEliminationState:
    """The cheapest of: the first t vertices of ``order`` eliminated as edges, the rest by
    greedy ``edge-markowitz`` steps, for t = |order|, |order| - 1, ... until ``deadline``."""
    prefix = EdgeEliminationState(problem)
    states = [prefix.copy()]
    for vertex in order:
        for step in prefix.vertex_steps(vertex):
            prefix.apply(step)
        states.append(prefix.copy())
    best = states[-1]
    key = KEYS["edge-markowitz"]
    for state in reversed(states[:-1]):
        if time.perf_counter() > deadline:
            break
        while choice := min(state.options(), key=lambda e: key(state, e), default=None):
            state.apply(choice)
        if (state.multiplications, state.additions) < (best.multiplications, best.additions):
            best = state
    return best


#: Shares of ``edge-search``'s time budget: the vertex ``search``, the prefix hybrids, the
#: local search over edge tokens (the rest goes to randomised greedy restarts).
VERTEX_SHARE, HYBRID_SHARE, LOCAL_SHARE = 0.3, 0.05, 0.6
#: Randomised greedy restarts at most, with an iteration budget (each is a whole elimination).
GREEDY_ROUNDS = 20


def _better(state: EdgeEliminationState, best: EdgeEliminationState) -> bool:
    return (state.multiplications, state.additions) < (best.multiplications, best.additions)


def _replayed(problem: EliminationProblem, steps: list[EdgeStep]) -> EdgeEliminationState:
    state = EdgeEliminationState(problem)
    for step in steps:
        state.apply(step)
    return state


def best_vertex_order(problem: EliminationProblem, options: StrategyOptions) -> list[int]:
    """The vertex ``search``'s order (seeded; ``options`` give its budget), as indices."""
    outcome = STRATEGIES["search"].function(problem, options)
    return problem.resolve_order(getattr(outcome, "order", outcome))


@register_family("edge-search", description="vertex search, then edge tokens annealed into it")
def edge_search(problem: EliminationProblem, options: StrategyOptions) -> FamilyOutcome:
    """The cheapest of the edge heuristics, the vertex ``search``'s order, its prefixes
    completed greedily, the local search over edge tokens started from it
    (:func:`graphcost.eliminate.edge_local.improve_edges`) and randomised greedy restarts.

    With ``iterations`` (and no ``time_limit``) the vertex search and the local search each
    get that many moves, every prefix is completed and at most :data:`GREEDY_ROUNDS` restarts
    run, so the result depends only on the seed and the budget; otherwise the time limit
    (default 10 s) is shared out by :data:`VERTEX_SHARE`, :data:`HYBRID_SHARE` and
    :data:`LOCAL_SHARE`.
    """
    best = best_heuristic(problem)
    if best.multiplications == 0:  # nothing to eliminate, or nothing it costs: no search
        return FamilyOutcome("edge", tuple(best.steps))
    budget = options.time_limit if options.time_limit else 10.0
    by_moves = options.iterations is not None and options.time_limit is None
    start = time.perf_counter()
    vertex_options = StrategyOptions(
        seed=options.seed,
        iterations=options.iterations if by_moves else None,
        time_limit=None if by_moves else budget * VERTEX_SHARE,
    )
    order = best_vertex_order(problem, vertex_options)
    hybrid_deadline = math.inf if by_moves else time.perf_counter() + budget * HYBRID_SHARE
    hybrid = prefix_completions(problem, order, hybrid_deadline)
    if _better(hybrid, best):
        best = hybrid
    _, steps = improve_edges(
        problem,
        order,
        seed=options.seed,
        iterations=options.iterations if by_moves else None,
        time_limit=None if by_moves else budget * LOCAL_SHARE,
    )
    local = _replayed(problem, steps)
    if _better(local, best):
        best = local
    rng = random.Random(options.seed)
    deadline = start + budget
    for round_ in range(min(options.iterations, GREEDY_ROUNDS) if by_moves else 200):
        if not by_moves and time.perf_counter() > deadline:
            break
        noise = 0.5 + (round_ % 5) * 0.5
        weight = rng.choice((0.0, 0.5, 1.0))

        def key(
            s: EdgeEliminationState, e: EdgeStep, noise: float = noise, weight: float = weight
        ) -> tuple:
            return (s.cost(e) + weight * s.fill_in(e) + noise * rng.random(),)

        state = greedy_edges(problem, key)
        if _better(state, best):
            best = state
    return FamilyOutcome("edge", tuple(best.steps))


def edge_lower_bound(state: EdgeEliminationState) -> int:
    """A lower bound on the multiplications still to come, consistent along edge steps.

    It is :func:`~graphcost.eliminate.face_strategies.face_lower_bound` read on the edge
    graph: an edge step of cost c is c faces, each taking at most one off the face bound,
    so the bound drops by at most c. The larger of (1) the sum over intermediates j on an
    input-output path of max(1, inputs before j, outputs after j, their product: the faces
    joining them), and (2) the input-output pairs still joined by a path of two or more
    edges, plus the fewest inputs and outputs touching every such pair that no x -> j -> y
    joins (:func:`~graphcost.eliminate.pairs.far_cover`).

    Examples
    --------
    >>> from graphcost.eliminate.problem import problem_from_edges
    >>> p = problem_from_edges([("x", "a"), ("a", "b"), ("b", "y")], inputs=["x"],
    ...     intermediates=["a", "b"], outputs=["y"])
    >>> edge_lower_bound(EdgeEliminationState(p))  # one pair, far: two products
    2
    """
    roles, preds, succs = state.problem.roles, state.preds, state.succs
    inputs = [x for x, role in enumerate(roles) if role == INPUT]
    reached = _closure(inputs, succs)
    reaching = _closure([y for y, role in enumerate(roles) if role == OUTPUT], preds)
    needed = 0
    for j, role in enumerate(roles):
        if role == INTERMEDIATE and j in reached and j in reaching:
            xs = sum(roles[x] == INPUT for x in preds[j])
            ys = sum(roles[y] == OUTPUT for y in succs[j])
            needed += max(1, xs, ys, xs * ys)
    pending, far = 0, {}
    for x in inputs:
        middle = [j for j in succs[x] if roles[j] == INTERMEDIATE]
        near = set().union(*(succs[j] for j in middle))
        ys = [y for y in _closure(near, succs) if roles[y] == OUTPUT]
        pending += len(ys)
        far[x] = [y for y in ys if y not in near]
    return max(needed, pending + far_cover(far))


def _closure(start: Iterable[int], step: list[set[int]]) -> set[int]:
    """``start`` and every vertex reached from it along ``step``."""
    seen = set(start)
    stack = list(seen)
    while stack:
        for k in step[stack.pop()]:
            if k not in seen:
                seen.add(k)
                stack.append(k)
    return seen


@register_family("edge-optimal", description="exact edge elimination for small graphs")
def edge_optimal(problem: EliminationProblem, options: StrategyOptions) -> FamilyOutcome:
    """The cheapest edge sequence by A* over edge sets (small graphs), guided by
    :func:`edge_lower_bound`."""
    upper = best_heuristic(problem)
    result = shortest_sequence(
        EdgeEliminationState(problem),
        upper=(upper.multiplications, list(upper.steps)),
        time_limit=options.time_limit if options.time_limit is not None else 60.0,
        bound=edge_lower_bound,
    )
    return solved_outcome("edge", result)
