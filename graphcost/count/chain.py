"""The chain of Jacobian factors of a layered graph, and the products each recursion forms.

A *layered* graph is a chain of blocks ``b0 → b1 → … → bL`` (one input block, one output block,
every other block with one parent and one child). Its Jacobian is the product of one factor
per edge. Seed 003 (problem 7.3) writes the factors in *denominator layout*, ∂b_k/∂b_{k-1} of
shape ``size(b_{k-1}) × size(b_k)``, so that the chain ∂b_L/∂b_0 multiplies left to right:
the forward recursion forms the products from the left (∂b_k/∂b_0 for k = 1, 2, …), the
backward recursion from the right (∂b_L/∂b_k for k = L-1, L-2, …).

The multiplications of each step are read off the graph's
:class:`~graphcost.jacobian.structure.Structure`,
edge by edge, exactly as the elimination convention counts them (a step with a unit seed is a
copy), so the steps add up to :func:`graphcost.count.recursions.count`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise

from graphcost.errors import UsageError
from graphcost.graph.model import INPUT, OUTPUT, Graph
from graphcost.jacobian.structure import block_structure


@dataclass(frozen=True)
class Factor:
    """One factor ∂b_k/∂b_{k-1} of the chain, and the two recursions' steps with it.

    Attributes
    ----------
    numerator, denominator
        The block differentiated (b_k) and the block differentiated by (b_{k-1}).
    rows, columns
        The factor's shape in seed 003's layout: ``size(b_{k-1}) × size(b_k)``, as size
        expressions (``rows_value``, ``columns_value``: their values).
    diag
        Whether the factor is diagonal (an elementwise op on a diag edge).
    pattern
        The edge's index signature when the graph gives one (``ik->i``), else empty.
    weight
        Whether the factor leaves a weight or bias input into its layer (∂h/∂W, beside the
        chain: ∂y/∂W = ∂h/∂W · ∂y/∂h) rather than a block of the chain.
    forward_forms, forward_multiplications
        The product the forward recursion forms with this factor (∂b_k/∂b_0) and its cost.
    backward_forms, backward_multiplications
        The product the backward recursion forms with it (∂b_L/∂b_{k-1}) and its cost.
    constant
        Whether no chosen input reaches the factor (``--wrt``): no derivative flows through
        it, and neither recursion uses it.
    """

    numerator: str
    denominator: str
    rows: str
    columns: str
    rows_value: int
    columns_value: int
    diag: bool
    forward_forms: str
    forward_multiplications: int
    backward_forms: str
    backward_multiplications: int
    pattern: str = ""
    weight: bool = False
    constant: bool = False


def jacobian_chain(
    graph: Graph, values: Mapping[str, int] | None = None, counted_on: Graph | None = None
) -> list[Factor]:
    """The factors of a layered graph's Jacobian, from the input side to the output.

    Parameters
    ----------
    graph
        A layered graph (a chain of blocks).
    values
        Size symbol overrides.
    counted_on
        The part of ``graph`` that is differentiated (``--wrt``:
        :func:`graphcost.graph.wrt.with_respect_to`), whose counts the factors then carry:
        a factor whose edge carries no derivative of a chosen input costs nothing.

    Returns
    -------
    list of Factor

    Raises
    ------
    UsageError
        When the graph is not a chain, naming the block that branches.

    Examples
    --------
    >>> from graphcost.graph.loader import graph_from_dict
    >>> g = graph_from_dict({"symbols": {"n": 3}, "V": {"x": "n"}, "D": {"h": "n"},
    ...     "D'": {"y": 1}, "E": [["x", "h", "diag"], ["h", "y"]]})
    >>> [(f.numerator, f.rows, f.columns, f.forward_multiplications) for f in jacobian_chain(g)]
    [('h', 'n', 'n', 0), ('y', 'n', '1', 3)]
    """
    side = _weight_inputs(graph)
    chain = _chain(graph, values) if not side else _data_chain(graph, side)
    sizes = graph.sizes(values)
    edge_of = {
        (int(a), int(b)): e
        for e, (a, b) in enumerate(zip(graph.edges.src, graph.edges.dst, strict=True))
    }
    first, last = graph.blocks[chain[0]], graph.blocks[chain[-1]]
    chosen = None if counted_on is None else {b.name for b in counted_on.blocks}
    reached = _inputs_reaching(graph, chain, side, chosen)
    steps = []
    for before, after in pairwise(chain):
        steps.append((before, after))
        steps += [(w, after) for w in side.get(after, ())]
    cost = _costs(counted_on or graph, values)
    factors = []
    for before, after in steps:
        e = edge_of[(before, after)]
        a, b = graph.blocks[before], graph.blocks[after]
        forward, backward = cost.get((a.name, b.name), (0, 0))
        constant = (a.name, b.name) not in cost
        factors.append(
            Factor(
                numerator=b.name,
                denominator=a.name,
                rows=a.shape_text,
                columns=b.shape_text,
                rows_value=sizes[before],
                columns_value=sizes[after],
                diag=bool(graph.edges.diag[e]),
                forward_forms="—"
                if constant
                else f"∂{b.name}/∂{first.name}: {first.shape_text}×{b.shape_text}"
                if not side
                else f"∂{b.name}/∂({reached[after]})",
                forward_multiplications=forward,
                backward_forms="—"
                if constant
                else f"∂{last.name}/∂{a.name}: {a.shape_text}×{last.shape_text}",
                backward_multiplications=backward,
                pattern=str((graph.edges.pattern or (None,) * (e + 1))[e] or ""),
                weight=before not in chain,
                constant=constant,
            )
        )
    return factors


def _costs(
    graph: Graph, values: Mapping[str, int] | None
) -> dict[tuple[str, str], tuple[int, int]]:
    """(source name, target name) of every edge → the multiplications the forward and the
    backward recursion make with its factor. Elimination convention: a product with the unit
    seed of an input (forward) or an output (backward) is a copy."""
    structure = block_structure(graph, graph.sizes(values), graph.shapes(values))
    blocks = graph.blocks
    costs = {}
    for e, (a, b) in enumerate(
        zip(graph.edges.src.tolist(), graph.edges.dst.tolist(), strict=True)
    ):
        count = int(structure.edge_count[e])
        forward = count * int(structure.anc[a]) if blocks[a].role != INPUT else 0
        backward = count * int(structure.desc[b]) if blocks[b].role != OUTPUT else 0
        costs[blocks[a].name, blocks[b].name] = (forward, backward)
    return costs


def _weight_inputs(graph: Graph) -> dict[int, tuple[int, ...]]:
    """Layer block → the weight and bias inputs it reads (:mod:`graphcost.graph.weights`)."""
    side: dict[int, tuple[int, ...]] = {}
    for block, definition in (graph.definitions or {}).items():
        bound = tuple(w for w in (*definition.weights, definition.bias) if w is not None)
        if bound:
            side[block] = bound
    return side


def _inputs_reaching(
    graph: Graph,
    chain: list[int],
    side: Mapping[int, tuple[int, ...]],
    chosen: set[str] | None = None,
) -> dict:
    """Per block of the chain, the names of the inputs it depends on (``x, W1, b1``): those in
    ``chosen`` only, when given (the blocks ``--wrt`` keeps)."""
    names: list[str] = [graph.blocks[chain[0]].name]
    reached = {}
    for block in chain[1:]:
        names += [graph.blocks[w].name for w in side.get(block, ())]
        reached[block] = ", ".join(n for n in names if chosen is None or n in chosen)
    return reached


def _data_chain(graph: Graph, side: Mapping[int, tuple[int, ...]]) -> list[int]:
    """The chain x → h1 → … → y once the weight and bias inputs are set aside."""
    bound = {w for inputs in side.values() for w in inputs}
    src, dst = graph.edges.src.tolist(), graph.edges.dst.tolist()
    data = [(a, b) for a, b in zip(src, dst, strict=True) if a not in bound]
    blocks = [b for b in range(len(graph.blocks)) if b not in bound]
    children = {b: [t for a, t in data if a == b] for b in blocks}
    parents = {b: [a for a, t in data if t == b] for b in blocks}
    starts = [b for b in blocks if not parents[b]]
    chain = starts[:1]
    while len(starts) == 1 and len(children[chain[-1]]) == 1:
        chain.append(children[chain[-1]][0])
    if len(starts) != 1 or len(chain) != len(blocks) or any(len(parents[b]) > 1 for b in blocks):
        raise UsageError(
            f"graph {graph.name!r} is not layered once its weight inputs are set aside",
            fix="jacobians needs a chain x → b1 → … → y, with weights W_<block> and biases "
            "b_<block> as the only other inputs",
        )
    return chain


def _chain(graph: Graph, values: Mapping[str, int] | None) -> list[int]:
    from graphcost.eliminate.problem import elimination_problem

    path, reason = elimination_problem(graph, values, level="block").chain_path()
    if reason is not None:
        raise UsageError(
            f"graph {graph.name!r} is not layered: {reason}",
            fix="jacobians needs a layered graph: x → b1 → … → y, one edge into and out of "
            "each block",
        )
    return path
