"""Elimination strategies: a registry of functions that return orders, scored by one engine.

A strategy is a function ``(problem, options) -> StrategyOutcome`` (or a plain sequence of
vertices) registered under a name with :func:`register`. Whatever it returns,
:func:`run_strategy` recomputes the cost with :func:`graphcost.eliminate.engine.eliminate`, so no
strategy can report a flattering number.

Built in:

``forward``
    The intermediates in topological order, earliest in D's file order first (D's file order
    itself when that is topological): forward recursion.
``backward`` (alias ``reverse``)
    The forward order reversed: backward recursion.
``markowitz``
    Repeatedly the vertex with the smallest |preds|·|succs| in the current graph (at block
    level: the smallest scalar cost of eliminating the whole block now); ties go to the vertex
    earliest in D's file order.
``chain``
    For a chain of blocks x → B1 → … → B_{L-1} → y: the matrix-chain bracketing optimum over
    whole-block orders, by the O(L³) dynamic programme (full and diag edges).
``order``
    An explicit order, ``order:a,b,c`` or ``order:PATH`` (a file with one name per line).

Strategies in other modules (``graphcost.eliminate.exact``, ``graphcost.eliminate.search``)
register themselves
when this module imports them at the bottom.
"""

from __future__ import annotations

import heapq
import importlib
import importlib.util
import itertools
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from graphcost.eliminate.engine import (
    BitMatrixState,
    EliminationCost,
    EliminationProblem,
    EliminationState,
    eliminate,
    node_engine,
)
from graphcost.errors import GraphFileError, UsageError


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
    """

    seed: int = 0
    time_limit: float | None = None
    iterations: int | None = None
    jobs: int = 1
    scheduler: str | None = None
    argument: str | None = None
    engine: str = "auto"


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
    """

    order: tuple[Any, ...]
    lower_bound: int | None = None
    proven_optimal: bool = False
    remark: str | None = None


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
        }


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


def run_strategy(
    problem: EliminationProblem, name: str, options: StrategyOptions | None = None
) -> StrategyResult:
    """Run a strategy and score its order with :func:`~graphcost.eliminate.engine.eliminate`.

    Parameters
    ----------
    problem
        From :func:`~graphcost.eliminate.engine.elimination_problem`.
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
    >>> from graphcost.eliminate.engine import elimination_problem
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
    return StrategyResult(shown, cost, bound, outcome.proven_optimal, seconds, outcome.remark)


def _numeric(problem: EliminationProblem, strategy: str) -> None:
    if problem.symbolic:
        raise UsageError(
            f"strategy {strategy!r} compares costs and needs numeric sizes",
            fix="give symbol values (the defaults, or --set) instead of symbolic sizes",
        )


@register("forward", description="topological order (forward recursion)")
def forward(problem: EliminationProblem, options: StrategyOptions) -> StrategyOutcome:
    """Intermediates in topological order, ties to the earliest in D's file order."""
    return StrategyOutcome(tuple(problem.topological_order()))


@register("backward", aliases=("reverse",), description="reverse topological order (backward)")
def backward(problem: EliminationProblem, options: StrategyOptions) -> StrategyOutcome:
    """The forward order reversed."""
    return StrategyOutcome(tuple(reversed(problem.topological_order())))


@register(
    "markowitz",
    description="smallest |preds|·|succs| first, ties to the earliest vertex in D's order",
)
def markowitz(problem: EliminationProblem, options: StrategyOptions) -> StrategyOutcome:
    """Greedy Markowitz order.

    Repeatedly eliminates the vertex whose elimination costs the fewest multiplications in the
    current graph (|preds|·|succs| at node level), ties broken by D's file order. A heap holds
    (cost, position, vertex); after each elimination only the neighbours' costs change, so only
    they get fresh entries, and an entry whose cost is no longer current is skipped when popped.
    """
    _numeric(problem, "markowitz")
    if node_engine(problem, options.engine) == "bits":
        return StrategyOutcome(tuple(_markowitz_bits(problem)))
    state = EliminationState(problem)
    position = problem.position
    heap = [(state.cost(v), position[v], v) for v in problem.intermediates]
    heapq.heapify(heap)
    done: set[int] = set()
    order: list[int] = []
    while heap:
        cost, _, vertex = heapq.heappop(heap)
        if vertex in done or cost != state.cost(vertex):
            continue
        neighbours = state.preds[vertex] | state.succs[vertex]
        state.eliminate(vertex)
        done.add(vertex)
        order.append(vertex)
        for other in neighbours:
            if other in position and other not in done:
                heapq.heappush(heap, (state.cost(other), position[other], other))
    return StrategyOutcome(tuple(order))


def _markowitz_bits(problem: EliminationProblem) -> list[int]:
    """Markowitz on bit matrices: the (cost, position) minimum is a vectorised argmin over one
    int64 key per vertex, cost·(|D| + 1) + position, refreshed for the neighbours only."""
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


@register("chain", description="matrix-chain bracketing optimum for a chain of blocks (O(L³))")
def chain(problem: EliminationProblem, options: StrategyOptions) -> StrategyOutcome:
    """The cheapest whole-block order of a chain x → B1 → … → y, by the matrix-chain DP.

    The Jacobian of a chain is the product of its L local Jacobians; eliminating the interior
    vertex B_k multiplies the two (partial) products that meet at B_k. A bracketing is therefore
    a binary tree whose root splits at the vertex eliminated last; the order is the tree in
    post-order. Edges may be full or diag (a product of diag factors stays diag).

    Raises
    ------
    UsageError
        When the graph is not a chain, or its sizes are symbolic.
    """
    _numeric(problem, "chain")
    path = _chain_path(problem)
    dims = [problem.sizes[v] for v in path]
    kinds = [(a, b) in problem.diag for a, b in itertools.pairwise(path)]
    count = len(path) - 1  # factors
    # best[i][j]: cheapest product of factors i..j-1 (the segment from path[i] to path[j]).
    best = [[0] * (count + 1) for _ in range(count + 1)]
    split = [[0] * (count + 1) for _ in range(count + 1)]
    is_diag = [[False] * (count + 1) for _ in range(count + 1)]
    for i in range(count):
        is_diag[i][i + 1] = kinds[i]
    for length in range(2, count + 1):
        for i in range(count - length + 1):
            j = i + length
            choice = None
            for k in range(i + 1, j):
                left, right = is_diag[i][k], is_diag[k][j]
                if left:
                    step = dims[k] if right else dims[k] * dims[j]
                else:
                    step = dims[i] * dims[k] if right else dims[i] * dims[k] * dims[j]
                total = best[i][k] + best[k][j] + step
                if choice is None or total < choice:
                    choice, split[i][j] = total, k
            best[i][j] = choice
            is_diag[i][j] = is_diag[i][split[i][j]] and is_diag[split[i][j]][j]
    order: list[int] = []

    def visit(i: int, j: int) -> None:
        if j - i < 2:
            return
        k = split[i][j]
        visit(i, k)
        visit(k, j)
        order.append(path[k])

    visit(0, count)
    return StrategyOutcome(tuple(order))


def _chain_path(problem: EliminationProblem) -> list[int]:
    """The vertices of a chain input → intermediates → output, or a UsageError saying why not."""
    path, reason = problem.chain_path()
    if reason is not None:
        raise UsageError(
            f"strategy 'chain' needs a chain-structured graph (one input block, one output block, "
            f"each block's only successor the next one), but {reason}",
            fix="use markowitz or optimal for other graphs",
        )
    return path


@register(
    "order",
    description="an explicit order: order:a,b,c or order:PATH (one name per line)",
    takes_argument=True,
)
def explicit_order(problem: EliminationProblem, options: StrategyOptions) -> StrategyOutcome:
    """The order given in ``options.argument``: an existing file's lines, else a comma list."""
    argument = options.argument or ""
    if os.path.lexists(argument):  # a FIFO or folder too: read_order says what is wrong
        return StrategyOutcome(tuple(read_order(argument)))
    names = [part.strip() for part in argument.split(",") if part.strip()]
    if len(names) == 1 and names[0] not in problem.index:
        raise GraphFileError(
            "no such order file, and not a vertex name either",
            path=names[0],
            fix="give order:PATH of an existing file, or order:a,b,c with vertex names",
        )
    return StrategyOutcome(tuple(names))


def read_order(path: str | Path) -> list[str]:
    """Read an order file: one vertex name per line; blank lines and ``#`` comments skipped.

    Raises
    ------
    GraphFileError
        When the file cannot be read.
    """
    from graphcost.files import read_text_file

    # A FIFO or device is refused before it is opened (reading one would block or never end).
    text = read_text_file(
        path,
        what="order file",
        limit_bytes=16 << 20,
        too_large_fix="give one vertex name per line",
        missing="cannot read the order file: no such file",
    )
    names = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(line)
    return names


def write_order(path: str | Path, order: Sequence[str]) -> None:
    """Write an order, one name per line, atomically (readable back with ``order:PATH``)."""
    from graphcost.report.render import write_atomic

    write_atomic(path, "".join(f"{name}\n" for name in order))


# Strategy modules owned elsewhere register themselves on import; a missing one is skipped.
_PLUGIN_MODULES: tuple[str, ...] = ("graphcost.eliminate.exact", "graphcost.eliminate.search")
for _module in _PLUGIN_MODULES:
    if importlib.util.find_spec(_module) is not None:
        importlib.import_module(_module)
