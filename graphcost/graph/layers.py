"""Fully connected layered graphs built from a list of layer sizes, without a graph file.

``layered_graph(["784", "300", "100", "10"])`` is the graph of a multilayer perceptron's
linear maps: the first layer is the input block ``x`` (``V``), the last the output block ``y``
(``D'``), the layers between are intermediate blocks ``h1``, ``h2``, … (``D``), and each
layer is joined to the next by a full edge. Sizes may be expressions in symbols
(``"n, 2*n/3, n/3, 1"``); such symbols have no default value, so give them with ``--set`` or
sweep them with ``--over``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from graphcost.errors import ExpressionError, UsageError
from graphcost.graph.expr import parse_expression
from graphcost.graph.model import INPUT, INTERMEDIATE, OUTPUT, Block, Edges, Graph

#: Most layers ``--layers`` accepts (a guard against a pasted list of node values).
MAX_LAYERS = 10_000


def parse_layers(text: str) -> list[str]:
    """Split ``--layers`` text (``"784,300,100,10"``) into one size expression per layer.

    Raises
    ------
    UsageError
        When fewer than two layers are given or a layer is empty.

    Examples
    --------
    >>> parse_layers("n, 2*n/3, n/3, 1")
    ['n', '2*n/3', 'n/3', '1']
    """
    parts = [part.strip() for part in text.split(",")]
    if any(not part for part in parts):
        raise UsageError(
            f"--layers {text!r} has an empty layer", fix="e.g. --layers 784,300,100,10"
        )
    return parts


def layered_graph(sizes: Sequence[str | int], *, name: str | None = None) -> Graph:
    """A fully connected layered graph: inputs, hidden layers, outputs.

    Parameters
    ----------
    sizes
        One size per layer, first the inputs, last the outputs: integers or expressions in
        symbols such as ``"2*n/3"``.
    name
        The graph's name; by default ``layers(784,300,100,10)``.

    Returns
    -------
    Graph
        Blocks ``x`` (inputs), ``h1`` … ``h{L-2}`` (intermediates) and ``y`` (outputs), with a
        full edge from each layer to the next. Symbols have no default values.

    Raises
    ------
    UsageError
        For fewer than two layers, a malformed or unsafe expression, or a constant size that is
        not a positive integer.

    Examples
    --------
    >>> from graphcost.count.recursions import count
    >>> g = layered_graph([3, 2, 1])
    >>> [(b.name, b.role, b.size.text) for b in g.blocks]
    [('x', 'V', '3'), ('h1', 'D', '2'), ('y', "D'", '1')]
    >>> count(g).forward.multiplications  # each h1 node: 3 input ancestors, 1 successor
    6
    """
    texts = [str(size).strip() for size in sizes]
    if len(texts) < 2:
        raise UsageError(
            f"--layers needs at least two layers (inputs and outputs), got {len(texts)}",
            fix="e.g. --layers 784,300,100,10",
        )
    if len(texts) > MAX_LAYERS:
        raise UsageError(f"--layers has {len(texts):,} layers, more than {MAX_LAYERS:,}")
    last = len(texts) - 1
    blocks = []
    for position, text in enumerate(texts):
        try:
            expr = parse_expression(text)
        except ExpressionError as error:
            raise UsageError(
                f"--layers: size {text!r} of layer {position + 1}: {error.message}",
                fix=error.fix,
            ) from None
        if not expr.names:
            value = expr.evaluate({})
            if value.denominator != 1 or value <= 0:
                raise UsageError(
                    f"--layers: size {text!r} of layer {position + 1} is not a positive integer",
                    fix="sizes must be at least 1",
                )
        if position == 0:
            block = Block("x", INPUT, expr)
        elif position == last:
            block = Block("y", OUTPUT, expr)
        else:
            block = Block(f"h{position}", INTERMEDIATE, expr)
        blocks.append(block)
    src = np.arange(last, dtype=np.int64)
    edges = Edges(
        src=src,
        dst=src + 1,
        diag=np.zeros(last, dtype=bool),
        line=np.zeros(last, dtype=np.int64),
    )
    return Graph(
        name=name or f"layers({','.join(texts)})",
        blocks=tuple(blocks),
        edges=edges,
        level=np.arange(len(blocks), dtype=np.int64),  # layer k is at depth k
        symbols={},
        description=f"fully connected layers {', '.join(texts)}",
    )
