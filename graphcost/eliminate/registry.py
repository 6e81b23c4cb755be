"""The strategy registry: what a strategy is, what it reads and returns, and where it is found.

A strategy is a function ``(problem, options) -> StrategyOutcome`` (or a plain sequence of
vertices) registered under a name with :func:`register`. This module owns the registry
(:data:`STRATEGIES`, :data:`ALIASES`), the decorator, the lookup (:func:`get_strategy`) and the
types a strategy sees (:class:`StrategyOptions`, :class:`StrategyOutcome`). Strategy modules
(:mod:`graphcost.eliminate.heuristics`, :mod:`graphcost.eliminate.exact`,
:mod:`graphcost.eliminate.search`) import it to register; :mod:`graphcost.eliminate.strategies`
imports all of them, and the package (``graphcost/eliminate/__init__.py``) imports that module,
so the registry is complete as soon as anything of :mod:`graphcost.eliminate` is imported.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from graphcost.eliminate.problem import EliminationProblem
from graphcost.errors import UsageError


@dataclass(frozen=True)
class StrategyOptions:
    """Settings a strategy may read; each strategy ignores those it does not use.

    Attributes
    ----------
    seed
        Random seed (reproducible searches).
    time_limit
        Seconds a strategy may run, ``None`` for its own default.
    iterations
        An iteration budget, ``None`` for the strategy's default.
    jobs
        Parallel processes.
    scheduler
        A Dask scheduler address for distributed runs.
    argument
        The text after ``name:`` in a strategy spec (``order:a,b,c``).
    engine
        Node-level implementation: ``"auto"``, ``"sets"`` or ``"bits"``
        (:func:`graphcost.eliminate.engine.node_engine`).
    memory_limit
        Bytes an exact search may hold before it goes depth first, ``None`` for its default.
    """

    seed: int = 0
    time_limit: float | None = None
    iterations: int | None = None
    jobs: int = 1
    scheduler: str | None = None
    argument: str | None = None
    engine: str = "auto"
    memory_limit: int | None = None


@dataclass(frozen=True)
class StrategyOutcome:
    """What a strategy returns: an order, and optionally what it can prove.

    Attributes
    ----------
    order
        Every intermediate vertex once (names or indices).
    lower_bound
        A proven lower bound on the multiplications of every order, if the strategy has one.
    proven_optimal
        Whether ``order`` is proven to be a cheapest order.
    remark
        Anything the user should know about the result, e.g. why a proof is missing.
    details
        Search statistics for the JSON report (states, states per second, memory), if any.
    """

    order: tuple[Any, ...]
    lower_bound: int | None = None
    proven_optimal: bool = False
    remark: str | None = None
    details: dict[str, Any] | None = None


StrategyFunction = Callable[
    [EliminationProblem, StrategyOptions], "StrategyOutcome | Sequence[Any]"
]


@dataclass(frozen=True)
class Strategy:
    """A registered strategy.

    Attributes
    ----------
    name
        Canonical name.
    function
        ``(problem, options) -> StrategyOutcome`` or a plain order.
    description
        One line for ``--help`` and error messages.
    aliases
        Other names it answers to.
    takes_argument
        Whether it needs ``name:ARGUMENT`` (``order:a,b,c``); such strategies are not part of
        ``all``.
    """

    name: str
    function: StrategyFunction
    description: str
    aliases: tuple[str, ...] = ()
    takes_argument: bool = False


#: Every registered strategy by canonical name.
STRATEGIES: dict[str, Strategy] = {}
#: Alias → canonical name.
ALIASES: dict[str, str] = {}


def register(
    name: str,
    *,
    aliases: Sequence[str] = (),
    description: str,
    takes_argument: bool = False,
) -> Callable[[StrategyFunction], StrategyFunction]:
    """Register a strategy function under ``name`` (a decorator).

    Raises
    ------
    ValueError
        When the name or an alias is taken (a programming error, not a user one).
    """

    def decorate(function: StrategyFunction) -> StrategyFunction:
        for word in (name, *aliases):
            if word in STRATEGIES or word in ALIASES or ":" in word or "," in word:
                raise ValueError(f"strategy name {word!r} is taken or invalid")
        STRATEGIES[name] = Strategy(name, function, description, tuple(aliases), takes_argument)
        for alias in aliases:
            ALIASES[alias] = name
        return function

    return decorate


def strategy_names(*, with_aliases: bool = False) -> list[str]:
    """Registered names (and aliases), for help texts and error messages."""
    names = list(STRATEGIES)
    if with_aliases:
        names += [f"{alias} (= {target})" for alias, target in ALIASES.items()]
    return names


def split_spec(spec: str) -> tuple[str, str | None]:
    """``"order:a,b"`` → ``("order", "a,b")``; ``"forward"`` → ``("forward", None)``."""
    name, sep, argument = spec.strip().partition(":")
    return name.strip(), (argument if sep else None)


def get_strategy(name: str) -> Strategy:
    """Look up a strategy by name or alias (a ``name:ARGUMENT`` spec is accepted too).

    Raises
    ------
    UsageError
        For an unknown name, listing the valid names and aliases.

    Examples
    --------
    >>> get_strategy("reverse").name
    'backward'
    """
    base, _ = split_spec(name)
    base = ALIASES.get(base, base)
    try:
        return STRATEGIES[base]
    except KeyError:
        raise UsageError(
            f"unknown strategy {name!r}",
            fix=f"choose from: {', '.join(strategy_names(with_aliases=True))}, or order:a,b,c / "
            "order:PATH",
        ) from None
