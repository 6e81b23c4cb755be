"""The structural quantities second-order counts read beyond first order's, per unit.

A first-order :class:`~graphcost.jacobian.structure.Structure` gives, per node of a unit (a
block, or a single node), its predecessors, successors, inputs reaching it (``anc``) and outputs
it reaches (``desc``). Second order needs three more:

``into`` (per unit, all its nodes together)
    Σ over the unit's in-edges w → v whose source w is not an input of |A(w)|: the products
    c_ww'v · Δ_uw' that form one row of tangents of v's local partials (see
    :mod:`graphcost.count.second_order`). Per edge block: partials · inputs reaching the source.
``into_all``
    The same sum over every in-edge (an input source counts 1: it reaches itself).
``output_inputs`` (per node of the unit)
    Σ over the outputs y the node reaches of |A(y)|, the inputs reaching y: how many (u, y)
    pairs a second-order adjoint of the node carries.

At block level every node of a block has the same ``output_inputs``: the nodes of an output
block Y reached per node of J come from the composed pattern of the paths J → Y (the same
composition and join as first order's ``desc``, :mod:`graphcost.jacobian.blocks`), and every
node of Y has the same |A(y)|. At node level the outputs are grouped by |A(y)| and counted with
reachability bitsets. Tests check the two against each other.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphcost.graph.dag import reach_counts
from graphcost.graph.model import INPUT, OUTPUT, ROLE_CODE, Graph, check_level
from graphcost.jacobian.blocks import Pattern, compose, join, sources_per_node
from graphcost.jacobian.structure import (
    Structure,
    block_structure,
    exact_sum,
    expand,
    node_structure,
)

__all__ = ["SecondStructure", "second_structure", "symbolic_second_structure"]

_INPUT, _OUTPUT = ROLE_CODE[INPUT], ROLE_CODE[OUTPUT]


@dataclass(frozen=True)
class SecondStructure:
    """A first-order structure and the three second-order quantities (module docstring).

    Attributes
    ----------
    first
        The first-order :class:`Structure` (sizes, roles, pred, succ, anc, desc, edges).
    into, into_all
        Per unit: Σ over in-edges (from non-inputs / from all sources) of partials · |A(src)|.
    output_inputs
        Per node of each unit: Σ over the outputs y it reaches of |A(y)|.
    """

    first: Structure
    into: np.ndarray
    into_all: np.ndarray
    output_inputs: np.ndarray


def second_structure(
    graph: Graph, values: Mapping[str, int] | None = None, *, level: str = "block"
) -> SecondStructure:
    """The :class:`SecondStructure` of ``graph`` at ``"block"`` or ``"node"`` level.

    Raises
    ------
    SizeError, GraphTooLargeError, UsageError
    """
    check_level(level)
    shapes = graph.shapes(values)
    sizes = [math.prod(shape) for shape in shapes]
    if level == "node":
        nodes = expand(graph, sizes, shapes)
        first = node_structure(nodes)
        outputs = _node_output_inputs(first, nodes.level)
    else:
        first = block_structure(graph, sizes, shapes)
        outputs = _block_output_inputs(graph, shapes, first)
    return _with_into(first, outputs)


def symbolic_second_structure(graph: Graph) -> SecondStructure:
    """The block-level :class:`SecondStructure` with sympy sizes (positive integer symbols).

    Raises
    ------
    SizeError, SymbolicTooLargeError
    """
    from graphcost.count.recursions import symbolic_structure

    first = symbolic_structure(graph)
    shapes, _ = graph.symbolic_shapes()
    return _with_into(first, _block_output_inputs(graph, shapes, first))


def _with_into(first: Structure, output_inputs: np.ndarray) -> SecondStructure:
    return SecondStructure(
        first,
        into=_into(first, include_inputs=False),
        into_all=_into(first, include_inputs=True),
        output_inputs=output_inputs,
    )


def _into(s: Structure, *, include_inputs: bool) -> np.ndarray:
    """Per unit: Σ over its in-edges of partials · inputs reaching the source."""
    terms = s.edge_count * s.anc[s.edge_src]
    keep = np.ones(len(terms), dtype=bool) if include_inputs else s.role[s.edge_src] != _INPUT
    if s.size.dtype != object:
        total = np.zeros(len(s.size), dtype=np.int64)
        np.add.at(total, s.edge_dst[keep], terms[keep].astype(np.int64))
        return total
    grouped: list[list[Any]] = [[0] for _ in range(len(s.size))]
    for target, term in zip(s.edge_dst[keep].tolist(), terms[keep].tolist(), strict=True):
        grouped[target].append(term)
    return _objects([exact_sum(terms) for terms in grouped])


def _node_output_inputs(s: Structure, level: np.ndarray) -> np.ndarray:
    """Per node: Σ over the outputs it reaches of their input counts (grouped by that count)."""
    outputs = np.flatnonzero(s.role == _OUTPUT)
    total = np.zeros(len(s.role), dtype=np.int64)
    for inputs in np.unique(s.anc[outputs]).tolist():
        if inputs:
            group = outputs[s.anc[outputs] == inputs]
            reached = reach_counts(len(s.role), s.edge_src, s.edge_dst, level, group, reverse=True)
            total += int(inputs) * reached
    return total


def _block_output_inputs(graph: Graph, shapes: list[tuple[Any, ...]], s: Structure) -> np.ndarray:
    """Per block: Σ over output blocks Y of (nodes of Y each node reaches) · |A(y ∈ Y)|.

    ``reach[J]`` maps an output block Y to the pattern of the paths J → Y read from Y back to
    J, composed and joined as first order's ``desc`` does; where two patterns have no exact
    join the full pattern is held (first order's ``approximate`` names those pairs already).
    """
    count = len(graph.blocks)
    outgoing: list[list[tuple[int, Pattern]]] = [[] for _ in range(count)]
    for a, b, pattern in zip(
        graph.edges.src.tolist(), graph.edges.dst.tolist(), graph.edge_patterns, strict=True
    ):
        outgoing[a].append((b, Pattern(pattern.target, pattern.source)))
    reach: list[dict[int, Pattern]] = [{} for _ in range(count)]
    totals: list[Any] = [0] * count
    for block in graph.order.tolist()[::-1]:
        if graph.blocks[block].role == OUTPUT:
            reach[block] = {block: Pattern.diag(len(shapes[block]))}
        else:
            for successor, backwards in outgoing[block]:
                for seed, path in reach[successor].items():
                    joined = join(reach[block].get(seed), compose(path, backwards))
                    if joined is None:
                        joined = Pattern.full(len(shapes[seed]), len(shapes[block]))
                    reach[block][seed] = joined
        totals[block] = exact_sum(
            [0, *(sources_per_node(p, shapes[y]) * s.anc[y] for y, p in reach[block].items())]
        )
    return _objects(totals)


def _objects(values: list[Any]) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array
