"""Layer-op parameters given as input blocks: gradients with respect to weights.

A layer op ``h: affine(x)`` reads its weight ``W_h`` (``W_h_<parent>`` with several parents)
and its bias ``b_h`` from ``params:`` (or an ``.npz``, or ``--seed``). When ``V`` declares an
input block of that very name, the parameter is that input instead, a variable like any other:
the recursions then give ∂f/∂W_h and ∂f/∂b_h. The rules (checked here, at load):

- ``W_h`` must be a matrix input ``[size(h), size(x)]``, joined to ``h`` by the edge
  ``ik->i`` (entry (i, k) of W reaches node i of h only, ∂h_i/∂W_ik = x_k); on single nodes
  (``V: [x, W_h]``, ``h`` one node) it may be a single node, joined by a plain edge;
- ``b_h`` must be a vector input of ``size(h)`` nodes, joined by a ``diag`` edge
  (∂h_i/∂b_i = 1);
- ``h`` and ``x`` are vectors; a block of such a name that is no input, or a parameter given
  both as an input and under ``params:``, is refused.

The edges follow from ``g`` (or ``E`` must list them with these kinds, see
:func:`graphcost.graph.definition_edges.check_edges`); :meth:`graphcost.graph.model.Graph.shapes`
checks the second dimension of W against the size of x.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphcost.errors import GraphValidationError
from graphcost.graph.model import INPUT, Block
from graphcost.graph.quoting import quote
from graphcost.graph.signature import Pattern

#: The pattern of the edge from a weight input ``W`` to its layer block: ∂h_i/∂W_ik = x_k.
WEIGHT_PATTERN = Pattern.parse("ik->i")


def weight_name(block: str, parent: str, parents: int) -> str:
    """The parameter holding the weight of ``parent → block`` (``W_h`` or ``W_h_<parent>``)."""
    return f"W_{block}" if parents == 1 else f"W_{block}_{parent}"


def bind_inputs(
    name: str,
    op_bias: bool,
    parents: Sequence[int],
    blocks: Sequence[Block],
    index: Mapping[str, int],
    params: Any,
    path: str | None,
    line: int | None,
) -> tuple[tuple[int | None, ...], int | None]:
    """The input blocks that hold the weights (one per parent, or ``None``) and the bias.

    Raises
    ------
    GraphValidationError
        For a block of a parameter's name that is not an input, of the wrong rank, a
        parameter given twice, or a layer block or parent that is not a vector.
    """
    declared = params if isinstance(params, Mapping) else {}
    weights: list[int | None] = []
    for parent in parents:
        wanted = weight_name(name, blocks[parent].name, len(parents))
        weights.append(_bound(wanted, 2, name, blocks, index, declared, path, line))
    bias = _bound(f"b_{name}", 1, name, blocks, index, declared, path, line) if op_bias else None
    for bound in (*weights, bias):
        if bound is not None and bound in parents:
            raise GraphValidationError(
                f"g of {quote(name)}: {quote(blocks[bound].name)} is both a parent and a "
                "parameter of the layer op",
                path=path,
                line=line,
                fix="rename the block, or pass another block to the layer op",
            )
    for parent, weight in zip(parents, weights, strict=True):
        if weight is None or blocks[weight].shape is not None:
            continue
        if any(blocks[b].size.text != "1" for b in (index[name], parent)):
            raise GraphValidationError(
                f"the weight input {quote(blocks[weight].name)} of {quote(name)} is a single "
                f"node, but {quote(name)} or {quote(blocks[parent].name)} is not",
                path=path,
                line=blocks[weight].line or line,
                fix=f"declare it as a matrix, {blocks[weight].name}: [size({name}), "
                f"size({blocks[parent].name})]",
            )
    if any(w is not None for w in weights) or bias is not None:
        for block in (index[name], *parents):
            if blocks[block].rank != 1:
                raise GraphValidationError(
                    f"g of {quote(name)}: with its parameters as inputs, a layer op maps "
                    f"vectors, but {quote(blocks[block].name)} has shape "
                    f"{blocks[block].shape_text}",
                    path=path,
                    line=line,
                    fix="declare it as a vector (x: n), or give the weights under params:",
                )
    return tuple(weights), bias


def _bound(
    wanted: str,
    rank: int,
    name: str,
    blocks: Sequence[Block],
    index: Mapping[str, int],
    declared: Mapping[str, Any],
    path: str | None,
    line: int | None,
) -> int | None:
    block = index.get(wanted)
    if block is None:
        return None
    what = "weight" if rank == 2 else "bias"
    if blocks[block].role != INPUT:
        raise GraphValidationError(
            f"block {quote(wanted)} has the name of the {what} of {quote(name)} but is not an "
            "input",
            path=path,
            line=blocks[block].line or line,
            fix=f"declare {wanted} under V to differentiate with respect to it, or rename it",
        )
    if wanted in declared:
        raise GraphValidationError(
            f"the {what} {quote(wanted)} of {quote(name)} is both an input and under params:",
            path=path,
            line=blocks[block].line or line,
            fix="keep one: an input is differentiated, a parameter is a constant",
        )
    if rank == 2 and blocks[block].shape is None and blocks[block].size.text == "1":
        return block  # a single node: the weight of single nodes (checked by bind_inputs)
    if blocks[block].rank != rank:
        shape = f"[size({name}), size(parent)]" if rank == 2 else f"a vector of size({name})"
        raise GraphValidationError(
            f"the {what} input {quote(wanted)} of {quote(name)} has shape "
            f"{blocks[block].shape_text}, expected {shape}",
            path=path,
            line=blocks[block].line or line,
            fix=f"e.g. {wanted}: [m, n] for {name}: affine(x) with x: n, {name}: m"
            if rank == 2
            else f"e.g. {wanted}: m for {name}: m",
        )
    return block
