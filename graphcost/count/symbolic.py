"""Symbolic results: the counts and the speed-up as formulas in the size symbols.

The formulas come from :func:`graphcost.count.recursions.count_symbolic`, which evaluates the same
convention formula as the numeric counts on the block structure with sympy sizes: they are
derived, never fitted, and exact for every admissible value of the symbols. This module only
*presents* them:

- counts in factored form where that is no longer than the expanded one
  (``V*V2*(V1 + 1)``), the speed-up as one fraction (``(2*n + 3)/8``);
- the leading-order behaviour as all symbols grow together (``speed-up ~ n/4``), see
  :func:`leading_order`;
- LaTeX, and plain strings that :func:`formula_from_string` (``sympy.sympify`` with the
  symbols as locals) parses back to the same expressions.

sympy is imported inside the functions, so importing this module is cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphcost.count.budget import factor_within_budget, require_symbolic_budget
from graphcost.count.recursions import ScheduleCost, count_symbolic
from graphcost.graph.model import Graph

#: The quantities a symbolic result presents, in display order.
QUANTITIES = ("forward", "backward", "speedup", "forward_additions", "backward_additions")


@dataclass(frozen=True)
class SymbolicCounts:
    """Forward and backward counts and the speed-up of one graph, as sympy expressions.

    Attributes
    ----------
    graph, convention
        The graph's and the convention's names.
    symbols
        The sympy symbols by name (positive integers), sorted by name.
    forward, backward
        Multiplications and additions of each schedule, in their presented form.
    speedup
        Forward / backward multiplications as one fraction; ``None`` when the backward
        recursion needs no multiplication.
    """

    graph: str
    convention: str
    symbols: dict[str, Any]
    forward: ScheduleCost
    backward: ScheduleCost
    speedup: Any

    def expressions(self) -> dict[str, Any]:
        """The presented expressions by quantity name (see :data:`QUANTITIES`)."""
        return {
            "forward": self.forward.multiplications,
            "backward": self.backward.multiplications,
            "speedup": self.speedup,
            "forward_additions": self.forward.additions,
            "backward_additions": self.backward.additions,
        }

    def formulas(self) -> dict[str, str | None]:
        """Plain strings that :func:`formula_from_string` parses back to the expressions."""
        return {key: _text(value) for key, value in self.expressions().items()}

    def latex(self) -> dict[str, str | None]:
        """The expressions in LaTeX."""
        import sympy

        return {
            key: None if value is None else sympy.latex(value)
            for key, value in self.expressions().items()
        }

    def leading(self) -> dict[str, Any]:
        """Leading-order terms as all symbols grow together (``None`` where undefined)."""
        symbols = list(self.symbols.values())
        return {
            key: None if value is None else leading_order(value, symbols)
            for key, value in self.expressions().items()
        }

    def to_dict(self, *, latex: bool = False) -> dict[str, Any]:
        """A JSON-ready dict: ``forward``, ``backward``, ``speedup`` (multiplications and their
        quotient) and the additions as strings, ``leading`` and, when asked, ``latex``."""
        data: dict[str, Any] = {
            **self.formulas(),
            "symbols": list(self.symbols),
            "leading": {key: _text(value) for key, value in self.leading().items()},
        }
        if latex:
            data["latex"] = self.latex()
        return data


def symbolic_counts(graph: Graph, *, convention: str = "elimination") -> SymbolicCounts:
    """Count ``graph`` symbolically and present the result.

    Parameters
    ----------
    graph
        A graph whose sizes may be expressions in symbols.
    convention
        A name in :data:`graphcost.count.recursions.CONVENTIONS`.

    Returns
    -------
    SymbolicCounts

    Raises
    ------
    UsageError, SizeError
    SymbolicTooLargeError
        Before any expansion, when a size or a count would be a polynomial beyond the limits
        of :mod:`graphcost.count.budget`.

    Examples
    --------
    >>> from graphcost.graph.layers import layered_graph
    >>> s = symbolic_counts(layered_graph(["n", "2*n/3", "n/3", "1"]))
    >>> s.formulas()["speedup"], str(s.leading()["speedup"])
    ('(2*n + 3)/8', 'n/4')
    """
    import sympy

    result = count_symbolic(graph, convention=convention)
    _, symbols = graph.symbolic_sizes()
    forward = ScheduleCost(
        present(result.forward.multiplications), present(result.forward.additions)
    )
    backward = ScheduleCost(
        present(result.backward.multiplications), present(result.backward.additions)
    )
    speedup = None
    # The counts are within the symbolic budget (count_symbolic checked them), so their
    # quotient is too: numerator and denominator are one count each.
    # expand, not simplify: the count is a polynomial, zero exactly when its expansion is; and
    # simplify tries far costlier rewrites.
    if sympy.expand(backward.multiplications) != 0:
        speedup = single_fraction(
            sympy.sympify(forward.multiplications) / sympy.sympify(backward.multiplications)
        )
    return SymbolicCounts(result.graph, result.convention, symbols, forward, backward, speedup)


def present(expression: Any) -> Any:
    """The factored form of a count unless its expansion is simpler.

    "Simpler" is sympy's operation count; ties go to the factored form, which shows the
    structure (``V*V2*(V1 + 1)`` rather than ``V*V1*V2 + V*V2``).

    Examples
    --------
    >>> import sympy
    >>> V, V1, V2 = sympy.symbols("V V1 V2")
    >>> present(V*V1*V2 + V*V2)
    V*V2*(V1 + 1)
    """
    import sympy

    expression = sympy.sympify(expression)
    require_symbolic_budget({"count": expression}, subject="this formula")
    factored = factor_within_budget(expression)
    expanded = sympy.expand(expression)
    if sympy.count_ops(expanded) < sympy.count_ops(factored):
        return expanded
    return factored


def single_fraction(expression: Any) -> Any:
    """A rational expression as one factored fraction: ``(2*n + 3)/8``, not ``n/4 + 3/8``.

    Examples
    --------
    >>> import sympy
    >>> n = sympy.Symbol("n")
    >>> single_fraction(n / 4 + sympy.Rational(3, 8))
    (2*n + 3)/8
    """
    import sympy

    expression = sympy.sympify(expression)
    require_symbolic_budget({"fraction": expression}, subject="this formula")
    return factor_within_budget(sympy.together(expression))


def leading_order(expression: Any, symbols: list[Any]) -> Any:
    """The leading term of ``expression`` as all ``symbols`` grow together.

    Method: substitute every symbol s_i by c_i·t with a positive constant c_i and a common
    scale t, write the result as one fraction N(t)/D(t) (polynomials in t whose coefficients
    depend on the c_i), and keep the quotient of the leading terms,
    lc(N)/lc(D)·t^(deg N − deg D). That term is f(c)·t^k with f homogeneous of degree k in the
    c_i, so f(c)·t^k = f(c·t) = f(s): substituting t = 1 and c_i → s_i gives it back in the
    symbols. Equivalently it is the quotient of the top-degree homogeneous parts of numerator
    and denominator. The c_i are kept as independent symbols, so lc(N) and lc(D) are those
    homogeneous parts as polynomials in c, never zero: the result is the behaviour along a
    generic direction (a special direction on which a top-degree part vanishes, e.g.
    V − V2 along V = V2, is not singled out).

    Parameters
    ----------
    expression
        A sympy expression in ``symbols``.
    symbols
        The symbols that grow.

    Returns
    -------
    sympy expression or None
        ``None`` when the expression is not a rational function of the symbols (e.g. sizes
        written with ``//``, i.e. ``floor``).

    Examples
    --------
    >>> import sympy
    >>> n = sympy.Symbol("n", positive=True)
    >>> leading_order((2*n + 3) / 8, [n])
    n/4
    >>> V, V2 = sympy.symbols("V V2", positive=True)
    >>> leading_order(V*V2*(V + 1) / (V + V2), [V, V2])
    V**2*V2/(V + V2)
    """
    import sympy

    expression = sympy.sympify(expression)
    if not symbols or expression.is_number:
        return expression
    require_symbolic_budget({"expression": expression}, subject="this leading-order term")
    t = sympy.Dummy("t", positive=True)
    scale = {s: sympy.Dummy(f"c_{s}", positive=True) for s in symbols}
    # xreplace, not subs: one pass over the tree (subs with a dict makes one pass per symbol).
    scaled = sympy.together(expression.xreplace({s: scale[s] * t for s in symbols}))
    numerator, denominator = sympy.fraction(scaled)
    if not (numerator.is_polynomial(t) and denominator.is_polynomial(t)):
        return None
    top, bottom = sympy.Poly(numerator, t), sympy.Poly(denominator, t)
    lead = top.LC() / bottom.LC() * t ** (top.degree() - bottom.degree())
    back = {scale[s]: s for s in symbols}
    return single_fraction(lead.xreplace({t: 1}).xreplace(back))


def formula_from_string(text: str, symbols: Mapping[str, Any]) -> Any:
    """Parse a formula string of this module back into sympy, with the graph's symbols.

    The symbols are passed as locals so that names sympy would otherwise read as constants
    (``E``, ``I``, ``S``, ``N``, ``Q``) stay symbols with their assumptions. The text comes from
    graphcost's own output, never from a graph file.

    Examples
    --------
    >>> import sympy
    >>> n = sympy.Symbol("n", positive=True, integer=True)
    >>> formula_from_string("(2*n + 3)/8", {"n": n}) == (2*n + 3) / 8
    True
    """
    import sympy

    return sympy.sympify(text, locals=dict(symbols))


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def growth_note(symbolic: SymbolicCounts, *, latex: bool = False) -> str:
    """One line: the leading-order behaviour, e.g. ``as n grows: ... speed-up ~ n/4``."""
    import sympy

    names = list(symbolic.symbols)
    if not names:
        return "no size symbols: the counts are constants"
    leading = symbolic.leading()
    shown = {
        key: "not a rational function"
        if value is None
        else (f"${sympy.latex(value)}$" if latex else str(value))
        for key, value in leading.items()
    }
    subject = names[0] + " grows" if len(names) == 1 else ", ".join(names) + " grow together"
    return (
        f"leading order as {subject}: forward ~ {shown['forward']}, "
        f"backward ~ {shown['backward']}, speed-up ~ {shown['speedup']}"
    )
