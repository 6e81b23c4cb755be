"""Vertex elimination: the one cost model that scores every elimination order.

Forward and backward recursion are two orders of one process (Griewank & Walther,
*Evaluating Derivatives*, ch. 9–10; Naumann). Eliminating an intermediate vertex j of the
current graph multiplies every edge into j by every edge out of j: |preds(j)|·|succs(j)|
scalar multiplications. Each product pred→succ becomes a *fill-in* edge, or, where that edge
already exists, is added to it (one scalar addition). When every intermediate is gone, the
edges left join inputs to outputs and carry the Jacobian.

Two levels, one definition:

``node``
    One vertex per node; the graph is held as Python sets per vertex, so eliminating j costs
    O(|preds(j)|·|succs(j)|) C-level set work and graphs of 10^4 nodes and 10^5 edges are fine.
``block``
    One vertex per block of ``size`` nodes, edges *full* or *diag*. Eliminating a whole block J
    composes I→J (kind a) with J→K (kind b) into a fill I→K that is diag only if both are; it
    costs, in scalar multiplications, s_I·s_J·s_K (full·full), s_I·s_J (full·diag), s_J·s_K
    (diag·full) or s_J (diag·diag). Joined with an existing I→K edge the result is full unless
    both are diag. Additions = multiplications − the node-level pairs that did not exist yet.
    Since no block has edges inside itself, this equals eliminating J's nodes one after the
    other at node level (tested), in time independent of the sizes, which may be ints or sympy
    expressions (symbolic costs).

Strategies (:mod:`graphcost.eliminate.strategies`) return orders; :func:`eliminate` scores them, and
:class:`EliminationState` is the incremental form of the same computation for strategies that
explore orders.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from graphcost.errors import GraphTooLargeError, UsageError
from graphcost.graph.model import INPUT, INTERMEDIATE, OUTPUT, ROLES, Graph, check_level
from graphcost.jacobian.blocks import Kind, compose, compose_cost, join, new_partials

#: Most edges of a graph eliminated at node level (its adjacency lives in Python sets).
MAX_NODE_EDGES = 2_000_000


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
    """

    multiplications: Any
    additions: Any
    order: tuple[str, ...]


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
        At node level beyond :data:`MAX_NODE_EDGES` edges.

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

        sizes = graph.sizes(values)
        node_count, edge_count = expansion_size(graph, sizes)
        if edge_count > MAX_NODE_EDGES:
            raise GraphTooLargeError(
                f"node-level elimination of {graph.name!r} would hold {edge_count:,} edges "
                f"({node_count:,} nodes; limit {MAX_NODE_EDGES:,} edges)",
                path=graph.path,
                fix="eliminate at block level (drop --nodes), or choose smaller sizes with --set",
            )
        nodes = expand(graph, sizes)
        roles = [ROLES[c] for c in nodes.role.tolist()]
        return _build(
            "node",
            nodes.names(),
            roles,
            [1] * len(roles),
            nodes.src.tolist(),
            nodes.dst.tolist(),
            (),
            graph.name,
            False,
        )
    sizes = graph.symbolic_sizes()[0] if symbolic else graph.sizes(values)
    edges = graph.edges
    src, dst = edges.src.tolist(), edges.dst.tolist()
    diag = [(a, b) for a, b, d in zip(src, dst, edges.diag.tolist(), strict=True) if d]
    return _build(
        "block",
        [b.name for b in graph.blocks],
        [b.role for b in graph.blocks],
        list(sizes),
        src,
        dst,
        diag,
        graph.name,
        symbolic,
    )


def _build(
    level: str,
    names: list[str],
    roles: list[str],
    sizes: list[Any],
    src: list[int],
    dst: list[int],
    diag: Iterable[tuple[int, int]],
    graph_name: str,
    symbolic: bool,
) -> EliminationProblem:
    preds: list[set[int]] = [set() for _ in names]
    succs: list[set[int]] = [set() for _ in names]
    for a, b in zip(src, dst, strict=True):
        succs[a].add(b)
        preds[b].add(a)
    return EliminationProblem(
        level=level,
        names=names,
        intermediates=[v for v, role in enumerate(roles) if role == INTERMEDIATE],
        roles=roles,
        sizes=sizes,
        preds=tuple(frozenset(p) for p in preds),
        succs=tuple(frozenset(s) for s in succs),
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
    return _build("node", names, roles, [1] * len(names), src, dst, (), name, False)


class EliminationState:
    """The graph part-way through an elimination: the incremental form of :func:`eliminate`.

    Attributes
    ----------
    problem
        The problem being eliminated.
    preds, succs
        The current adjacency (mutable sets; do not modify them directly).
    diag
        The current diag edges (block level).
    eliminated
        The vertices eliminated so far, in order.
    multiplications, additions
        The running totals.

    Examples
    --------
    >>> p = problem_from_edges([("x", "a"), ("a", "b"), ("x", "b"), ("b", "y")],
    ...     inputs=["x"], intermediates=["a", "b"], outputs=["y"])
    >>> state = EliminationState(p)
    >>> state.cost(1), state.eliminate(1), state.eliminate(2)
    (1, (1, 1), (1, 0))
    """

    def __init__(self, problem: EliminationProblem) -> None:
        self.problem = problem
        self.preds: list[set[int]] = [set(p) for p in problem.preds]
        self.succs: list[set[int]] = [set(s) for s in problem.succs]
        self.diag: set[tuple[int, int]] = set(problem.diag)
        self.eliminated: list[int] = []
        zero = problem.sizes[0] * 0 if problem.symbolic and problem.sizes else 0
        self.multiplications: Any = zero
        self.additions: Any = zero
        self._node = problem.level == "node"

    def copy(self) -> EliminationState:
        """An independent copy (for branching searches)."""
        twin = EliminationState.__new__(EliminationState)
        twin.problem = self.problem
        twin.preds = [set(p) for p in self.preds]
        twin.succs = [set(s) for s in self.succs]
        twin.diag = set(self.diag)
        twin.eliminated = list(self.eliminated)
        twin.multiplications = self.multiplications
        twin.additions = self.additions
        twin._node = self._node
        return twin

    def cost(self, vertex: int) -> Any:
        """Scalar multiplications of eliminating ``vertex`` now (the graph is not changed)."""
        preds, succs = self.preds[vertex], self.succs[vertex]
        if self._node:
            return len(preds) * len(succs)
        sizes, kind = self.problem.sizes, self._kind
        total = 0
        for p in preds:
            into = kind(p, vertex)
            for s in succs:
                total = total + compose_cost(
                    into, kind(vertex, s), sizes[p], sizes[vertex], sizes[s]
                )
        return total

    def _kind(self, src: int, dst: int) -> Kind:
        """The structure of the current edge src → dst (block level)."""
        return Kind.DIAG if (src, dst) in self.diag else Kind.FULL

    def eliminate(self, vertex: int) -> tuple[Any, Any]:
        """Eliminate ``vertex``: add fill-in, update the totals.

        Returns
        -------
        multiplications, additions
            The cost of this one elimination.
        """
        preds, succs = self.preds[vertex], self.succs[vertex]
        if self._node:
            multiplications = len(preds) * len(succs)
            fresh = 0
            for p in preds:
                out = self.succs[p]
                out.discard(vertex)
                before = len(out)
                out |= succs
                fresh += len(out) - before
            for s in succs:
                into = self.preds[s]
                into.discard(vertex)
                into |= preds
            additions = multiplications - fresh
        else:
            multiplications, additions = self._eliminate_block(vertex, preds, succs)
        self.preds[vertex] = set()
        self.succs[vertex] = set()
        self.eliminated.append(vertex)
        self.multiplications = self.multiplications + multiplications
        self.additions = self.additions + additions
        return multiplications, additions

    def _eliminate_block(self, vertex: int, preds: set[int], succs: set[int]) -> tuple[Any, Any]:
        sizes, diag, kind = self.problem.sizes, self.diag, self._kind
        multiplications: Any = 0
        fresh: Any = 0  # node-level pairs that did not exist before
        for p in preds:
            into = kind(p, vertex)
            out = self.succs[p]
            out.discard(vertex)
            diag.discard((p, vertex))
            for s in succs:
                second = kind(vertex, s)
                multiplications = multiplications + compose_cost(
                    into, second, sizes[p], sizes[vertex], sizes[s]
                )
                fill = compose(into, second)
                existing = kind(p, s) if s in out else None
                fresh = fresh + new_partials(existing, fill, sizes[p], sizes[s])
                if existing is None:
                    out.add(s)
                    self.preds[s].add(p)
                if join(existing, fill) is Kind.DIAG:
                    diag.add((p, s))
                else:
                    diag.discard((p, s))
        for s in succs:
            self.preds[s].discard(vertex)
            diag.discard((vertex, s))
        return multiplications, multiplications - fresh


class BitMatrixState:
    """Node-level elimination on bit matrices: the same computation as
    :class:`EliminationState`, vectorised with numpy for graphs whose fill-in gets dense.

    Each live vertex has a row of ``succ`` (``pred``) holding its successors (predecessors) as
    packed bits. Eliminating j ORs j's successor row into the rows of its predecessors (and its
    predecessor row into its successors'), so the work is O((|preds| + |succs|)·w/64) words, w
    the live vertices, instead of O(|preds|·|succs|) set insertions; the fill-in count comes
    from popcounts. Whenever half the rows are dead the matrices are compacted to the live
    vertices, so later steps get cheaper. Memory is 2·n²/8 bytes at first, which is why
    :func:`node_engine` uses it only up to :data:`BIT_MATRIX_MAX_NODES` nodes.

    Parameters
    ----------
    problem
        A node-level problem.
    compact_above
        Compact only while more than this many rows exist (tests set 0 to compact often).

    Attributes
    ----------
    indegree, outdegree
        Current |preds| and |succs| of every vertex (int64 arrays, by vertex index).
    last_neighbours
        The predecessors and successors (vertex index arrays) of the vertex eliminated last.
    multiplications, additions
        The running totals (Python ints).
    """

    def __init__(self, problem: EliminationProblem, *, compact_above: int = 128) -> None:
        if problem.level != "node":
            raise UsageError("the bit-matrix engine works at node level only")
        self.problem = problem
        count = len(problem.names)
        words = (count + 63) // 64
        src = np.fromiter(
            (a for a, succs in enumerate(problem.succs) for _ in succs), dtype=np.int64
        )
        dst = np.fromiter((b for succs in problem.succs for b in succs), dtype=np.int64)
        self.succ = _bit_rows(count, words, src, dst)
        self.pred = _bit_rows(count, words, dst, src)
        self.outdegree = np.bincount(src, minlength=count).astype(np.int64)
        self.indegree = np.bincount(dst, minlength=count).astype(np.int64)
        self.eliminated: list[int] = []
        self.multiplications = 0
        self.additions = 0
        self.last_neighbours: tuple[Any, Any] = (np.empty(0, np.int64), np.empty(0, np.int64))
        # Rows and bit columns are *local* indices of the live vertices.
        self._global = np.arange(count, dtype=np.int64)  # local → vertex
        self._local = np.arange(count, dtype=np.int64)  # vertex → local, -1 once eliminated
        self._width = count
        self._alive = count
        self._compact_above = compact_above

    def members(self, row: Any) -> Any:
        """The vertex indices set in a packed bit row."""
        bits = np.unpackbits(row.view(np.uint8), bitorder="little", count=self._width)
        return self._global[np.flatnonzero(bits)]

    def cost(self, vertex: int) -> int:
        """Scalar multiplications of eliminating ``vertex`` now."""
        return int(self.indegree[vertex]) * int(self.outdegree[vertex])

    def eliminate(self, vertex: int) -> tuple[int, int]:
        """Eliminate ``vertex``; returns its (multiplications, additions)."""
        local = int(self._local[vertex])
        preds, succs = self.members(self.pred[local]), self.members(self.succ[local])
        self.last_neighbours = (preds, succs)
        multiplications = len(preds) * len(succs)
        word, bit = local >> 6, ~np.uint64(1 << (local & 63))
        fresh = 0
        for rows, degree, sources, others in (
            (self.succ, self.outdegree, preds, self.succ[local]),
            (self.pred, self.indegree, succs, self.pred[local]),
        ):
            if len(sources) == 0:
                continue
            at = self._local[sources]
            merged = rows[at]
            merged[:, word] &= bit
            merged |= others
            new_degree = np.bitwise_count(merged).sum(axis=1, dtype=np.int64)
            if rows is self.succ:
                fresh = int((new_degree - degree[sources] + 1).sum())
            rows[at] = merged
            degree[sources] = new_degree
        self.succ[local] = 0
        self.pred[local] = 0
        self.indegree[vertex] = 0
        self.outdegree[vertex] = 0
        self._local[vertex] = -1
        self._alive -= 1
        self.eliminated.append(vertex)
        additions = multiplications - fresh
        self.multiplications += multiplications
        self.additions += additions
        if self._width > self._compact_above and 2 * self._alive <= self._width:
            self._compact()
        return multiplications, additions

    def _compact(self) -> None:
        """Drop the rows and bit columns of eliminated vertices."""
        keep = np.flatnonzero(self._local[self._global] >= 0)
        width = len(keep)
        words = (width + 63) // 64
        for name in ("succ", "pred"):
            old = getattr(self, name)[keep]
            new = np.zeros((width, words), dtype=np.uint64)
            packed = new.view(np.uint8)
            for start in range(0, width, 2048):
                bits = np.unpackbits(
                    old[start : start + 2048].view(np.uint8),
                    axis=1,
                    bitorder="little",
                    count=self._width,
                )[:, keep]
                chunk = np.packbits(bits, axis=1, bitorder="little")
                packed[start : start + len(bits), : chunk.shape[1]] = chunk
            setattr(self, name, new)
        self._global = self._global[keep]
        self._local[self._global] = np.arange(width, dtype=np.int64)
        self._width = width


def _bit_rows(count: int, words: int, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
    matrix = np.zeros((count, words), dtype=np.uint64)
    np.bitwise_or.at(
        matrix,
        (rows, columns >> 6),
        np.left_shift(np.uint64(1), (columns & 63).astype(np.uint64)),
    )
    return matrix


#: Node-level graphs with more vertices than this use sets, not bit matrices (2·n²/8 bytes).
BIT_MATRIX_MAX_NODES = 20_000
#: Node-level graphs with fewer vertices than this use sets (numpy's per-call overhead wins).
BIT_MATRIX_MIN_NODES = 2_000
ENGINES = ("auto", "sets", "bits")


def node_engine(problem: EliminationProblem, engine: str = "auto") -> str:
    """Which implementation eliminates ``problem``: ``"sets"`` or ``"bits"``.

    Block level always uses sets (with sizes and edge kinds); node level uses bit matrices
    between :data:`BIT_MATRIX_MIN_NODES` and :data:`BIT_MATRIX_MAX_NODES` vertices.
    """
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}", fix=f"choose one of: {', '.join(ENGINES)}")
    if problem.level != "node":
        return "sets"
    if engine != "auto":
        return engine
    size = len(problem.names)
    return "bits" if BIT_MATRIX_MIN_NODES <= size <= BIT_MATRIX_MAX_NODES else "sets"


def new_state(problem: EliminationProblem, engine: str = "auto") -> Any:
    """A fresh :class:`EliminationState` or :class:`BitMatrixState` (see :func:`node_engine`)."""
    if node_engine(problem, engine) == "bits":
        return BitMatrixState(problem)
    return EliminationState(problem)


def eliminate(
    problem: EliminationProblem, order: Iterable[Any], *, engine: str = "auto"
) -> EliminationCost:
    """Score an elimination order: the one cost model of graphcost.

    Parameters
    ----------
    problem
        From :func:`elimination_problem`.
    order
        Every intermediate vertex exactly once, as names or indices.
    engine
        ``"auto"``, ``"sets"`` or ``"bits"`` (node level): two implementations of the same
        count, chosen by size under ``"auto"`` (see :func:`node_engine`).

    Returns
    -------
    EliminationCost

    Raises
    ------
    UsageError
        When ``order`` is not a permutation of the intermediate vertices.

    Examples
    --------
    Seed 004's y = x + 1/(w·x + b): the forward order costs 2·1 + 3·1 + 3·1 = 8.

    >>> from graphcost.graph.loader import graph_from_dict
    >>> g = graph_from_dict({"V": ["x", "w", "b"], "D": ["v1", "v2", "v3"], "D'": ["y"],
    ...     "E": [["x", "v1"], ["w", "v1"], ["v1", "v2"], ["b", "v2"], ["v2", "v3"],
    ...           ["v3", "y"], ["x", "y"]]})
    >>> p = elimination_problem(g)
    >>> eliminate(p, ["v1", "v2", "v3"])
    EliminationCost(multiplications=8, additions=1, order=('v1', 'v2', 'v3'))
    >>> eliminate(p, ["v3", "v2", "v1"]).multiplications
    5
    """
    vertices = problem.resolve_order(order)
    state = new_state(problem, engine)
    for vertex in vertices:
        state.eliminate(vertex)
    return EliminationCost(
        multiplications=state.multiplications,
        additions=state.additions,
        order=tuple(problem.names[v] for v in vertices),
    )
