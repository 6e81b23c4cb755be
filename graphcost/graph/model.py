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
        The size expression.
    line
        The line of the graph file that declares it, when known.
    """

    name: str
    role: str
    size: Expr
    line: int | None = None


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
    """

    src: np.ndarray
    dst: np.ndarray
    diag: np.ndarray
    line: np.ndarray

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

    def sizes(self, overrides: Mapping[str, int] | None = None) -> list[int]:
        """The exact size of every block for the given symbol values.

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
            If a size is not a positive integer, naming the block, expression and values.
        """
        values = self.symbol_values(overrides)
        sizes = []
        for block in self.blocks:
            if block.size.text == "1":
                sizes.append(1)
                continue
            try:
                value = block.size.evaluate(values)
            except ExpressionError as error:
                raise SizeError(
                    f"size of block {quote(block.name)}: {error.message}",
                    path=self.path,
                    line=block.line,
                    fix=error.fix or "choose other symbol values or simplify the size",
                ) from None
            if value.denominator != 1 or value <= 0:
                shown = ", ".join(f"{k} = {values[k]}" for k in sorted(block.size.names))
                raise SizeError(
                    f"size of block {quote(block.name)} ({block.size.text}) is "
                    f"{_show_fraction(value)} at {shown or 'these values'}, "
                    "not a positive integer",
                    path=self.path,
                    line=block.line,
                    fix="choose symbol values that make every size a positive integer",
                )
            sizes.append(int(value))
        self._check_diag(sizes, lambda a, b: a == b)
        return sizes

    def _check_diag(self, sizes: list[Any], equal: Any) -> None:
        for e in np.flatnonzero(self.edges.diag):
            a, b = int(self.edges.src[e]), int(self.edges.dst[e])
            if not equal(sizes[a], sizes[b]):
                first, second = self.blocks[a], self.blocks[b]
                shown = [
                    str(size) if block.size.text == str(size) else f"{block.size.text} = {size}"
                    for block, size in ((first, sizes[a]), (second, sizes[b]))
                ]
                raise SizeError(
                    f"diag edge [{first.name}, {second.name}] joins blocks of sizes "
                    f"{shown[0]} and {shown[1]}",
                    path=self.path,
                    line=int(self.edges.line[e]) or None,
                    fix="a diag edge links node i to node i: give both blocks the same size",
                )

    def symbolic_sizes(self) -> tuple[list[Any], dict[str, Any]]:
        """Block sizes as sympy expressions in positive integer symbols.

        Returns
        -------
        sizes, symbols
            One sympy expression per block, and the sympy symbols by name.
        """
        import sympy

        symbols = {
            name: sympy.Symbol(name, positive=True, integer=True)
            for name in sorted(self.free_symbols)
        }
        sizes = [block.size.to_sympy(symbols) for block in self.blocks]
        self._check_diag(sizes, lambda a, b: sympy.simplify(a - b) == 0)
        return sizes, symbols


def _show_fraction(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    try:
        approximate = f" = {float(value):.6g}"
    except OverflowError:
        approximate = ""
    return f"{value.numerator}/{value.denominator}{approximate}"
