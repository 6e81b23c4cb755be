"""Edges whose exact structure is shifted (:class:`~graphcost.graph.signature.Shifted`: a
slice, a concatenation's operand, a padding).

Block level sees such an edge as its superset (:attr:`Graph.edge_patterns`: shifted letters
unpaired), so block-level counts over it are upper bounds and say so
(:func:`shifted_edges`); node level expands its exact pairs (:func:`node_patterns`).
"""

from __future__ import annotations

from graphcost.graph.model import Graph
from graphcost.graph.signature import Pattern, Shifted


def node_patterns(graph: Graph) -> tuple[Pattern | Shifted, ...]:
    """Every edge's exact pattern: a shifted signature where one was given, else the
    block-level pattern."""
    given = graph.edges.pattern or (None,) * len(graph.edges)
    return tuple(
        p if isinstance(p, Shifted) else q for p, q in zip(given, graph.edge_patterns, strict=True)
    )


def shifted_edges(graph: Graph) -> tuple[str, ...]:
    """``"a -> b"`` for every edge with a shifted signature (block level holds a superset)."""
    given = graph.edges.pattern or ()
    names = [block.name for block in graph.blocks]
    return tuple(
        f"{names[int(graph.edges.src[e])]} -> {names[int(graph.edges.dst[e])]}"
        for e, p in enumerate(given)
        if isinstance(p, Shifted)
    )
