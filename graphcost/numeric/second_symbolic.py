"""Closed forms: an output of a small graph as one sympy expression in its inputs, its gradient
and its Hessian (:func:`closed_form`), and their values at a point (:func:`exact_hessian`).

The expression is built block by block in evaluation order, every input node a real symbol
named as the node (``x``, ``W_h[0][1]``), every scalar constant a symbol of its name, and every
weight or bias *parameter* of a layer op a symbol per entry (``W_z[1][0]``) with its value kept
aside: :func:`closed_form` prints the parameters as their values (short numbers exactly, ``1``
not ``1.0``) and leaves the constants as symbols; :func:`exact_hessian` substitutes all of them.
Graphs of more than :data:`MAX_SYMBOLIC_NODES` nodes are refused: the expressions grow with the
depth of the graph, and sympy's simplification with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from graphcost.errors import GraphTooLargeError
from graphcost.graph.functions import LAYER_OPS, numpy_functions, sympy_functions
from graphcost.numeric.model import NumericModel

#: Most nodes (Σ block sizes) of a graph whose closed forms are built.
MAX_SYMBOLIC_NODES = 50
#: Most operations of an expression ``sympy.simplify`` is tried on, and of all expressions of
#: one closed form together; beyond, expressions are shown as derived (simplification takes
#: about a second per 100 operations, and grows faster than the expression).
MAX_SIMPLIFY_OPS = 150
MAX_SIMPLIFY_TOTAL = 1200


@dataclass(frozen=True)
class Expressions:
    """An output as an expression in the input symbols.

    Attributes
    ----------
    output
        The output node's expression.
    inputs
        The symbols of the chosen input nodes, in the order of the Hessian's rows.
    constants
        Constant symbol → value (scalar constants of ``params:``).
    parameters
        Parameter-entry symbol → value (weights and biases of layer ops).
    """

    output: Any
    inputs: list[Any]
    constants: dict[Any, float]
    parameters: dict[Any, float]


def check_symbolic_size(model: NumericModel) -> None:
    """Refuse a graph of more than :data:`MAX_SYMBOLIC_NODES` nodes, before any sympy work.

    Raises
    ------
    GraphTooLargeError
    """
    nodes = sum(model.sizes)
    if nodes > MAX_SYMBOLIC_NODES:
        raise GraphTooLargeError(
            f"--symbolic builds closed forms for graphs of at most {MAX_SYMBOLIC_NODES} nodes; "
            f"{model.graph.name!r} has {nodes:,}",
            path=model.graph.path,
            fix="use a smaller instance (--set), or drop --symbolic for the numeric Hessian",
        )


def expressions(model: NumericModel, block: int, index: int, wrt: list[int]) -> Expressions:
    """The output node ``index`` of ``block`` as an expression in the input symbols.

    Examples
    --------
    >>> from graphcost.graph.loader import graph_from_dict
    >>> from graphcost.numeric.build import build_model
    >>> g = graph_from_dict({"V": ["x", "w"], "D": ["v"], "D'": ["y"],
    ...     "g": {"v": "x * w", "y": "sin(v) + c"}, "params": {"c": 2}})
    >>> e = expressions(build_model(g), 3, 0, [0, 1])
    >>> e.output, e.inputs, e.constants
    (c + sin(w*x), [x, w], {c: 2.0})
    """
    import sympy

    check_symbolic_size(model)
    nodes: list[list[Any]] = [[] for _ in model.sizes]
    constants: dict[Any, float] = {}
    parameters: dict[Any, float] = {}
    for b in model.inputs:
        nodes[b] = [sympy.Symbol(name, real=True) for name in model.node_names([b])]
    for v in model.graph.order.tolist():
        definition = model.definitions.get(v)
        if definition is None:
            continue
        if definition.op is None:
            nodes[v] = _elementwise(model, v, nodes, constants)
        else:
            nodes[v] = _layer(model, v, nodes, parameters)
    inputs = [symbol for b in model.inputs if b in wrt for symbol in nodes[b]]
    return Expressions(nodes[block][index], inputs, constants, parameters)


def _elementwise(
    model: NumericModel, v: int, nodes: list[list[Any]], constants: dict[Any, float]
) -> list[Any]:
    import sympy

    definition = model.definitions[v]
    names = {c: sympy.Symbol(c, real=True) for c in definition.constants}
    constants.update({names[c]: float(model.params[c]) for c in definition.constants})
    blocks = model.graph.blocks
    result = []
    for i in range(model.sizes[v]):
        symbols: dict[str, Any] = dict(names)
        for p in definition.parents:
            symbols[blocks[p].name] = nodes[p][i if len(nodes[p]) > 1 else 0]
        result.append(definition.expr.to_sympy(symbols, sympy_functions()))
    return result


def _layer(
    model: NumericModel, v: int, nodes: list[list[Any]], parameters: dict[Any, float]
) -> list[Any]:
    import sympy

    definition = model.definitions[v]
    n = model.sizes[v]
    total = [sympy.Integer(0)] * n
    for p, w in zip(definition.parents, definition.weights, strict=True):
        m = model.sizes[p]
        if w is not None:
            weight = np.array(nodes[w], dtype=object).reshape(n, m)
        else:
            weight = _parameter(model.weight_name(v, p), model.params, parameters, (n, m))
        for i in range(n):
            total[i] += sum((weight[i, k] * nodes[p][k] for k in range(m)), sympy.Integer(0))
    if LAYER_OPS[definition.op].bias:  # type: ignore[index]
        if definition.bias is not None:
            bias = np.array(nodes[definition.bias], dtype=object)
        else:
            name = f"b_{model.graph.blocks[v].name}"
            bias = _parameter(name, model.params, parameters, (n,))
        total = [t + bias[i] for i, t in enumerate(total)]
    return total


def _parameter(
    name: str, params: dict[str, np.ndarray], parameters: dict[Any, float], shape: tuple[int, ...]
) -> np.ndarray:
    """A symbol per entry of parameter ``name`` (``W_z[1][0]``), its value recorded."""
    import sympy

    values = np.asarray(params[name], dtype=float).reshape(shape)
    symbols = np.empty(shape, dtype=object)
    for index in np.ndindex(*shape):
        symbol = sympy.Symbol(name + "".join(f"[{i}]" for i in index), real=True)
        parameters[symbol] = float(values[index])
        symbols[index] = symbol
    return symbols


def gradient_and_hessian(expression: Any, inputs: list[Any]) -> tuple[list[Any], list[list[Any]]]:
    """The gradient and the Hessian (rows = columns = ``inputs``) of ``expression``."""
    import sympy

    gradient = [sympy.diff(expression, x) for x in inputs]
    hessian = [[sympy.Integer(0)] * len(inputs) for _ in inputs]
    for i, first in enumerate(gradient):
        for j in range(i, len(inputs)):
            hessian[i][j] = hessian[j][i] = sympy.diff(first, inputs[j])
    return gradient, hessian


def exact_hessian(found: Expressions, point: dict[Any, float]) -> tuple[np.ndarray, np.ndarray]:
    """The gradient and Hessian of ``found.output`` at ``point`` (input symbol → value), from
    sympy's exact derivatives with every constant and parameter substituted."""
    import sympy

    known = {**found.constants, **found.parameters}
    output = found.output.subs({s: sympy.Float(v) for s, v in known.items()})
    gradient, hessian = gradient_and_hessian(output, found.inputs)
    symbols = sorted(point, key=str)
    size = len(gradient)
    forms = [*gradient, *(hessian[i][j] for i in range(size) for j in range(size))]
    forms = [
        f.replace(lambda e: isinstance(e, sympy.DiracDelta), lambda e: sympy.Integer(0))
        for f in forms
    ]
    compiled = sympy.lambdify(symbols, forms, modules=[numpy_functions(), "numpy"], cse=True)
    with np.errstate(all="ignore"):
        numbers = np.array(
            [float(v) for v in compiled(*(np.float64(point[s]) for s in symbols))], dtype=float
        )
    return numbers[:size], numbers[size:].reshape(size, size)


def shown_number(value: float) -> Any:
    """A parameter value as a closed form shows it: an integer or a short decimal exactly
    (``1``, ``1/2``, ``3/10``), else a float of 6 significant digits."""
    import sympy

    if float(value).is_integer():
        return sympy.Integer(int(value))
    text = repr(float(value))
    if len(text) <= 8 and "e" not in text:
        return sympy.Rational(text)
    return sympy.Float(value, 6)


def simplified(expressions: list[Any]) -> list[Any]:
    """Each expression, or ``sympy.simplify`` of it when that is shorter (in
    ``sympy.count_ops``); tried in order on expressions of at most :data:`MAX_SIMPLIFY_OPS`
    operations while their total stays within :data:`MAX_SIMPLIFY_TOTAL`."""
    import sympy

    result, budget = [], MAX_SIMPLIFY_TOTAL
    for expression in expressions:
        size = sympy.count_ops(expression)
        if size > MAX_SIMPLIFY_OPS or size > budget:
            result.append(expression)
            continue
        budget -= size
        simpler = sympy.simplify(expression)
        result.append(simpler if sympy.count_ops(simpler) < size else expression)
    return result


@dataclass(frozen=True)
class ClosedForm:
    """The gradient and Hessian of an output as simplified expressions in the inputs."""

    output: Any
    inputs: list[Any]
    gradient: list[Any]
    hessian: list[list[Any]]
    constants: dict[Any, float]


def closed_form(model: NumericModel, block: int, index: int, wrt: list[int]) -> ClosedForm:
    """The output, its gradient and Hessian in the inputs, parameters shown as numbers and
    constants as symbols, each simplified (see :func:`simplified`).

    Examples
    --------
    >>> from graphcost.graph.loader import graph_from_dict
    >>> from graphcost.numeric.build import build_model
    >>> g = graph_from_dict({"V": ["x", "w"], "D'": ["y"], "g": {"y": "x**2 * w"}})
    >>> c = closed_form(build_model(g), 2, 0, [0, 1])
    >>> c.gradient, c.hessian
    ([2*w*x, x**2], [[2*w, 2*x], [2*x, 0]])
    """
    found = expressions(model, block, index, wrt)
    output = found.output.subs({s: shown_number(v) for s, v in found.parameters.items()})
    gradient, hessian = gradient_and_hessian(output, found.inputs)
    size = len(found.inputs)
    upper = [(i, j) for i in range(size) for j in range(i, size)]
    shown = simplified([output, *gradient, *(hessian[i][j] for i, j in upper)])
    matrix: list[list[Any]] = [[None] * size for _ in range(size)]
    for (i, j), entry in zip(upper, shown[1 + size :], strict=True):
        matrix[i][j] = matrix[j][i] = entry
    return ClosedForm(
        output=shown[0],
        inputs=found.inputs,
        gradient=shown[1 : 1 + size],
        hessian=matrix,
        constants=found.constants,
    )
