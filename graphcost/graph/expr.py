"""Safe arithmetic expressions for block sizes (and, later, node functions).

Graph files carry expressions such as ``2*n/3``. They are parsed with Python's :mod:`ast`
and checked against a whitelist of node types before anything is evaluated, so a graph file
can never execute code: no ``eval``, no ``sympify`` of file text. Evaluation is exact
(:class:`fractions.Fraction`), and powers are bounded so that ``2**10**10`` is refused
instead of exhausting memory; the evaluator and the sympy translation live in
:mod:`graphcost.graph.arithmetic`. This module owns the :class:`Expr` and the whitelist check.
"""

from __future__ import annotations

import ast
import re
import sys
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from graphcost.errors import ExpressionError
from graphcost.graph.arithmetic import MAX_RESULT_BITS, evaluate_tree, tree_to_sympy
from graphcost.graph.quoting import quote

MAX_EXPRESSION_LENGTH = 10_000
#: Deepest nesting admitted; keeps the recursive checker and evaluator far from Python's limit.
MAX_DEPTH = 200

_BINARY_OPERATORS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Pow: "**",
}
_UNARY_OPERATORS: dict[type[ast.unaryop], str] = {ast.USub: "-", ast.UAdd: "+"}

_DESCRIPTIONS: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts",
    ast.Lambda: "lambdas",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.Compare: "comparisons",
    ast.BoolOp: "boolean operators",
    ast.IfExp: "conditional expressions",
    ast.NamedExpr: "assignment expressions",
    ast.Starred: "starred arguments",
    ast.JoinedStr: "f-strings",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Dict: "dicts",
    ast.Set: "sets",
    ast.Await: "await",
    ast.Yield: "yield",
}


@dataclass(frozen=True)
class Expr:
    """A parsed, whitelisted arithmetic expression.

    Build one with :func:`parse_expression`; evaluate it exactly with :meth:`evaluate` or turn
    it into a sympy expression with :meth:`to_sympy`.

    Attributes
    ----------
    text
        The expression as written in the file.
    names
        The free names (symbols, or parent nodes in a node function).
    functions
        The function names it calls.
    """

    text: str
    tree: ast.expr = field(repr=False, compare=False)
    names: frozenset[str]
    functions: frozenset[str] = frozenset()

    def evaluate(self, values: Mapping[str, int | Fraction]) -> Fraction:
        """Evaluate exactly with the given symbol values.

        Parameters
        ----------
        values
            A value for every name in :attr:`names`.

        Returns
        -------
        Fraction
            The exact value.

        Raises
        ------
        ExpressionError
            On a missing symbol, a division by zero, or a power that is too large.

        Examples
        --------
        >>> parse_expression("2*n/3").evaluate({"n": 30})
        Fraction(20, 1)
        """
        return evaluate_tree(self.tree, values, self.text)

    def to_sympy(
        self,
        symbols: Mapping[str, Any],
        functions: Mapping[str, Callable[..., Any]] | None = None,
    ) -> Any:
        """Translate to a sympy expression (sympy is imported only here).

        Parameters
        ----------
        symbols
            Maps each name to a sympy object (a ``Symbol`` or a number).
        functions
            Maps each called function name to a sympy callable.

        Examples
        --------
        >>> import sympy
        >>> parse_expression("2*n/3").to_sympy({"n": sympy.Symbol("n")})
        2*n/3
        """
        return tree_to_sympy(self.tree, symbols, functions or {}, self.text)


def parse_expression(
    text: str | int,
    *,
    functions: frozenset[str] = frozenset(),
    allow_floats: bool = False,
) -> Expr:
    """Parse an arithmetic expression, admitting only whitelisted forms.

    Admitted: integers (and decimal numbers when ``allow_floats``), names, ``+ - * / // **``,
    unary ``-``/``+``, parentheses, and calls of the names in ``functions`` with positional
    arguments. Anything else (attribute access, subscripts, lambdas, comprehensions, keyword
    arguments, strings, ...) raises :class:`ExpressionError` naming the construct.

    Parameters
    ----------
    text
        The expression (an ``int`` is accepted as its decimal text).
    functions
        Function names that may be called.
    allow_floats
        Whether decimal literals such as ``0.5`` are admitted.

    Returns
    -------
    Expr

    Raises
    ------
    ExpressionError

    Examples
    --------
    >>> sorted(parse_expression("(n + m) * 2").names)
    ['m', 'n']
    """
    if isinstance(text, bool) or not isinstance(text, str | int):
        raise ExpressionError(f"expected an expression, got {quote(text)}")
    source = str(text).strip()
    if not source:
        raise ExpressionError("empty expression", fix="write a number or an expression")
    if len(source) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(
            f"expression of {len(source)} characters is too long (at most {MAX_EXPRESSION_LENGTH})"
        )
    _check_normal_form(source)
    try:
        tree = ast.parse(source, mode="eval").body
    except (SyntaxError, ValueError) as error:
        raise ExpressionError(
            f"cannot parse expression {quote(source)}: {getattr(error, 'msg', error)}",
            fix="use numbers, names, + - * / // ** and parentheses",
        ) from None
    except (RecursionError, MemoryError):
        raise ExpressionError(
            f"expression {quote(source)} is nested too deeply", fix="simplify it"
        ) from None
    if _depth(tree) > MAX_DEPTH:
        raise ExpressionError(
            f"expression {quote(source)} is nested deeper than {MAX_DEPTH} levels",
            fix="simplify it",
        )
    names: set[str] = set()
    called: set[str] = set()
    _check(tree, source, functions, allow_floats, names, called)
    return Expr(source, tree, frozenset(names), frozenset(called))


#: A run of identifier characters: the candidates for names in an expression.
_WORD = re.compile(r"\w+")


def _check_normal_form(source: str) -> None:
    """Refuse a name that Python's parser would silently change (NFKC normalisation).

    :mod:`ast` normalises identifiers to Unicode NFKC, so a full-width ``ｘ`` in an expression
    would be read as the node ``x``. Names must resolve exactly as written and declared.
    """
    if source.isascii():
        return
    for word in _WORD.findall(source):
        normal = unicodedata.normalize("NFKC", word)
        if normal != word:
            raise ExpressionError(
                f"name {quote(word)} in {quote(source)} would be read as {quote(normal)} "
                "(Python normalises names to Unicode NFKC)",
                fix=f"write names exactly as declared, e.g. {quote(normal)}",
            )


def _segment(source: str, node: ast.AST) -> str:
    """The text of ``node`` as written (``1e999``, not the ``inf`` it parses to)."""
    text = ast.get_source_segment(source, node) or repr(getattr(node, "value", node))
    return text if len(text) <= 60 else f"{text[:30]}...({len(text):,} characters)"


def _depth(tree: ast.AST) -> int:
    """Nesting depth of a syntax tree, walked without recursion."""
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _check(
    node: ast.AST,
    source: str,
    functions: frozenset[str],
    allow_floats: bool,
    names: set[str],
    called: set[str],
) -> None:
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY_OPERATORS:
            raise ExpressionError(
                f"operator {type(node.op).__name__} is not allowed in {quote(source)}",
                fix="use only + - * / // **",
            )
        _check(node.left, source, functions, allow_floats, names, called)
        _check(node.right, source, functions, allow_floats, names, called)
    elif isinstance(node, ast.UnaryOp):
        if type(node.op) not in _UNARY_OPERATORS:
            raise ExpressionError(
                f"operator {type(node.op).__name__} is not allowed in {quote(source)}",
                fix="use only unary - and +",
            )
        _check(node.operand, source, functions, allow_floats, names, called)
    elif isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ExpressionError(
                f"literal {quote(value)} is not allowed in {quote(source)}", fix="use numbers only"
            )
        if isinstance(value, float) and not allow_floats:
            raise ExpressionError(
                f"decimal number {_segment(source, node)} is not allowed in {quote(source)}",
                fix="sizes are exact: write a fraction such as 2*n/3",
            )
        if allow_floats and not abs(value) <= sys.float_info.max:  # False for nan and inf too
            # Node functions compute in floats: 1e999 would be inf, and a huge integer cannot
            # become a float at all.
            raise ExpressionError(
                f"number {_segment(source, node)} in {quote(source)} is beyond the range "
                "of a float (about ±1.8e308)",
                fix="write a number of at most 1.8e308 in size",
            )
        if isinstance(value, int) and value.bit_length() > MAX_RESULT_BITS:
            raise ExpressionError(
                f"number {_segment(source, node)} in {quote(source)} is too large "
                f"(over {MAX_RESULT_BITS:,} bits)",
                fix="write a smaller number",
            )
    elif isinstance(node, ast.Name):
        names.add(node.id)
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise ExpressionError(
                f"only plain function names may be called in {quote(source)}",
                fix="call a function by name, e.g. exp(x)",
            )
        if node.func.id not in functions:
            known = ", ".join(sorted(functions)) or "none here"
            raise ExpressionError(
                f"unknown function {quote(node.func.id)} in {quote(source)}",
                fix=f"the functions allowed are: {known}",
            )
        if node.keywords:
            raise ExpressionError(f"keyword arguments are not allowed in {quote(source)}")
        called.add(node.func.id)
        for argument in node.args:
            _check(argument, source, functions, allow_floats, names, called)
    else:
        what = _DESCRIPTIONS.get(type(node), type(node).__name__)
        raise ExpressionError(
            f"{what} not allowed in expression {quote(source)}",
            fix="use numbers, names, + - * / // ** and parentheses",
        )
