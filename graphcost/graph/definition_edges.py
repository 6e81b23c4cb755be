"""The edges a ``g:`` section implies (:func:`edges_from_definitions`), and the check that an
``E`` section lists exactly those (:func:`check_edges`).

A layer op's parents are joined by ``full`` edges, an elementwise expression's by ``diag``
edges, a weight input by ``ik->i`` and a bias input by ``diag``
(:mod:`graphcost.graph.weights`); between two single nodes ``full`` and ``diag`` coincide.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from graphcost.errors import GraphValidationError
from graphcost.graph.definitions import Definition
from graphcost.graph.model import Block, Edges
from graphcost.graph.quoting import quote
from graphcost.graph.signature import Pattern


def _is_scalar(block: Block) -> bool:
    return block.size.text == "1"


def _expected_kind(definition: Definition, source: int, kind: str, blocks: Sequence[Block]) -> str:
    """The kind the edge ``source → block`` must have: ``full``, ``diag``, a signature, or
    ``any`` between two single nodes (where ``full`` and ``diag`` coincide)."""
    scalar = _is_scalar(blocks[definition.block]) and _is_scalar(blocks[source])
    if scalar and (kind in ("full", "diag") or blocks[source].shape is None):
        return "any"
    return kind


def _kind_of(diag: bool, pattern: Pattern | None) -> str:
    if pattern is not None and pattern.is_full:
        return "full"
    if pattern is not None and not pattern.is_diag:
        return str(pattern.canonical())
    return "diag" if diag or pattern is not None else "full"


def edges_from_definitions(definitions: Mapping[int, Definition], blocks: Sequence[Block]) -> Edges:
    """The edges the definitions imply: ``full`` into layer ops, ``diag`` into elementwise blocks,
    ``ik->i`` from a weight input and ``diag`` from a bias input (:mod:`graphcost.graph.weights`).

    Between two single nodes the edge is ``full`` (the kinds coincide there).
    """
    src, dst, diag, lines, patterns = [], [], [], [], []
    for block in sorted(definitions):
        definition = definitions[block]
        for source, kind in definition.inputs:
            expected = _expected_kind(definition, source, kind, blocks)
            src.append(source)
            dst.append(block)
            diag.append(expected == "diag")
            lines.append(definition.line or 0)
            patterns.append(Pattern.parse(expected) if "->" in expected else None)
    return Edges(
        np.array(src, dtype=np.int64),
        np.array(dst, dtype=np.int64),
        np.array(diag, dtype=bool),
        np.array(lines, dtype=np.int64),
        tuple(patterns) if any(p is not None for p in patterns) else (),
    )


def check_edges(
    definitions: Mapping[int, Definition],
    edges: Edges,
    blocks: Sequence[Block],
    *,
    path: str | None = None,
) -> None:
    """Require the edges listed under ``E`` to be exactly those the definitions imply.

    Raises
    ------
    GraphValidationError
        Naming the node and the missing or extra parent, or an edge of the wrong kind.
    """
    given = edges.pattern or (None,) * len(edges)
    listed: dict[tuple[int, int], tuple[str, str, int]] = {
        (int(a), int(b)): (
            _kind_of(bool(d), pattern),
            f"'{pattern}'" if pattern is not None else "diag" if d else "full",
            int(line),
        )
        for a, b, d, line, pattern in zip(
            edges.src, edges.dst, edges.diag, edges.line, given, strict=True
        )
    }
    for block in sorted(definitions):
        definition = definitions[block]
        name = blocks[block].name
        for parent, kind in definition.inputs:
            expected = _expected_kind(definition, parent, kind, blocks)
            written = "" if expected in ("full", "any") else f", {expected}"
            if "->" in written:
                written = f", '{expected}'"
            edge = f"[{blocks[parent].name}, {name}"
            if (parent, block) not in listed:
                raise GraphValidationError(
                    f"g of {quote(name)} ({definition.text}) uses {quote(blocks[parent].name)}, "
                    f"but E has no edge {edge}]",
                    path=path,
                    line=definition.line,
                    fix=f"add {edge}{written}] to E, or leave E out to derive it from g",
                )
            is_kind, shown, line = listed[(parent, block)]
            if "->" in expected:
                expected = str(Pattern.parse(expected).canonical())
            if expected != "any" and expected != is_kind:
                want = {"diag": "diag (elementwise)", "full": "full (layer op)"}.get(
                    expected, f"'{kind}' (weight input)"
                )
                raise GraphValidationError(
                    f"edge {edge}] is {shown}, but g of {quote(name)} ({definition.text}) "
                    f"needs a {want} edge",
                    path=path,
                    line=line or definition.line,
                    fix=f"write {edge}{written}], or leave E out to derive it from g",
                )
    for (parent, block), (_, _, line) in listed.items():
        definition = definitions.get(block)
        if definition is not None and parent not in dict(definition.inputs):
            raise GraphValidationError(
                f"E has edge [{blocks[parent].name}, {blocks[block].name}], but g of "
                f"{quote(blocks[block].name)} ({definition.text}) does not use "
                f"{quote(blocks[parent].name)}",
                path=path,
                line=line or definition.line,
                fix="remove the edge, or use the parent in the definition",
            )
