"""ONNX nodes → the equation records of the walker (:mod:`graphcost.importers.trace`).

A :class:`Translation` holds one shape-inferred ``ModelProto``: every value's shape and dtype,
the graph names of its values (:func:`names_for`), the inputs chosen by ``wrt``
(:meth:`Translation.chosen`), the record (:meth:`Translation.record`) and, once the walker
has made the graph dict, what the description adds (:meth:`Translation.finish`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from graphcost.errors import GraphValidationError, UsageError
from graphcost.importers.onnxrules import ONNX_RULES

#: Default size of a symbolic dimension (``dim_param``); ``--set`` gives another.
SYMBOL_DEFAULT = 1

_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-/]")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DTYPES = {"float": "float32", "double": "float64"}
_FLOAT = ("float", "bfloat", "complex")
_DEFAULT_DOMAINS = ("", "ai.onnx")


def dtype_name(onnx: Any, elem_type: int) -> str:
    """An ONNX element type as numpy names it (``float32``, ``int64``, ``bool``)."""
    try:
        text = onnx.TensorProto.DataType.Name(elem_type).lower()
    except ValueError:
        return "unknown"
    return _DTYPES.get(text, text)


def is_float(dtype: str) -> bool:
    """Whether values of ``dtype`` have derivatives (floating point or complex)."""
    return dtype.startswith(_FLOAT)


def node_label(node: Any, index: int) -> str:
    """How messages name a node: its operator and its name (``#k``, 1-based, if unnamed)."""
    return f"{node.op_type} node {node.name or f'#{index}'!r}"


def unsupported(op: str, label: str, where: str) -> GraphValidationError:
    return GraphValidationError(
        f"ONNX operator {op!r} ({label}) is not supported",
        path=where,
        fix="the supported operators are listed in the README's 'Importing an ONNX model'; "
        "a model using another one cannot be imported yet",
    )


def check_structure(onnx: Any, model: Any, where: str) -> None:
    """Refuse what shape inference would report obscurely, naming the node: an operator of
    another domain than ONNX's own, a value read before any node defines it (nodes out of
    topological order), a value defined twice, an output nothing defines, and a non-float
    initializer kept in external data (shape inference may need its values; it is not read).

    Raises
    ------
    GraphValidationError
    """
    graph = model.graph
    defined = {v.name for v in graph.input} | {t.name for t in graph.initializer}
    for tensor in graph.initializer:
        external = tensor.data_location == onnx.TensorProto.EXTERNAL
        if external and not is_float(dtype_name(onnx, tensor.data_type)):
            raise GraphValidationError(
                f"initializer {tensor.name!r} ({dtype_name(onnx, tensor.data_type)}) is stored "
                "as external data, which graphcost does not read",
                path=where,
                fix="keep integer tensors inside the model (onnx.save_model(..., "
                "save_as_external_data=True, size_threshold=...) moves only large ones out)",
            )
    for index, node in enumerate(graph.node, start=1):
        label = node_label(node, index)
        if node.domain not in _DEFAULT_DOMAINS:
            raise unsupported(f"{node.domain}.{node.op_type}", label, where)
        for value in node.input:
            if value and value not in defined:
                raise GraphValidationError(
                    f"{label} reads {value!r}, which no input, initializer or earlier node defines",
                    path=where,
                    fix="list the nodes in topological order (onnx.checker.check_model)",
                )
        for value in node.output:
            if value in defined:
                raise GraphValidationError(
                    f"{label} defines {value!r} a second time",
                    path=where,
                    fix="give every value one producer (onnx.checker.check_model)",
                )
        defined.update(v for v in node.output if v)
    for info in graph.output:
        if info.name not in defined:
            raise GraphValidationError(
                f"output {info.name!r} is defined by no node, input or initializer", path=where
            )


class Translation:
    """One shape-inferred model, read for the walker (see the module docstring).

    Parameters
    ----------
    onnx
        The ``onnx`` module (imported lazily by the caller).
    model
        The ``ModelProto`` after shape inference.
    where
        How messages name the model (its path).
    source
        Where the model came from, for the description (default: ``where``).
    """

    def __init__(self, onnx: Any, model: Any, where: str, source: str | None = None) -> None:
        self.onnx = onnx
        self.source = source or where
        self.model = model
        self.graph = model.graph
        self.where = where
        self.opset = next(
            (o.version for o in model.opset_import if o.domain in _DEFAULT_DOMAINS), 0
        )
        self.initializers = {t.name: t for t in self.graph.initializer}
        self.inputs = [v.name for v in self.graph.input if v.name not in self.initializers]
        self.outputs = [v.name for v in self.graph.output]
        self.types: dict[str, Any] = {}
        for info in (*self.graph.input, *self.graph.value_info, *self.graph.output):
            self.types[info.name] = info.type
        values = [*self.inputs, *self.initializers]
        values += [o for node in self.graph.node for o in node.output if o]
        self.names = names_for(values, self.outputs)
        self.producer: dict[str, str] = {}

    # ---- values ----------------------------------------------------------------------------
    def dtype(self, value: str) -> str:
        """The dtype of a value (``unknown`` when inference did not tell)."""
        if value in self.initializers:
            return dtype_name(self.onnx, self.initializers[value].data_type)
        kind = self.types.get(value)
        if kind is None or kind.WhichOneof("value") != "tensor_type":
            return "unknown"
        return dtype_name(self.onnx, kind.tensor_type.elem_type)

    def shape(self, value: str, node: str) -> list[int | str]:
        """The shape of a value: sizes, and names of symbolic dimensions.

        Raises
        ------
        GraphValidationError
            When shape inference could not tell a dimension (or the rank) of the value.
        """
        if value in self.initializers:
            return [int(d) for d in self.initializers[value].dims]
        kind = self.types.get(value)
        what = f"value {value!r} ({node})"
        fix = (
            "give the model's inputs fixed or named dimensions (dim_param; "
            "onnx.tools.update_model_dims helps) so that shape inference can tell every "
            "value's shape; a shape computed from run-time values cannot be imported"
        )
        if kind is None or kind.WhichOneof("value") != "tensor_type":
            raise self.error(f"{what} is not a tensor of known type", fix=fix)
        if not kind.tensor_type.HasField("shape"):
            raise self.error(f"shape inference could not tell the shape of {what}", fix=fix)
        shape: list[int | str] = []
        for d, dim in enumerate(kind.tensor_type.shape.dim, start=1):
            if dim.HasField("dim_value") and dim.dim_value > 0:
                shape.append(int(dim.dim_value))
            elif dim.HasField("dim_param") and is_symbol(dim.dim_param):
                shape.append(dim.dim_param)
            elif dim.HasField("dim_value"):
                raise self.error(f"dimension {d} of {what} is {dim.dim_value}", fix=fix)
            else:
                raise self.error(
                    f"shape inference could not tell dimension {d} of {what}"
                    + (f" (it calls it {dim.dim_param!r})" if dim.dim_param else ""),
                    fix=fix,
                )
        return shape

    def error(self, message: str, fix: str | None = None) -> GraphValidationError:
        return GraphValidationError(message, path=self.where, fix=fix)

    # ---- inputs ----------------------------------------------------------------------------
    def chosen(self, wrt: list[str]) -> list[str]:
        """The ONNX names of the independent inputs ``wrt`` names (see ``graph_from_onnx``)."""
        floats = [v for v in self.inputs if is_float(self.dtype(v))]
        params = [v for v in self.initializers if is_float(self.dtype(v))]
        if wrt == ["inputs"]:
            return floats
        if wrt == ["params"]:
            return floats + params
        by_name = {self.names[v]: v for v in [*self.inputs, *self.initializers]}
        known = {v: v for v in [*self.inputs, *self.initializers]}
        chosen: list[str] = []
        for name in wrt:
            value = known.get(name) or by_name.get(name)
            candidates = ", ".join([*floats, *params][:12]) or "(none)"
            if value is None:
                raise UsageError(
                    f"wrt: {name!r} is no input or initializer of the model",
                    fix=f"give 'inputs', 'params' or names among: {candidates}",
                )
            if not is_float(self.dtype(value)):
                raise UsageError(
                    f"wrt: {name!r} holds {self.dtype(value)} values, which have no derivative",
                    fix=f"choose float inputs or initializers: {candidates}",
                )
            if value not in chosen:
                chosen.append(value)
        if not chosen:
            raise UsageError("wrt names no input", fix="give 'inputs', 'params' or names")
        return chosen

    # ---- the record ------------------------------------------------------------------------
    def record(self, chosen: list[str]) -> dict[str, Any]:
        """The equation record of the model with ``chosen`` as its inputs."""
        variable = set(chosen)
        eqns: list[dict[str, Any]] = []
        for index, node in enumerate(self.graph.node, start=1):
            operands = list(node.input)
            while operands and not operands[-1]:
                operands.pop()
            if not any(v in variable for v in operands):
                continue  # on constants only: folded, whatever the operator
            results = [o for o in node.output if o]
            dtypes = [self.dtype(o) for o in results]
            if "unknown" not in dtypes and not any(is_float(d) for d in dtypes):
                continue  # integer or boolean results only: no derivative, whatever the operator
            eqns.append(self._equation(index, node, node_label(node, index), operands, results))
            if is_float(self.dtype(results[0])):
                variable.add(results[0])
        return {
            "inputs": [self._operand(v, "an input of the model") for v in chosen],
            "outputs": [self.names[v] for v in self.outputs],
            "eqns": eqns,
            "origin": self._origin(),
            "source": self.source,
            "unit": "nodes",
        }

    def _equation(
        self, index: int, node: Any, label: str, operands: list[str], results: list[str]
    ) -> dict[str, Any]:
        if node.op_type not in ONNX_RULES:
            raise unsupported(node.op_type, label, self.where)
        if len(results) != 1:
            raise self.error(
                f"{label} has {len(results)} results",
                fix="the importer handles single-result nodes only (e.g. Dropout without mask)",
            )
        self.producer[self.names[results[0]]] = label
        params = {a.name: self._attribute(a) for a in node.attribute}
        params.update(
            opset=self.opset,
            node=label,
            input_values=[self._constant(v) for v in operands],
        )
        return {
            "index": index,
            "primitive": node.op_type,
            "params": params,
            "invars": [self._operand(v, f"read by {label}") for v in operands],
            "outvars": [self._operand(results[0], f"result of {label}")],
        }

    def _operand(self, value: str, node: str) -> dict[str, Any]:
        if not value:  # an optional operand left out
            return {"var": None, "shape": [], "dtype": "float32"}
        shape = self.shape(value, node)
        return {"var": self.names[value], "shape": shape, "dtype": self.dtype(value)}

    def _attribute(self, attribute: Any) -> Any:
        value = self.onnx.helper.get_attribute_value(attribute)
        if isinstance(value, bytes):
            return value.decode("utf-8", "replace")
        if isinstance(value, list) and value and isinstance(value[0], bytes):
            return [v.decode("utf-8", "replace") for v in value]
        return value if isinstance(value, int | float | list) else None

    def _constant(self, value: str) -> list[Any] | None:
        """The values of an integer constant operand (an initializer or a ``Constant`` node's
        result stored inline), else ``None``; external data is never read."""
        tensor = self.initializers.get(value)
        if tensor is None:
            node = next((n for n in self.graph.node if value in n.output), None)
            if node is None or node.op_type != "Constant":
                return None
            for attribute in node.attribute:
                if attribute.name in ("value_int", "value_ints"):
                    return (
                        list(self.onnx.helper.get_attribute_value(attribute))
                        if (attribute.name == "value_ints")
                        else [attribute.i]
                    )
                if attribute.name == "value":
                    tensor = attribute.t
        if tensor is None or is_float(dtype_name(self.onnx, tensor.data_type)):
            return None
        if tensor.data_location == self.onnx.TensorProto.EXTERNAL:
            return None
        from onnx import numpy_helper

        return numpy_helper.to_array(tensor).reshape(-1).tolist()

    def _origin(self) -> str:
        producer = self.model.producer_name
        extra = f", producer {producer}" if producer else ""
        return f"ONNX model {self.graph.name or '(unnamed)'!r} (opset {self.opset}{extra}) imported"

    # ---- the graph -------------------------------------------------------------------------
    def finish(self, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` with its symbols declared and the description naming each vertex's node."""
        dims = [d for key in ("V", "D", "D'") for shape in data[key].values() for d in shape]
        symbols = {d: SYMBOL_DEFAULT for d in dims if isinstance(d, str)}
        notes = [data["description"]]
        vertices = [v for v in [*data["D"], *data["D'"]] if v in self.producer]
        notes.append(
            "Vertices are named after the values they hold: "
            + "; ".join(f"{v} = {self.producer[v]}" for v in vertices)
            + "."
        )
        if symbols:
            notes.append(
                f"Symbolic dimensions {', '.join(symbols)} (default {SYMBOL_DEFAULT}; give "
                "other sizes with --set)."
            )
        external = self.onnx.TensorProto.EXTERNAL
        if any(t.data_location == external for t in self.model.graph.initializer):
            notes.append("Tensors stored as external data were not read (only shapes matter).")
        head = {"name": data["name"], "description": " ".join(notes)}
        if symbols:
            head["symbols"] = symbols
        return {**head, **{k: v for k, v in data.items() if k not in head}}


def sanitised(name: str) -> str:
    """A value's name as a graph name: letters, digits and ``_.-/`` kept, others ``_``.

    Examples
    --------
    >>> sanitised("/fc1/Gemm_output_0"), sanitised("onnx::MatMul_5"), sanitised("x [0]")
    ('fc1/Gemm_output_0', 'onnx__MatMul_5', 'x__0_')
    """
    return _UNSAFE.sub("_", name).strip("/")


def is_symbol(dim_param: str) -> bool:
    """Whether a ``dim_param`` can be a size symbol (an identifier, not ONNX's ``unk__k``)."""
    return bool(_IDENTIFIER.match(dim_param)) and not dim_param.startswith("unk__")


def names_for(values: Iterable[str], outputs: Iterable[str]) -> dict[str, str]:
    """A unique graph name for every value (sanitised, ``_2``, ``_3``, … on a clash); no
    name is that of a copy vertex the walker may add (``<output>_out``)."""
    taken: set[str] = set()
    names: dict[str, str] = {}
    for value in values:
        base = sanitised(value) or "value"
        chosen, k = base, 1
        while chosen in taken:
            k += 1
            chosen = f"{base}_{k}"
        taken.add(chosen)
        names[value] = chosen
    reserved = {f"{names[o]}_out" for o in outputs if o in names}
    for value, chosen in list(names.items()):
        if chosen in reserved:
            k = 1
            while f"{chosen}_{k}" in taken or f"{chosen}_{k}" in reserved:
                k += 1
            names[value] = f"{chosen}_{k}"
            taken.add(names[value])
    return names
