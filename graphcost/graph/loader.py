"""Load and validate a graph file (YAML) into a :class:`graphcost.graph.model.Graph`.

The YAML is *composed* (parsed to nodes, with libyaml when available) and walked here: only
plain mappings, sequences and scalars of the core YAML types are accepted, so no tag can
construct an object, duplicate keys are rejected instead of silently overwritten, and every
error names its line. See the README for the format; in short::

    name: exercise-4b
    symbols: {n: 30}
    V: {x: n}                  # a block of n input nodes (or a list of node names)
    D: {h1: 2*n/3, h2: n/3}
    D': {y: 1}                 # also accepted: Dprime
    E: [[x, h1], [h1, h2], [h2, y]]   # [from, to] or [from, to, diag]; or {file: edges.csv}
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from graphcost.errors import ExpressionError, GraphFileError, GraphValidationError
from graphcost.files import read_text_file, shown_path
from graphcost.graph.dag import CycleFound, reach_counts, topological_levels
from graphcost.graph.expr import MAX_RESULT_BITS, parse_expression, quote
from graphcost.graph.model import INPUT, INTERMEDIATE, OUTPUT, ROLE_CODE, Block, Edges, Graph

#: Top-level keys of a graph file. Sections read by later stages are kept in ``Graph.extra``.
CORE_SECTIONS = ("name", "description", "symbols", "V", "D", "D'", "Dprime", "E")
EXTRA_SECTIONS = ("g", "at", "params", "published")
EDGE_KINDS = ("full", "diag")
# Square brackets are allowed: `graphcost show` names expanded nodes block[i].
_NAME = re.compile(r"^[^\s,#:{}]+$")
_SYMBOL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
#: The largest YAML graph file read: composing YAML takes ~100 bytes of memory and ~0.5–2 µs
#: per byte of an edge list (a 50 MB list took 3.6 GB). Hand-written graphs are a few KB, a
#: node-level YAML of 10^5 edges is 1.6 MB; bigger edge lists belong in an edge file, whose
#: reader is fast.
MAX_GRAPH_FILE_BYTES = 8 << 20
#: The largest edge file read (~5 million edges; reading takes ~25 bytes of memory per byte).
MAX_EDGE_FILE_BYTES = 64 << 20
#: What an edge file outside the graph file's folder shows of a line it cannot read.
_NOT_QUOTED = "the line is not quoted: the edge file is outside the graph file's folder"
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TAG_FIX = "use plain strings, numbers and lists"
#: Line starts that send an edge-file line to the careful path (blank, comment, indented).
_SPECIAL_START = frozenset({"", "#", " ", "\t", "\f", "\v"})
#: What sends an edge file to the general reader: a line that starts blank, indented or with
#: '#', and any line break other than \n (str.splitlines honours them all). Substring tests
#: are memchr-fast, unlike a multiline regular expression.
_NOT_SIMPLE = ("\n\n", "\n ", "\n\t", "\n#", *"\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


class Located(dict):
    """A mapping from a YAML file that remembers the line of each key (``lines``)."""

    lines: dict[str, int]


class LocatedList(list):
    """A sequence from a YAML file that remembers the line of each item (``lines``)."""

    lines: list[int]


def load_graph(path: str | os.PathLike[str]) -> Graph:
    """Read, parse and validate a graph file.

    Parameters
    ----------
    path
        A YAML graph file (format in the README).

    Returns
    -------
    Graph

    Raises
    ------
    GraphFileError
        The file is missing, not valid YAML, or has duplicate keys or unsupported tags.
    GraphValidationError
        The content is not a valid compute graph (the message names line and value).
    ExpressionError
        A size expression is malformed or unsafe.
    """
    shown = shown_path(path)
    text = read_text_file(
        path,
        what="graph file",
        shown=shown,
        limit_bytes=MAX_GRAPH_FILE_BYTES,
        too_large_fix="list a large graph's edges in an edge file, E: {file: edges.csv}, one "
        "from,to per line: it is read fast, unlike YAML",
        missing="no such file",
        missing_fix="check the path (examples are in graphs/)",
    )
    data = parse_yaml(text, shown)
    return graph_from_dict(data, path=shown, default_name=Path(path).stem)


def parse_yaml(text: str, path: str) -> Any:
    """Parse YAML text into plain Python values, safely, rejecting duplicate keys.

    Mappings come back as :class:`Located` and sequences as :class:`LocatedList`, which carry
    1-based line numbers for error messages.
    """
    # A big edge list composes into hundreds of thousands of node objects; the cyclic garbage
    # collector's repeated scans of them cost five times the parse. The trees hold no cycles.
    with _gc_paused():
        try:
            return _parse_yaml(text, path)
        except RecursionError:
            raise _too_deep(path, None) from None


def _too_deep(path: str, line: int | None) -> GraphFileError:
    """One message for YAML nested too deeply, whether Python's stack or PyYAML's bound saw it."""
    return GraphFileError(
        "the YAML is nested too deeply", path=path, line=line, fix="flatten the nested lists"
    )


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _parse_yaml(text: str, path: str) -> Any:
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = error.problem or error.context or "malformed YAML"
        if "nesting depth" in problem:  # PyYAML >= 6.0.3 bounds nesting itself
            raise _too_deep(path, line) from None
        raise GraphFileError(
            f"malformed YAML: {problem}",
            path=path,
            line=line,
            fix="check indentation, brackets and quoting around this line",
        ) from None
    except yaml.YAMLError as error:
        raise GraphFileError(f"malformed YAML: {error}", path=path) from None
    if node is None:
        raise GraphFileError("the file is empty", path=path, fix="see the README for the format")
    return _plain(node, path, set())


def _plain(node: yaml.Node, path: str, seen: set[int]) -> Any:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.CollectionNode):
        # An alias is the same node object again. Reusing a list or mapping can expand
        # exponentially ("billion laughs") or recursively, so only scalars may be aliased.
        if id(node) in seen:
            raise GraphFileError(
                "a YAML alias (*name) repeats the list or mapping anchored here",
                path=path,
                line=line,
                fix="write the repeated list or mapping out in full",
            )
        seen.add(id(node))
    if isinstance(node, yaml.ScalarNode):
        if node.tag not in _SCALAR_TAGS:
            raise GraphFileError(
                f"unsupported YAML tag {quote(node.tag)}",
                path=path,
                line=line,
                fix=_TAG_FIX,
            )
        if node.tag == "tag:yaml.org,2002:str":
            return node.value
        try:
            return yaml.constructor.SafeConstructor().construct_object(node)
        except ValueError as error:  # e.g. an integer of more than 4300 digits
            raise GraphFileError(
                f"cannot read the value {quote(node.value, most=40)}: {error}",
                path=path,
                line=line,
            ) from None
    if isinstance(node, yaml.SequenceNode):
        if node.tag != "tag:yaml.org,2002:seq":
            raise GraphFileError(
                f"unsupported YAML tag {quote(node.tag)}", path=path, line=line, fix=_TAG_FIX
            )
        items = LocatedList(_plain(item, path, seen) for item in node.value)
        items.lines = [item.start_mark.line + 1 for item in node.value]
        return items
    if isinstance(node, yaml.MappingNode):
        if node.tag != "tag:yaml.org,2002:map":
            raise GraphFileError(
                f"unsupported YAML tag {quote(node.tag)}", path=path, line=line, fix=_TAG_FIX
            )
        mapping = Located()
        mapping.lines = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            key = _plain(key_node, path, seen)
            if isinstance(key, Located | LocatedList):
                raise GraphFileError("a mapping key must be a scalar", path=path, line=key_line)
            key = str(key)
            if key in mapping:
                raise GraphFileError(
                    f"duplicate key {quote(key)} (first at line {mapping.lines[key]})",
                    path=path,
                    line=key_line,
                    fix="each key may appear once: merge or rename the entries",
                )
            mapping[key] = _plain(value_node, path, seen)
            mapping.lines[key] = key_line
        return mapping
    raise GraphFileError("unsupported YAML node", path=path, line=line)  # aliases resolve


def line_of(container: Any, key: Any) -> int | None:
    """The line of ``container[key]`` in a parsed file, or ``None`` when unknown."""
    lines = getattr(container, "lines", None)
    if lines is None:
        return None
    try:
        return lines[key]
    except (KeyError, IndexError, TypeError):
        return None


def graph_from_dict(
    data: Any,
    *,
    path: str | None = None,
    default_name: str = "graph",
) -> Graph:
    """Validate a graph given as plain Python data (as YAML would give it).

    Parameters
    ----------
    data
        A mapping with the sections of the graph file format.
    path
        The file it came from, for messages (and to resolve ``E: {file: ...}``).
    default_name
        The graph's name when ``name`` is absent.

    Returns
    -------
    Graph

    Raises
    ------
    GraphValidationError, ExpressionError

    Examples
    --------
    >>> g = graph_from_dict({"V": ["x"], "D": ["a"], "D'": ["y"], "E": [["x", "a"], ["a", "y"]]})
    >>> [b.name for b in g.blocks]
    ['x', 'a', 'y']
    """
    if not isinstance(data, Mapping):
        raise GraphValidationError(
            "the file must be a mapping with the sections V, D, D' and E",
            path=path,
            fix="see the README for the format",
        )

    def fail(message: str, key: Any = None, container: Any = data, fix: str | None = None):
        return GraphValidationError(
            message, path=path, line=line_of(container, key) if key is not None else None, fix=fix
        )

    known = CORE_SECTIONS + EXTRA_SECTIONS
    for key in data:
        if key not in known:
            raise fail(
                f"unknown section {quote(key)}", key, fix=f"the sections are: {', '.join(known)}"
            )
    if "D'" in data and "Dprime" in data:
        raise fail("both D' and Dprime are given", "Dprime", fix="keep one of them")

    name = data.get("name", default_name)
    description = data.get("description", "")
    if not isinstance(name, str | int) or isinstance(name, bool):
        raise fail("'name' must be a string", "name")
    if not isinstance(description, str):
        raise fail("'description' must be a string", "description")
    symbols = _symbols(data, fail)
    blocks = _declared_blocks(data, symbols, fail, path)
    index = {block.name: i for i, block in enumerate(blocks)}
    definitions = None
    if "g" in data:
        # g names each block's parents: E is derived from it, or checked against it.
        from graphcost.graph.definitions import (
            check_edges,
            edges_from_definitions,
            parse_definitions,
        )

        definitions = parse_definitions(data["g"], blocks, data.get("params"), path=path)
    if "E" not in data:
        if definitions is None:
            raise fail(
                "missing section 'E'",
                fix="list the edges as E: [[from, to], ...], or define the nodes under g:",
            )
        edges = edges_from_definitions(definitions, blocks)
    else:
        edges = _edges(data["E"], data, index, blocks, fail, path)
        if definitions is not None:
            check_edges(definitions, edges, blocks, path=path)
    _check_roles(edges, blocks, path)
    level = _levels(blocks, edges, path)
    extra = {key: data[key] for key in EXTRA_SECTIONS if key in data}
    return Graph(
        name=str(name),
        blocks=tuple(blocks),
        edges=edges,
        level=level,
        symbols=symbols,
        description=description,
        path=path,
        extra=extra,
        definitions=definitions,
    )


def _declared_blocks(
    data: Mapping[str, Any], symbols: Mapping[str, int], fail: Any, path: str | None
) -> list[Block]:
    """The blocks of V, D and D' in that order: names unique, size symbols declared."""
    blocks: list[Block] = []
    first_line: dict[str, int | None] = {}
    output_key = "Dprime" if "Dprime" in data else "D'"
    for key, role in (("V", INPUT), ("D", INTERMEDIATE), (output_key, OUTPUT)):
        if key not in data:
            if role == INTERMEDIATE:
                continue
            raise fail(
                f"missing section {quote(key)}" if role == INPUT else 'missing section "D\'"',
                fix="declare the inputs under V and the outputs under D' (or Dprime)",
            )
        for block in _blocks(data[key], key, role, data, fail, path):
            if block.name in first_line:
                raise GraphValidationError(
                    f"name {quote(block.name)} is declared twice "
                    f"(first at line {first_line[block.name]})",
                    path=path,
                    line=block.line,
                    fix="give every node and block a unique name",
                )
            first_line[block.name] = block.line
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
            blocks.append(block)
        if role != INTERMEDIATE and not any(block.role == role for block in blocks):
            # An empty V or D' leaves nothing to differentiate: every count would be a silent 0.
            raise fail(
                f"section {quote(key)} declares no {'inputs' if role == INPUT else 'outputs'}",
                key,
                fix="declare at least one input under V and one output under D' (or Dprime)",
            )
    return blocks


def _symbols(data: Mapping[str, Any], fail: Any) -> dict[str, int]:
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
            if size is None or isinstance(size, bool) or not isinstance(size, int | str):
                raise GraphValidationError(
                    f"size of block {quote(name)} must be a positive integer or an expression, "
                    f"got {quote(size)}",
                    path=path,
                    line=line,
                    fix="write e.g. 30 or 2*n/3",
                )
            try:
                expr = parse_expression(size)
            except ExpressionError as error:
                raise GraphValidationError(
                    f"size of block {quote(name)}: {error.message}",
                    path=path,
                    line=line,
                    fix=error.fix,
                ) from None
            if isinstance(size, int) and size <= 0:
                raise GraphValidationError(
                    f"size of block {quote(name)} is {size}, not a positive integer",
                    path=path,
                    line=line,
                    fix="sizes must be at least 1",
                )
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


def _edges(
    section: Any,
    data: Any,
    index: dict[str, int],
    blocks: list[Block],
    fail: Any,
    path: str | None,
) -> Edges:
    if isinstance(section, Mapping):
        if set(section) != {"file"} or not isinstance(section["file"], str):
            raise fail(
                "E must be a list of edges or {file: PATH}",
                "E",
                fix="e.g. E: {file: edges.csv}",
            )
        base = Path(path).parent if path else Path.cwd()
        file = base / section["file"]
        return read_edge_file(file, index, blocks, quote_content=_inside(file, base))
    if not isinstance(section, list):
        raise fail("E must be a list of edges [from, to] or [from, to, diag]", "E")
    count = len(section)
    src = np.empty(count, dtype=np.int64)
    dst = np.empty(count, dtype=np.int64)
    diag = np.zeros(count, dtype=bool)
    lines = np.zeros(count, dtype=np.int64)
    for position, item in enumerate(section):
        line = line_of(section, position) or line_of(data, "E") or 0
        if not isinstance(item, list) or len(item) not in (2, 3):
            raise GraphValidationError(
                f"edge {quote(item)} must be [from, to] or [from, to, diag]",
                path=path,
                line=line or None,
            )
        for end in item[:2]:
            if not isinstance(end, str) or end not in index:
                raise GraphValidationError(
                    f"edge {_show_edge(item)} names unknown node {quote(end)}",
                    path=path,
                    line=line or None,
                    fix=_unknown_fix(end, index),
                )
        kind = item[2] if len(item) == 3 else "full"
        if kind not in EDGE_KINDS:
            raise GraphValidationError(
                f"edge {_show_edge(item)} has unknown kind {quote(kind)}",
                path=path,
                line=line or None,
                fix="the kinds are: full (default), diag",
            )
        src[position] = index[item[0]]
        dst[position] = index[item[1]]
        diag[position] = kind == "diag"
        lines[position] = line
    edges = Edges(src, dst, diag, lines)
    _check_duplicates(edges, blocks, path)
    return edges


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
        _check_duplicates(edges, blocks, where)
        return edges
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
        if kinds[i] not in EDGE_KINDS:
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
                    fix=_unknown_fix(name, index),
                )
            codes[i] = index[name]
        ends.append(codes)
    diag = np.zeros(len(data), dtype=bool)
    diag[[i for i in wide if kinds[i] == "diag"]] = True
    edges = Edges(ends[0], ends[1], diag, np.array(kept, dtype=np.int64) + 1)
    _check_duplicates(edges, blocks, where)
    return edges


def _inside(file: Path, folder: Path) -> bool:
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

    Returns ``None`` (the general reader takes over) on anything else: blank, comment or
    indented lines, ``\r`` or other line breaks, a third column, or a name not found as is.
    """
    body = text[:-1] if text.endswith("\n") else text
    if not body or body[0] in " \t#\n" or any(mark in body for mark in _NOT_SIMPLE):
        return None
    raw = np.frombuffer(body.encode("utf-8"), dtype=np.uint8)
    breaks = np.flatnonzero(raw == ord("\n"))
    commas = np.flatnonzero(raw == ord(","))
    per_line = np.diff(np.searchsorted(commas, np.r_[breaks, raw.size]), prepend=0)
    if not np.all(per_line == 1):
        return None
    flat = body.replace("\n", ",").split(",")
    first = 1 if [flat[0].strip(), flat[1].strip()] in (["from", "to"], ["source", "target"]) else 0
    ends = []
    for column in (0, 1):
        names = flat[2 * first + column :: 2]
        try:
            ends.append(np.fromiter(map(index.__getitem__, names), np.int64, count=len(names)))
        except KeyError:
            return None
    lines = np.arange(first + 1, len(per_line) + 1, dtype=np.int64)
    return ends[0], ends[1], np.zeros(len(lines), dtype=bool), lines


def _check_duplicates(edges: Edges, blocks: list[Block], path: str | None) -> None:
    if not len(edges):
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


def _check_roles(edges: Edges, blocks: list[Block], path: str | None) -> None:
    roles = np.array([ROLE_CODE[block.role] for block in blocks], dtype=np.int8)
    for mask, message, fix in (
        (
            roles[edges.dst] == ROLE_CODE[INPUT],
            "input {b!r} has a predecessor (edge [{a}, {b}])",
            "inputs (V) have no predecessors: move {b!r} to D",
        ),
        (
            roles[edges.src] == ROLE_CODE[OUTPUT],
            "output {a!r} has a successor (edge [{a}, {b}])",
            "outputs (D') have no successors: move {a!r} to D and add an output after it",
        ),
    ):
        bad = np.flatnonzero(mask) if len(edges) else []
        if len(bad):
            e = bad[0]
            a, b = blocks[edges.src[e]].name, blocks[edges.dst[e]].name
            raise GraphValidationError(
                message.format(a=a, b=b),
                path=path,
                line=int(edges.line[e]) or None,
                fix=fix.format(a=a, b=b),
            )


def _levels(blocks: list[Block], edges: Edges, path: str | None) -> np.ndarray:
    try:
        return topological_levels(len(blocks), edges.src, edges.dst).level
    except CycleFound as cycle:
        import networkx as nx

        stuck = set(cycle.vertices.tolist())
        graph = nx.DiGraph()
        graph.add_edges_from(
            (int(a), int(b))
            for a, b in zip(edges.src, edges.dst, strict=True)
            if a in stuck and b in stuck
        )
        loop = [u for u, _ in nx.find_cycle(graph)]
        names = " -> ".join(blocks[i].name for i in [*loop, loop[0]])
        lines = {
            int(line)
            for a, b, line in zip(edges.src, edges.dst, edges.line, strict=True)
            if a in loop and b in loop and line
        }
        raise GraphValidationError(
            f"the graph has a cycle: {names}",
            path=path,
            line=min(lines) if lines else None,
            fix="a compute graph is acyclic: remove one of these edges",
        ) from None


def unreachable_warnings(graph: Graph) -> list[str]:
    """Warnings for nodes no input reaches, or that reach no output, saying how they count.

    Such nodes are legal. The forward recursion still propagates through a node that reaches
    no output (its products are counted); the backward recursion never visits it. Symmetrically
    for a node no input reaches.
    """
    count = len(graph.blocks)
    src, dst = graph.edges.src, graph.edges.dst
    inputs = np.array(graph.blocks_with_role(INPUT), dtype=np.int64)
    outputs = np.array(graph.blocks_with_role(OUTPUT), dtype=np.int64)
    from_input = reach_counts(count, src, dst, graph.level, inputs) > 0
    to_output = reach_counts(count, src, dst, graph.level, outputs, reverse=True) > 0
    warnings = []
    unreached = [
        b.name for i, b in enumerate(graph.blocks) if not from_input[i] and b.role != INPUT
    ]
    dead = [b.name for i, b in enumerate(graph.blocks) if not to_output[i] and b.role != OUTPUT]
    if unreached:
        them, their = ("them", "their products") if len(unreached) > 1 else ("it", "its products")
        warnings.append(
            f"{_names(unreached)} reached by no input: Δ_uv is structurally zero there; "
            f"the forward recursion counts no products for {them}, the backward recursion "
            f"still counts {their}"
        )
    if dead:
        reach, them, their = (
            ("reach", "them", "their products")
            if len(dead) > 1
            else ("reaches", "it", "its products")
        )
        warnings.append(
            f"{_names(dead)} {reach} no output: the backward recursion counts no products "
            f"for {them}, the forward recursion still counts {their}"
        )
    return warnings


def _names(names: list[str], most: int = 5) -> str:
    shown = ", ".join(quote(n) for n in names[:most])
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return f"node{'s' if len(names) > 1 else ''} {shown}{more}"


def _show_edge(item: list[Any]) -> str:
    return "[" + ", ".join(_plain_or_quoted(part) for part in item) + "]"


def _plain_or_quoted(part: Any) -> str:
    """A short printable name as is (``[x, a]``), anything else quoted and abbreviated."""
    if isinstance(part, str) and part.isprintable() and len(part) <= 60:
        return part
    return quote(part)


def _unknown_fix(name: Any, index: Mapping[str, int]) -> str:
    import difflib

    close = difflib.get_close_matches(str(name), list(index)[:10_000], n=1)
    hint = f"did you mean {quote(close[0])}? " if close else ""
    return f"{hint}declare it under V, D or D' first"
