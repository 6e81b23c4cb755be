"""Cells and notes that carry a formula: plain text for terminals, LaTeX for typesetting.

A report's cells and notes are plain strings, except where they hold a formula: a
:class:`Math` holds the formula twice, as the text a terminal, CSV or JSON shows and as the
LaTeX source that the ``latex`` and ``markdown`` formats put in math mode (``$…$``). A note
may be a string or a :data:`Note` sequence of strings and :class:`Math` parts
(``("speed-up formula: ", Math("(2*n + 3)/8", r"\\frac{2 n + 3}{8}"))``).

sympy is imported only by :func:`formula`, when a formula is actually shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Math:
    """A formula: ``text`` for tables, CSV and JSON, ``latex`` (math-mode source) to typeset.

    Examples
    --------
    >>> str(Math("n**2/3", r"\\frac{n^{2}}{3}"))
    'n**2/3'
    """

    text: str
    latex: str

    def __str__(self) -> str:
        return self.text


#: A note under a table: a string, or strings and formulas in a row.
Note = str | Sequence["str | Math"]


def note_parts(note: Any) -> tuple[Any, ...]:
    """The parts of a note (a lone string or :class:`Math` is one part)."""
    if isinstance(note, (str, Math)):
        return (note,)
    return tuple(note)


def plain(note: Any) -> str:
    """A note or cell as plain text (formulas as their ``text``)."""
    return "".join(str(part) for part in note_parts(note))


def formula(expression: Any, *, latex: bool = False) -> Math | str:
    """A sympy expression as a :class:`Math`; ``None`` (undefined) as ``"—"``.

    With ``latex``, the text shown in tables is the LaTeX source too (``analyze --latex``).

    Examples
    --------
    >>> import sympy
    >>> n = sympy.Symbol("n")
    >>> formula(n**2 / 3)
    Math(text='n**2/3', latex='\\\\frac{n^{2}}{3}')
    """
    if expression is None:
        return "—"
    import sympy

    source = sympy.latex(expression)
    return Math(source if latex else str(expression), source)


def product(factors: Sequence[Any], *, latex: bool = False) -> Math:
    """A product of factors kept apart, ``(2*n/3)·n·(n/3)`` / ``\\frac{2 n}{3} \\cdot n ...``.

    Sums are parenthesised; each factor is an int or a sympy expression.

    Examples
    --------
    >>> import sympy
    >>> n = sympy.Symbol("n")
    >>> product([2 * n / 3, n, 1]).text
    '(2*n/3)·n·1'
    """
    texts, sources = [], []
    for factor in factors:
        text, source = _factor(factor)
        texts.append(text)
        sources.append(source)
    source = r" \cdot ".join(sources)
    return Math(source if latex else "·".join(texts), source)


def _factor(value: Any) -> tuple[str, str]:
    if isinstance(value, int):
        return str(value), str(value)
    import sympy

    value = sympy.sympify(value)
    text, source = str(value), sympy.latex(value)
    if value.is_Add:
        return f"({text})", rf"\left({source}\right)"
    if not (value.is_Symbol or value.is_Integer or value.is_Pow):
        text = f"({text})"
    return text, source


def joined(terms: Sequence[tuple[int, Math]]) -> Math:
    """Signed :class:`Math` terms as one sum, ``a + b - c``; ``0`` when there are none."""
    if not terms:
        return Math("0", "0")
    text, source = "", ""
    for i, (sign, term) in enumerate(terms):
        between = ("-" if sign < 0 else "") if i == 0 else (" - " if sign < 0 else " + ")
        text += between + term.text
        source += between + term.latex
    return Math(text, source)
