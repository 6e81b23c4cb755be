"""The ``g:`` section: one definition per non-input block, parsed safely, and the edges it implies.

A definition is either

- an **elementwise expression** in parent names, numbers, scalar parameters (declared under
  ``params:``) and the functions of :data:`graphcost.graph.functions.FUNCTIONS`, e.g. ``v3: 1 / v2``
  or ``x1: sigmoid(z1)``; at node level this is the node function g_v, on blocks it is applied
  node by node, so every parent has the block's size and the edges are ``diag``;
- a **layer op** of :data:`graphcost.graph.functions.LAYER_OPS` applied to parent blocks, as the
  whole
  entry: ``z1: linear(x0)`` or ``f1: affine(x)`` (several parents: ``h: affine(x, u)``); the
  edges are ``full`` and the weights come from ``params``.

Expressions go through :func:`graphcost.graph.expr.parse_expression` (an :mod:`ast` whitelist),
never
``eval`` or ``sympify``. The parents of each block follow from its definition; when the file
also lists ``E``, :func:`graphcost.graph.definition_edges.check_edges` requires the two to
agree.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from graphcost.errors import ExpressionError, GraphValidationError
from graphcost.graph.definition_checks import check_arity, check_constants, check_powers
from graphcost.graph.expr import Expr, parse_expression
from graphcost.graph.functions import FUNCTIONS, LAYER_OPS, callable_names
from graphcost.graph.model import INPUT, Block
from graphcost.graph.quoting import quote
from graphcost.graph.weights import WEIGHT_PATTERN, bind_inputs
from graphcost.graph.yamlfile import line_of

#: Keys of ``params:`` that are not parameter names.
PARAMS_RESERVED = ("file",)


@dataclass(frozen=True)
class Definition:
    """The definition of one non-input block.

    Attributes
    ----------
    block
        The block's index.
    text
        The definition as written.
    op
        A name in :data:`~graphcost.graph.functions.LAYER_OPS`, or ``None`` for an elementwise
        expression.
    parents
        Indices of the parent blocks (in the order of first use).
    expr
        The parsed expression (for a layer op, the call).
    constants
        Names of scalar parameters the expression uses.
    line
        The line of the ``g`` entry, when known.
    weights
        For a layer op, per parent the input block that holds its weight (``W_<block>``
        declared under ``V``, :mod:`graphcost.graph.weights`), or ``None`` where the weight is
        a parameter; ``()`` for an elementwise expression.
    bias
        The input block that holds the bias ``b_<block>`` of an ``affine`` op, else ``None``.
    """

    block: int
    text: str
    op: str | None
    parents: tuple[int, ...]
    expr: Expr
    constants: tuple[str, ...]
    line: int | None
    weights: tuple[int | None, ...] = ()
    bias: int | None = None

    @property
    def inputs(self) -> tuple[tuple[int, str], ...]:
        """Every block this definition reads, with the kind of its edge: the parents
        (``"full"`` into a layer op, ``"diag"`` into an expression), weight inputs
        (``"ik->i"``) and the bias input (``"diag"``)."""
        kind = "diag" if self.op is None else "full"
        read = [(p, kind) for p in self.parents]
        read += [(w, str(WEIGHT_PATTERN)) for w in self.weights if w is not None]
        if self.bias is not None:
            read.append((self.bias, "diag"))
        return tuple(read)

    @property
    def elementwise(self) -> bool:
        """Whether this is an elementwise expression (diag edges) rather than a layer op."""
        return self.op is None


def parameter_names(params: Any) -> frozenset[str]:
    """The names declared under ``params:`` (those expressions may use as constants)."""
    if not isinstance(params, Mapping):
        return frozenset()
    return frozenset(str(k) for k in params if k not in PARAMS_RESERVED)


def parse_definitions(
    section: Any,
    blocks: Sequence[Block],
    params: Any = None,
    *,
    path: str | None = None,
) -> dict[int, Definition]:
    """Parse the ``g:`` section against the declared blocks.

    Parameters
    ----------
    section
        The raw ``g`` mapping (block name → expression), as the loader keeps it.
    blocks
        The graph's blocks.
    params
        The raw ``params`` mapping, whose keys expressions may use as scalar constants.
    path
        The file, for messages.

    Returns
    -------
    dict
        Block index → :class:`Definition`, for every non-input block.

    Raises
    ------
    GraphValidationError, ExpressionError
        Naming the block, line, and offending value.

    Examples
    --------
    >>> from graphcost.graph.loader import graph_from_dict
    >>> g = graph_from_dict({"V": ["x", "w"], "D'": ["y"], "g": {"y": "x * sin(w)"}})
    >>> d = parse_definitions(g.extra["g"], g.blocks)
    >>> [g.blocks[p].name for p in d[2].parents]
    ['x', 'w']
    """
    lines = getattr(section, "lines", {})
    if not isinstance(section, Mapping):
        raise GraphValidationError(
            "'g' must be a mapping from node (or block) name to its definition",
            path=path,
            fix="e.g. g: {v1: x * w, v2: v1 + b}",
        )
    index = {block.name: i for i, block in enumerate(blocks)}
    constants = parameter_names(params)
    clash = sorted(constants & index.keys())
    if clash:
        raise GraphValidationError(
            f"parameter {quote(clash[0])} has the name of a node",
            path=path,
            line=line_of(params, clash[0]),
            fix="rename the parameter",
        )
    definitions: dict[int, Definition] = {}
    for name, value in section.items():
        line = lines.get(name)
        if name not in index:
            raise GraphValidationError(
                f"g defines {quote(name)}, which is not a declared node",
                path=path,
                line=line,
                fix="declare it under D or D' (or fix the name)",
            )
        block = index[name]
        if blocks[block].role == INPUT:
            raise GraphValidationError(
                f"g defines input {quote(name)}; inputs (V) take values, not definitions",
                path=path,
                line=line,
                fix="give input values under at: or with --at",
            )
        definition = _definition(name, value, block, index, constants, path, line)
        if definition.op is not None:
            weights, bias = bind_inputs(
                name,
                LAYER_OPS[definition.op].bias,
                definition.parents,
                blocks,
                index,
                params,
                path,
                line,
            )
            definition = replace(definition, weights=weights, bias=bias)
        definitions[block] = definition
    missing = [b.name for i, b in enumerate(blocks) if b.role != INPUT and i not in definitions]
    if missing:
        raise GraphValidationError(
            f"g has no definition for {quote(missing[0])}"
            + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""),
            path=path,
            line=line_of(section, None),
            fix="define every node of D and D', e.g. " + f"{missing[0]}: relu(...)",
        )
    return definitions


def _definition(
    name: str,
    value: Any,
    block: int,
    index: Mapping[str, int],
    constants: frozenset[str],
    path: str | None,
    line: int | None,
) -> Definition:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise GraphValidationError(
            f"definition of {quote(name)} must be an expression, got {quote(value)}",
            path=path,
            line=line,
            fix="e.g. v3: 1 / v2, or z1: affine(x)",
        )
    try:
        expr = parse_expression(
            value if isinstance(value, str) else repr(value),
            functions=callable_names(),
            allow_floats=True,
        )
    except ExpressionError as error:
        fix = error.fix
        if "unknown function" in error.message:
            fix = (
                f"the functions are: {', '.join(sorted(FUNCTIONS))}; "
                f"layer ops: {', '.join(LAYER_OPS)}"
            )
        raise ExpressionError(
            f"g of {quote(name)}: {error.message}", path=path, line=line, fix=fix
        ) from None
    tree = expr.tree
    check_powers(tree, name, path, line)
    check_constants(tree, name, path, line)
    check_arity(tree, name, path, line)
    layer_calls = expr.functions & LAYER_OPS.keys()
    if isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name) and tree.func.id in LAYER_OPS:
        op = tree.func.id
        parents = _layer_parents(tree, op, name, index, path, line)
        return Definition(block, expr.text, op, parents, expr, (), line)
    if layer_calls:
        op = sorted(layer_calls)[0]
        raise GraphValidationError(
            f"g of {quote(name)}: {op}(...) must be the whole definition, "
            f"not part of {quote(expr.text)}",
            path=path,
            line=line,
            fix="put the layer op in its own block and use that block here",
        )
    unknown = sorted(expr.names - index.keys() - constants)
    if unknown:
        raise GraphValidationError(
            f"g of {quote(name)} uses unknown name {quote(unknown[0])} in {quote(expr.text)}",
            path=path,
            line=line,
            fix="declare it as a node, or as a constant under params: "
            f"(e.g. params: {{{unknown[0]}: 1.0}})",
        )
    used = [index[n] for n in _names_in_order(tree) if n in index]
    parents_in_order = tuple(dict.fromkeys(used))
    if block in parents_in_order:
        raise GraphValidationError(
            f"g of {quote(name)} uses {quote(name)} itself",
            path=path,
            line=line,
            fix="a graph is acyclic",
        )
    used_constants = tuple(sorted(expr.names & constants))
    return Definition(block, expr.text, None, parents_in_order, expr, used_constants, line)


def _layer_parents(
    tree: ast.Call,
    op: str,
    name: str,
    index: Mapping[str, int],
    path: str | None,
    line: int | None,
) -> tuple[int, ...]:
    """The parent blocks of ``name: op(p1, p2, ...)``: block names, each once, at least one."""
    parents: list[int] = []
    for argument in tree.args:
        if not isinstance(argument, ast.Name) or argument.id not in index:
            raise GraphValidationError(
                f"g of {quote(name)}: the arguments of {op} must be block names, got "
                f"{quote(ast.unparse(argument))}",
                path=path,
                line=line,
                fix=f"e.g. {name}: {op}(x) — its weights come from params",
            )
        parent = index[argument.id]
        if parent in parents:
            raise GraphValidationError(
                f"g of {quote(name)}: block {quote(argument.id)} is given twice to {op}",
                path=path,
                line=line,
            )
        parents.append(parent)
    if not parents:
        raise GraphValidationError(
            f"g of {quote(name)}: {op}() needs at least one parent block",
            path=path,
            line=line,
            fix=f"e.g. {name}: {op}(x)",
        )
    return tuple(parents)


def _names_in_order(tree: ast.AST) -> list[str]:
    return [node.id for node in ast.walk(tree) if isinstance(node, ast.Name)]
