"""One rule per ONNX operator: the index signature of each operand's edge.

The ONNX front end (:mod:`graphcost.importers.onnxmodel`) turns every node into an equation
record and hands :data:`ONNX_RULES` to the equation walker, which looks an ``op_type`` up here
as it looks a jaxpr primitive up in :data:`graphcost.importers.rules.RULES`. The rules call
the jaxpr rules' pattern helpers (numpy broadcasting, ``dot_general``, reductions,
``transpose``, ``reshape``); what ONNX adds is read from the node's attributes:

- ``MatMul``: numpy ``matmul`` (a 1-D operand is a row or column vector whose dimension is
  dropped from the result; batch dimensions broadcast);
- ``Gemm``: a ``dot_general`` from ``transA``/``transB``, ``C`` broadcast to the result;
- ``Softmax``/``LogSoftmax``: every output entry along ``axis`` depends on every input entry
  along it (opset < 13: along every dimension from ``axis`` on, the operator's 2-D view);
- reductions with ``axes`` as an attribute or a constant input, and ``keepdims``;
- ``Reshape``/``Flatten``/``Squeeze``/``Unsqueeze``: exact when only size-1 dimensions come or
  go, else ``full`` with a note; ``Concat``/``Slice``/``Pad``: shifted signatures
  (:mod:`graphcost.importers.onnxshifts`), exact at node level.

Besides the attributes, ``params`` carries ``opset`` (the model's default-domain version),
``node`` (how messages name the node) and ``input_values`` (the value of each constant
operand, a list, or ``None``).

Examples
--------
>>> [str(e.pattern) for e in ONNX_RULES["Gemm"]({"transB": 1}, [[1, 4], [8, 4], [8]], [1, 8])]
['ac->ab', 'bc->ab', 'b->ab']
>>> [str(e.pattern) for e in ONNX_RULES["MatMul"]({}, [[5, 2, 3], [3]], [5, 2])]
['abc->ab', 'c->ab']
>>> str(ONNX_RULES["Softmax"]({"opset": 17, "axis": -1}, [[2, 3]], [2, 3])[0].pattern)
'ac->ab'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphcost.errors import GraphValidationError
from graphcost.graph.signature import Pattern
from graphcost.importers import onnxshifts, rules
from graphcost.importers.rules import OperandEdge, Rule, Shape


def _lettered(source: Sequence[str], target: Sequence[str]) -> Pattern:
    """A pattern from tokens (any strings), lettered ``a, b, …`` as the jaxpr rules letter
    theirs: the result's dimensions first, in order, then the source-only ones."""
    letters: dict[str, str] = {}
    for token in (*target, *source):
        letters.setdefault(token, chr(ord("a") + len(letters)))
    return Pattern(tuple(letters[t] for t in source), tuple(letters[t] for t in target))


def _none(count: int) -> list[OperandEdge]:
    return [OperandEdge(None) for _ in range(count)]


def matmul(params: Mapping[str, Any], shapes: Sequence[Shape], out: Shape) -> list[OperandEdge]:
    """numpy ``matmul``: the batch dims broadcast elementwise (:func:`rules.elementwise`), the
    row dim of A and the column dim of B paired with theirs in the result, the contracted dim
    source-only. A 1-D A has no row dim in the result, a 1-D B no column dim."""
    a, b = list(shapes[0]), list(shapes[1])
    rows, cols = len(a) >= 2, len(b) >= 2
    batch_out = list(out[: len(out) - rows - cols])
    edges = []
    for shape, matrix in ((a, ["N", "K"]), (b, ["K", "M"])):
        batch = shape[:-2] if len(shape) >= 2 else []
        pattern = rules.elementwise({}, [batch], batch_out)[0].pattern
        assert pattern is not None
        target = [*pattern.target, *(["N"] if rows else []), *(["M"] if cols else [])]
        source = [*pattern.source, *(matrix if len(shape) >= 2 else ["K"])]
        edges.append(OperandEdge(_lettered(source, target)))
    return edges


def gemm(params: Mapping[str, Any], shapes: Sequence[Shape], out: Shape) -> list[OperandEdge]:
    """``Y = alpha·A'·B' + beta·C``: a ``dot_general`` contracting A's column (row when
    ``transA``) with B's row (column when ``transB``); C elementwise, broadcast to Y."""
    contract = [[1 if not params.get("transA") else 0], [1 if params.get("transB") else 0]]
    product = rules.dot_general({"dimension_numbers": [contract, [[], []]]}, shapes[:2], out)
    return product + rules.elementwise(params, shapes[2:], out)


def softmax(params: Mapping[str, Any], shapes: Sequence[Shape], out: Shape) -> list[OperandEdge]:
    """Output entries along ``axis`` depend on every input entry along it (opset < 13: along
    every dimension from ``axis`` on), the other dimensions paired."""
    rank = len(out)
    modern = params.get("opset", 13) >= 13
    axis = params.get("axis", -1 if modern else 1) % max(rank, 1)
    coupled = {axis} if modern else set(range(axis, rank))
    source = [f"s{d}" if d in coupled else f"p{d}" for d in range(rank)]
    target = [f"t{d}" if d in coupled else f"p{d}" for d in range(rank)]
    return [OperandEdge(_lettered(source, target))]


def transpose(params: Mapping[str, Any], shapes: Sequence[Shape], out: Shape) -> list[OperandEdge]:
    """``perm`` (default: the dimensions reversed) as :func:`rules.transpose`'s permutation."""
    perm = params.get("perm") or list(reversed(range(len(shapes[0]))))
    return rules.transpose({"permutation": perm}, shapes, out)


def _reshaping(op: str) -> Rule:
    """The data operand as :func:`rules.reshape` (exact for size-1 dims coming or going, else
    ``full`` with a note naming ``op``); other operands (a shape, axes) have no edge."""

    def rule(params: Mapping[str, Any], shapes: Sequence[Shape], out: Shape) -> list[OperandEdge]:
        (edge,) = rules.reshape({"dimensions": None}, shapes[:1], out)
        note = edge.note and edge.note.replace("reshape", op, 1)
        return [OperandEdge(edge.pattern, note), *_none(len(shapes) - 1)]

    rule.__doc__ = f"``{op}``: the data operand as a reshape, other operands without an edge."
    return rule


def reduce(params: Mapping[str, Any], shapes: Sequence[Shape], out: Shape) -> list[OperandEdge]:
    """``Reduce*`` over ``axes`` (attribute, or constant second operand; none: every dim
    unless ``noop_with_empty_axes``) as :func:`rules.reduction`; with ``keepdims`` (default)
    each reduced dim stays as a size-1 target-only dim."""
    rank = len(shapes[0])
    axes = params.get("axes")
    if axes is None and len(shapes) > 1:
        axes = params["input_values"][1]
        if axes is None:
            raise GraphValidationError(
                f"{params.get('node', 'a reduction')} takes its axes from a value computed at "
                "run time",
                fix="give the axes as a constant (an initializer or a Constant node)",
            )
    rest = _none(len(shapes) - 1)
    if not axes:
        if params.get("noop_with_empty_axes"):
            return rules.elementwise(params, shapes[:1], out) + rest
        axes = range(rank)
    reduced = sorted({int(a) % rank for a in axes})
    squeezed = [size for d, size in enumerate(shapes[0]) if d not in reduced]
    (edge,) = rules.reduction({"axes": reduced}, shapes[:1], squeezed)
    assert edge.pattern is not None
    if params.get("keepdims", 1):
        kept = iter(edge.pattern.target)
        target = [f"k{d}" if d in reduced else next(kept) for d in range(rank)]
        return [OperandEdge(_lettered(edge.pattern.source, target)), *rest]
    return [edge, *rest]


def _first_only(rule: Rule) -> Rule:
    """``rule`` on the first operand; the others (a shape, constant bounds) have no edge."""

    def first(params: Mapping[str, Any], shapes: Sequence[Shape], out: Shape) -> list[OperandEdge]:
        return rule(params, shapes[:1], out) + _none(len(shapes) - 1)

    first.__doc__ = f"The first operand as ``{rule.__name__}``, the others without an edge."
    return first


#: Operators computed entry by entry (numpy broadcasting between operands).
ELEMENTWISE = [
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Pow",
    "Max",
    "Min",
    "Sum",
    "Mean",
    "Neg",
    "Abs",
    "Sqrt",
    "Reciprocal",
    "Exp",
    "Log",
    "Tanh",
    "Sigmoid",
    "Relu",
    "LeakyRelu",
    "Elu",
    "Selu",
    "Celu",
    "Gelu",
    "Softplus",
    "Softsign",
    "HardSigmoid",
    "Erf",
    "Sin",
    "Cos",
    "Tan",
    "Asin",
    "Acos",
    "Atan",
    "Sinh",
    "Cosh",
    "Asinh",
    "Acosh",
    "Atanh",
    "Identity",
    "Cast",
    "Clip",
    "Dropout",
]
#: Operators whose derivative is zero (or whose result is an integer or boolean).
ZERO_DERIVATIVE = [
    "Shape",
    "Size",
    "Equal",
    "Less",
    "LessOrEqual",
    "Greater",
    "GreaterOrEqual",
    "Not",
    "And",
    "Or",
    "Xor",
    "Floor",
    "Ceil",
    "Round",
    "Sign",
    "IsNaN",
    "IsInf",
    "ArgMax",
    "ArgMin",
    "Hardmax",
    "Constant",
    "ConstantOfShape",
]
REDUCTIONS = [
    "ReduceSum",
    "ReduceMean",
    "ReduceMax",
    "ReduceMin",
    "ReduceProd",
    "ReduceL1",
    "ReduceL2",
    "ReduceLogSumExp",
    "ReduceSumSquare",
]

#: ONNX ``op_type`` (default domain) → rule. Extend it, one entry per operator.
ONNX_RULES: dict[str, Rule] = {
    **dict.fromkeys(ELEMENTWISE, rules.elementwise),
    **dict.fromkeys(ZERO_DERIVATIVE, rules.no_edges),
    **dict.fromkeys(REDUCTIONS, reduce),
    "Where": rules.select_n,
    "Expand": _first_only(rules.elementwise),
    "MatMul": matmul,
    "Gemm": gemm,
    "Softmax": softmax,
    "LogSoftmax": softmax,
    "Transpose": transpose,
    **{op: _reshaping(op) for op in ("Reshape", "Flatten", "Squeeze", "Unsqueeze")},
    "Concat": onnxshifts.concat,
    "Slice": onnxshifts.slice_,
    "Pad": onnxshifts.pad,
}
