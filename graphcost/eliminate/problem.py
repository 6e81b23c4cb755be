"""The elimination problem: a graph prepared for vertex elimination, and the cost of an order.

:func:`elimination_problem` turns a graph into an :class:`EliminationProblem` at node level (one
vertex per node) or block level (one vertex per block, with sizes and diag edges);
:func:`problem_from_edges` builds a node-level one straight from named edges.
:class:`EliminationCost` is what scoring an order (:func:`graphcost.eliminate.engine.eliminate`)
returns.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from graphcost.eliminate.node_adjacency import adjacency, check_node_memory
from graphcost.errors import UsageError
from graphcost.graph.model import INPUT, INTERMEDIATE, OUTPUT, ROLES, Graph, check_level
from graphcost.graph.shifts import shifted_edges
from graphcost.jacobian.blocks import Pattern


@dataclass(frozen=True, eq=False)
class EliminationProblem:
    """A graph prepared for vertex elimination.

    Build one with :func:`elimination_problem`. Vertices are numbered ``0 .. len(names) - 1``:
    inputs first, then intermediates, then outputs, each in file order (at node level a block
    of size s contributes the nodes ``block[0] .. block[s-1]``, or ``block`` when s = 1).

    Attributes
    ----------
    level
        ``"node"`` (one vertex per node) or ``"block"`` (one vertex per block).
    names
        Every vertex's name.
    intermediates
        The eliminable vertices (role ``D``) in D's file order; their position in this list is
        the tie-break order of strategies (``position``).
    roles
        Every vertex's role: ``"V"``, ``"D"`` or ``"D'"``.
    sizes
        Nodes per vertex: 1 at node level; ints or sympy expressions at block level.
    preds, succs
        The initial adjacency: ``preds[v]`` is the frozenset of v's predecessors.
    diag
        The (src, dst) pairs of diag edges (block level only; empty at node level, where every
        edge joins two single nodes).
    shapes
        Block level: the shape of every vertex (``(size,)`` for a vector); empty at node level.
    patterns
        Block level: the index pattern of every edge (src, dst); empty at node level.
    inexact
        Block level: edges whose pattern is a superset of the exact one (shifted signatures,
        :mod:`graphcost.graph.shifts`): every cost over them is an upper bound.
    graph_name
        The name of the graph it was built from.
    symbolic
        Whether sizes are sympy expressions (costs then are too).
    """

    level: str
    names: list[str]
    intermediates: list[int]
    roles: list[str]
    sizes: list[Any]
    preds: tuple[frozenset[int], ...]
    succs: tuple[frozenset[int], ...]
    diag: frozenset[tuple[int, int]] = field(default_factory=frozenset)
    graph_name: str = "graph"
    symbolic: bool = False
    shapes: tuple[tuple[Any, ...], ...] = ()
    patterns: Mapping[tuple[int, int], Pattern] = field(default_factory=dict)
    inexact: tuple[str, ...] = ()

    @cached_property
    def index(self) -> dict[str, int]:
        """Map from vertex name to vertex index."""
        return {name: i for i, name in enumerate(self.names)}

    @cached_property
    def position(self) -> dict[int, int]:
        """Map from intermediate vertex to its rank in D's file order (the tie-break key)."""
        return {v: rank for rank, v in enumerate(self.intermediates)}

    @property
    def edge_count(self) -> int:
        """Number of edges of the initial graph."""
        return sum(len(s) for s in self.succs)

    def topological_order(self) -> list[int]:
        """The intermediates in topological order, earliest in D's file order first.

        Equal to :attr:`intermediates` when D's file order is topological (the usual case).
        """
        position = self.position
        missing = {v: sum(1 for p in self.preds[v] if p in position) for v in self.intermediates}
        ready = [(position[v], v) for v, count in missing.items() if count == 0]
        heapq.heapify(ready)
        order: list[int] = []
        while ready:
            _, v = heapq.heappop(ready)
            order.append(v)
            for s in self.succs[v]:
                if s in position:
                    missing[s] -= 1
                    if missing[s] == 0:
                        heapq.heappush(ready, (position[s], s))
        return order

    def chain_path(self) -> tuple[list[int], str | None]:
        """The vertices of a chain input → … → output, each vertex's only successor the next.

        Returns
        -------
        path, reason
            The path and ``None``; or ``[]`` and why the graph is not a chain (naming the
            vertex that branches).
        """
        inputs = [v for v, r in enumerate(self.roles) if r == INPUT]
        outputs = [v for v, r in enumerate(self.roles) if r == OUTPUT]
        if len(inputs) != 1 or len(outputs) != 1:
            return [], f"it has {len(inputs)} inputs and {len(outputs)} outputs"
        path = [inputs[0]]
        while self.succs[path[-1]]:
            succs = self.succs[path[-1]]
            if len(succs) != 1:
                return [], f"{self.names[path[-1]]!r} has {len(succs)} successors"
            (following,) = succs
            if len(self.preds[following]) != 1:
                preds = len(self.preds[following])
                return [], f"{self.names[following]!r} has {preds} predecessors"
            path.append(following)
        if path[-1] != outputs[0] or len(path) != len(self.names):
            return [], f"not every vertex lies on the path from {self.names[inputs[0]]!r}"
        return path, None

    def resolve_order(self, order: Iterable[Any]) -> list[int]:
        """Vertex indices of ``order`` (names or indices), checked to be a permutation of D.

        Raises
        ------
        UsageError
            Naming the unknown, non-intermediate, repeated or missing vertex.
        """
        position = self.position
        resolved: list[int] = []
        seen: set[int] = set()
        for item in order:
            vertex = self._vertex(item)
            if vertex not in position:
                raise UsageError(
                    f"{self.names[vertex]!r} is not an intermediate vertex of "
                    f"{self.graph_name!r} (its role is {self.roles[vertex]})",
                    fix="an elimination order lists only vertices of D",
                )
            if vertex in seen:
                raise UsageError(
                    f"the elimination order names {self.names[vertex]!r} twice",
                    fix="list every intermediate vertex exactly once",
                )
            seen.add(vertex)
            resolved.append(vertex)
        if len(resolved) != len(self.intermediates):
            missing = [self.names[v] for v in self.intermediates if v not in seen]
            shown = ", ".join(missing[:5]) + (
                f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            )
            raise UsageError(
                f"the elimination order leaves out {len(missing)} intermediate "
                f"vertex{'es' if len(missing) > 1 else ''}: {shown}",
                fix=f"list all {len(self.intermediates)} intermediate vertices exactly once",
            )
        return resolved

    def _vertex(self, item: Any) -> int:
        if isinstance(item, str):
            try:
                return self.index[item]
            except KeyError:
                known = ", ".join(self.names[v] for v in self.intermediates[:8])
                more = ", ..." if len(self.intermediates) > 8 else ""
                raise UsageError(
                    f"unknown vertex {item!r} in the elimination order of {self.graph_name!r}",
                    fix=f"the intermediate vertices are: {known}{more}",
                ) from None
        if isinstance(item, bool) or not hasattr(item, "__index__"):
            raise UsageError(
                f"an elimination order holds vertex names or indices, not {item!r}",
                fix="give names such as 'h1'",
            )
        vertex = item.__index__()
        if not 0 <= vertex < len(self.names):
            raise UsageError(
                f"vertex index {vertex} is out of range (the graph has {len(self.names)})",
                fix="give vertex names, or indices into problem.names",
            )
        return vertex


@dataclass(frozen=True)
class EliminationCost:
    """The scalar operations of one elimination order.

    Attributes
    ----------
    multiplications, additions
        Exact ints (sympy expressions for a symbolic problem).
    order
        The order, as vertex names.
    approximate
        Block level: the edges (``"a -> b"``) held as full because a fill-in had no exact
        join with them; the costs are then upper bounds (node level gives the exact ones).
        Empty when exact.
    """

    multiplications: Any
    additions: Any
    order: tuple[str, ...]
    approximate: tuple[str, ...] = field(default=(), repr=False)


def elimination_problem(
    graph: Graph,
    values: Mapping[str, int] | None = None,
    *,
    level: str = "auto",
    symbolic: bool = False,
) -> EliminationProblem:
    """Prepare ``graph`` for vertex elimination.

    Parameters
    ----------
    graph
        A validated graph.
    values
        Symbol values overriding the graph's defaults.
    level
        ``"auto"`` (node level for a node-level graph, else block level), ``"block"`` or
        ``"node"`` (the graph expanded to single nodes).
    symbolic
        Block level only: keep sizes as sympy expressions so that costs are symbolic.

    Returns
    -------
    EliminationProblem

    Raises
    ------
    UsageError, SizeError
    GraphTooLargeError
        At node level when the problem and an elimination over it would not fit in the memory
        available (:func:`~graphcost.eliminate.node_adjacency.check_node_memory`).

    Examples
    --------
    >>> from graphcost.graph.loader import graph_from_dict
    >>> g = graph_from_dict({"V": ["x"], "D": ["a", "b"], "D'": ["y"],
    ...     "E": [["x", "a"], ["a", "b"], ["b", "y"]]})
    >>> p = elimination_problem(g)
    >>> p.level, p.names, p.intermediates
    ('node', ['x', 'a', 'b', 'y'], [1, 2])
    """
    check_level(level)
    if level == "auto":
        level = "node" if graph.is_node_level and not symbolic else "block"
    if symbolic and level == "node":
        raise UsageError(
            "symbolic elimination costs need block level", fix="drop --nodes or the symbolic mode"
        )
    if level == "node":
        from graphcost.jacobian.structure import expand, expansion_size

        shapes = graph.shapes(values)
        sizes = [math.prod(shape) for shape in shapes]
        node_count, edge_count = expansion_size(graph, sizes, shapes)
        check_node_memory(node_count, edge_count, graph_name=graph.name, path=graph.path)
        nodes = expand(graph, sizes, shapes)
        roles = [ROLES[c] for c in nodes.role.tolist()]
        pair = adjacency(len(roles), nodes.src, nodes.dst)
        return _build("node", nodes.names(), roles, [1] * len(roles), pair, (), graph.name, False)
    shapes = graph.symbolic_shapes()[0] if symbolic else graph.shapes(values)
    sizes = [math.prod(shape) for shape in shapes]
    edges = graph.edges
    src, dst = edges.src.tolist(), edges.dst.tolist()
    diag = [(a, b) for a, b, d in zip(src, dst, edges.diag.tolist(), strict=True) if d]
    problem = _build(
        "block",
        [b.name for b in graph.blocks],
        [b.role for b in graph.blocks],
        sizes,
        _sets(len(graph.blocks), src, dst),
        diag,
        graph.name,
        symbolic,
    )
    patterns = dict(zip(zip(src, dst, strict=True), graph.edge_patterns, strict=True))
    return replace(problem, shapes=tuple(shapes), patterns=patterns, inexact=shifted_edges(graph))


Adjacency = tuple[tuple[frozenset[int], ...], tuple[frozenset[int], ...]]


def _sets(count: int, src: list[int], dst: list[int]) -> Adjacency:
    """(preds, succs) of a small graph, without numpy."""
    preds: list[set[int]] = [set() for _ in range(count)]
    succs: list[set[int]] = [set() for _ in range(count)]
    for a, b in zip(src, dst, strict=True):
        succs[a].add(b)
        preds[b].add(a)
    return tuple(frozenset(p) for p in preds), tuple(frozenset(s) for s in succs)


def _build(
    level: str,
    names: list[str],
    roles: list[str],
    sizes: list[Any],
    pair: Adjacency,
    diag: Iterable[tuple[int, int]],
    graph_name: str,
    symbolic: bool,
) -> EliminationProblem:
    return EliminationProblem(
        level=level,
        names=names,
        intermediates=[v for v, role in enumerate(roles) if role == INTERMEDIATE],
        roles=roles,
        sizes=sizes,
        preds=pair[0],
        succs=pair[1],
        diag=frozenset(diag),
        graph_name=graph_name,
        symbolic=symbolic,
    )


def problem_from_edges(
    edges: Iterable[tuple[str, str]],
    *,
    inputs: Sequence[str],
    intermediates: Sequence[str],
    outputs: Sequence[str],
    name: str = "graph",
) -> EliminationProblem:
    """A node-level problem straight from named edges (no graph file, no size evaluation).

    Useful for scalar benchmark graphs given as edge lists.

    Raises
    ------
    UsageError
        For an edge naming an undeclared vertex.

    Examples
    --------
    >>> p = problem_from_edges([("x", "a"), ("a", "y")], inputs=["x"],
    ...     intermediates=["a"], outputs=["y"])
    >>> from graphcost.eliminate.engine import eliminate
    >>> eliminate(p, ["a"]).multiplications
    1
    """
    names = [*inputs, *intermediates, *outputs]
    roles = [INPUT] * len(inputs) + [INTERMEDIATE] * len(intermediates) + [OUTPUT] * len(outputs)
    index = {n: i for i, n in enumerate(names)}
    src, dst = [], []
    for a, b in edges:
        for end in (a, b):
            if end not in index:
                raise UsageError(f"edge [{a}, {b}] names an undeclared vertex {end!r}")
        src.append(index[a])
        dst.append(index[b])
    pair = _sets(len(names), src, dst)
    return _build("node", names, roles, [1] * len(names), pair, (), name, False)
