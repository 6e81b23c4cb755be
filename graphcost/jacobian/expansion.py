"""A block graph expanded to its nodes: every block to ``size`` single nodes (row-major within
a shaped block), every edge to the node pairs of its pattern
(:func:`graphcost.jacobian.blocks.node_pairs`). Node-level counts and node-level elimination
run on the expansion; tests check them against the block-level closed forms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from graphcost.errors import GraphTooLargeError
from graphcost.graph.model import Graph
from graphcost.graph.shifts import node_patterns
from graphcost.jacobian.blocks import node_pairs, partials

#: Most nodes / edges a graph may have to be expanded to node level.
MAX_NODES = 20_000_000
MAX_EDGES = 40_000_000


def vector_shapes(graph: Graph, sizes: list[Any]) -> list[tuple[Any, ...]]:
    """Shapes from sizes for a graph of vectors and scalars (``(s,)`` per vector block).

    Raises
    ------
    ValueError
        For a graph with a block of two or more dimensions (its shape needs the symbol values:
        :meth:`Graph.shapes`).
    """
    shapes: list[tuple[Any, ...]] = []
    for block, size in zip(graph.blocks, sizes, strict=True):
        if block.rank > 1:
            raise ValueError(f"block {block.name!r} has {block.rank} dimensions: pass its shape")
        shapes.append((size,) if block.rank == 1 else ())
    return shapes


@dataclass(frozen=True)
class NodeGraph:
    """A block graph expanded to single nodes, as arrays.

    Attributes
    ----------
    graph
        The block graph it expands.
    sizes
        The block sizes used.
    offsets
        ``offsets[b]`` is the index of block b's first node; ``offsets[-1]`` the node count.
    role
        Role code per node.
    src, dst
        Node-level edges.
    level
        Longest-path depth of every node (that of its block).
    shapes
        The block shapes used (row-major node order within a block); ``None``: vectors.
    """

    graph: Graph
    sizes: list[int]
    offsets: np.ndarray
    role: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    level: np.ndarray
    shapes: list[tuple[int, ...]] | None = None

    @property
    def node_count(self) -> int:
        """Number of nodes."""
        return int(self.offsets[-1])

    def name(self, node: int) -> str:
        """The name of a node: the block's name for a single node, else ``block[i]``
        (``block[i][j]`` for a matrix block, row-major: no comma, so that ``show --format
        yaml|edges`` output loads back; commas separate the fields of an edge file)."""
        block = int(np.searchsorted(self.offsets, node, side="right")) - 1
        return self._name(block, node - int(self.offsets[block]))

    def _name(self, block: int, position: int) -> str:
        name = self.graph.blocks[block].name
        if self.sizes[block] == 1:
            return name
        shape = self.shapes[block] if self.shapes is not None else (self.sizes[block],)
        if len(shape) <= 1:
            return f"{name}[{position}]"
        index = np.unravel_index(position, shape)
        return name + "".join(f"[{int(i)}]" for i in index)

    def names(self) -> list[str]:
        """All node names, in index order."""
        names: list[str] = []
        for block, size in enumerate(self.sizes):
            if self.shapes is None or len(self.shapes[block]) <= 1:
                name = self.graph.blocks[block].name
                names.extend([name] if size == 1 else [f"{name}[{i}]" for i in range(size)])
            else:
                names.extend(self._name(block, i) for i in range(size))
        return names


def expansion_size(
    graph: Graph, sizes: list[int], shapes: list[tuple[int, ...]] | None = None
) -> tuple[int, int]:
    """Node and edge counts of the expanded graph, computed without expanding."""
    edges = graph.edges
    if graph.is_shaped:
        shapes = shapes if shapes is not None else vector_shapes(graph, sizes)
        total_edges = sum(
            partials(p, shapes[a], shapes[b])
            for a, b, p in zip(
                edges.src.tolist(), edges.dst.tolist(), node_patterns(graph), strict=True
            )
        )
        return sum(sizes), total_edges
    if max(sizes, default=0) == 1:  # a node-level graph: nothing to expand
        return len(sizes), len(edges)
    if max(sizes, default=0) < 2**31:  # each product < 2**62: int64 is exact per edge
        size_array = np.array(sizes, dtype=np.int64)
        first, second = size_array[edges.src], size_array[edges.dst]
        per_edge = np.where(edges.diag, first, first * second)  # partials(), vectorised
        if float(per_edge.sum(dtype=np.float64)) < 2.0**62:
            return sum(sizes), int(per_edge.sum())
    total_edges = sum(
        a * b if not d else a
        for a, b, d in zip(
            [sizes[i] for i in edges.src.tolist()],
            [sizes[i] for i in edges.dst.tolist()],
            edges.diag.tolist(),
            strict=True,
        )
    )
    return sum(sizes), total_edges


def expand(
    graph: Graph, sizes: list[int], shapes: list[tuple[int, ...]] | None = None
) -> NodeGraph:
    """Expand every block to its nodes (vectorised); each edge's node pairs are those of its
    pattern (:func:`graphcost.jacobian.blocks.node_pairs`, row-major within a block).

    Raises
    ------
    GraphTooLargeError
        At once, before allocating, when the expansion exceeds :data:`MAX_NODES` nodes or
        :data:`MAX_EDGES` edges.
    """
    nodes, edge_total = expansion_size(graph, sizes, shapes)
    if nodes > MAX_NODES or edge_total > MAX_EDGES:
        raise GraphTooLargeError(
            f"graph {graph.name!r} is too large to expand to nodes: {nodes:,} nodes and "
            f"{edge_total:,} edges (limits {MAX_NODES:,} nodes, {MAX_EDGES:,} edges)",
            path=graph.path,
            fix="count it at block level (drop --nodes), or choose smaller sizes with --set",
        )
    if shapes is None:
        shapes = vector_shapes(graph, sizes)
    index_type = np.int32 if nodes < 2**31 else np.int64
    if max(sizes, default=0) == 1 and not graph.is_shaped:  # node level: edges are node edges
        return NodeGraph(
            graph=graph,
            sizes=list(sizes),
            offsets=np.arange(len(sizes) + 1, dtype=np.int64),
            role=graph.role_codes,
            src=graph.edges.src.astype(index_type),
            dst=graph.edges.dst.astype(index_type),
            level=graph.level,
            shapes=[tuple(shape) for shape in shapes],
        )
    size_array = np.array(sizes, dtype=np.int64)
    offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(size_array, out=offsets[1:])
    edges = graph.edges
    single = (size_array[edges.src] == 1) & (size_array[edges.dst] == 1)
    src_parts = [offsets[edges.src[single]].astype(index_type)]
    dst_parts = [offsets[edges.dst[single]].astype(index_type)]
    blocks = np.flatnonzero(~single).tolist()
    patterns = node_patterns(graph) if blocks else ()  # a Pattern per edge: only if needed
    for e in blocks:
        a, b = int(edges.src[e]), int(edges.dst[e])
        first, second = node_pairs(patterns[e], shapes[a], shapes[b])
        src_parts.append((first + offsets[a]).astype(index_type))
        dst_parts.append((second + offsets[b]).astype(index_type))
    return NodeGraph(
        graph=graph,
        sizes=list(sizes),
        offsets=offsets,
        role=np.repeat(graph.role_codes, size_array),
        src=np.concatenate(src_parts),
        dst=np.concatenate(dst_parts),
        level=np.repeat(graph.level, size_array),
        shapes=[tuple(shape) for shape in shapes],
    )
