"""The quantities every cost formula reads, computed at block level or at node level.

A *unit* is a block (block level) or a single node (node level). For each unit the
:class:`Structure` holds, per node of the unit: how many predecessors and successors it has,
how many inputs reach it and how many outputs it reaches. The conventions in
:mod:`graphcost.count.recursions` are formulas over these arrays, written once; evaluated on the
block structure they give the closed-form count (exact for any sizes, in time independent of
them, symbolic when sizes are sympy expressions), evaluated on the node structure they give
the count of the expanded graph. Tests check that the two agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphcost.errors import GraphTooLargeError
from graphcost.graph.dag import reach_counts
from graphcost.graph.model import INPUT, OUTPUT, ROLE_CODE, Graph
from graphcost.jacobian.blocks import (
    Kind,
    compose,
    join,
    partials,
    sources_per_node,
    targets_per_node,
)

#: Most nodes / edges a graph may have to be expanded to node level.
MAX_NODES = 20_000_000
MAX_EDGES = 40_000_000
#: Most bytes the reachability bitsets of a node-level count may take.
MAX_BITSET_BYTES = 2 * 1024**3


@dataclass(frozen=True)
class Structure:
    """Per-unit structural quantities (a unit is a block or a single node).

    Attributes
    ----------
    level
        ``"block"`` or ``"node"``.
    size
        Nodes per unit (ints, or sympy expressions for symbolic counts).
    role
        Role code per unit (0 input ``V``, 1 intermediate ``D``, 2 output ``D'``).
    pred, succ
        Predecessors / successors of each node of the unit.
    anc
        Inputs that reach each node of the unit; an input counts itself (Δ_uu = 1).
    desc
        Outputs each node of the unit reaches; an output counts itself.
    edge_src, edge_dst
        Unit indices of each unit-level edge.
    edge_count
        How many node-level edges each unit-level edge stands for.
    """

    level: str
    size: np.ndarray
    role: np.ndarray
    pred: np.ndarray
    succ: np.ndarray
    anc: np.ndarray
    desc: np.ndarray
    edge_src: np.ndarray
    edge_dst: np.ndarray
    edge_count: np.ndarray


def block_structure(graph: Graph, sizes: list[Any]) -> Structure:
    """The structure of ``graph`` at block level, never expanding a block.

    For every input block X and block J, the nodes of J are reached either by all of X (some
    path from X to J has a full edge), by the aligned node of X only (every path is diag), or
    not at all; so each node of J has the same count of input ancestors, and likewise of output
    descendants. Cost: O(edges × input blocks), independent of the sizes.

    Parameters
    ----------
    graph
        The graph.
    sizes
        One size per block: ints, or sympy expressions.

    Returns
    -------
    Structure
    """
    count = len(graph.blocks)
    src, dst = graph.edges.src.tolist(), graph.edges.dst.tolist()
    kinds = [Kind.of(diag) for diag in graph.edges.diag.tolist()]
    zero = sizes[0] * 0 if sizes else 0
    pred_terms: list[list[Any]] = [[zero] for _ in range(count)]
    succ_terms: list[list[Any]] = [[zero] for _ in range(count)]
    edge_count = []
    incoming: list[list[tuple[int, Kind]]] = [[] for _ in range(count)]
    outgoing: list[list[tuple[int, Kind]]] = [[] for _ in range(count)]
    for a, b, kind in zip(src, dst, kinds, strict=True):
        pred_terms[b].append(sources_per_node(kind, sizes[a]))
        succ_terms[a].append(targets_per_node(kind, sizes[b]))
        edge_count.append(partials(kind, sizes[a], sizes[b]))
        incoming[b].append((a, kind))
        outgoing[a].append((b, kind))
    pred = [exact_sum(terms) for terms in pred_terms]
    succ = [exact_sum(terms) for terms in succ_terms]
    roles = [block.role for block in graph.blocks]
    order = graph.order.tolist()
    anc = _seed_counts(order, roles, INPUT, incoming, sizes, zero, sources_per_node)
    desc = _seed_counts(order[::-1], roles, OUTPUT, outgoing, sizes, zero, targets_per_node)
    return Structure(
        level="block",
        size=_objects(sizes),
        role=graph.role_codes,
        pred=_objects(pred),
        succ=_objects(succ),
        anc=_objects(anc),
        desc=_objects(desc),
        edge_src=graph.edges.src,
        edge_dst=graph.edges.dst,
        edge_count=_objects(edge_count),
    )


def _seed_counts(
    order: list[int],
    roles: list[str],
    seed_role: str,
    neighbours: list[list[tuple[int, Kind]]],
    sizes: list[Any],
    zero: Any,
    per_node: Callable[[Kind, Any], Any],
) -> list[Any]:
    """Per block, how many seed nodes (inputs, or outputs) each of its nodes is linked to.

    ``reach[J]`` maps a seed block X to the structure of the composed Jacobian block between X
    and J: the chain rule's composition of the edges along each path, joined over the paths
    (:mod:`graphcost.jacobian.blocks`). A seed reaches itself through the identity, a diag
    block; ``per_node`` turns a structure into the seeds each node of J is linked to.
    """
    reach: list[dict[int, Kind]] = [{} for _ in sizes]
    counts = [zero] * len(sizes)
    for block in order:
        if roles[block] == seed_role:
            reach[block] = {block: Kind.DIAG}
        else:
            merged: dict[int, Kind] = {}
            for other, kind in neighbours[block]:
                for seed, path in reach[other].items():
                    merged[seed] = join(merged.get(seed), compose(path, kind))
            reach[block] = merged
        counts[block] = exact_sum(
            [zero, *(per_node(kind, sizes[seed]) for seed, kind in reach[block].items())]
        )
    return counts


def exact_sum(values: list[Any]) -> Any:
    """The exact sum of ints or sympy expressions, in time linear in their number.

    Adding sympy expressions one by one re-flattens and re-sorts the growing sum at every
    step (quadratic: 25 s for the few thousand terms of a 200-block graph); one ``Add`` of
    them all flattens once.

    Examples
    --------
    >>> import sympy
    >>> n = sympy.Symbol("n")
    >>> exact_sum([n, 2, n**2, n]), exact_sum([1, 2, 3])
    (n**2 + 2*n + 2, 6)
    """
    if all(isinstance(value, int) for value in values):
        return sum(values, 0)
    import sympy

    if any(isinstance(value, sympy.Basic) for value in values):
        return sympy.Add(*values)
    return sum(values, 0)


def _objects(values: list[Any]) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


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
    """

    graph: Graph
    sizes: list[int]
    offsets: np.ndarray
    role: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    level: np.ndarray

    @property
    def node_count(self) -> int:
        """Number of nodes."""
        return int(self.offsets[-1])

    def name(self, node: int) -> str:
        """The name of a node: the block's name for a single node, else ``block[i]``."""
        block = int(np.searchsorted(self.offsets, node, side="right")) - 1
        if self.sizes[block] == 1:
            return self.graph.blocks[block].name
        return f"{self.graph.blocks[block].name}[{node - int(self.offsets[block])}]"

    def names(self) -> list[str]:
        """All node names, in index order."""
        names: list[str] = []
        for block, size in zip(self.graph.blocks, self.sizes, strict=True):
            names.extend([block.name] if size == 1 else [f"{block.name}[{i}]" for i in range(size)])
        return names


def expansion_size(graph: Graph, sizes: list[int]) -> tuple[int, int]:
    """Node and edge counts of the expanded graph, computed without expanding."""
    edges = graph.edges
    if max(sizes, default=0) < 2**31:  # each product < 2**62: int64 is exact per edge
        size_array = np.array(sizes, dtype=np.int64)
        first, second = size_array[edges.src], size_array[edges.dst]
        per_edge = np.where(edges.diag, first, first * second)  # partials(), vectorised
        if float(per_edge.sum(dtype=np.float64)) < 2.0**62:
            return sum(sizes), int(per_edge.sum())
    total_edges = sum(
        partials(Kind.of(d), sizes[a], sizes[b])
        for a, b, d in zip(edges.src.tolist(), edges.dst.tolist(), edges.diag.tolist(), strict=True)
    )
    return sum(sizes), total_edges


def expand(graph: Graph, sizes: list[int]) -> NodeGraph:
    """Expand every block to its nodes (vectorised).

    Raises
    ------
    GraphTooLargeError
        At once, before allocating, when the expansion exceeds :data:`MAX_NODES` nodes or
        :data:`MAX_EDGES` edges.
    """
    nodes, edge_total = expansion_size(graph, sizes)
    if nodes > MAX_NODES or edge_total > MAX_EDGES:
        raise GraphTooLargeError(
            f"graph {graph.name!r} is too large to expand to nodes: {nodes:,} nodes and "
            f"{edge_total:,} edges (limits {MAX_NODES:,} nodes, {MAX_EDGES:,} edges)",
            path=graph.path,
            fix="count it at block level (drop --nodes), or choose smaller sizes with --set",
        )
    size_array = np.array(sizes, dtype=np.int64)
    offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(size_array, out=offsets[1:])
    index_type = np.int32 if nodes < 2**31 else np.int64
    edges = graph.edges
    single = (size_array[edges.src] == 1) & (size_array[edges.dst] == 1)
    src_parts = [offsets[edges.src[single]].astype(index_type)]
    dst_parts = [offsets[edges.dst[single]].astype(index_type)]
    for e in np.flatnonzero(~single):
        a, b = int(edges.src[e]), int(edges.dst[e])
        first_a = np.arange(offsets[a], offsets[a + 1], dtype=index_type)
        first_b = np.arange(offsets[b], offsets[b + 1], dtype=index_type)
        if edges.diag[e]:
            src_parts.append(first_a)
            dst_parts.append(first_b)
        else:
            src_parts.append(np.repeat(first_a, len(first_b)))
            dst_parts.append(np.tile(first_b, len(first_a)))
    return NodeGraph(
        graph=graph,
        sizes=list(sizes),
        offsets=offsets,
        role=np.repeat(graph.role_codes, size_array),
        src=np.concatenate(src_parts),
        dst=np.concatenate(dst_parts),
        level=np.repeat(graph.level, size_array),
    )


def node_structure(nodes: NodeGraph) -> Structure:
    """The structure of an expanded graph: one unit per node, counts by reachability bitsets.

    Raises
    ------
    GraphTooLargeError
        When the bitsets (nodes × inputs bits, nodes × outputs bits) would exceed
        :data:`MAX_BITSET_BYTES`.
    """
    count = nodes.node_count
    inputs = np.flatnonzero(nodes.role == ROLE_CODE[INPUT])
    outputs = np.flatnonzero(nodes.role == ROLE_CODE[OUTPUT])
    widest = max(len(inputs), len(outputs))
    needed = count * ((widest + 63) // 64) * 8
    if needed > MAX_BITSET_BYTES:
        raise GraphTooLargeError(
            f"node-level count of {nodes.graph.name!r} needs {needed / 1024**3:.1f} GiB of "
            f"reachability bitsets ({count:,} nodes × {widest:,} inputs or outputs; "
            f"limit {MAX_BITSET_BYTES / 1024**3:.0f} GiB)",
            path=nodes.graph.path,
            fix="count it at block level (drop --nodes), or choose smaller sizes with --set",
        )
    ones = np.ones(count, dtype=np.int64)
    return Structure(
        level="node",
        size=ones,
        role=nodes.role,
        pred=np.bincount(nodes.dst, minlength=count).astype(np.int64),
        succ=np.bincount(nodes.src, minlength=count).astype(np.int64),
        anc=reach_counts(count, nodes.src, nodes.dst, nodes.level, inputs),
        desc=reach_counts(count, nodes.src, nodes.dst, nodes.level, outputs, reverse=True),
        edge_src=nodes.src,
        edge_dst=nodes.dst,
        edge_count=np.ones(len(nodes.src), dtype=np.int64),
    )
