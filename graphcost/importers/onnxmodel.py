"""An ONNX model → a graph dict, through the equation walker with the ONNX operator rules.

:func:`graph_from_onnx` reads a model (a file, read by :func:`graphcost.files.open_regular`,
or a ``ModelProto``), infers every value's shape with ``onnx.shape_inference`` (strict mode,
with data propagation), turns each node into an equation record of the form the trace file's
records have and hands them to :func:`graphcost.importers.trace.graph_from_trace` with
:data:`graphcost.importers.onnxrules.ONNX_RULES`.

- **Inputs.** ``wrt="inputs"``: the float graph inputs that are not initializers; every
  initializer is a constant. ``wrt="params"``: the float initializers too (the weights, named
  as in the model). Or a comma-separated list of input and initializer names.
- **Vertices.** One per node whose result is a float value that depends on an input, named
  after that value (sanitised: characters other than letters, digits and ``_.-/`` become
  ``_``; a clash gets a suffix); the description says which node each vertex is. A node on
  constants only (shape arithmetic, a ``Constant``) is folded away whatever its operator.
- **Shapes.** A named symbolic dimension (``dim_param: N``) becomes a size symbol of the graph
  with default 1 (``--set N=32`` to count another size); a dimension shape inference cannot
  tell is an error naming the node and the value.
- **External data.** Never read: only the shapes of tensors are needed, and those are in the
  model. A model whose weights lie in external files (anywhere) imports without opening them;
  a constant the importer needs the values of (a reduction's axes) must be stored inline.

Examples
--------
>>> from onnx import TensorProto, helper
>>> x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [3])
>>> y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [])
>>> nodes = [helper.make_node("Tanh", ["x"], ["t"]), helper.make_node("ReduceSum", ["t"],
...     ["y"], keepdims=0)]
>>> model = helper.make_model(helper.make_graph(nodes, "f", [x], [y]))
>>> d = graph_from_onnx(model)
>>> d["V"], d["D"], d["D'"], d["E"]
({'x': [3]}, {'t': [3]}, {'y': []}, [['x', 't', 'a->a'], ['t', 'y', 'a->']])
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from graphcost.errors import GraphFileError, GraphValidationError, UsageError
from graphcost.files import open_regular, shown_path
from graphcost.importers.onnxrecord import Translation, check_structure, dtype_name, is_float
from graphcost.importers.onnxrules import ONNX_RULES
from graphcost.importers.trace import graph_from_trace

#: The largest model file read: protobuf cannot parse a message of 2 GiB or more, and models
#: beyond it keep their weights in external data, which the importer does not need.
MAX_ONNX_FILE_BYTES = (2 << 30) - 1


def graph_from_onnx(
    source: Any, *, wrt: str | Iterable[str] = "inputs", name: str | None = None
) -> dict[str, Any]:
    """The graph dict of an ONNX model (see the module docstring).

    Parameters
    ----------
    source
        A path to a ``.onnx`` file (``str`` or path-like) or an ``onnx.ModelProto``.
    wrt
        ``"inputs"`` (default), ``"params"`` (inputs and float initializers), or names of
        inputs and initializers (a comma-separated string or a list).
    name
        The graph's name (default: the file's stem, or the model graph's name).

    Returns
    -------
    dict
        Sections ``name``, ``description``, ``symbols`` (when a dimension is symbolic), ``V``,
        ``D``, ``D'``, ``E``, ready for :func:`graphcost.graph.loader.graph_from_dict`.

    Raises
    ------
    GraphFileError
        The file is missing, not a regular file, too large, or not an ONNX model.
    GraphValidationError
        An unsupported operator, a shape that cannot be inferred, a malformed graph.
    UsageError
        onnx is not installed, or ``wrt`` names no input or initializer of the model.
    """
    onnx = _onnx()
    model, where = _model(onnx, source)
    check_structure(onnx, model, where)
    inferred = _infer(onnx, model, where)
    in_memory = isinstance(source, onnx.ModelProto)
    translation = Translation(onnx, inferred, where, "an onnx.ModelProto" if in_memory else None)
    chosen = translation.chosen(_wrt_names(wrt))
    record = translation.record(chosen)
    default = Path(source).stem if isinstance(source, str | os.PathLike) else None
    record["name"] = name or default or inferred.graph.name or "onnx"
    data = graph_from_trace(record, rules=ONNX_RULES)
    if not data["D'"]:
        raise GraphValidationError(
            f"no output of the model depends on {', '.join(chosen) or 'any input'}",
            path=where,
            fix="choose other inputs to differentiate with respect to (wrt; 'params' adds the "
            "weights)",
        )
    return translation.finish(data)


def _onnx() -> Any:
    try:
        import onnx
        import onnx.shape_inference
    except ImportError:
        raise UsageError(
            "importing an ONNX model needs the onnx package, which is not installed",
            fix="pip install '.[onnx]' (from graphcost's folder; or pip install onnx)",
        ) from None
    return onnx


def _model(onnx: Any, source: Any) -> tuple[Any, str]:
    """The ``ModelProto`` and how messages name it."""
    if isinstance(source, onnx.ModelProto):
        return source, f"ONNX model {source.graph.name or '(unnamed)'!r}"
    if not isinstance(source, str | os.PathLike):
        raise UsageError(
            f"cannot import an ONNX model from a {type(source).__name__}",
            fix="give a path to a .onnx file or an onnx.ModelProto",
        )
    where = shown_path(source)
    data = _read(source, where)
    from google.protobuf.message import DecodeError

    try:
        model = onnx.load_model_from_string(data)
    except (DecodeError, ValueError, RuntimeError):
        model = None
    if model is None or not model.HasField("graph") or not model.graph.output:
        raise GraphFileError(
            "is not an ONNX model (not a serialised ModelProto with a graph and outputs)",
            path=where,
            fix="give a .onnx file saved by onnx.save_model or an exporter (torch.onnx.export)",
        )
    return model, where


def _read(path: str | os.PathLike[str], where: str) -> bytes:
    with open_regular(
        path,
        what="model file",
        shown=where,
        limit_bytes=MAX_ONNX_FILE_BYTES,
        too_large_fix="save the model with its weights as external data "
        "(onnx.save_model(..., save_as_external_data=True)): only shapes are read",
        missing="ONNX model not found",
        missing_fix="check the path",
    ) as file:
        try:
            # What fstat saw plus one byte (a read of the whole limit would allocate it all
            # up front); a byte more tells a file that grew after fstat.
            expected = min(os.fstat(file.fileno()).st_size, MAX_ONNX_FILE_BYTES)
            data = file.read(expected + 1)
        except OSError as failure:
            raise GraphFileError(
                f"cannot read the ONNX model: {failure.strerror or type(failure).__name__}",
                path=where,
            ) from None
    if len(data) > expected:
        raise GraphFileError(
            "the ONNX model changed while it was read", path=where, fix="read it again"
        )
    return data


def _infer(onnx: Any, model: Any, where: str) -> Any:
    """The model with every value's type and shape inferred (strict: a conflict is an error).

    Float initializers are copied without their data first: shape inference needs their
    shapes only, and a model of weights would otherwise be copied whole (and external data
    is never looked at)."""
    light = onnx.ModelProto()
    light.CopyFrom(model)
    for tensor in light.graph.initializer:
        if is_float(dtype_name(onnx, tensor.data_type)):
            for field in ("raw_data", "float_data", "double_data", "int32_data"):
                tensor.ClearField(field)
            tensor.ClearField("external_data")
            tensor.data_location = onnx.TensorProto.DEFAULT
    try:
        return onnx.shape_inference.infer_shapes(
            light, check_type=True, strict_mode=True, data_prop=True
        )
    except Exception as failure:  # onnx raises InferenceError, ValidationError, RuntimeError
        first = str(failure).strip().splitlines()[0] if str(failure).strip() else ""
        raise GraphValidationError(
            f"ONNX shape inference failed: {first[:300] or type(failure).__name__}",
            path=where,
            fix="check the model with onnx.checker.check_model and fix what it reports",
        ) from None


def _wrt_names(wrt: str | Iterable[str]) -> list[str]:
    if isinstance(wrt, str):
        return [part.strip() for part in wrt.split(",")] if wrt.strip() else []
    return [str(part) for part in wrt]


def from_onnx(source: Any, *, wrt: str | Iterable[str] = "inputs", name: str | None = None) -> Any:
    """The :class:`~graphcost.graph.model.Graph` of an ONNX model (``graphcost.from_onnx``).

    Parameters are those of :func:`graph_from_onnx`.
    """
    from graphcost.graph.loader import graph_from_dict

    return graph_from_dict(graph_from_onnx(source, wrt=wrt, name=name))
