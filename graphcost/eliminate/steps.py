"""Elimination step by step: what each vertex elimination of an order adds, removes and costs.

:func:`elimination_steps` runs the one cost model (:class:`~graphcost.eliminate.engine.
EliminationState`) over an order and yields, after every elimination, a :class:`Step`: the
vertex, its cost, the running totals, the *fill-in* edges it created (pairs pred → succ that
were not edges before), the edges it *updated* (pairs that were edges already and absorbed
the products: one addition per node pair at node level) and every edge left in the graph.
Pictures of an elimination (``graphcost draw --steps``) are drawn from these; the last step's
totals are the order's cost, as :func:`~graphcost.eliminate.engine.eliminate` scores it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from graphcost.eliminate.engine import EliminationState
from graphcost.eliminate.problem import EliminationProblem
from graphcost.jacobian.blocks import Pattern

#: An edge as (source vertex, target vertex).
Pair = tuple[int, int]


@dataclass(frozen=True)
class Step:
    """The graph just after one vertex elimination.

    Attributes
    ----------
    number
        1 for the first elimination of the order.
    vertex
        The eliminated vertex (an index into ``problem.names``).
    multiplications, additions
        The cost of this elimination.
    total_multiplications, total_additions
        The running totals, this step included.
    fill
        The edges this elimination created, sorted.
    updated
        The edges that existed already and received products, sorted.
    removed
        The edges into and out of ``vertex`` that the elimination removed, with their
        patterns (``None`` at node level), sorted.
    edges
        Every edge of the graph after the elimination with its pattern (block level; ``None``
        at node level), sorted by (source, target).
    """

    number: int
    vertex: int
    multiplications: Any
    additions: Any
    total_multiplications: Any
    total_additions: Any
    fill: tuple[Pair, ...]
    updated: tuple[Pair, ...]
    removed: tuple[tuple[int, int, Pattern | None], ...]
    edges: tuple[tuple[int, int, Pattern | None], ...]


def current_edges(state: EliminationState) -> tuple[tuple[int, int, Pattern | None], ...]:
    """Every edge of ``state``'s graph with its pattern (``None`` at node level), sorted."""
    patterns = state.patterns
    return tuple(
        (source, target, patterns.get((source, target)))
        for source, targets in enumerate(state.succs)
        for target in sorted(targets)
    )


def elimination_steps(problem: EliminationProblem, order: Iterable[Any]) -> Iterator[Step]:
    """Eliminate ``order`` one vertex at a time and describe the graph after each elimination.

    Parameters
    ----------
    problem
        From :func:`~graphcost.eliminate.problem.elimination_problem`.
    order
        Every intermediate vertex exactly once, as names or indices.

    Yields
    ------
    Step
        One per vertex of ``order``; the last one's totals are the order's cost.

    Raises
    ------
    UsageError
        When ``order`` is not a permutation of the intermediate vertices (before any step).

    Examples
    --------
    In x → a → b → y with x → b, eliminating a first creates no edge (x → b exists: updated).

    >>> from graphcost.eliminate.problem import problem_from_edges
    >>> p = problem_from_edges([("x", "a"), ("a", "b"), ("x", "b"), ("b", "y")],
    ...     inputs=["x"], intermediates=["a", "b"], outputs=["y"])
    >>> [(s.total_multiplications, s.fill, s.updated) for s in elimination_steps(p, ["a", "b"])]
    [(1, (), ((0, 2),)), (2, ((0, 3),), ())]
    """
    vertices = problem.resolve_order(order)
    state = EliminationState(problem)
    for number, vertex in enumerate(vertices, start=1):
        pairs = {(p, s) for p in state.preds[vertex] for s in state.succs[vertex]}
        existing = {(p, s) for p, s in pairs if s in state.succs[p]}
        around = [(p, vertex) for p in state.preds[vertex]]
        around += [(vertex, s) for s in state.succs[vertex]]
        removed = tuple(sorted((a, b, state.patterns.get((a, b))) for a, b in around))
        multiplications, additions = state.eliminate(vertex)
        yield Step(
            number=number,
            vertex=vertex,
            multiplications=multiplications,
            additions=additions,
            total_multiplications=state.multiplications,
            total_additions=state.additions,
            fill=tuple(sorted(pairs - existing)),
            updated=tuple(sorted(existing)),
            removed=removed,
            edges=current_edges(state),
        )
