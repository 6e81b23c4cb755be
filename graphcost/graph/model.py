"""The compute graph (V, D, D', E) as graphcost holds it.

A graph is a list of **blocks** and a list of edges between blocks. A block is a layer of
``size`` nodes that share a role (input ``V``, intermediate ``D``, output ``D'``); a single
node is a block of size 1. An edge between blocks is either *full* (every node of the first
to every node of the second, "P_v = V for all v ∈ V1") or *diag* (node i to node i, as an
elementwise activation; the sizes must be equal).

Sizes are expressions in named symbols (``2*n/3``); :meth:`Graph.sizes` evaluates them
exactly and checks that each is a positive integer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from typing import Any

import numpy as np

from graphcost.errors import ExpressionError, SizeError, UsageError
from graphcost.graph.expr import Expr
from graphcost.graph.quoting import quote
from graphcost.graph.signature import Pattern, Shifted

INPUT = "V"
INTERMEDIATE = "D"
OUTPUT = "D'"
ROLES = (INPUT, INTERMEDIATE, OUTPUT)
#: Where a computation runs: chosen by graphcost, per block (closed form), or per node.
LEVELS = ("auto", "block", "node")
#: Integer codes of the roles, as used in per-unit numpy arrays.
ROLE_CODE = {INPUT: 0, INTERMEDIATE: 1, OUTPUT: 2}


def check_level(level: str) -> None:
    """Raise a :class:`UsageError` unless ``level`` is one of :data:`LEVELS`."""
    if level not in LEVELS:
        raise UsageError(f"unknown level {quote(level)}", fix=f"choose one of: {', '.join(LEVELS)}")


@dataclass(frozen=True)
class Block:
    """A layer of ``size`` nodes with one role; a single node is a block of size 1.

    Attributes
    ----------
    name
        The block's (or node's) name, unique in the graph.
    role
        ``"V"``, ``"D"`` or ``"D'"``.
    size
        The size expression: the number of nodes (for a shaped block, the product of its
        dimensions).
    line
        The line of the graph file that declares it, when known.
    shape
        The dimensions' size expressions (``()`` for a scalar ``s: []``, ``(n, m)`` for a
        matrix ``W: [n, m]``), or ``None`` for a vector of ``size`` nodes (``x: n``, and every
        single node of a list). :attr:`dims` gives the shape in both cases.
    """

    name: str
    role: str
    size: Expr
    line: int | None = None
    shape: tuple[Expr, ...] | None = None

    @property
    def dims(self) -> tuple[Expr, ...]:
        """The shape: :attr:`shape`, or ``(size,)`` for a vector."""
        return (self.size,) if self.shape is None else self.shape

    @property
    def rank(self) -> int:
        """The number of dimensions."""
        return len(self.dims)

    @property
    def shape_text(self) -> str:
        """The size as written: ``n`` for a vector, ``[n, m]`` for a matrix, ``[]`` a scalar."""
        if self.shape is None:
            return self.size.text
        return f"[{', '.join(dim.text for dim in self.shape)}]"


@dataclass(frozen=True)
class Edges:
    """Edges between blocks, as parallel arrays (one entry per edge).

    Attributes
    ----------
    src, dst
        Block indices (``int64``).
    diag
        ``True`` for a node-i-to-node-i edge, ``False`` for a full one.
    line
        The line of the graph (or edge) file that declares the edge; 0 when unknown.
    pattern
        Per edge, the index pattern given as a signature (``ik->i``), or ``None`` where the
        edge was given as ``full`` or ``diag`` (its pattern then follows from ``diag`` and
        the blocks' ranks, :meth:`Graph.edge_patterns`). Empty: no signature anywhere.
    """

    src: np.ndarray
    dst: np.ndarray
    diag: np.ndarray
    line: np.ndarray
    pattern: tuple[Pattern | Shifted | None, ...] = ()

    def __len__(self) -> int:
        return len(self.src)


@dataclass(eq=False)
class Graph:
    """A validated compute graph.

    Build one with :func:`graphcost.graph.loader.load_graph` (from a file) or
    :func:`graphcost.graph.loader.graph_from_dict`; both validate names, edges, roles and
    acyclicity.

    Attributes
    ----------
    name
        The graph's name (the file's stem unless given).
    blocks
        The blocks, inputs first, then intermediates, then outputs, each in file order.
    edges
        The edges between blocks.
    level
        Longest-path depth of every block from the sources (0 for the inputs); a node's depth
        is its block's. :attr:`order` derives from it.
    symbols
        Default values of the size symbols.
    description
        Free text.
    path
        The file it was loaded from, if any.
    extra
        Raw sections of the file that later stages read (``g``, ``at``, ``params``,
        ``published``); ``g`` is parsed into :attr:`definitions`, the rest is validated where
        it is used.
    definitions
        The parsed ``g`` section (block index → ``graphcost.graph.definitions.Definition``), or
        ``None`` when the file defines no node functions. Parsed once, by the loader.
    """

    name: str
    blocks: tuple[Block, ...]
    edges: Edges
    level: np.ndarray
    symbols: dict[str, int] = field(default_factory=dict)
    description: str = ""
    path: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    definitions: dict[int, Any] | None = None

    @cached_property
    def order(self) -> np.ndarray:
        """A topological order of the blocks: by depth, then file order."""
        return np.argsort(self.level, kind="stable")

    @cached_property
    def index(self) -> dict[str, int]:
        """Map from block name to block index."""
        return {block.name: i for i, block in enumerate(self.blocks)}

    @cached_property
    def role_codes(self) -> np.ndarray:
        """Per-block role code (0 input, 1 intermediate, 2 output)."""
        return np.array([ROLE_CODE[b.role] for b in self.blocks], dtype=np.int8)

    def blocks_with_role(self, role: str) -> list[int]:
        """Indices of the blocks with the given role, in file order."""
        return [i for i, block in enumerate(self.blocks) if block.role == role]

    @cached_property
    def free_symbols(self) -> frozenset[str]:
        """All symbols the block sizes mention."""
        return frozenset().union(*(block.size.names for block in self.blocks))

    @cached_property
    def is_node_level(self) -> bool:
        """Whether every block is a single node (size ``1``)."""
        return all(block.size.text == "1" for block in self.blocks)

    def symbol_values(self, overrides: Mapping[str, int] | None = None) -> dict[str, int]:
        """The symbols' defaults updated with ``overrides``.

        Raises
        ------
        SizeError
            If an override names a symbol that no size uses, or a symbol has no value.
        """
        values = dict(self.symbols)
        for symbol, value in (overrides or {}).items():
            if symbol not in self.free_symbols and symbol not in self.symbols:
                known = ", ".join(sorted(self.free_symbols | set(self.symbols))) or "none"
                raise SizeError(
                    f"unknown symbol {quote(symbol)} in --set",
                    path=self.path,
                    fix=f"this graph's symbols are: {known}",
                )
            values[symbol] = value
        missing = sorted(self.free_symbols - values.keys())
        if missing:
            raise SizeError(
                f"symbol {quote(missing[0])} has no value",
                path=self.path,
                fix=f"add it under 'symbols:' or pass --set {missing[0]}=VALUE",
            )
        return values

    @cached_property
    def is_shaped(self) -> bool:
        """Whether some block is not a vector or some edge has a signature (issue 11)."""
        return any(b.shape is not None for b in self.blocks) or any(
            p is not None for p in self.edges.pattern
        )

    @cached_property
    def edge_patterns(self) -> tuple[Pattern, ...]:
        """The index pattern of every edge at block level: its signature (a shifted one's
        superset, :mod:`graphcost.graph.shifts`), else ``full`` or ``diag``."""
        given = self.edges.pattern or (None,) * len(self.edges)
        ranks = [block.rank for block in self.blocks]
        return tuple(
            (pattern.superset() if isinstance(pattern, Shifted) else pattern)
            if pattern is not None
            else (Pattern.diag(ranks[a]) if diag else Pattern.full(ranks[a], ranks[b]))
            for a, b, diag, pattern in zip(
                self.edges.src.tolist(),
                self.edges.dst.tolist(),
                self.edges.diag.tolist(),
                given,
                strict=True,
            )
        )

    def sizes(self, overrides: Mapping[str, int] | None = None) -> list[int]:
        """The exact size (number of nodes) of every block for the given symbol values.

        Parameters
        ----------
        overrides
            Symbol values that replace the defaults (``--set n=300``).

        Returns
        -------
        list of int

        Raises
        ------
        SizeError
            If a size is not a positive integer, naming the block, expression and values; or
            a diag edge (a paired dimension) joins unequal sizes.
        """
        return [_product(shape) for shape in self.shapes(overrides)]

    def shapes(self, overrides: Mapping[str, int] | None = None) -> list[tuple[int, ...]]:
        """The exact shape of every block (``(size,)`` for a vector), checked like :meth:`sizes`."""
        values = self.symbol_values(overrides)
        shapes = []
        for block in self.blocks:
            if block.shape is None:
                shapes.append((self._evaluate(block, block.size, values, "size"),))
            else:
                shapes.append(
                    tuple(
                        self._evaluate(block, dim, values, f"dimension {d + 1}")
                        for d, dim in enumerate(block.shape)
                    )
                )
        self._check_patterns(shapes, lambda a, b: a == b)
        return shapes

    def _evaluate(self, block: Block, expr: Expr, values: Mapping[str, int], what: str) -> int:
        if expr.text == "1":
            return 1
        try:
            value = expr.evaluate(values)
        except ExpressionError as error:
            raise SizeError(
                f"{what} of block {quote(block.name)}: {error.message}",
                path=self.path,
                line=block.line,
                fix=error.fix or "choose other symbol values or simplify the size",
            ) from None
        if value.denominator != 1 or value <= 0:
            shown = ", ".join(f"{k} = {values[k]}" for k in sorted(expr.names))
            raise SizeError(
                f"{what} of block {quote(block.name)} ({expr.text}) is "
                f"{_show_fraction(value)} at {shown or 'these values'}, "
                "not a positive integer",
                path=self.path,
                line=block.line,
                fix="choose symbol values that make every size a positive integer",
            )
        return int(value)

    def _check_patterns(self, shapes: list[tuple[Any, ...]], equal: Any) -> None:
        """Raise a :class:`SizeError` where an edge pairs two dimensions of unequal sizes."""
        given = self.edges.pattern or (None,) * len(self.edges)
        checked = self.edges.diag.copy()  # only diag edges and signatures pair dimensions
        if self.edges.pattern:
            checked |= np.array([p is not None for p in given], dtype=bool)
        edges = np.flatnonzero(checked).tolist()
        patterns = self.edge_patterns if edges else ()  # a Pattern per edge: only if needed
        for e in edges:
            a, b = int(self.edges.src[e]), int(self.edges.dst[e])
            for ds, dt in patterns[e].paired:
                if not equal(shapes[a][ds], shapes[b][dt]):
                    self._unequal(e, (a, ds), (b, dt), shapes, given[e])
        for d in (self.definitions or {}).values():  # weight inputs: W [|h|, |x|] (ik->i)
            for x, w in zip(d.parents, d.weights, strict=False):
                if w is not None and len(shapes[w]) == 2 and not equal(shapes[w][1], shapes[x][0]):
                    raise SizeError(
                        f"weight input {self.blocks[w].name} {self.blocks[w].shape_text} = "
                        f"{list(shapes[w])} multiplies {self.blocks[x].name} of size "
                        f"{shapes[x][0]}: its second dimension must be {self.blocks[x].shape_text}",
                        path=self.path,
                        line=self.blocks[w].line,
                        fix="a layer's weight is [size of the layer, size of its parent]",
                    )

    def _unequal(
        self,
        e: int,
        first: tuple[int, int],
        second: tuple[int, int],
        shapes: list[tuple[Any, ...]],
        signature: Pattern | None,
    ) -> None:
        shown = []
        for block_index, d in (first, second):
            block = self.blocks[block_index]
            text, size = block.dims[d].text, shapes[block_index][d]
            shown.append(str(size) if text == str(size) else f"{text} = {size}")
        one, two = self.blocks[first[0]], self.blocks[second[0]]
        line = int(self.edges.line[e]) or None
        if signature is None and one.shape is None and two.shape is None:
            raise SizeError(
                f"diag edge [{one.name}, {two.name}] joins blocks of sizes "
                f"{shown[0]} and {shown[1]}",
                path=self.path,
                line=line,
                fix="a diag edge links node i to node i: give both blocks the same size",
            )
        kind = "diag" if signature is None else f"'{signature}'"
        raise SizeError(
            f"edge [{one.name}, {two.name}, {kind}] pairs dimension {first[1] + 1} of "
            f"{one.name} ({shown[0]}) with dimension {second[1] + 1} of {two.name} ({shown[1]})",
            path=self.path,
            line=line,
            fix="a letter on both sides pairs equal indices: give both dimensions the same size",
        )

    def symbolic_sizes(self) -> tuple[list[Any], dict[str, Any]]:
        """Block sizes as sympy expressions in positive integer symbols.

        Returns
        -------
        sizes, symbols
            One sympy expression per block (a shaped block's: the product of its
            dimensions), and the sympy symbols by name.
        """
        shapes, symbols = self.symbolic_shapes()
        return [_product(shape) for shape in shapes], symbols

    def symbolic_shapes(self) -> tuple[list[tuple[Any, ...]], dict[str, Any]]:
        """Block shapes as tuples of sympy expressions (checked like :meth:`symbolic_sizes`)."""
        import sympy

        symbols = {
            name: sympy.Symbol(name, positive=True, integer=True)
            for name in sorted(self.free_symbols)
        }
        shapes = [tuple(dim.to_sympy(symbols) for dim in block.dims) for block in self.blocks]
        self._check_patterns(shapes, lambda a, b: sympy.simplify(a - b) == 0)
        return shapes, symbols


def _product(values: Any) -> Any:
    total: Any = 1
    for value in values:
        total = total * value
    return total


def _show_fraction(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    try:
        approximate = f" = {float(value):.6g}"
    except OverflowError:
        approximate = ""
    return f"{value.numerator}/{value.denominator}{approximate}"
