r"""Text and formulas for the ``latex`` and ``markdown`` formats, safe to paste.

:func:`latex_text` escapes LaTeX's special characters and writes the non-ASCII characters
graphcost prints (``∂``, ``·``, ``x̄``, ``Δ``, ``—``, ``÷``, ...) as LaTeX commands, so the
output is pure ASCII and compiles with pdflatex. :func:`latex_cell` and :func:`markdown_cell`
render a cell or a note: text escaped, :class:`~graphcost.report.cells.Math` parts in
``$…$`` (their LaTeX source is never escaped a second time).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from graphcost.report.cells import Math, note_parts

_SPECIAL = {c: "\\" + c for c in "&%$#_{}"} | {
    "\\": r"\textbackslash{}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
}

#: Characters outside ASCII and what they become in LaTeX text.
_UNICODE = {
    "—": "---",
    "–": "--",
    "−": "$-$",
    "…": r"\ldots{}",
    "‘": "`",
    "’": "'",
    "“": "``",
    "”": "''",
    "\u00a0": "~",
    "·": r"$\cdot$",
    "∂": r"$\partial$",
    "×": r"$\times$",
    "÷": r"$\div$",
    "±": r"$\pm$",
    "≤": r"$\leq$",
    "≥": r"$\geq$",
    "≠": r"$\neq$",
    "≈": r"$\approx$",
    "→": r"$\to$",
    "←": r"$\leftarrow$",
    "↦": r"$\mapsto$",
    "∑": r"$\sum$",
    "Σ": r"$\Sigma$",
    "∏": r"$\prod$",
    "∈": r"$\in$",
    "∉": r"$\notin$",
    "∪": r"$\cup$",
    "∩": r"$\cap$",
    "⊆": r"$\subseteq$",
    "∞": r"$\infty$",
    "√": r"$\surd$",
    "∇": r"$\nabla$",
    "∘": r"$\circ$",
    "⊙": r"$\odot$",
    "⊗": r"$\otimes$",
    "‖": r"$\|$",
    "∀": r"$\forall$",
    "∃": r"$\exists$",
    "°": r"$^\circ$",
}
_UNICODE |= {d: rf"\textsuperscript{{{i}}}" for i, d in enumerate("⁰¹²³⁴⁵⁶⁷⁸⁹")}
_UNICODE |= {d: rf"$_{{{i}}}$" for i, d in enumerate("₀₁₂₃₄₅₆₇₈₉")}
#: Greek capitals that look like Latin letters have no LaTeX command of their own.
_LATIN_CAPITALS = dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΧ", "ABEZHIKMNOPTX", strict=True))
#: Combining accents (after NFD) and the macro that puts them on the preceding character.
_ACCENTS = {
    "\u0304": ("math", r"\bar"),
    "\u0302": ("math", r"\hat"),
    "\u0303": ("text", r"\~"),
    "\u0301": ("text", r"\'"),
    "\u0300": ("text", r"\`"),
    "\u0308": ("text", r"\""),
    "\u0327": ("text", r"\c"),
}


def latex_text(value: Any) -> str:
    """Plain text as LaTeX text: specials escaped, non-ASCII written as commands (ASCII out).

    A character with a combining macron (``x̄``, ``ȳ``) becomes ``$\\bar{x}$``; Greek letters
    become math (``$\\Delta$``); an unknown character becomes ``?``.

    Examples
    --------
    >>> latex_text("x̄ = v̄1·w — 50% of ∂y/∂x")
    '$\\\\bar{x}$ = $\\\\bar{v}$1$\\\\cdot$w --- 50\\\\% of $\\\\partial$y/$\\\\partial$x'
    """
    text = unicodedata.normalize("NFD", str(value))
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        accent = text[i + 1] if i + 1 < len(text) else ""
        if accent in _ACCENTS and char.isascii():
            mode, macro = _ACCENTS[accent]
            body = _SPECIAL.get(char, char)
            out.append(f"${macro}{{{body}}}$" if mode == "math" else f"{macro}{{{body}}}")
            i += 2
            continue
        # "--" would typeset as a dash: "--convention" must stay two hyphens.
        out.append("-{}" if char == "-" and text[i + 1 : i + 2] == "-" else _character(char))
        i += 1
    return "".join(out)


def _character(char: str) -> str:
    if char.isascii():
        return _SPECIAL.get(char, char)
    if char in _UNICODE:
        return _UNICODE[char]
    if char in _LATIN_CAPITALS:
        return _LATIN_CAPITALS[char]
    name = unicodedata.name(char, "")
    if name.startswith("GREEK SMALL LETTER "):
        letter = name.removeprefix("GREEK SMALL LETTER ").split()[0].lower()
        return "o" if letter == "omicron" else rf"$\{letter}$"
    if name.startswith("GREEK CAPITAL LETTER "):
        letter = name.removeprefix("GREEK CAPITAL LETTER ").split()[0].capitalize()
        return rf"$\{letter}$"
    if unicodedata.combining(char):
        return ""  # an accent on a character that has no ASCII base: dropped
    return "?"


def latex_cell(value: Any) -> str:
    """A cell or note in LaTeX: text through :func:`latex_text`, formulas in ``$…$``."""
    return "".join(
        f"${part.latex}$" if isinstance(part, Math) else latex_text(part)
        for part in note_parts(value)
    )


def markdown_text(value: Any) -> str:
    """Plain text in a Markdown table cell: what Markdown would read as markup escaped."""
    text = str(value).replace("\n", " ")
    for special in "\\|*_`$":
        text = text.replace(special, "\\" + special)
    return text


def markdown_cell(value: Any) -> str:
    """A cell or note in Markdown: text escaped, formulas as ``$…$`` math spans (LaTeX).

    A ``|`` in a formula is written ``\\vert`` so that it cannot end a table cell.
    """
    return "".join(
        "$" + part.latex.replace("|", r"\vert ") + "$"
        if isinstance(part, Math)
        else markdown_text(part)
        for part in note_parts(value)
    )
