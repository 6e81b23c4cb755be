"""The declarations of a graph file: its ``symbols`` and the blocks of V, D and D'.

:func:`declared_symbols` reads the size symbols and their default values;
:func:`declared_blocks` reads the blocks in the order V, D, D' (a list of single nodes or a
mapping from block name to size expression), with their roles and lines, and checks that every
name is unique, printable and in Unicode normal form and that every size uses declared symbols
only. The rest of the file (edges, ``g``, levels) is validated by
:mod:`graphcost.graph.loader`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from itertools import repeat
from typing import Any

from graphcost.errors import ExpressionError, GraphValidationError
from graphcost.graph.arithmetic import MAX_RESULT_BITS
from graphcost.graph.expr import parse_expression
from graphcost.graph.model import INPUT, INTERMEDIATE, OUTPUT, Block
from graphcost.graph.quoting import quote
from graphcost.graph.signature import MAX_RANK
from graphcost.graph.yamlfile import line_of

# Square brackets are allowed: `graphcost show` names expanded nodes block[i].
_NAME = re.compile(r"^[^\s,#:{}]+$")
#: A character no name may hold, but the comma (:func:`_plain_nodes` joins names with it).
_NOT_IN_NAME = re.compile(r"[\s#:{}]")
_SYMBOL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def declared_blocks(
    data: Mapping[str, Any], symbols: Mapping[str, int], fail: Any, path: str | None
) -> list[Block]:
    """The blocks of V, D and D' in that order: names unique, size symbols declared."""
    return declared_blocks_and_index(data, symbols, fail, path)[0]


def declared_blocks_and_index(
    data: Mapping[str, Any], symbols: Mapping[str, int], fail: Any, path: str | None
) -> tuple[list[Block], dict[str, int]]:
    """:func:`declared_blocks`, and each block's position by name (the index edges use)."""
    blocks: list[Block] = []
    position: dict[str, int] = {}
    output_key = "Dprime" if "Dprime" in data else "D'"
    for key, role in (("V", INPUT), ("D", INTERMEDIATE), (output_key, OUTPUT)):
        if key not in data:
            if role == INTERMEDIATE:
                continue
            raise fail(
                f"missing section {quote(key)}" if role == INPUT else 'missing section "D\'"',
                fix="declare the inputs under V and the outputs under D' (or Dprime)",
            )
        before = len(blocks)
        nodes = _plain_nodes(data[key], key, role, data)
        if nodes is None or not _add_all(nodes, blocks, position):
            for block in _blocks(data[key], key, role, data, fail, path):
                _add(block, blocks, position, symbols, path)
        if role != INTERMEDIATE and len(blocks) == before:
            # An empty V or D' leaves nothing to differentiate: every count would be a silent 0.
            raise fail(
                f"section {quote(key)} declares no {'inputs' if role == INPUT else 'outputs'}",
                key,
                fix="declare at least one input under V and one output under D' (or Dprime)",
            )
    return blocks, position


def _add(
    block: Block,
    blocks: list[Block],
    position: dict[str, int],
    symbols: Mapping[str, int],
    path: str | None,
) -> None:
    """Append one block, checking that its name is new and its size's symbols declared."""
    if block.name in position:
        raise GraphValidationError(
            f"name {quote(block.name)} is declared twice "
            f"(first at line {blocks[position[block.name]].line})",
            path=path,
            line=block.line,
            fix="give every node and block a unique name",
        )
    undeclared = sorted(block.size.names - symbols.keys())
    if undeclared:
        raise GraphValidationError(
            f"unknown symbol {quote(undeclared[0])} in the size of {quote(block.name)} "
            f"({block.size.text})",
            path=path,
            line=block.line,
            fix=f"declare it with a default value under 'symbols:', "
            f"e.g. symbols: {{{undeclared[0]}: 10}}",
        )
    position[block.name] = len(blocks)
    blocks.append(block)


def _add_all(nodes: list[Block], blocks: list[Block], position: dict[str, int]) -> bool:
    """Append single nodes already checked by :func:`_plain_nodes` (their size is 1: no
    symbol), unless a name is repeated: ``False`` then, nothing added (the careful path
    names the repeat)."""
    before, first = len(position), len(blocks)
    names = [node.name for node in nodes]
    position.update(zip(names, range(first, first + len(nodes)), strict=True))
    if len(position) == before + len(nodes):
        blocks.extend(nodes)
        return True
    position.clear()  # a repeated name overwrote an entry: back to the blocks so far
    position.update(zip([block.name for block in blocks], range(len(blocks)), strict=True))
    return False


def _plain_nodes(section: Any, key: str, role: str, data: Any) -> list[Block] | None:
    """A list of single-node names, checked all at once (a million names cost seconds one by
    one): the blocks, or ``None`` for anything the careful path must look at (a mapping, a
    name that is not a string, is not valid or not plain ASCII)."""
    if not isinstance(section, list) or not section or set(map(type, section)) != {str}:
        return None
    joined = ",".join(section)
    if (
        joined.count(",") != len(section) - 1
        or not joined.isascii()  # NFKC: checked name by name
        or not joined.isprintable()
        or _NOT_IN_NAME.search(joined)
        or "" in section
    ):
        return None
    lines = getattr(section, "lines", None)
    if lines is None or len(lines) != len(section) or not all(lines):
        lines = [line_of(section, i) or line_of(data, key) for i in range(len(section))]
    one = parse_expression(1)
    return list(map(Block, section, repeat(role), repeat(one), lines))


def declared_symbols(data: Mapping[str, Any], fail: Any) -> dict[str, int]:
    """The ``symbols`` section: identifier → integer default value (bounded in size)."""
    raw = data.get("symbols", {})
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise fail("'symbols' must be a mapping such as {n: 30}", "symbols")
    symbols = {}
    for symbol, value in raw.items():
        if not _SYMBOL.fullmatch(symbol):
            raise fail(
                f"symbol name {quote(symbol)} is not an identifier",
                symbol,
                raw,
                fix="use letters, digits and _ (not starting with a digit)",
            )
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail(
                f"default value of symbol {quote(symbol)} must be an integer, got {quote(value)}",
                symbol,
                raw,
            )
        if value.bit_length() > MAX_RESULT_BITS:
            # The same bound as any value an expression may compute.
            raise fail(
                f"default value of symbol {quote(symbol)} ({_digits(value)}) is too large "
                f"(over {MAX_RESULT_BITS:,} bits)",
                symbol,
                raw,
                fix="give a smaller default",
            )
        symbols[symbol] = value
    return symbols


def _digits(value: int) -> str:
    """A huge integer as its first digits and its length (printing it whole takes seconds)."""
    if value.bit_length() < 200:
        return str(value)
    low = int((value.bit_length() - 1) * 0.30102999566398)  # floor(log10(value)), or one less
    digits = low + 1 + (value >= 10 ** (low + 1))
    return f"an integer of {digits:,} digits"


def _blocks(
    section: Any, key: str, role: str, data: Any, fail: Any, path: str | None
) -> Iterable[Block]:
    if section is None:
        return
    if isinstance(section, Mapping):
        for name, size in section.items():
            line = line_of(section, name)
            _check_name(name, line, path)
            if isinstance(size, list):
                yield _shaped_block(str(name), role, size, line, path)
                continue
            expr = _size_expression(name, size, line, path, "size")
            yield Block(str(name), role, expr, line)
    elif isinstance(section, list):
        one = parse_expression(1)
        for position, name in enumerate(section):
            line = line_of(section, position) or line_of(data, key)
            if not isinstance(name, str):
                raise GraphValidationError(
                    f"node name {quote(name)} under {key} is not a string",
                    path=path,
                    line=line,
                    fix="quote it, e.g. '1'",
                )
            _check_name(name, line, path)
            yield Block(name, role, one, line)
    else:
        raise fail(
            f"section {key} must be a list of node names or a mapping from block name to size",
            key,
            fix=f"e.g. {key}: [a, b] or {key}: {{layer: n}}",
        )


def _size_expression(name: Any, size: Any, line: int | None, path: str | None, what: str) -> Any:
    """One size expression (a block's size or one dimension of its shape), checked."""
    if size is None or isinstance(size, bool) or not isinstance(size, int | str):
        raise GraphValidationError(
            f"{what} of block {quote(name)} must be a positive integer or an expression, "
            f"got {quote(size)}",
            path=path,
            line=line,
            fix="write e.g. 30 or 2*n/3, or a shape such as [n, m]",
        )
    try:
        expr = parse_expression(size)
    except ExpressionError as error:
        raise GraphValidationError(
            f"{what} of block {quote(name)}: {error.message}",
            path=path,
            line=line,
            fix=error.fix,
        ) from None
    if isinstance(size, int) and size <= 0:
        raise GraphValidationError(
            f"{what} of block {quote(name)} is {size}, not a positive integer",
            path=path,
            line=line,
            fix="sizes must be at least 1",
        )
    return expr


def _shaped_block(name: str, role: str, dims: list[Any], line: int | None, path: str | None):
    """A block declared with a shape: ``W: [n, m]`` (a matrix), ``s: []`` (a scalar)."""
    if len(dims) > MAX_RANK:
        raise GraphValidationError(
            f"shape of block {quote(name)} has {len(dims)} dimensions (at most {MAX_RANK})",
            path=path,
            line=line,
            fix=f"use at most {MAX_RANK} dimensions, e.g. merge some into one",
        )
    shape = tuple(
        _size_expression(name, dim, line, path, f"dimension {d + 1}") for d, dim in enumerate(dims)
    )
    if len(shape) == 1:  # x: [n] is the vector x: n
        return Block(name, role, shape[0], line)
    text = "*".join(f"({dim.text})" for dim in shape) if shape else "1"
    return Block(name, role, parse_expression(text), line, shape)


def _check_name(name: Any, line: int | None, path: str | None) -> None:
    if not isinstance(name, str) or not _NAME.match(name):
        raise GraphValidationError(
            f"invalid name {quote(name)}",
            path=path,
            line=line,
            fix="names may not be empty or contain spaces, commas, braces, '#' or ':'",
        )
    if not name.isprintable():
        # A newline or terminal escape in a name would break one-line messages and tables.
        raise GraphValidationError(
            f"name {quote(name)} contains an invisible or control character",
            path=path,
            line=line,
            fix="use printable characters only",
        )
    normal = name if name.isascii() else unicodedata.normalize("NFKC", name)
    if normal != name:
        # Python's parser reads names in g as their NFKC form: a full-width 'ｘ' in an
        # expression would silently be the node 'x'. Only names that read as written are kept.
        raise GraphValidationError(
            f"name {quote(name)} is not in Unicode normal form: expressions would read it as "
            f"{quote(normal)}",
            path=path,
            line=line,
            fix=f"write it as {quote(normal)} (or another name) in NFKC form",
        )
