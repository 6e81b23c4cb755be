"""Load-time checks of a ``g`` expression, so nothing fails later in sympy or numpy.

:func:`check_powers` refuses a constant exponent beyond
:data:`~graphcost.graph.arithmetic.MAX_EXPONENT` (and a constant power too large to compute),
:func:`check_constants` a constant part whose value no float holds, and :func:`check_arity` a
scalar function called with the wrong number of arguments. Constant parts are evaluated
exactly with the bounded evaluator of :mod:`graphcost.graph.arithmetic`.
"""

from __future__ import annotations

import ast
import sys

from graphcost.errors import ExpressionError
from graphcost.graph.arithmetic import MAX_EXPONENT
from graphcost.graph.expr import Expr
from graphcost.graph.functions import FUNCTIONS
from graphcost.graph.quoting import quote


def check_powers(tree: ast.AST, name: str, path: str | None, line: int | None) -> None:
    """Refuse constant exponents beyond :data:`~graphcost.graph.arithmetic.MAX_EXPONENT`
    before anything runs.

    A constant exponent is evaluated exactly with the bounded evaluator, so ``2**10**10`` fails
    here (at load) instead of in sympy or numpy.
    """
    for node in ast.walk(tree):
        if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow)):
            continue
        if not _is_constant(node.right):
            continue
        text = ast.unparse(node.right)
        try:
            exponent = Expr(text, node.right, frozenset()).evaluate({})
            if abs(exponent) > MAX_EXPONENT:
                raise ExpressionError(
                    f"exponent {text} is too large (at most {MAX_EXPONENT})",
                    fix="use a smaller power",
                )
            if _is_constant(node.left) and exponent.denominator == 1:
                whole = ast.unparse(node)
                Expr(whole, node, frozenset()).evaluate({})
        except ExpressionError as error:
            raise ExpressionError(
                f"g of {quote(name)}: {error.message}", path=path, line=line, fix=error.fix
            ) from None


def check_constants(tree: ast.AST, name: str, path: str | None, line: int | None) -> None:
    """Refuse a constant part of a definition whose value is beyond the range of a float.

    Node functions compute in floats; ``10**400`` is exact for sympy but no float holds it,
    and numpy would fail on it deep inside the evaluation. Each maximal constant part is
    evaluated exactly with the bounded evaluator (a non-integer power such as ``2**0.5`` is
    left to the float evaluation, where it is finite).
    """
    stack = [tree]
    while stack:
        node = stack.pop()
        if not (isinstance(node, ast.expr) and _is_constant(node)):
            stack.extend(ast.iter_child_nodes(node))
            continue
        text = ast.unparse(node)
        try:
            value = Expr(text, node, frozenset()).evaluate({})
        except ExpressionError as error:
            if "non-integer exponent" in error.message:
                continue
            raise ExpressionError(
                f"g of {quote(name)}: {error.message}", path=path, line=line, fix=error.fix
            ) from None
        if abs(value) > sys.float_info.max:
            raise ExpressionError(
                f"g of {quote(name)}: the constant {quote(text)} is beyond the range of a float "
                "(about ±1.8e308)",
                path=path,
                line=line,
                fix="write constants of at most 1.8e308 in size",
            )


def check_arity(tree: ast.AST, name: str, path: str | None, line: int | None) -> None:
    """Refuse a scalar function called with the wrong number of arguments, e.g. ``exp(x, w)``."""
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        function = FUNCTIONS.get(node.func.id)
        if function is not None and len(node.args) != function.arity:
            plural = "s" if function.arity != 1 else ""
            raise ExpressionError(
                f"g of {quote(name)}: {function.name} takes {function.arity} argument{plural}, "
                f"got {len(node.args)} in {quote(ast.unparse(node))}",
                path=path,
                line=line,
                fix=f"e.g. {function.name}({', '.join('xyz'[: function.arity])})",
            )


def _is_constant(tree: ast.AST) -> bool:
    return not any(isinstance(node, ast.Name | ast.Call) for node in ast.walk(tree))
