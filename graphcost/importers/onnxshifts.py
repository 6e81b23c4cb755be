"""ONNX ``Concat``, ``Slice`` and ``Pad``: shifted signatures from attributes and constant
operands (:class:`~graphcost.graph.signature.Shifted`, exact at node level).

``Slice`` takes ``starts``/``ends``/``axes``/``steps`` as constant operands (attributes before
opset 10) with ONNX's index rules: a negative start counts from the end, starts are clamped to
the dimension. ``Pad`` (mode ``constant``) shifts every dimension by its begin padding (a
negative one crops). A value computed at run time, a symbolic dimension with a negative
start, or another padding mode leaves the edge ``full`` with a note (an upper bound).

Examples
--------
>>> [str(e.pattern) for e in concat({"axis": 0}, [[2, 3], [4, 3]], [6, 3])]
['a+0b->ab', 'a-2b->ab']
>>> str(slice_({"input_values": [None, [1], [9], [1], [2]]}, [[4, 5], [1], [1], [1], [1]],
...            [4, 2])[0].pattern)
'ab*2+1->ab'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphcost.graph.signature import Pattern
from graphcost.importers import rules
from graphcost.importers.rules import OperandEdge, Shape


def _full(shapes: Sequence[Shape], out: Shape, note: str) -> list[OperandEdge]:
    edge = OperandEdge(Pattern.full(len(shapes[0]), len(out)), note)
    return [edge] + [OperandEdge(None) for _ in shapes[1:]]


def concat(params: Mapping[str, Any], shapes: Sequence[Shape], out: Shape) -> list[OperandEdge]:
    """``Concat`` along ``axis`` (negative counts from the end) as the jaxpr ``concatenate``."""
    axis = int(params["axis"]) % len(out)
    edges = rules.concatenate({"dimension": axis}, shapes, out)
    return [
        OperandEdge(e.pattern, e.note and e.note.replace("concatenate", "Concat")) for e in edges
    ]


def slice_(params: Mapping[str, Any], shapes: Sequence[Shape], out: Shape) -> list[OperandEdge]:
    """``Slice``: per sliced axis, result entry t is data entry ``start + step·t``."""
    rank = len(shapes[0])
    values = list(params.get("input_values") or [])
    if params.get("opset", 13) < 10 or len(shapes) == 1:
        starts, axes, steps = params.get("starts"), params.get("axes"), None
    else:
        values += [None] * (5 - len(values))
        starts, axes, steps = values[1], values[3], values[4]
        if (len(shapes) > 3 and axes is None) or (len(shapes) > 4 and steps is None):
            return _full(shapes, out, "Slice with run-time axes or steps held as full")
    if starts is None:
        return _full(shapes, out, "Slice with run-time starts held as full")
    axes = list(range(len(starts))) if axes is None else [int(a) % rank for a in axes]
    steps = [1] * len(starts) if steps is None else [int(k) for k in steps]
    moves: list[tuple[int, int] | None] = [None] * rank
    for axis, start, step in zip(axes, starts, steps, strict=True):
        size = shapes[0][axis]
        start = int(start)
        if start < 0 and not isinstance(size, int):
            return _full(shapes, out, "Slice from the end of a symbolic dimension held as full")
        if isinstance(size, int):
            start = start + size if start < 0 else start
            start = min(max(start, 0), size if step > 0 else size - 1)
        if (start, step) != (0, 1) or size != out[axis]:
            moves[axis] = (step, start)
    letters = tuple(rules._LETTERS[:rank])
    rest = [OperandEdge(None) for _ in shapes[1:]]
    return [OperandEdge(rules.shifted(letters, letters, tuple(moves))), *rest]


def pad(params: Mapping[str, Any], shapes: Sequence[Shape], out: Shape) -> list[OperandEdge]:
    """``Pad`` (mode ``constant``): result entry t along a dim is data entry ``t − begin``; the
    constant value (a third operand) feeds every result entry (a superset)."""
    rank = len(shapes[0])
    mode = params.get("mode", "constant")
    if mode != "constant":
        return _full(shapes, out, f"Pad in mode {mode!r} held as full")
    values = list(params.get("input_values") or []) + [None] * 4
    pads = params.get("pads") if params.get("opset", 13) < 11 else values[1]
    axes = values[3] if len(shapes) > 3 else None
    if pads is None or (len(shapes) > 3 and axes is None):
        return _full(shapes, out, "Pad with run-time pads held as full")
    axes = list(range(rank)) if axes is None else [int(a) % rank for a in axes]
    begins = dict(zip(axes, [int(p) for p in pads[: len(axes)]], strict=True))
    moves = tuple(
        (1, -begins[d]) if begins.get(d, 0) or shapes[0][d] != out[d] else None for d in range(rank)
    )
    letters = tuple(rules._LETTERS[:rank])
    edges = [OperandEdge(rules.shifted(letters, letters, moves))]
    for index, shape in enumerate(shapes[1:], start=1):
        edges.append(OperandEdge(rules._elementwise_pattern(shape, out) if index == 2 else None))
    return edges
