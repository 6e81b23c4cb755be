"""The cheap elimination strategies: orders found without search.

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
    An explicit order, ``order:a,b,c`` or ``order:PATH`` (a file with one name per line, read by
    :func:`read_order`).

Each registers itself in :mod:`graphcost.eliminate.registry` on import; their orders are scored
by :func:`graphcost.eliminate.strategies.run_strategy`.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

from graphcost.eliminate.engine import BIT_MATRIX_MAX_NODES, node_engine
from graphcost.eliminate.markowitz import markowitz_on_bits, markowitz_on_sets
from graphcost.eliminate.problem import EliminationProblem
from graphcost.eliminate.registry import StrategyOptions, StrategyOutcome, register
from graphcost.errors import GraphFileError, UsageError
from graphcost.jacobian.blocks import Pattern, compose, compose_cost


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
    current graph (|preds|·|succs| at node level), ties broken by D's file order.

    On sets a lazy heap of integer keys (cost, position) finds the minimum and only the
    neighbours get fresh keys (:func:`~graphcost.eliminate.markowitz.markowitz_on_sets`); on
    bit matrices it is a vectorised argmin. Under ``engine="auto"`` a node-level graph starts
    on sets and moves to bit matrices over the vertices still alive once they fit
    (:data:`BIT_MATRIX_MAX_NODES`) and the recent greedy steps, which fill the graph in, would
    be cheaper there (:func:`~graphcost.eliminate.switching.bits_are_cheaper`: sets cost
    |preds|·|succs| insertions a step). The order is the same on every path (tested).
    """
    _numeric(problem, "markowitz")
    engine = node_engine(problem, options.engine, greedy=True)
    if engine == "bits":
        return StrategyOutcome(tuple(markowitz_on_bits(problem)))
    switch = problem.level == "node" and options.engine == "auto"
    return StrategyOutcome(tuple(markowitz_on_sets(problem, BIT_MATRIX_MAX_NODES if switch else 0)))


@register("chain", description="matrix-chain bracketing optimum for a chain of blocks (O(L³))")
def chain(problem: EliminationProblem, options: StrategyOptions) -> StrategyOutcome:
    """The cheapest whole-block order of a chain x → B1 → … → y, by the matrix-chain DP.

    The Jacobian of a chain is the product of its L local Jacobians; eliminating the interior
    vertex B_k multiplies the two (partial) products that meet at B_k. A bracketing is therefore
    a binary tree whose root splits at the vertex eliminated last; the order is the tree in
    post-order. Edges may have any index pattern (:mod:`graphcost.jacobian.blocks`).

    Raises
    ------
    UsageError
        When the graph is not a chain, or its sizes are symbolic.
    """
    _numeric(problem, "chain")
    path = _chain_path(problem)
    shapes = list(problem.shapes) or [(size,) for size in problem.sizes]
    dims = [shapes[v] for v in path]
    count = len(path) - 1  # factors
    # best[i][j]: cheapest product of factors i..j-1 (the segment from path[i] to path[j]);
    # pattern[i][j]: that product's index pattern (a product of diag factors stays diag).
    best = [[0] * (count + 1) for _ in range(count + 1)]
    split = [[0] * (count + 1) for _ in range(count + 1)]
    pattern: list[list[Any]] = [[None] * (count + 1) for _ in range(count + 1)]
    for i, (a, b) in enumerate(itertools.pairwise(path)):
        pattern[i][i + 1] = problem.patterns.get((a, b)) or Pattern.full(
            len(shapes[a]), len(shapes[b])
        )
    for length in range(2, count + 1):
        for i in range(count - length + 1):
            j = i + length
            choice = None
            for k in range(i + 1, j):
                step = compose_cost(pattern[i][k], pattern[k][j], dims[i], dims[k], dims[j])
                total = best[i][k] + best[k][j] + step
                if choice is None or total < choice:
                    choice, split[i][j] = total, k
            best[i][j] = choice
            k = split[i][j]
            pattern[i][j] = compose(pattern[i][k], pattern[k][j])
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
