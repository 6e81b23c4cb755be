"""A budget for symbolic algebra: how large a formula may grow before sympy is asked for it.

sympy's ``expand``, ``factor``, ``cancel`` and ``together`` take time and memory that grow
with the degree and the number of terms of the *expanded* polynomial, not with the length of
the expression written in the graph file: a size ``(n + m + k)**1000`` is 17 characters and
expands to half a million terms. So every symbolic computation first bounds the expanded size
of what it is about to build, with :func:`symbolic_size`, in time linear in the expression
tree and without expanding anything, and refuses with :class:`SymbolicTooLargeError` beyond
:data:`MAX_SYMBOLIC_DEGREE` or :data:`MAX_SYMBOLIC_TERMS`.

The bound is an upper bound (cancellation can only make the real polynomial smaller):

- a rational expression is bounded as numerator and denominator over a common denominator;
- degrees add under ``*`` and multiply under ``**k``, a sum has the largest degree;
- terms add under ``+``, multiply under ``*``; ``(t terms)**k`` has at most C(t+k-1, k)
  terms; and no polynomial of total degree d in v generators has more than C(v+d, v) terms;
- anything that is not a polynomial operation (``floor`` from ``//``) is one generator, whose
  arguments are bounded too (``expand`` expands inside it).

The limits are far above the formulas of every shipped graph (degree at most 4, a few dozen
terms) and low enough that deriving, factoring and presenting a formula at the limit takes
seconds (measured: factoring a degree-100 univariate count takes under a second, a
three-symbol count of 1,100 terms about one second; the presentation runs about a dozen such
steps).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from math import comb
from typing import TYPE_CHECKING, Any

from graphcost.errors import SymbolicTooLargeError

if TYPE_CHECKING:
    from graphcost.graph.model import Graph

#: Highest total degree a derived formula (numerator or denominator) may have.
MAX_SYMBOLIC_DEGREE = 100
#: Most terms the expanded numerator and denominator of a derived formula may have together.
MAX_SYMBOLIC_TERMS = 500
#: Term bounds are clipped here so that the bookkeeping itself stays on small integers.
_TERM_CAP = 10**30


@dataclass(frozen=True)
class SymbolicSize:
    """Upper bounds on the expanded form of an expression.

    Attributes
    ----------
    degree
        Total degree of the numerator or the denominator, whichever is higher.
    terms
        Terms of the expanded numerator plus those of the expanded denominator.
    """

    degree: int
    terms: int

    def within_budget(self) -> bool:
        """Whether both bounds are within :data:`MAX_SYMBOLIC_DEGREE` and
        :data:`MAX_SYMBOLIC_TERMS`."""
        return self.degree <= MAX_SYMBOLIC_DEGREE and self.terms <= MAX_SYMBOLIC_TERMS

    def describe(self) -> str:
        """``degree up to D with up to T terms``, for messages."""
        return f"degree up to {self.degree:,} with up to {self.terms:,} terms"


# (degree, terms) of an expanded polynomial; a rational expression is a pair of them.
_Poly = tuple[int, int]
_ONE: _Poly = (0, 1)


def _clip(terms: int) -> int:
    return min(terms, _TERM_CAP)


def _product(parts: list[_Poly]) -> _Poly:
    degree, terms = 0, 1
    for part_degree, part_terms in parts:
        degree += part_degree
        terms = _clip(terms * part_terms)
    return degree, terms


def _power(part: _Poly, exponent: int) -> _Poly:
    degree, terms = part
    if terms <= 1:
        return degree * exponent, terms
    # A sum of t terms to the k-th power has at most C(t + k - 1, k) monomials; the
    # binomial is computed only while it can stay below the cap.
    if terms > _TERM_CAP or exponent > 10_000:
        return degree * exponent, _TERM_CAP
    return degree * exponent, _clip(comb(terms + exponent - 1, exponent))


def _monomial_cap(part: _Poly, generators: int) -> _Poly:
    degree, terms = part
    if generators == 0:
        return degree, min(terms, 1)
    if degree > 10_000:
        return part
    return degree, min(terms, comb(generators + degree, generators))


class _Estimator:
    """Walks a sympy expression once (shared subexpressions once), bottom up."""

    def __init__(self) -> None:
        self.memo: dict[Any, tuple[_Poly, _Poly, frozenset[Any]]] = {}

    def parts(self, expression: Any) -> tuple[_Poly, _Poly, frozenset[Any]]:
        """Numerator and denominator bounds, and the generators, of ``expression``."""
        known = self.memo.get(expression)
        if known is not None:
            return known
        result = self._parts(expression)
        numerator, denominator, generators = result
        count = len(generators)
        result = (_monomial_cap(numerator, count), _monomial_cap(denominator, count), generators)
        self.memo[expression] = result
        return result

    def _parts(self, expression: Any) -> tuple[_Poly, _Poly, frozenset[Any]]:
        if expression.is_Symbol:
            return (1, 1), _ONE, frozenset([expression])
        if expression.is_Number or expression.is_NumberSymbol or not expression.args:
            return _ONE, _ONE, frozenset()
        children = [self.parts(argument) for argument in expression.args]
        generators = frozenset().union(*(child[2] for child in children))
        if expression.is_Mul:
            numerator = _product([child[0] for child in children])
            denominator = _product([child[1] for child in children])
            return numerator, denominator, generators
        if expression.is_Add:
            # Over the common denominator: the numerator sums n_i times the other denominators.
            denominator = _product([child[1] for child in children])
            degree = max(child[0][0] for child in children) + denominator[0]
            terms = _clip(sum(child[0][1] for child in children) * denominator[1])
            return (degree, terms), denominator, generators
        if expression.is_Pow and expression.exp.is_Integer:
            base_numerator, base_denominator, base_generators = children[0]
            exponent = int(expression.exp)
            if exponent < 0:
                base_numerator, base_denominator = base_denominator, base_numerator
            return (
                _power(base_numerator, abs(exponent)),
                _power(base_denominator, abs(exponent)),
                base_generators,
            )
        # floor(...) and the like: one more generator, whose arguments expand too. Its degree
        # is that of its arguments (for the leading order), its terms theirs (for expand).
        degree = max(1, *(max(child[0][0], child[1][0]) for child in children))
        terms = _clip(max(1, *(child[0][1] + child[1][1] for child in children)))
        return (degree, terms), _ONE, generators | {expression}


def symbolic_size(expression: Any) -> SymbolicSize:
    """Bound the degree and the term count of ``expression`` once expanded, without expanding.

    Parameters
    ----------
    expression
        A sympy expression (or anything :func:`sympy.sympify` accepts).

    Returns
    -------
    SymbolicSize

    Examples
    --------
    >>> import sympy
    >>> n, m = sympy.symbols("n m")
    >>> symbolic_size((n + 1)**200 * n**50)
    SymbolicSize(degree=250, terms=202)
    >>> symbolic_size((n + m)**3 / (n + 1))
    SymbolicSize(degree=3, terms=6)
    """
    import sympy

    numerator, denominator, _ = _Estimator().parts(sympy.sympify(expression))
    return SymbolicSize(max(numerator[0], denominator[0]), numerator[1] + denominator[1])


def require_symbolic_budget(
    expressions: Mapping[str, Any], *, subject: str, path: str | None = None, fix: str | None = None
) -> None:
    """Refuse before sympy works on any of ``expressions`` beyond the symbolic budget.

    Parameters
    ----------
    expressions
        The expressions about to be expanded, factored or cancelled, by what they are
        (``"forward multiplications"``); ``None`` values are skipped.
    subject
        Whose expressions they are, for the message (``"graph 'g'"``).
    path
        The graph file, when there is one.
    fix
        How to avoid the formulas; a generic hint when not given.

    Raises
    ------
    SymbolicTooLargeError
        Naming the first expression over a limit, its bounds and the limits.
    """
    estimator = _Estimator()
    import sympy

    for what, expression in expressions.items():
        if expression is None:
            continue
        numerator, denominator, _ = estimator.parts(sympy.sympify(expression))
        size = SymbolicSize(max(numerator[0], denominator[0]), numerator[1] + denominator[1])
        if not size.within_budget():
            raise SymbolicTooLargeError(
                f"the {what} of {subject} as a formula in the size symbols would be a "
                f"polynomial of {size.describe()} (limits: degree {MAX_SYMBOLIC_DEGREE}, "
                f"{MAX_SYMBOLIC_TERMS:,} terms)",
                path=path,
                fix=fix or "give the symbols values to count without formulas",
            )


def values_hint(graph: Graph) -> str:
    """How to count ``graph`` without formulas: ``--set n=3 --set m=2`` (defaults shown)."""
    names = sorted(graph.free_symbols)
    shown = [f"--set {name}={_default(graph.symbols.get(name))}" for name in names[:4]]
    more = " ..." if len(names) > 4 else ""
    return f"give the symbols values ({' '.join(shown)}{more}) to count without formulas"


def budgeted_sizes(graph: Graph, symbols: Mapping[str, Any]) -> list[Any]:
    """The block sizes of ``graph`` as sympy expressions, each checked against the budget.

    Checked before anything compares or expands them (a diag edge's sizes are compared with
    ``simplify``, which expands).

    Parameters
    ----------
    graph
        The graph.
    symbols
        The sympy symbols by name.

    Raises
    ------
    SymbolicTooLargeError
        Naming the first block whose size is over a limit, with its line.
    """
    sizes = []
    for block in graph.blocks:
        size = block.size.to_sympy(symbols)
        bound = symbolic_size(size)
        if not bound.within_budget():
            raise SymbolicTooLargeError(
                f"size {_abbreviate(block.size.text)!r} of block {block.name!r} would expand to "
                f"a polynomial of {bound.describe()} (limits for formulas: degree "
                f"{MAX_SYMBOLIC_DEGREE}, {MAX_SYMBOLIC_TERMS:,} terms)",
                path=graph.path,
                line=block.line,
                fix=values_hint(graph),
            )
        sizes.append(size)
    return sizes


def _default(value: Any) -> str:
    if isinstance(value, int) and value.bit_length() < 64:
        return str(value)
    return "VALUE"


def _abbreviate(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


#: Most symbols a formula may have for sympy's full factorisation; beyond it, only common
#: factors are pulled out. Multivariate factoring slows down steeply with the number of
#: symbols, not only with the size (measured: a 100-term degree-2 count in 30 symbols takes
#: 3 s per ``factor``, 70 s for one ``analyze``), while ``factor_terms`` stays linear.
MAX_FACTOR_SYMBOLS = 8


def factor_within_budget(expression: Any) -> Any:
    """``sympy.factor(expression)``, or only its common factors beyond
    :data:`MAX_FACTOR_SYMBOLS` symbols.

    Both are exact and equal to ``expression``; only the presentation differs.

    Examples
    --------
    >>> import sympy
    >>> V, V1, V2 = sympy.symbols("V V1 V2")
    >>> factor_within_budget(V*V1*V2 + V*V2)
    V*V2*(V1 + 1)
    """
    import sympy

    expression = sympy.sympify(expression)
    if len(expression.free_symbols) > MAX_FACTOR_SYMBOLS:
        return sympy.factor_terms(expression)
    return sympy.factor(expression)
