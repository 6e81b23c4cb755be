"""Reading an edge file (``E: {file: edges.csv}``): plain ``from,to`` lines, fast, bounded.

:func:`read_edge_file` takes the common file (exactly ``from,to`` on every line) on a
vectorised fast path and anything else (blank lines, comments, a header, a third ``diag``
column, whitespace) on a general path that is still one pass of string operations. An edge
file outside the graph file's folder is never quoted in messages (:func:`is_inside`): the
line is named, its content is not. :func:`check_duplicates` and :func:`unknown_node_fix` are
shared with the ``E:`` list of the graph file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from graphcost.errors import GraphFileError, GraphValidationError
from graphcost.files import read_text_file, shown_path
from graphcost.graph.model import Block, Edges
from graphcost.graph.nametable import NameTable, name_table
from graphcost.graph.quoting import quote
from graphcost.graph.signature import Pattern, read_kind

EDGE_KINDS = ("full", "diag")
#: The largest edge file read: plain ``from,to`` lines are read a chunk at a time (about two
#: bytes of memory per byte of file, then 21 bytes per edge), up to ~80 million edges.
MAX_EDGE_FILE_BYTES = 1 << 30
#: The largest edge file the general reader takes (comments, blank lines, a kind column,
#: whitespace): it holds every field as a string (~25 bytes of memory per byte).
MAX_GENERAL_EDGE_FILE_BYTES = 64 << 20
#: Characters of a plain edge file turned into node indices at once (bounds the strings alive).
_CHUNK_CHARS = 1 << 20
#: Edge files of fewer lines look their names up in the dict (a hash table is not worth it).
_TABLE_EDGES = 1000
#: What an edge file outside the graph file's folder shows of a line it cannot read.
_NOT_QUOTED = "the line is not quoted: the edge file is outside the graph file's folder"
#: Line starts that send an edge-file line to the careful path (blank, comment, indented).
_SPECIAL_START = frozenset({"", "#", " ", "\t", "\f", "\v"})
#: The line breaks str.splitlines honours beyond the ASCII control characters: a file with
#: one goes to the general reader.
_OTHER_BREAKS = ("\x85", "\u2028", "\u2029")


def read_edge_file(
    file: Path,
    index: dict[str, int],
    blocks: list[Block],
    *,
    shown: str | None = None,
    quote_content: bool = True,
) -> Edges:
    """Read edges from a plain text file of ``from,to`` lines (optionally ``,diag``).

    Blank lines and lines starting with ``#`` are skipped; a first line ``from,to`` is taken
    as a header. Names must be declared in the graph file. With ``quote_content`` false, error
    messages name the line but quote nothing of it (the file may be someone's secret).

    Raises
    ------
    GraphFileError, GraphValidationError
    """
    where = shown or shown_path(file)
    text = read_text_file(
        file,
        what="edge file",
        shown=where,
        limit_bytes=MAX_EDGE_FILE_BYTES,
        too_large_fix="count the graph at block level: declare blocks with sizes (V: {x: n}) "
        "instead of single nodes",
        missing_fix="give E: {file: PATH} relative to the graph file",
    )
    simple = _read_simple_edges(text, index)
    if simple is not None:
        edges = Edges(*simple)
        check_duplicates(edges, blocks, where)
        return edges
    if len(text) > MAX_GENERAL_EDGE_FILE_BYTES:
        raise GraphFileError(
            f"edge file of {len(text) / 2**20:.0f} MB is not plain 'from,to' lines (over "
            f"{MAX_GENERAL_EDGE_FILE_BYTES >> 20} MB, only those are read)",
            path=where,
            fix="write exactly one 'from,to' per line with a \\n line break: no blank lines, "
            "comments, spaces or third column",
        )
    # The general path: a flat list of fields (no per-line lists: their garbage-collector
    # cost dominated) and one dict lookup per name; whitespace, comments, headers and errors
    # take a slower path only where they occur.
    lines = text.splitlines()
    kept = [i for i, line in enumerate(lines) if line[:1] not in _SPECIAL_START]
    if len(kept) < len(lines):
        odd = [i for i, line in enumerate(lines) if line[:1] in _SPECIAL_START]
        kept = sorted(kept + [i for i in odd if (s := lines[i].strip()) and s[0] != "#"])
    if kept and [f.strip() for f in lines[kept[0]].split(",")[:2]] in (
        ["from", "to"],
        ["source", "target"],
    ):
        del kept[0]
    data = lines if len(kept) == len(lines) else [lines[i] for i in kept]
    width = np.array([line.count(",") for line in data], dtype=np.int64) + 1
    flat = ",".join(data).split(",") if data else []
    first = np.cumsum(width) - width
    wide = np.flatnonzero(width != 2).tolist()
    kinds = {i: flat[first[i] + 2].strip() if width[i] == 3 else None for i in wide}
    for i in wide:
        if kinds[i] not in EDGE_KINDS and "->" not in (kinds[i] or ""):
            got = f", got {quote(data[i].strip())}" if quote_content else f" ({_NOT_QUOTED})"
            raise GraphFileError(
                f"expected 'from,to' or 'from,to,diag'{got}",
                path=where,
                line=kept[i] + 1,
            )
    ends = []
    for column in (0, 1):
        names = flat[column::2] if not wide else [flat[j] for j in (first + column).tolist()]
        codes = np.array([index.get(name, -1) for name in names], dtype=np.int64)
        for i in np.flatnonzero(codes < 0).tolist():
            name = names[i].strip()
            if name not in index:
                if not quote_content:
                    raise GraphValidationError(
                        f"edge names a node that is not declared ({_NOT_QUOTED})",
                        path=where,
                        line=kept[i] + 1,
                        fix="declare it under V, D or D' first",
                    )
                raise GraphValidationError(
                    f"edge names unknown node {quote(name)}",
                    path=where,
                    line=kept[i] + 1,
                    fix=unknown_node_fix(name, index),
                )
            codes[i] = index[name]
        ends.append(codes)
    diag = np.zeros(len(data), dtype=bool)
    patterns: list[Pattern | None] = [None] * len(data)
    for i in wide:
        try:
            diag[i], patterns[i] = read_kind(
                kinds[i], blocks[int(ends[0][i])].rank, blocks[int(ends[1][i])].rank
            )
        except ValueError as error:
            raise GraphValidationError(
                f"edge: {error.args[0]}", path=where, line=kept[i] + 1, fix=error.args[1]
            ) from None
    given = tuple(patterns) if any(p is not None for p in patterns) else ()
    edges = Edges(ends[0], ends[1], diag, np.array(kept, dtype=np.int64) + 1, given)
    check_duplicates(edges, blocks, where)
    return edges


def is_inside(file: Path, folder: Path) -> bool:
    """Whether ``file`` resolves (through symlinks and ``..``) to a place inside ``folder``.

    Only such an edge file may be quoted in messages: ``E: {file: /etc/passwd}`` must not
    show a line of /etc/passwd.
    """
    try:
        return Path(os.path.realpath(file)).is_relative_to(os.path.realpath(folder))
    except (OSError, ValueError):
        return False


def _read_simple_edges(
    text: str, index: dict[str, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """The common edge file, fast: exactly ``from,to`` on every line, an optional header.

    Read a chunk of :data:`_CHUNK_CHARS` characters at a time, so that the memory alive stays
    bounded whatever the file's size; the names are looked up in a
    :class:`~graphcost.graph.nametable.NameTable` straight from the chunk's bytes (or, for
    names it does not take, split into strings and looked up in ``index``). Returns ``None``
    (the general reader takes over) on anything else: blank, comment or indented lines,
    ``\r`` or other line breaks, a third column, or a name not found as is.
    """
    end = len(text) - 1 if text.endswith("\n") else len(text)
    if not end:
        return None
    first_break = text.find("\n", 0, end)
    head = text[: first_break if first_break >= 0 else end].split(",")
    header = [f.strip() for f in head] in (["from", "to"], ["source", "target"])
    start = (first_break + 1 if first_break >= 0 else end) if header else 0
    count = text.count("\n", start, end) + 1 if start < end else 0
    ends = np.empty((2, count), dtype=np.int64)
    table = name_table(index) if count > _TABLE_EDGES else None
    filled = 0
    while start < end:
        stop = text.find("\n", min(start + _CHUNK_CHARS, end), end)
        stop = end if stop < 0 else stop
        codes = _chunk_codes(text[start:stop], index, table)
        if codes is None:
            return None
        ends[:, filled : filled + codes.shape[1]] = codes
        filled += codes.shape[1]
        start = stop + 1
    line_type = np.int32 if count + 2 < 2**31 else np.int64
    numbers = np.arange(1 + header, count + 1 + header, dtype=line_type)
    return ends[0], ends[1], np.zeros(count, dtype=bool), numbers


def _chunk_codes(chunk: str, index: dict[str, int], table: NameTable | None) -> np.ndarray | None:
    """``(2, lines)`` node indices of a chunk of whole ``from,to`` lines, or ``None`` if a line
    is not exactly that or names no declared node as is."""
    data = chunk.encode("utf-8")
    raw = np.frombuffer(data, dtype=np.uint8)
    breaks = np.flatnonzero(raw == ord("\n"))
    commas = np.flatnonzero(raw == ord(","))
    # Exactly one comma per line: the k-th comma lies between the (k-1)-th and k-th break.
    if (
        len(commas) != len(breaks) + 1
        or np.any(commas[:-1] > breaks)
        or np.any(commas[1:] < breaks)
    ):
        return None
    line_starts = np.concatenate([[0], breaks + 1])
    # No control character but \n (\r, tabs, \v, \f, \x1c-\x1e), no other line break,
    # no line starting with a space or '#': those lines are the general reader's.
    if np.count_nonzero(raw < 0x20) != len(breaks) or np.any(
        (raw[line_starts] == ord(" ")) | (raw[line_starts] == ord("#"))
    ):
        return None
    if not chunk.isascii() and any(mark in chunk for mark in _OTHER_BREAKS):
        return None
    if table is not None:
        line_ends = np.append(breaks, len(data))
        found = table.lookup(
            data, np.concatenate([line_starts, commas + 1]), np.concatenate([commas, line_ends])
        )
        return None if found is None else found.reshape(2, -1)
    del raw, data
    fields = chunk.replace("\n", ",").split(",")
    codes = np.empty((2, len(fields) // 2), dtype=np.int64)
    try:
        for column in (0, 1):
            codes[column] = np.fromiter(
                map(index.__getitem__, fields[column::2]), np.int64, count=codes.shape[1]
            )
    except KeyError:
        return None
    return codes


def check_duplicates(edges: Edges, blocks: list[Block], path: str | None) -> None:
    """Refuse an edge given twice, naming both lines (``GraphValidationError``)."""
    if not len(edges):
        return
    code = edges.src * len(blocks) + edges.dst
    if np.all(code[1:] > code[:-1]):  # a file written in order: no sort needed
        return
    code.sort()  # in place: no index array unless an edge is repeated
    if not np.any(code[1:] == code[:-1]):
        return
    code = edges.src * len(blocks) + edges.dst
    order = np.argsort(code, kind="stable")
    repeated = np.flatnonzero(code[order][1:] == code[order][:-1])
    if repeated.size:
        first, second = order[repeated[0]], order[repeated[0] + 1]
        a, b = blocks[edges.src[second]].name, blocks[edges.dst[second]].name
        raise GraphValidationError(
            f"edge [{a}, {b}] is given twice (first at line {edges.line[first]})",
            path=path,
            line=int(edges.line[second]) or None,
            fix="list each edge once (a full edge already contains the diag one)",
        )


def unknown_node_fix(name: Any, index: Mapping[str, int]) -> str:
    """The fix for an edge naming an undeclared node: the closest declared name, if any."""
    import difflib

    close = difflib.get_close_matches(str(name), list(index)[:10_000], n=1)
    hint = f"did you mean {quote(close[0])}? " if close else ""
    return f"{hint}declare it under V, D or D' first"
