"""One rule per jaxpr primitive: the index signature of each operand's edge.

A rule takes an equation's structural parameters, its operand shapes and its result shape and
returns one :class:`OperandEdge` per operand: the :class:`~graphcost.graph.signature.Pattern`
of that operand's Jacobian block, or ``None`` where the operand has no edge (a predicate, a
zero-derivative primitive). :data:`RULES` is a plain dict from primitive name to rule, as
``jax.interpreters.ad.primitive_jvps`` is: the walker looks a primitive up and never grows an
if-chain; a primitive missing from it is an error that names it (never a silent ``full``).

``slice``, ``concatenate`` and ``pad`` have shifted signatures
(:class:`~graphcost.graph.signature.Shifted`, ``a+2->a``): exact at node level, a superset at
block level (whose counts say they are approximate). Where no signature can say the exact
structure (a ``reshape`` that merges or splits dimensions, interior padding, a concatenation
along a symbolic dimension), the rule returns ``full`` with a note, an over-approximation
(more dependencies than the real Jacobian, so counts are upper bounds even at node level)
that the importer lists in the graph's ``upper_bounds``.

Examples
--------
>>> [str(e.pattern) for e in edges_of("dot_general",
...     {"dimension_numbers": [[[1], [0]], [[], []]]}, [[3, 4], [4]], [3])]
['ab->a', 'b->a']
>>> [str(e.pattern) for e in edges_of("mul", {}, [[2, 3], []], [2, 3])]
['ab->ab', '->ab']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphcost.errors import GraphValidationError
from graphcost.graph.signature import Pattern, Shifted

Shape = Sequence[int]


@dataclass(frozen=True)
class OperandEdge:
    """The edge from one operand to the equation's result: its pattern (``None``: no edge) and,
    when the pattern is an over-approximation, a note saying why."""

    pattern: Pattern | Shifted | None
    note: str | None = None


Rule = Callable[[Mapping[str, Any], Sequence[Shape], Shape], list[OperandEdge]]

_LETTERS = "abcdefghijklmnopqrstuvwxyz"


class _Letters:
    """Fresh letters: the result's dimensions take the first ones, others follow."""

    def __init__(self, start: int = 0) -> None:
        self.next = start

    def take(self, count: int = 1) -> list[str]:
        out = list(_LETTERS[self.next : self.next + count])
        self.next += count
        return out


def _elementwise_pattern(shape: Shape, out: Shape) -> Pattern:
    """Operand ``shape`` broadcast to ``out`` (numpy rules: rank-0, leading or size-1 dims)."""
    target = _LETTERS[: len(out)]
    fresh = _Letters(len(out))
    offset = len(out) - len(shape)
    source = []
    for d, size in enumerate(shape):
        t = d + offset
        source.append(target[t] if size == out[t] else fresh.take()[0])
    return Pattern(tuple(source), tuple(target))


def elementwise(
    params: Mapping[str, Any], shapes: Sequence[Shape], out: Shape
) -> list[OperandEdge]:
    """Every operand elementwise with the result, broadcast dimensions target-only."""
    return [OperandEdge(_elementwise_pattern(s, out)) for s in shapes]


def no_edges(params: Mapping[str, Any], shapes: Sequence[Shape], out: Shape) -> list[OperandEdge]:
    """A zero-derivative primitive (comparison, floor, sign, stop_gradient): no edges."""
    return [OperandEdge(None) for _ in shapes]


def select_n(params: Mapping[str, Any], shapes: Sequence[Shape], out: Shape) -> list[OperandEdge]:
    """``select_n(pred, *cases)``: the predicate has no edge, each case is elementwise."""
    return [OperandEdge(None), *elementwise(params, shapes[1:], out)]


def dot_general(
    params: Mapping[str, Any], shapes: Sequence[Shape], out: Shape
) -> list[OperandEdge]:
    """From the dimension numbers: batch dims paired, contracting dims source-only, the free
    dims of the operand paired with theirs in the result, the other operand's free dims
    target-only. The result's dims are (batch, lhs free, rhs free)."""
    (contract_l, contract_r), (batch_l, batch_r) = params["dimension_numbers"]
    target = tuple(_LETTERS[: len(out)])
    nbatch = len(batch_l)
    free_l = [d for d in range(len(shapes[0])) if d not in contract_l and d not in batch_l]
    free_r = [d for d in range(len(shapes[1])) if d not in contract_r and d not in batch_r]
    edges = []
    for shape, batch, free, first_free in (
        (shapes[0], batch_l, free_l, nbatch),
        (shapes[1], batch_r, free_r, nbatch + len(free_l)),
    ):
        fresh = _Letters(len(out))
        source = []
        for d in range(len(shape)):
            if d in batch:
                source.append(target[list(batch).index(d)])
            elif d in free:
                source.append(target[first_free + free.index(d)])
            else:
                source.append(fresh.take()[0])
        edges.append(OperandEdge(Pattern(tuple(source), target)))
    return edges


def reduction(params: Mapping[str, Any], shapes: Sequence[Shape], out: Shape) -> list[OperandEdge]:
    """``reduce_*`` over ``axes``: the reduced dims source-only, the others paired in order."""
    axes = set(params["axes"])
    target = _LETTERS[: len(out)]
    fresh = _Letters(len(out))
    kept = iter(target)
    source = [fresh.take()[0] if d in axes else next(kept) for d in range(len(shapes[0]))]
    return [OperandEdge(Pattern(tuple(source), tuple(target)))]


def broadcast_in_dim(
    params: Mapping[str, Any], shapes: Sequence[Shape], out: Shape
) -> list[OperandEdge]:
    """Operand dim i goes to result dim ``broadcast_dimensions[i]`` (paired unless it is a
    size-1 dim stretched); the other result dims are broadcast (target-only)."""
    dims = params["broadcast_dimensions"]
    target = _LETTERS[: len(out)]
    fresh = _Letters(len(out))
    source = [
        target[t] if size == out[t] else fresh.take()[0]
        for size, t in zip(shapes[0], dims, strict=True)
    ]
    return [OperandEdge(Pattern(tuple(source), tuple(target)))] + [
        OperandEdge(None)
        for _ in shapes[1:]  # dynamic shape operands
    ]


def transpose(params: Mapping[str, Any], shapes: Sequence[Shape], out: Shape) -> list[OperandEdge]:
    """Result dim j is operand dim ``permutation[j]``."""
    source = _LETTERS[: len(shapes[0])]
    return [OperandEdge(Pattern(tuple(source), tuple(source[p] for p in params["permutation"])))]


def _squeeze_pattern(shape: Shape, out: Shape) -> Pattern | None:
    """The pattern of a reshape that only inserts or removes size-1 dims, else ``None``."""
    if [s for s in shape if s != 1] != [s for s in out if s != 1]:
        return None
    target = list(_LETTERS[: len(out)])
    fresh = _Letters(len(out))
    big = iter(t for t, s in zip(target, out, strict=True) if s != 1)
    source = [next(big) if s != 1 else fresh.take()[0] for s in shape]
    return Pattern(tuple(source), tuple(target))


def reshape(params: Mapping[str, Any], shapes: Sequence[Shape], out: Shape) -> list[OperandEdge]:
    """Exact when only size-1 dims come or go; a merge or split of dims has no signature (it
    pairs one index with a pair of indices), so it is written ``full`` and flagged."""
    if params.get("dimensions") is None:
        pattern = _squeeze_pattern(shapes[0], out)
        if pattern is not None:
            return [OperandEdge(pattern)]
    note = f"reshape {list(shapes[0])} -> {list(out)} held as full (merged/split dims)"
    return [OperandEdge(Pattern.full(len(shapes[0]), len(out)), note)]


def squeeze(params: Mapping[str, Any], shapes: Sequence[Shape], out: Shape) -> list[OperandEdge]:
    """Removes size-1 dims: the remaining ones paired in order."""
    pattern = _squeeze_pattern(shapes[0], out)
    assert pattern is not None
    return [OperandEdge(pattern)]


def slice_rule(params: Mapping[str, Any], shapes: Sequence[Shape], out: Shape) -> list[OperandEdge]:
    """Result entry t along dim d is operand entry ``start + stride·t``: a :class:`Shifted`
    letter where a dim is cut (exact at node level; block level holds its superset)."""
    start = params["start_indices"]
    strides = params.get("strides") or (1,) * len(start)
    letters = tuple(_LETTERS[: len(out)])
    moves = tuple(
        None if (b, k) == (0, 1) and size == t else (int(k), int(b))
        for b, k, size, t in zip(start, strides, shapes[0], out, strict=True)
    )
    return [OperandEdge(shifted(letters, letters, moves))]


def rev(params: Mapping[str, Any], shapes: Sequence[Shape], out: Shape) -> list[OperandEdge]:
    """Reversed ``dimensions``: result entry t is operand entry ``size − 1 − t`` there (a
    stride −1; with a symbolic size the edge is held ``full``, flagged)."""
    dims = set(params["dimensions"])
    if not all(isinstance(shapes[0][d], int) for d in dims):
        note = "rev along a symbolic dimension held as full"
        return [OperandEdge(Pattern.full(len(shapes[0]), len(out)), note)]
    letters = tuple(_LETTERS[: len(out)])
    moves = tuple((-1, shapes[0][d] - 1) if d in dims else None for d in range(len(out)))
    return [OperandEdge(shifted(letters, letters, moves))]


def shifted(source: tuple[str, ...], target: tuple[str, ...], moves: tuple) -> Pattern | Shifted:
    """``Pattern(source, target)`` with ``moves`` (a plain pattern when none shifts)."""
    pattern = Pattern(source, target)
    return pattern if all(m is None for m in moves) else Shifted(pattern, moves)


def concatenate(
    params: Mapping[str, Any], shapes: Sequence[Shape], out: Shape
) -> list[OperandEdge]:
    """Operand i fills the result from offset ``o_i`` along ``dimension``: result entry t is
    its entry ``t − o_i`` (a :class:`Shifted` letter); with symbolic sizes along the axis the
    offsets are not numbers and every operand is held ``full`` (flagged)."""
    axis = params["dimension"]
    if not all(isinstance(s[axis], int) for s in shapes):
        note = "concatenate along a symbolic dimension held as full"
        return [OperandEdge(Pattern.full(len(s), len(out)), note) for s in shapes]
    letters = tuple(_LETTERS[: len(out)])
    edges, offset = [], 0
    for shape in shapes:
        moves = tuple(
            (1, -offset) if d == axis and (offset or shape[d] != out[d]) else None
            for d in range(len(out))
        )
        edges.append(OperandEdge(shifted(letters, letters, moves)))
        offset += shape[axis]
    return edges


def pad(params: Mapping[str, Any], shapes: Sequence[Shape], out: Shape) -> list[OperandEdge]:
    """Result entry t along dim d is operand entry ``t − low`` (negative ``low`` crops); the
    padding value feeds every result entry (a superset: only the padded ones). Interior
    padding has no shifted signature (its inverse is a stride): held ``full``, flagged."""
    config = params["padding_config"]
    value = OperandEdge(_elementwise_pattern(shapes[1], out)) if len(shapes) > 1 else None
    rest = [value] if value is not None else []
    if any(interior for _, _, interior in config):
        note = "pad with interior padding held as full"
        return [OperandEdge(Pattern.full(len(shapes[0]), len(out)), note), *rest]
    letters = tuple(_LETTERS[: len(out)])
    moves = tuple(
        None if low == 0 and size == t else (1, -int(low))
        for (low, _, _), size, t in zip(config, shapes[0], out, strict=True)
    )
    return [OperandEdge(shifted(letters, letters, moves)), *rest]


_UNARY = [
    "neg",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "sinh",
    "cosh",
    "tanh",
    "asinh",
    "acosh",
    "atanh",
    "exp",
    "exp2",
    "log",
    "log1p",
    "expm1",
    "sqrt",
    "rsqrt",
    "cbrt",
    "logistic",
    "erf",
    "erfc",
    "erf_inv",
    "abs",
    "integer_pow",
    "square",
    "convert_element_type",
    "copy",
    "copy_p",
    "reduce_precision",
    "real",
    "imag",
    "conj",
    "lgamma",
    "digamma",
]
_BINARY = ["add", "sub", "mul", "div", "pow", "atan2", "max", "min", "rem", "nextafter", "add_any"]
_ZERO = [
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "floor",
    "ceil",
    "round",
    "sign",
    "stop_gradient",
    "is_finite",
    "and",
    "or",
    "not",
    "xor",
    "argmax",
    "argmin",
    "iota",
    "shift_left",
    "shift_right_logical",
    "shift_right_arithmetic",
    "population_count",
]

#: Primitive name → rule. Extend it (one entry per primitive) rather than the walker.
RULES: dict[str, Rule] = {
    **dict.fromkeys(_UNARY + _BINARY + ["clamp"], elementwise),
    **dict.fromkeys(_ZERO, no_edges),
    "select_n": select_n,
    "dot_general": dot_general,
    **{f"reduce_{op}": reduction for op in ("sum", "max", "min", "prod")},
    "broadcast_in_dim": broadcast_in_dim,
    "transpose": transpose,
    "reshape": reshape,
    "squeeze": squeeze,
    "slice": slice_rule,
    "concatenate": concatenate,
    "pad": pad,
    "rev": rev,
}


def edges_of(
    primitive: str,
    params: Mapping[str, Any],
    shapes: Sequence[Shape],
    out: Shape,
    rules: Mapping[str, Rule] | None = None,
) -> list[OperandEdge]:
    """The edge of each operand of one equation (see the module docstring).

    ``rules`` is the front end's table (default :data:`RULES`, jaxpr primitives).

    Raises
    ------
    GraphValidationError
        When ``primitive`` has no rule.
    """
    rule = (RULES if rules is None else rules).get(primitive)
    if rule is None:
        raise GraphValidationError(
            f"primitive {primitive!r} is not supported by the importer",
            fix="supported primitives are listed in the README's 'Importing programs'; "
            "a program using another one cannot be imported yet",
        )
    return rule(params, shapes, out)
