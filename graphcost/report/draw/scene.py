"""What a picture of a graph shows, independent of how it is drawn.

A :class:`Scene` lists the vertices (with their label lines and role) and the edges (with
their kind: ``full``, ``diag`` or another index ``pattern``) of a graph, plus a title and, for
a frame of an elimination, which vertex was just eliminated and which edges are new (fill-in)
or updated. Every output format (:mod:`graphcost.report.draw.image`,
:mod:`graphcost.report.draw.text`) draws a scene; :func:`graph_scene` builds one from a graph
file, :func:`problem_scene` from an elimination problem (node level), and
:func:`step_scene` turns a base scene and an elimination :class:`~graphcost.eliminate.steps.Step`
into a frame.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from graphcost.eliminate.problem import EliminationProblem
from graphcost.eliminate.steps import Step
from graphcost.errors import GraphcostError
from graphcost.graph.model import Graph
from graphcost.jacobian.blocks import Pattern

#: Edge kinds, each drawn its own way: solid, dashed, dotted (with its pattern as a label).
EDGE_KINDS = ("full", "diag", "pattern")
#: Edge states in an elimination frame.
EDGE_STATES = ("plain", "fill", "updated", "removed")


@dataclass(frozen=True)
class Vertex:
    """A vertex to draw.

    Attributes
    ----------
    key
        Its index in the graph (block level) or the problem (node level).
    name
        The block's or node's name.
    lines
        The label, one string per line: the name with its size or shape (``h1 [2*n/3 = 20]``),
        then the node function where the file gives one.
    role
        ``"V"``, ``"D"`` or ``"D'"``.
    eliminated
        Whether this frame's elimination removed it (drawn as a ghost).
    """

    key: int
    name: str
    lines: tuple[str, ...]
    role: str
    eliminated: bool = False


@dataclass(frozen=True)
class Edge:
    """An edge to draw: its ends (vertex keys), kind, pattern text and state in a frame.

    ``via`` lists the eliminated vertices a fill-in edge replaces a path through, in order:
    pictures draw it along that path (through the empty places), where it came from.
    """

    source: int
    target: int
    kind: str
    pattern: str
    state: str = "plain"
    via: tuple[int, ...] = ()


@dataclass(frozen=True)
class Scene:
    """A picture's content: title, vertices, edges (see the module docstring).

    ``frame`` is ``True`` for a frame of an elimination (its legend then explains fill-in).
    """

    name: str
    title: str
    vertices: tuple[Vertex, ...]
    edges: tuple[Edge, ...]
    frame: bool = False


def edge_kind(pattern: Pattern | None) -> str:
    """``"full"``, ``"diag"`` or ``"pattern"`` (any other index pattern); ``None`` is full."""
    if pattern is None or pattern.is_full:
        return "full"
    return "diag" if pattern.is_diag else "pattern"


def _size_text(block: Any, shape: Any) -> str:
    written = block.shape_text.strip("[]")
    if shape is None:
        return f"[{written}]"
    evaluated = ", ".join(str(d) for d in shape)
    return f"[{written}]" if evaluated == written else f"[{written} = {evaluated}]"


def _title(graph: Graph, values: Mapping[str, int] | None) -> str:
    shown = {**graph.symbols, **(values or {})}
    used = sorted(shown.keys() & graph.free_symbols)
    return graph.name + ("  (" + ", ".join(f"{k} = {shown[k]}" for k in used) + ")" if used else "")


def graph_scene(graph: Graph, values: Mapping[str, int] | None = None) -> Scene:
    """The scene of a graph file: one vertex per block, one edge per edge.

    Sizes are shown as written and, where they hold symbols with values (the file's defaults
    updated by ``values``), with their values: ``h1 [2*n/3 = 20]``; without values (``--layers
    n,2*n/3``) as written. A graph of single nodes
    shows names only. Node functions (the ``g`` section) are a second label line.

    Examples
    --------
    >>> from graphcost.graph.loader import graph_from_dict
    >>> g = graph_from_dict({"V": {"x": "n"}, "D": {"h": "n"}, "D'": {"y": 1},
    ...     "symbols": {"n": 3}, "E": [["x", "h", "diag"], ["h", "y"]]})
    >>> scene = graph_scene(g)
    >>> [v.lines for v in scene.vertices], [e.kind for e in scene.edges]
    ([('x [n = 3]',), ('h [n = 3]',), ('y [1]',)], ['diag', 'full'])
    """
    try:
        shapes: list[Any] = list(graph.shapes(values))
    except GraphcostError:
        if values:  # values the user gave that do not fit: say so
            raise
        shapes = [None] * len(graph.blocks)  # a symbol without value: the sizes as written
    definitions = graph.definitions or {}
    vertices = []
    for key, (block, shape) in enumerate(zip(graph.blocks, shapes, strict=True)):
        first = block.name
        if not graph.is_node_level:
            first += " " + _size_text(block, shape)
        function = definitions.get(key)
        lines = (first,) if function is None else (first, function.text)
        vertices.append(Vertex(key, block.name, lines, block.role))
    edges = tuple(
        Edge(a, b, edge_kind(pattern), str(pattern))
        for a, b, pattern in zip(
            graph.edges.src.tolist(), graph.edges.dst.tolist(), graph.edge_patterns, strict=True
        )
    )
    return Scene(graph.name, _title(graph, values), tuple(vertices), edges)


def problem_scene(problem: EliminationProblem, title: str) -> Scene:
    """The scene of an elimination problem: one vertex per vertex of ``problem`` (node level)."""
    vertices = tuple(
        Vertex(key, name, (name,), role)
        for key, (name, role) in enumerate(zip(problem.names, problem.roles, strict=True))
    )
    edges = tuple(
        Edge(a, b, edge_kind(problem.patterns.get((a, b))), "")
        for a, targets in enumerate(problem.succs)
        for b in sorted(targets)
    )
    return Scene(problem.graph_name, title, vertices, edges)


def start_scene(base: Scene, caption: str) -> Scene:
    """Frame 0 of an elimination: the graph before any step, ``caption`` added to the title."""
    return replace(base, title=f"{base.title}\n{caption}", frame=True)


def step_scene(
    base: Scene, step: Step, gone: set[int], caption: str, via: dict[tuple[int, int], tuple]
) -> Scene:
    """The frame after ``step``: vertices in ``gone`` (eliminated earlier) left out, the
    eliminated vertex as a ghost with its former edges (``removed``), the current edges with
    fill-in and updated ones marked.

    ``caption`` is the second title line (the strategy, the step and the running count).
    ``via`` holds the paths of the fill-in edges of earlier frames; this step's are added.
    """
    fill, updated = set(step.fill), set(step.updated)
    for p, s in step.fill:
        via[p, s] = (*via.get((p, step.vertex), ()), step.vertex, *via.get((step.vertex, s), ()))
    vertices = tuple(
        replace(v, eliminated=v.key == step.vertex) for v in base.vertices if v.key not in gone
    )
    edges = tuple(
        Edge(
            a,
            b,
            edge_kind(pattern),
            "" if pattern is None else str(pattern),
            "fill" if (a, b) in fill else "updated" if (a, b) in updated else "plain",
            via.get((a, b), ()),
        )
        for a, b, pattern in step.edges
    )
    removed = tuple(
        Edge(a, b, edge_kind(p), "" if p is None else str(p), "removed", via.get((a, b), ()))
        for a, b, p in step.removed
    )
    return Scene(base.name, f"{base.title}\n{caption}", vertices, removed + edges, frame=True)
