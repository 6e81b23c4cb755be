"""The named functions a node function ``g`` may call, and the layer ops of block graphs.

Two registries, looked up by name (an unknown name lists the valid ones):

:data:`FUNCTIONS`
    Scalar functions (``exp``, ``relu``, ``sigmoid``, ...). Each knows its sympy form (so the
    local partials ∂g_v/∂α_w come from sympy's derivative) and, where numpy has no function of
    that name, its numpy implementation (used when the partials are compiled).
:data:`LAYER_OPS`
    Block-level ops with parameters: ``linear`` (Σ_u θ_uv α_u, Exercise 4c) and ``affine``
    (the same plus a bias). They are only valid as the whole right-hand side of a ``g`` entry.

sympy and numpy are imported inside functions only, so importing this module is cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from graphcost.errors import ExpressionError
from graphcost.graph.quoting import quote


@dataclass(frozen=True)
class NodeFunction:
    """A scalar function node expressions may call.

    Attributes
    ----------
    name
        The name used in ``g`` expressions.
    description
        One line for ``--help`` and error messages.
    arity
        Number of arguments.
    """

    name: str
    description: str
    arity: int = 1


FUNCTIONS: dict[str, NodeFunction] = {
    f.name: f
    for f in (
        NodeFunction("exp", "e**x"),
        NodeFunction("log", "natural logarithm"),
        NodeFunction("log1p", "log(1 + x), accurate near 0"),
        NodeFunction("sqrt", "square root"),
        NodeFunction("abs", "|x| (derivative sign(x))"),
        NodeFunction("sin", "sine"),
        NodeFunction("cos", "cosine"),
        NodeFunction("tan", "tangent"),
        NodeFunction("tanh", "hyperbolic tangent"),
        NodeFunction("sigmoid", "logistic function 1/(1 + e**-x)"),
        NodeFunction("softplus", "log(1 + e**x)"),
        NodeFunction("relu", "max(0, x) (derivative pos(x): 0 for x <= 0, else 1)"),
        NodeFunction("pos", "step function: 0 for x <= 0, else 1 (derivative 0)"),
        # Kinked where the arguments are equal: the derivative there is the average of the two
        # sides (Heaviside(0) = 1/2); graphcost.numeric.kinks reports the one-sided ones.
        NodeFunction("max", "the larger of two arguments (kink where they are equal)", arity=2),
        NodeFunction("min", "the smaller of two arguments (kink where they are equal)", arity=2),
    )
}


@dataclass(frozen=True)
class LayerOp:
    """A parameterised block op: ``op(p1, p2, ...)`` over parent blocks joined by full edges.

    Attributes
    ----------
    name
        The name used in ``g`` (``linear``, ``affine``).
    description
        One line for documentation and error messages.
    bias
        Whether the op adds a bias vector ``b_<block>``.
    """

    name: str
    description: str
    bias: bool


LAYER_OPS: dict[str, LayerOp] = {
    op.name: op
    for op in (
        LayerOp("linear", "Σ_u θ_uv α_u: one weight matrix per parent block", bias=False),
        LayerOp("affine", "linear plus a bias vector", bias=True),
    )
}


def callable_names() -> frozenset[str]:
    """Every name a ``g`` entry may call: node functions and layer ops."""
    return frozenset(FUNCTIONS) | frozenset(LAYER_OPS)


def get_function(name: str) -> NodeFunction:
    """Look up a node function.

    Raises
    ------
    ExpressionError
        For an unknown name, listing the valid ones.

    Examples
    --------
    >>> get_function("relu").name
    'relu'
    """
    try:
        return FUNCTIONS[name]
    except KeyError:
        raise ExpressionError(
            f"unknown function {quote(name)}",
            fix=f"the functions are: {', '.join(sorted(FUNCTIONS))}",
        ) from None


@cache
def sympy_functions() -> dict[str, Callable[..., Any]]:
    """Map each name of :data:`FUNCTIONS` to a sympy callable.

    ``sigmoid``, ``softplus``, ``relu`` and ``pos`` are sympy ``Function`` classes whose
    derivative rule sits next to them (``fdiff``), so sympy differentiates through them and
    :func:`numpy_functions` supplies their numeric form.

    Examples
    --------
    >>> import sympy
    >>> x = sympy.Symbol("x", real=True)
    >>> sympy_functions()["relu"](x).diff(x)
    pos(x)
    """
    import sympy
    from sympy.codegen.cfunctions import log1p

    class sigmoid(sympy.Function):  # lower case: lambdify prints it by name
        def fdiff(self, argindex: int = 1) -> Any:
            s = sigmoid(self.args[0])
            return s * (1 - s)

    class softplus(sympy.Function):
        def fdiff(self, argindex: int = 1) -> Any:
            return sigmoid(self.args[0])

    class pos(sympy.Function):
        def fdiff(self, argindex: int = 1) -> Any:
            return sympy.Integer(0)

    class relu(sympy.Function):
        def fdiff(self, argindex: int = 1) -> Any:
            return pos(self.args[0])

    table: dict[str, Callable[..., Any]] = {
        "exp": sympy.exp,
        "log": sympy.log,
        "log1p": log1p,
        "sqrt": sympy.sqrt,
        "abs": sympy.Abs,
        "sin": sympy.sin,
        "cos": sympy.cos,
        "tan": sympy.tan,
        "tanh": sympy.tanh,
        "sigmoid": sigmoid,
        "softplus": softplus,
        "relu": relu,
        "pos": pos,
        "max": sympy.Max,
        "min": sympy.Min,
    }
    missing = set(FUNCTIONS) - set(table)
    if missing:  # a registry entry without its sympy form is a bug, caught by the tests
        raise RuntimeError(f"no sympy form for {sorted(missing)}")
    return table


@cache
def numpy_functions() -> dict[str, Callable[..., Any]]:
    """numpy implementations of the functions numpy does not name (for ``lambdify``)."""
    import numpy as np

    def sigmoid(x: Any) -> Any:
        # Two branches so that neither exp overflows.
        x = np.asarray(x, dtype=float)
        z = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + z), z / (1 + z))

    def softplus(x: Any) -> Any:
        x = np.asarray(x, dtype=float)
        return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))

    def relu(x: Any) -> Any:
        return np.maximum(np.asarray(x, dtype=float), 0.0)

    def pos(x: Any) -> Any:
        return (np.asarray(x, dtype=float) > 0).astype(float)

    return {"sigmoid": sigmoid, "softplus": softplus, "relu": relu, "pos": pos}
