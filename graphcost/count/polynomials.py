"""Exact multivariate polynomials with rational coefficients, without sympy.

A sweep compiles a graph's counts once into polynomials (:mod:`graphcost.count.compiled`).
Deriving them with sympy costs about half a second of start-up; the counts of a vector graph
only ever add and multiply block sizes, and a size such as ``2*n/3`` is a polynomial with a
rational coefficient, so :class:`Poly` (a dict from exponent tuples to ``int`` or
``Fraction`` coefficients) is enough. :func:`tree_polynomial` reads a size expression's syntax
tree; it returns ``None`` for anything that is not a polynomial (``n/m``, ``n//3``) or that
would grow past :data:`MAX_TERMS` terms (``(n+m)**1000``), and the caller then takes the
sympy path.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

#: Most terms a polynomial may reach before :func:`tree_polynomial` gives up.
MAX_TERMS = 4096
#: Largest power expanded by :func:`tree_polynomial`.
MAX_POWER = 64


class TooLarge(Exception):
    """A polynomial grew past :data:`MAX_TERMS` terms."""


class Poly:
    """A polynomial in ``width`` variables: ``terms`` maps exponent tuples to coefficients.

    Supports ``+ - *`` with other polynomials and with ints and Fractions, powers by
    non-negative ints, and ``==``/``!=`` (with ``0`` too), which is all the counting formulas
    of :mod:`graphcost.count.terms` use on block sizes.

    Examples
    --------
    >>> n = Poly.variable(0, 1)
    >>> p = (2 * n + 3) * n - n
    >>> sorted(p.terms.items()), p.evaluate([5])
    ([((1,), 2), ((2,), 2)], 60)
    """

    __slots__ = ("terms", "width")

    def __init__(self, terms: dict[tuple[int, ...], Any], width: int) -> None:
        self.terms = {e: c for e, c in terms.items() if c}
        self.width = width
        if len(self.terms) > MAX_TERMS:
            raise TooLarge(len(self.terms))

    @classmethod
    def constant(cls, value: Any, width: int) -> Poly:
        """The constant polynomial ``value``."""
        return cls({(0,) * width: value}, width)

    @classmethod
    def variable(cls, index: int, width: int) -> Poly:
        """The polynomial ``x_index``."""
        return cls({tuple(int(i == index) for i in range(width)): 1}, width)

    def _coerce(self, other: Any) -> Poly | None:
        if isinstance(other, Poly):
            return other
        if isinstance(other, int | Fraction):
            return Poly.constant(other, self.width)
        return None

    def __add__(self, other: Any) -> Poly:
        right = self._coerce(other)
        if right is None:
            return NotImplemented
        terms = dict(self.terms)
        for exponents, coefficient in right.terms.items():
            terms[exponents] = terms.get(exponents, 0) + coefficient
        return Poly(terms, self.width)

    __radd__ = __add__

    def __neg__(self) -> Poly:
        return Poly({e: -c for e, c in self.terms.items()}, self.width)

    def __sub__(self, other: Any) -> Poly:
        right = self._coerce(other)
        return NotImplemented if right is None else self + (-right)

    def __rsub__(self, other: Any) -> Poly:
        return (-self) + other

    def __mul__(self, other: Any) -> Poly:
        right = self._coerce(other)
        if right is None:
            return NotImplemented
        terms: dict[tuple[int, ...], Any] = {}
        for e1, c1 in self.terms.items():
            for e2, c2 in right.terms.items():
                key = tuple(a + b for a, b in zip(e1, e2, strict=True))
                terms[key] = terms.get(key, 0) + c1 * c2
        return Poly(terms, self.width)

    __rmul__ = __mul__

    def __pow__(self, exponent: int) -> Poly:
        result = Poly.constant(1, self.width)
        for _ in range(exponent):
            result = result * self
        return result

    def __eq__(self, other: object) -> bool:
        right = self._coerce(other)
        return right is not None and self.terms == right.terms

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # type: ignore[assignment]

    def is_constant(self) -> bool:
        """Whether no variable occurs."""
        return all(not any(e) for e in self.terms)

    def constant_value(self) -> Any:
        """The value of a constant polynomial (0 when empty)."""
        return self.terms.get((0,) * self.width, 0)

    def integer_terms(self) -> tuple[int, list[tuple[int, tuple[int, ...]]]]:
        """``(d, terms)`` with integer coefficients such that this polynomial is Σ terms / d."""
        denominator = 1
        for coefficient in self.terms.values():
            if isinstance(coefficient, Fraction):
                d = coefficient.denominator
                denominator = denominator * d // _gcd(denominator, d)
        return denominator, [(int(c * denominator), e) for e, c in sorted(self.terms.items())]

    def evaluate(self, values: Sequence[Any]) -> Any:
        """The exact value at a point (ints or Fractions)."""
        total: Any = 0
        for exponents, coefficient in self.terms.items():
            term = coefficient
            for value, exponent in zip(values, exponents, strict=True):
                if exponent:
                    term = term * value**exponent
            total += term
        return total

    def __repr__(self) -> str:
        return f"Poly({self.terms!r}, {self.width})"


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


def tree_polynomial(node: ast.expr, names: Sequence[str]) -> Poly | None:
    """The polynomial a size expression's tree stands for, in the variables ``names``.

    Returns ``None`` when it is not a polynomial (a division by a non-constant, ``//``, a
    function call, a negative or fractional power) or grows past :data:`MAX_TERMS` terms.

    Examples
    --------
    >>> from graphcost.graph.expr import parse_expression
    >>> tree_polynomial(parse_expression("2*n/3 + 1").tree, ["n"]).terms
    {(1,): Fraction(2, 3), (0,): 1}
    >>> tree_polynomial(parse_expression("n//3").tree, ["n"]) is None
    True
    """
    try:
        return _tree(node, {name: i for i, name in enumerate(names)}, len(names))
    except TooLarge:
        return None


def _tree(node: ast.expr, index: dict[str, int], width: int) -> Poly | None:
    if isinstance(node, ast.Constant):
        value = node.value
        return Poly.constant(value, width) if isinstance(value, int) else None
    if isinstance(node, ast.Name):
        return Poly.variable(index[node.id], width) if node.id in index else None
    if isinstance(node, ast.UnaryOp):
        operand = _tree(node.operand, index, width)
        if operand is None:
            return None
        return -operand if isinstance(node.op, ast.USub) else operand
    if not isinstance(node, ast.BinOp):
        return None
    left = _tree(node.left, index, width)
    right = _tree(node.right, index, width)
    if left is None or right is None:
        return None
    if isinstance(node.op, ast.Add):
        return left + right
    if isinstance(node.op, ast.Sub):
        return left - right
    if isinstance(node.op, ast.Mult):
        return left * right
    if isinstance(node.op, ast.Div) and right.is_constant() and right.constant_value():
        return left * _inverse(right)
    if isinstance(node.op, ast.Pow) and right.is_constant():
        exponent = right.constant_value()
        if isinstance(exponent, int) and 0 <= exponent <= MAX_POWER:
            return left**exponent
    return None


def _inverse(constant: Poly) -> Fraction:
    return 1 / Fraction(constant.constant_value())
