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

import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphcost.errors import GraphTooLargeError
from graphcost.graph.dag import reach_counts
from graphcost.graph.model import INPUT, OUTPUT, ROLE_CODE, Graph
from graphcost.graph.shifts import shifted_edges
from graphcost.jacobian.blocks import (
    Pattern,
    compose,
    join,
    partials,
    sources_per_node,
    targets_per_node,
)
from graphcost.jacobian.expansion import (
    MAX_EDGES,
    MAX_NODES,
    NodeGraph,
    expand,
    expansion_size,
    vector_shapes,
)

#: Most bytes the reachability bitsets of a node-level count may take.
MAX_BITSET_BYTES = 2 * 1024**3


__all__ = [
    "MAX_BITSET_BYTES",
    "MAX_EDGES",
    "MAX_NODES",
    "NodeGraph",
    "Structure",
    "approximate_edges",
    "block_structure",
    "exact_sum",
    "expand",
    "expansion_size",
    "node_structure",
    "vector_shapes",
]


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
    approximate
        Block level: the edges (``"x -> y"``, seed to block) whose structure is held as
        ``full`` because two paths' patterns have no exact join; the counts are then upper
        bounds. Empty when exact (always at node level).
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
    approximate: tuple[str, ...] = ()


def block_structure(
    graph: Graph, sizes: list[Any], shapes: list[tuple[Any, ...]] | None = None
) -> Structure:
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
    shapes
        One shape per block (:meth:`Graph.shapes`, :meth:`Graph.symbolic_shapes`); may be
        omitted when every block is a vector or a scalar.

    Returns
    -------
    Structure
    """
    if shapes is None:
        shapes = vector_shapes(graph, sizes)
    count = len(graph.blocks)
    src, dst = graph.edges.src.tolist(), graph.edges.dst.tolist()
    patterns = graph.edge_patterns
    zero = sizes[0] * 0 if sizes else 0
    pred_terms: list[list[Any]] = [[zero] for _ in range(count)]
    succ_terms: list[list[Any]] = [[zero] for _ in range(count)]
    edge_count = []
    incoming: list[list[tuple[int, Pattern, Pattern]]] = [[] for _ in range(count)]
    outgoing: list[list[tuple[int, Pattern, Pattern]]] = [[] for _ in range(count)]
    for a, b, pattern in zip(src, dst, patterns, strict=True):
        pred_terms[b].append(sources_per_node(pattern, shapes[a]))
        succ_terms[a].append(targets_per_node(pattern, shapes[b]))
        edge_count.append(partials(pattern, shapes[a], shapes[b]))
        incoming[b].append((a, pattern, pattern))
        outgoing[a].append((b, pattern, _reverse(pattern)))
    pred = [exact_sum(terms) for terms in pred_terms]
    succ = [exact_sum(terms) for terms in succ_terms]
    roles = [block.role for block in graph.blocks]
    order = graph.order.tolist()
    approximate: list[tuple[int, int]] = []
    anc = _seed_counts(order, roles, INPUT, incoming, shapes, zero, approximate)
    desc = _seed_counts(order[::-1], roles, OUTPUT, outgoing, shapes, zero, approximate)
    names = [block.name for block in graph.blocks]
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
        approximate=tuple(
            dict.fromkeys(
                [*shifted_edges(graph), *(f"{names[a]} -> {names[b]}" for a, b in approximate)]
            )
        ),
    )


def approximate_edges(graph: Graph) -> tuple[str, ...]:
    """The edges a block-level count of ``graph`` holds as full (:attr:`Structure.approximate`),
    at any sizes: whether two patterns join exactly does not depend on the sizes."""
    shapes = [(1,) * block.rank for block in graph.blocks]
    return block_structure(graph, [1] * len(shapes), shapes).approximate


def _reverse(pattern: Pattern) -> Pattern:
    """The pattern read backwards (target to source): for reachability from the outputs."""
    return Pattern(pattern.target, pattern.source)


def _seed_counts(
    order: list[int],
    roles: list[str],
    seed_role: str,
    neighbours: list[list[tuple[int, Pattern, Pattern]]],
    shapes: list[tuple[Any, ...]],
    zero: Any,
    approximate: list[tuple[int, int]],
) -> list[Any]:
    """Per block, how many seed nodes (inputs, or outputs) each of its nodes is linked to.

    ``reach[J]`` maps a seed block X to the pattern of the composed Jacobian block from X to J
    (read from J back to X for outputs): the chain rule's composition of the edges along each
    path, joined over the paths (:mod:`graphcost.jacobian.blocks`). A seed reaches itself
    through the identity, a diag pattern. Where two paths' patterns have no exact join, the
    full pattern is held (a superset) and (seed, block) is appended to ``approximate``.
    """
    reach: list[dict[int, Pattern]] = [{} for _ in shapes]
    counts = [zero] * len(shapes)
    for block in order:
        if roles[block] == seed_role:
            reach[block] = {block: Pattern.diag(len(shapes[block]))}
        else:
            merged: dict[int, Pattern] = {}
            for other, _, pattern in neighbours[block]:
                for seed, path in reach[other].items():
                    joined = join(merged.get(seed), compose(path, pattern))
                    if joined is None:
                        joined = Pattern.full(len(shapes[seed]), len(shapes[block]))
                        pair = (seed, block) if seed_role == INPUT else (block, seed)
                        approximate.append(pair)
                    merged[seed] = joined
            reach[block] = merged
        counts[block] = exact_sum(
            [zero, *(sources_per_node(p, shapes[seed]) for seed, p in reach[block].items())]
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
    sympy = sys.modules.get("sympy")  # not imported: no value can be a sympy expression
    if sympy is not None and any(isinstance(value, sympy.Basic) for value in values):
        return sympy.Add(*values)
    return sum(values, 0)


def _objects(values: list[Any]) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


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
        # One partial per node-level edge: a read-only view of a single 1 (no 8 bytes per edge).
        edge_count=np.broadcast_to(np.ones(1, dtype=np.int64), (len(nodes.src),)),
    )
