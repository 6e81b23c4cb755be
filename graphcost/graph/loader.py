"""Load and validate a graph file (YAML) into a :class:`graphcost.graph.model.Graph`.

:func:`load_graph` reads the file (bounded in size) and parses it with
:func:`graphcost.graph.yamlfile.parse_yaml`; :func:`graph_from_dict` validates the sections:
the declarations (:mod:`graphcost.graph.declarations`), the edges of ``E`` (a list here, or an
edge file read by :mod:`graphcost.graph.edgefile`), the ``g`` definitions
(:mod:`graphcost.graph.definitions`), the roles at the ends of each edge and the acyclic
levels. :func:`unreachable_warnings` says how nodes cut off from the inputs or outputs count.
Every error names its line. See the README for the format; in short::

    name: exercise-4b
    symbols: {n: 30}
    V: {x: n}                  # a block of n input nodes (or a list of node names)
    D: {h1: 2*n/3, h2: n/3}
    D': {y: 1}                 # also accepted: Dprime
    E: [[x, h1], [h1, h2], [h2, y]]   # [from, to] or [from, to, diag]; or {file: edges.csv}
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from graphcost.errors import GraphValidationError
from graphcost.files import read_text_file, shown_path
from graphcost.graph.dag import CycleFound, reach_counts, topological_levels
from graphcost.graph.declarations import declared_blocks_and_index, declared_symbols
from graphcost.graph.definition_edges import check_edges, edges_from_definitions
from graphcost.graph.definitions import parse_definitions
from graphcost.graph.edgefile import (
    check_duplicates,
    is_inside,
    read_edge_file,
    unknown_node_fix,
)
from graphcost.graph.model import INPUT, OUTPUT, ROLE_CODE, Block, Edges, Graph
from graphcost.graph.quoting import quote
from graphcost.graph.signature import Pattern, read_kind
from graphcost.graph.yamlfile import gc_paused, line_of, parse_yaml

#: Top-level keys of a graph file. Sections read by later stages are kept in ``Graph.extra``.
CORE_SECTIONS = ("name", "description", "symbols", "V", "D", "D'", "Dprime", "E")
EXTRA_SECTIONS = ("g", "at", "params", "published", "upper_bounds")
#: The largest YAML graph file read: composing YAML takes ~100 bytes of memory and ~0.5–2 µs
#: per byte of an edge list (a 50 MB list took 3.6 GB). Hand-written graphs are a few KB, a
#: node-level YAML of 10^5 edges is 1.6 MB; bigger edge lists belong in an edge file, whose
#: reader is fast.
MAX_GRAPH_FILE_BYTES = 8 << 20


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
        missing_fix="check the path (graphcost examples lists the shipped graphs: example:NAME)",
    )
    with gc_paused():  # a million node declarations are a million acyclic objects
        data = parse_yaml(text, shown)
        return graph_from_dict(data, path=shown, default_name=Path(path).stem)


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
    symbols = declared_symbols(data, fail)
    blocks, index = declared_blocks_and_index(data, symbols, fail, path)
    definitions = None
    if "g" in data:
        # g names each block's parents: E is derived from it, or checked against it.
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
        return read_edge_file(file, index, blocks, quote_content=is_inside(file, base))
    if not isinstance(section, list):
        raise fail("E must be a list of edges [from, to] or [from, to, diag]", "E")
    count = len(section)
    src = np.empty(count, dtype=np.int64)
    dst = np.empty(count, dtype=np.int64)
    diag = np.zeros(count, dtype=bool)
    lines = np.zeros(count, dtype=np.int64)
    patterns: list[Pattern | None] = [None] * count
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
                    fix=unknown_node_fix(end, index),
                )
        kind = item[2] if len(item) == 3 else "full"
        src[position] = index[item[0]]
        dst[position] = index[item[1]]
        try:
            diag[position], patterns[position] = read_kind(
                kind, blocks[src[position]].rank, blocks[dst[position]].rank
            )
        except ValueError as error:
            message, fix = error.args
            raise GraphValidationError(
                f"edge {_show_edge(item)}: {message}", path=path, line=line or None, fix=fix
            ) from None
        lines[position] = line
    given = tuple(patterns) if any(p is not None for p in patterns) else ()
    edges = Edges(src, dst, diag, lines, given)
    check_duplicates(edges, blocks, path)
    return edges


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
    from_input = reach_counts(count, src, dst, graph.level, inputs, any_seed=True) > 0
    to_output = reach_counts(count, src, dst, graph.level, outputs, reverse=True, any_seed=True) > 0
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
