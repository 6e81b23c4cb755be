"""Running a strategy: every registered strategy, and the one cost model that scores it.

Whatever a strategy returns, :func:`run_strategy` recomputes the cost with
:func:`graphcost.eliminate.engine.eliminate`, so no strategy can report a flattering number.

The strategies register themselves in :mod:`graphcost.eliminate.registry` when their modules
are imported, which this module does, in the order they are listed (and run under ``all``):
the cheap ones of :mod:`graphcost.eliminate.heuristics` (``forward``, ``backward``,
``markowitz``, ``chain``, ``order``), then ``optimal`` (:mod:`graphcost.eliminate.exact`) and
``search`` (:mod:`graphcost.eliminate.search`), and ``graphax:PATH``
(:mod:`graphcost.eliminate.graphax`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

# The strategy modules register on import, in this order (the order of ``all``).
# isort: off
import graphcost.eliminate.heuristics  # forward, backward, markowitz, chain, order
import graphcost.eliminate.exact  # optimal
import graphcost.eliminate.search  # search
import graphcost.eliminate.graphax  # noqa: F401  (graphax:PATH, Graphax / AlphaGrad orders)

# isort: on
from graphcost.eliminate.engine import eliminate
from graphcost.eliminate.problem import EliminationCost, EliminationProblem
from graphcost.eliminate.registry import (
    StrategyOptions,
    StrategyOutcome,
    get_strategy,
    split_spec,
)
from graphcost.errors import UsageError


@dataclass(frozen=True)
class StrategyResult:
    """A strategy's order, scored by the one cost model.

    Attributes
    ----------
    name
        The strategy's canonical name (``order:...`` keeps its argument).
    cost
        :func:`~graphcost.eliminate.engine.eliminate` of the returned order.
    lower_bound, proven_optimal, remark
        As the strategy reported them.
    seconds
        Wall-clock time of the strategy (scoring excluded).
    """

    name: str
    cost: EliminationCost
    lower_bound: int | None
    proven_optimal: bool
    seconds: float
    remark: str | None = None
    details: dict[str, Any] | None = None

    @property
    def order(self) -> tuple[str, ...]:
        """The order, as vertex names."""
        return self.cost.order

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "multiplications": self.cost.multiplications,
            "additions": self.cost.additions,
            "order": list(self.cost.order),
            "lower_bound": self.lower_bound,
            "proven_optimal": self.proven_optimal,
            "remark": self.remark,
            "seconds": round(self.seconds, 6),
            "approximate": list(self.cost.approximate),
            **({} if self.details is None else {"search": self.details}),
        }


def run_strategy(
    problem: EliminationProblem, name: str, options: StrategyOptions | None = None
) -> StrategyResult:
    """Run a strategy and score its order with :func:`~graphcost.eliminate.engine.eliminate`.

    Parameters
    ----------
    problem
        From :func:`~graphcost.eliminate.problem.elimination_problem`.
    name
        A strategy name, alias, or ``name:ARGUMENT`` spec (``order:a,b,c``).
    options
        Strategy settings.

    Returns
    -------
    StrategyResult

    Raises
    ------
    UsageError
        Unknown strategy, a missing argument, an order that is not a permutation of D, or a
        strategy that does not apply to this graph.

    Examples
    --------
    >>> from graphcost.graph.loader import graph_from_dict
    >>> from graphcost.eliminate.problem import elimination_problem
    >>> g = graph_from_dict({"V": ["x", "w", "b"], "D": ["v1", "v2", "v3"], "D'": ["y"],
    ...     "E": [["x", "v1"], ["w", "v1"], ["v1", "v2"], ["b", "v2"], ["v2", "v3"],
    ...           ["v3", "y"], ["x", "y"]]})
    >>> p = elimination_problem(g)
    >>> [run_strategy(p, s).cost.multiplications for s in ("forward", "reverse", "markowitz")]
    [8, 5, 6]
    """
    options = options or StrategyOptions()
    strategy = get_strategy(name)
    _, argument = split_spec(name)
    shown = strategy.name
    if strategy.takes_argument:
        if argument is None:
            raise UsageError(
                f"strategy {strategy.name!r} needs an argument",
                fix=f"write {strategy.name}:a,b,c or {strategy.name}:PATH",
            )
        options = replace(options, argument=argument)
        shown = f"{strategy.name}:{argument}"
    start = time.perf_counter()
    outcome = strategy.function(problem, options)
    seconds = time.perf_counter() - start
    if not isinstance(outcome, StrategyOutcome):
        outcome = StrategyOutcome(order=tuple(outcome))
    cost = eliminate(problem, outcome.order, engine=options.engine)
    bound = outcome.lower_bound
    if bound is not None and not problem.symbolic and bound > cost.multiplications:
        raise RuntimeError(  # a bug in the strategy, not a user problem
            f"strategy {strategy.name!r} claims a lower bound {bound} above the cost "
            f"{cost.multiplications} of its own order"
        )
    return StrategyResult(
        shown, cost, bound, outcome.proven_optimal, seconds, outcome.remark, outcome.details
    )
