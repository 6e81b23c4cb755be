"""Evaluating a checked expression tree: exact, bounded arithmetic and the translation to sympy.

:func:`evaluate_tree` computes with :class:`fractions.Fraction`, so sizes are exact; every
operation is refused *before* it runs when its result could exceed :data:`MAX_RESULT_BITS` bits
and every exponent beyond :data:`MAX_EXPONENT`, so ``2**10**10`` fails at once instead of
exhausting memory. :func:`tree_to_sympy` builds the same expression in sympy (imported only
there), with the same exponent bound. Both take trees that
:func:`graphcost.graph.expr.parse_expression` has checked against its whitelist.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from graphcost.errors import ExpressionError
from graphcost.graph.quoting import quote

MAX_EXPONENT = 1_000
MAX_RESULT_BITS = 100_000


def evaluate_tree(node: ast.expr, values: Mapping[str, int | Fraction], source: str) -> Fraction:
    if isinstance(node, ast.Constant):
        return Fraction(node.value)
    if isinstance(node, ast.Name):
        if node.id not in values:
            raise ExpressionError(
                f"unknown symbol {quote(node.id)} in {quote(source)}",
                fix=f"give it a value under 'symbols:' or with --set {node.id}=VALUE",
            )
        return Fraction(values[node.id])
    if isinstance(node, ast.UnaryOp):
        operand = evaluate_tree(node.operand, values, source)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        left = evaluate_tree(node.left, values, source)
        right = evaluate_tree(node.right, values, source)
        if not isinstance(node.op, ast.Pow):
            _check_bits(left, right, node.op, source)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Div | ast.FloorDiv):
            if right == 0:
                raise ExpressionError(f"division by zero in {quote(source)}")
            return left / right if isinstance(node.op, ast.Div) else Fraction(left // right)
        return _power(left, right, source)
    raise ExpressionError(f"cannot evaluate {quote(source)}")  # unreachable after _check


def _bits(value: Fraction) -> int:
    return max(value.numerator.bit_length(), value.denominator.bit_length())


def _check_bits(left: Fraction, right: Fraction, operator: ast.operator, source: str) -> None:
    """Refuse an operation whose exact result could exceed :data:`MAX_RESULT_BITS` bits.

    Only powers can grow a value fast, but a long chain of products of bounded powers can
    still build a number of millions of bits; an estimate from the operands' sizes stops it
    before the (quadratic) big-integer arithmetic starts.
    """
    if isinstance(operator, ast.Add | ast.Sub):
        estimate = max(_bits(left), _bits(right)) + 1
        estimate += left.denominator.bit_length() + right.denominator.bit_length()
    elif isinstance(operator, ast.Mult):
        estimate = max(
            left.numerator.bit_length() + right.numerator.bit_length(),
            left.denominator.bit_length() + right.denominator.bit_length(),
        )
    else:
        estimate = max(
            left.numerator.bit_length() + right.denominator.bit_length(),
            left.denominator.bit_length() + right.numerator.bit_length(),
        )
    if estimate > MAX_RESULT_BITS:
        raise ExpressionError(
            f"a value in {quote(source)} is too large to compute (over {MAX_RESULT_BITS:,} bits)"
        )


def _power(base: Fraction, exponent: Fraction, source: str) -> Fraction:
    if exponent.denominator != 1:
        raise ExpressionError(
            f"non-integer exponent {exponent} in {quote(source)}", fix="use integer exponents"
        )
    power = int(exponent)
    if abs(power) > MAX_EXPONENT:
        raise ExpressionError(
            f"exponent {power} in {quote(source)} is too large (at most {MAX_EXPONENT})"
        )
    bits = max(base.numerator.bit_length(), base.denominator.bit_length())
    if bits * abs(power) > MAX_RESULT_BITS:
        raise ExpressionError(f"power in {quote(source)} is too large to compute")
    if base == 0 and power < 0:
        raise ExpressionError(f"division by zero in {quote(source)}")
    return base**power


def tree_to_sympy(
    node: ast.expr,
    symbols: Mapping[str, Any],
    functions: Mapping[str, Callable[..., Any]],
    source: str,
) -> Any:
    import sympy

    if isinstance(node, ast.Constant):
        if isinstance(node.value, float):
            return sympy.Float(node.value)
        return sympy.Integer(node.value)
    if isinstance(node, ast.Name):
        if node.id not in symbols:
            raise ExpressionError(f"unknown name {quote(node.id)} in {quote(source)}")
        return symbols[node.id]
    if isinstance(node, ast.UnaryOp):
        operand = tree_to_sympy(node.operand, symbols, functions, source)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)  # guaranteed by _check
        arguments = [tree_to_sympy(a, symbols, functions, source) for a in node.args]
        return functions[node.func.id](*arguments)
    if isinstance(node, ast.BinOp):
        left = tree_to_sympy(node.left, symbols, functions, source)
        right = tree_to_sympy(node.right, symbols, functions, source)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Div):
            return left / right
        if isinstance(node.op, ast.FloorDiv):
            return sympy.floor(left / right)
        if right.is_Integer and abs(int(right)) > MAX_EXPONENT:
            raise ExpressionError(
                f"exponent {right} in {quote(source)} is too large (at most {MAX_EXPONENT})"
            )
        if left.is_Rational and right.is_Integer:
            exact = _power(Fraction(int(left.p), int(left.q)), Fraction(int(right)), source)
            return sympy.Rational(exact.numerator, exact.denominator)
        return left**right
    raise ExpressionError(f"cannot translate {quote(source)}")  # unreachable after _check
