"""Differentiate with respect to some inputs only: ``--wrt NAMES`` as activity analysis.

:func:`with_respect_to` keeps the part of a graph that the chosen inputs (the independent
variables) reach, as AD tools' activity analysis does: every other input is a constant, every
block that no chosen input reaches is a constant too (its value is computed, its derivative is
zero), and constants and all their edges leave the graph that is counted. An output that no
chosen input reaches has only zero derivatives; it is dropped as well, and the result says so
(:attr:`WithRespectTo.dropped_outputs`, which the CLI prints as a warning). If no output is
left, that is an error.

The result is a :class:`~graphcost.graph.model.Graph` made from the original's own validated
blocks and edges (a subgraph of a valid graph is valid: roles, sizes and diag pairs are
unchanged and it has no cycle), with its levels recomputed. Node functions (``g``) are not
carried over, since a definition may use a constant parent; the original graph is kept in
``graph.extra["wrt"].primal``, where the cost of evaluating the whole program is read
(:mod:`graphcost.count.evaluation`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphcost.errors import UsageError
from graphcost.graph.dag import reach_counts, topological_levels
from graphcost.graph.model import INPUT, OUTPUT, Edges, Graph
from graphcost.graph.quoting import quote

#: The key of ``Graph.extra`` under which :func:`with_respect_to` records what it did.
WRT_KEY = "wrt"


@dataclass(frozen=True, eq=False)
class WithRespectTo:
    """What :func:`with_respect_to` chose and dropped.

    Attributes
    ----------
    independent
        The chosen inputs, in the graph's order.
    constants
        The other inputs (constants), in the graph's order.
    dropped
        Every block that left the graph (constant inputs, blocks no chosen input reaches, and
        the outputs among them), in the graph's order.
    dropped_outputs
        The outputs among ``dropped``: their derivatives are all zero.
    primal
        The original graph, whose every block is still evaluated.
    """

    independent: tuple[str, ...]
    constants: tuple[str, ...]
    dropped: tuple[str, ...]
    dropped_outputs: tuple[str, ...]
    primal: Graph


def split_names(text: str) -> list[str]:
    """Split ``--wrt`` text (``"x, W1,b1"``) into names; empty parts are kept to be refused.

    Examples
    --------
    >>> split_names(" x, W1 ,b1")
    ['x', 'W1', 'b1']
    >>> split_names("")
    []
    """
    if not text.strip():
        return []
    return [part.strip() for part in text.split(",")]


def with_respect_to(graph: Graph, names: Sequence[str]) -> Graph:
    """The graph that is differentiated when only ``names`` are independent variables.

    Parameters
    ----------
    graph
        A validated graph.
    names
        Names of input blocks (``V``), at least one, each once.

    Returns
    -------
    Graph
        The blocks that some chosen input reaches (the chosen inputs included), in the
        original order, and the edges between them; ``extra["wrt"]`` is a
        :class:`WithRespectTo`. The name, symbols and path are the original's.

    Raises
    ------
    UsageError
        For an empty list, an empty, unknown, repeated or non-input name (the message lists
        the valid inputs), or when no output depends on the chosen inputs.

    Examples
    --------
    y = x·w: with respect to x alone, w is a constant and its edge drops out.

    >>> from graphcost.graph.loader import graph_from_dict
    >>> g = graph_from_dict({"V": ["x", "w"], "D'": ["y"], "E": [["x", "y"], ["w", "y"]]})
    >>> h = with_respect_to(g, ["x"])
    >>> [b.name for b in h.blocks], len(h.edges)
    (['x', 'y'], 1)
    >>> h.extra["wrt"].constants
    ('w',)
    """
    inputs = [block.name for block in graph.blocks if block.role == INPUT]
    valid = f"the inputs are: {', '.join(inputs)}"
    names = list(names)
    if not names:
        raise UsageError("--wrt names no input", fix=f"give one or more, comma-separated; {valid}")
    seen: set[str] = set()
    for name in names:
        if not name:
            raise UsageError(
                "--wrt has an empty name", fix=f"separate names by single commas; {valid}"
            )
        if name in seen:
            raise UsageError(
                f"--wrt names {quote(name)} twice", fix=f"name each input once; {valid}"
            )
        seen.add(name)
        if name not in graph.index:
            raise UsageError(f"--wrt: unknown input {quote(name)}", fix=valid)
        role = graph.blocks[graph.index[name]].role
        if role != INPUT:
            what = "an output" if role == OUTPUT else "an intermediate block"
            raise UsageError(
                f"--wrt: {quote(name)} is {what}, not an input",
                fix=f"derivatives are taken with respect to inputs (V); {valid}",
            )
    chosen = np.array(sorted(graph.index[name] for name in names), dtype=np.int64)
    count = len(graph.blocks)
    src, dst = graph.edges.src, graph.edges.dst
    keep = reach_counts(count, src, dst, graph.level, chosen) > 0
    kept_outputs = [i for i in graph.blocks_with_role(OUTPUT) if keep[i]]
    if not kept_outputs:
        raise UsageError(
            f"no output depends on {', '.join(quote(n) for n in names)}: every derivative is zero",
            fix=f"choose inputs that reach an output; {valid}",
        )
    positions = np.flatnonzero(keep)
    renumber = np.full(count, -1, dtype=np.int64)
    renumber[positions] = np.arange(len(positions), dtype=np.int64)
    mask = keep[src] & keep[dst] if len(graph.edges) else np.zeros(0, dtype=bool)
    edges = _take_edges(graph.edges, mask)
    edges = dataclasses.replace(edges, src=renumber[edges.src], dst=renumber[edges.dst])
    level = topological_levels(len(positions), edges.src, edges.dst).level
    blocks = tuple(graph.blocks[i] for i in positions.tolist())
    dropped = [b for i, b in enumerate(graph.blocks) if not keep[i]]
    record = WithRespectTo(
        independent=tuple(b.name for b in graph.blocks if b.name in seen),
        constants=tuple(n for n in inputs if n not in seen),
        dropped=tuple(b.name for b in dropped),
        dropped_outputs=tuple(b.name for b in dropped if b.role == OUTPUT),
        primal=graph,
    )
    extra = {k: v for k, v in graph.extra.items() if k not in ("g", WRT_KEY)}
    extra[WRT_KEY] = record
    return dataclasses.replace(
        graph, blocks=blocks, edges=edges, level=level, extra=extra, definitions=None
    )


def wrt_of(graph: Graph) -> WithRespectTo | None:
    """The :class:`WithRespectTo` of a graph made by :func:`with_respect_to`, else ``None``."""
    record = graph.extra.get(WRT_KEY)
    return record if isinstance(record, WithRespectTo) else None


def _take_edges(edges: Edges, mask: np.ndarray) -> Edges:
    """The edges where ``mask`` holds, every per-edge field filtered alike."""
    keep = np.flatnonzero(mask).tolist()
    changes: dict[str, Any] = {}
    for field in dataclasses.fields(edges):
        value = getattr(edges, field.name)
        if isinstance(value, np.ndarray) and value.ndim and len(value) == len(mask):
            changes[field.name] = value[mask]
        elif isinstance(value, list | tuple) and len(value) == len(mask):
            changes[field.name] = type(value)(value[i] for i in keep)
    return dataclasses.replace(edges, **changes)
