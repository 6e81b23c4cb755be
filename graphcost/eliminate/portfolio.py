"""The ``portfolio`` strategy: the cheap members of every family, the best kept, the winner named.

Members (:data:`PORTFOLIO`): the vertex heuristics ``forward``, ``backward``, ``markowitz``
(:mod:`graphcost.eliminate.heuristics`), the edge heuristics ``edge-markowitz``,
``edge-relative-markowitz``, ``edge-fill-in`` (:mod:`graphcost.eliminate.edge_strategies`) and
the face heuristics ``face-markowitz``, ``face-fill-in``, ``face-absorb``
(:mod:`graphcost.eliminate.face_strategies`). Each is scored by its family's engine; the
cheapest (fewest multiplications, then fewest additions, then the earliest member) wins, so the
portfolio is never worse than any member. Node level only, as the edge and face families.

Importing this module registers the edge, face and portfolio family strategies.
"""

from __future__ import annotations

import graphcost.eliminate.edge_strategies
import graphcost.eliminate.face_strategies  # noqa: F401  (registers face-*)
from graphcost.eliminate.edges import require_node_level
from graphcost.eliminate.families import (
    FamilyOutcome,
    FamilyResult,
    register_family,
    run_family_strategy,
)
from graphcost.eliminate.problem import EliminationProblem
from graphcost.eliminate.registry import StrategyOptions

#: The cheap members, in tie-break order.
PORTFOLIO = (
    "forward",
    "backward",
    "markowitz",
    "edge-markowitz",
    "edge-relative-markowitz",
    "edge-fill-in",
    "face-markowitz",
    "face-fill-in",
    "face-absorb",
)


def run_portfolio(problem: EliminationProblem, options: StrategyOptions) -> list[FamilyResult]:
    """Every member's scored result, in :data:`PORTFOLIO` order."""
    require_node_level(problem, "portfolio (edge and face)")
    return [run_family_strategy(problem, name, options) for name in PORTFOLIO]


@register_family("portfolio", description="best of the cheap vertex, edge and face heuristics")
def portfolio(problem: EliminationProblem, options: StrategyOptions) -> FamilyOutcome:
    """The cheapest member's steps; the remark names the winner and every member's count.

    Examples
    --------
    >>> from graphcost.eliminate.problem import problem_from_edges
    >>> from graphcost.eliminate.families import run_family_strategy
    >>> p = problem_from_edges([("x", "a"), ("a", "y")], inputs=["x"],
    ...     intermediates=["a"], outputs=["y"])
    >>> run_family_strategy(p, "portfolio").remark.split(";")[0]
    'won by forward (vertex family, 1 multiplication)'
    """
    results = run_portfolio(problem, options)
    best = min(
        enumerate(results),
        key=lambda pair: (pair[1].cost.multiplications, pair[1].cost.additions, pair[0]),
    )[1]
    count = best.cost.multiplications
    members = ", ".join(f"{r.name} {r.cost.multiplications}" for r in results)
    remark = (
        f"won by {best.name} ({best.family} family, {count} "
        f"multiplication{'' if count == 1 else 's'}); members: {members}"
    )
    details = {
        "winner": best.name,
        "winner_family": best.family,
        "members": {r.name: r.cost.multiplications for r in results},
    }
    return FamilyOutcome(best.family, best.steps, remark=remark, details=details)
