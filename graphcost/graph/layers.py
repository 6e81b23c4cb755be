"""Fully connected layered graphs built from a list of layer sizes, without a graph file.

``layered_graph(["784", "300", "100", "10"])`` is the graph of a multilayer perceptron's
linear maps: the first layer is the input block ``x`` (``V``), the last the output block ``y``
(``D'``), the layers between are intermediate blocks ``h1``, ``h2``, … (``D``), and each
layer is joined to the next by a full edge. Sizes may be expressions in symbols
(``"n, 2*n/3, n/3, 1"``); such symbols have no default value, so give them with ``--set`` or
sweep them with ``--over``.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from graphcost.errors import ExpressionError, UsageError
from graphcost.graph.expr import Expr, parse_expression
from graphcost.graph.model import INPUT, INTERMEDIATE, OUTPUT, Block, Edges, Graph

#: Most layers ``--layers`` accepts (a guard against a pasted list of node values).
MAX_LAYERS = 10_000
#: The key of ``Graph.extra`` under which a builder declares what each block computes, for the
#: evaluation cost (:mod:`graphcost.count.evaluation`): block name → (a layer op of
#: :data:`graphcost.graph.functions.LAYER_OPS`, the names of the parents it multiplies).
OPS_KEY = "ops"
#: The ``--wrt`` word for every weight and bias of a ``--layers`` graph.
PARAMS = "params"


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
    last = len(texts) - 1
    blocks = []
    for position, expr in enumerate(_checked_sizes(texts)):
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
        extra={OPS_KEY: {b.name: ("linear", (a.name,)) for a, b in itertools.pairwise(blocks)}},
    )


def _checked_sizes(texts: list[str]) -> list[Expr]:
    """Parse and check the layer sizes of ``--layers``."""
    if len(texts) < 2:
        raise UsageError(
            f"--layers needs at least two layers (inputs and outputs), got {len(texts)}",
            fix="e.g. --layers 784,300,100,10",
        )
    if len(texts) > MAX_LAYERS:
        raise UsageError(f"--layers has {len(texts):,} layers, more than {MAX_LAYERS:,}")
    exprs = []
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
        exprs.append(expr)
    return exprs


def parameter_graph(sizes: Sequence[str | int], *, name: str | None = None) -> Graph:
    """The layered graph with its weights and biases as inputs (``--layers ... --wrt params``).

    Every layer is affine, h_l = W_l·h_{l-1} + b_l (no activation nodes, as in
    :func:`layered_graph`): ``W{l}`` is an input block of shape [n_l, n_{l-1}] joined to
    ``h{l}`` by the edge ``ik->i`` (entry (i, k) of W_l reaches node i of h_l only), ``b{l}``
    an input block of n_l nodes joined by a diag edge. The last layer is the output ``y``.
    ``x`` is an input too; ``--wrt params`` makes it a constant
    (:func:`graphcost.graph.wrt.with_respect_to`).

    Parameters
    ----------
    sizes
        One size per layer, as for :func:`layered_graph`.
    name
        The graph's name; by default ``layers(784,300,100,10)``.

    Returns
    -------
    Graph
        Built through :func:`graphcost.graph.loader.graph_from_dict` (so validated like a
        graph file); symbols have no default values.

    Raises
    ------
    UsageError
        As :func:`layered_graph`.
    """
    from graphcost.graph.loader import graph_from_dict

    texts = [str(size).strip() for size in sizes]
    exprs = _checked_sizes(texts)
    last = len(texts) - 1
    layer = ["x", *(f"h{position}" for position in range(1, last)), "y"]
    inputs: dict[str, Any] = {"x": texts[0]}
    edges: list[list[str]] = []
    ops = {}
    for position in range(1, last + 1):
        target, source = layer[position], layer[position - 1]
        inputs[f"W{position}"] = [texts[position], texts[position - 1]]
        inputs[f"b{position}"] = texts[position]
        edges += [
            [source, target],
            [f"W{position}", target, "ik->i"],
            [f"b{position}", target, "diag"],
        ]
        ops[target] = ("affine", (source,))
    symbols = sorted(set().union(*(expr.names for expr in exprs)))
    graph = graph_from_dict(
        {
            "name": name or f"layers({','.join(texts)})",
            "description": f"affine layers {', '.join(texts)} with weights and biases as inputs",
            "symbols": dict.fromkeys(symbols, 1),  # placeholders: dropped below, as in --layers
            "V": inputs,
            "D": {target: texts[position] for position, target in enumerate(layer[1:last], 1)},
            "D'": {"y": texts[last]},
            "E": edges,
        }
    )
    return dataclasses.replace(graph, symbols={}, extra={OPS_KEY: ops})


def parameter_names(graph: Graph) -> list[str]:
    """The weights and biases of a :func:`parameter_graph`: ``W1, b1, W2, b2, …``."""
    return [
        block.name
        for block in graph.blocks
        if block.role == INPUT and block.name[:1] in ("W", "b") and block.name[1:].isdigit()
    ]
