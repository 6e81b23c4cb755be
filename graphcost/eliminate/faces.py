"""Face elimination on the dual (line) graph, scored by the same convention as vertices and edges.

Naumann (Math. Prog. 99, 2004; Griewank & Walther, *Evaluating Derivatives*, 2nd ed., §10.2):
the dual graph has one vertex per edge (i, j) of the computational graph, holding its partial
c_ij, plus a source per input and a sink per output; a dual edge joins (i, j) to (j, k) — a
*face*. Eliminating the face (a, b) of two non-artificial dual vertices (an *intermediate* face)

1. multiplies c_b · c_a (one multiplication). If a dual vertex k exists with exactly the
   predecessors of a and the successors of b, the product is added to c_k (*absorption*, one
   addition); otherwise a new vertex with those predecessors and successors is created
   (*fill-in*);
2. removes the face (a, b);
3. removes a if it has no successor left, and b if it has no predecessor left;
4. merges a (and b) with a live dual vertex that has exactly its predecessors and successors,
   if there is one: from then on both partials multiply into the same products, so their sum
   replaces them (one addition). This is Naumann's rule as implemented in ANGEL
   (``face_elimination`` in ``eliminations.cpp``); without it a face sequence would pay twice
   for what one merged vertex pays once.

A partial that no input reaches, or that reaches no output, is removed from the start: its
products would be wasted. (The vertex and edge engines count such products, as the backward
and forward recursions do; on graphs where every intermediate lies on an input–output path the
three families agree exactly.)

The elimination ends when no intermediate face is left: every dual vertex then joins a source
to a sink and carries one Jacobian entry. Front-eliminating the edge (i, j) is eliminating every
face ((i, j), (j, k)); back-eliminating it, every face ((h, i), (i, j)); so face sequences
include every edge sequence and vertex order at the same cost (tested). Naumann shows they can
be strictly cheaper, as a face need not multiply a partial into *all* the edges that an edge
elimination would: ``graphs/witness-face.yaml`` costs 22 faces against 23 for the best edge
sequence (README, "Beyond vertex elimination"; ``tests/test_face_witness.py``).

A face step is the pair of dual-vertex ids (a, b); ids are given in creation order (the graph's
edges first, in the order of :attr:`EliminationProblem.succs`), so a sequence replays
deterministically (:func:`eliminate_faces`). Node level only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from graphlib import TopologicalSorter
from typing import Any

from graphcost.eliminate.edges import FRONT, EdgeStep, require_node_level
from graphcost.eliminate.problem import EliminationCost, EliminationProblem
from graphcost.errors import UsageError
from graphcost.graph.model import INPUT, OUTPUT

SOURCE, SINK, PARTIAL = "source", "sink", "partial"


class FaceEliminationState:
    """A dual graph part-way through a face elimination.

    Attributes
    ----------
    problem
        The node-level problem.
    kind, start, end
        Per dual vertex: ``"source"``, ``"sink"`` or ``"partial"``, and the graph vertices it
        joins (a source or sink has start = end = its input or output).
    preds, succs
        The current dual adjacency as frozensets (``None`` for a removed vertex). A step
        replaces the few sets it changes, so :meth:`copy` copies references only.
    paths
        With ``track_paths``: per dual vertex the set of graph paths its value sums (the
        identity that :meth:`key` needs); otherwise empty.
    counts
        Per dual vertex the number of graph paths its value sums.
    pending
        Per input-output pair with a path through an intermediate, how many of its paths no
        partial joining the pair sums yet (pairs leave when that reaches 0).
    steps, multiplications, additions
        The faces eliminated so far and the running totals.

    Examples
    --------
    >>> from graphcost.eliminate.problem import problem_from_edges
    >>> p = problem_from_edges([("x", "a"), ("a", "y")], inputs=["x"],
    ...     intermediates=["a"], outputs=["y"])
    >>> state = FaceEliminationState(p)
    >>> list(state.options()), state.apply((0, 1)), state.done
    ([(0, 1)], (1, 0), True)
    """

    def __init__(self, problem: EliminationProblem, *, track_paths: bool = False) -> None:
        require_node_level(problem, "face")
        self.problem = problem
        self.kind: list[str] = []
        self.start: list[int] = []
        self.end: list[int] = []
        self.preds: list[frozenset[int] | None] = []
        self.succs: list[frozenset[int] | None] = []
        self.paths: list[frozenset[tuple[int, ...]]] = []
        self.counts: list[int] = []
        self.track = track_paths
        self.by_ends: dict[tuple[int, int], frozenset[int]] = {}
        self.steps: list[tuple[int, int]] = []
        self.multiplications = 0
        self.additions = 0
        edge_id: dict[tuple[int, int], int] = {}
        for i, out in enumerate(problem.succs):
            for j in sorted(out):
                edge_id[i, j] = self._new(PARTIAL, i, j, frozenset({(i, j)}))
        for v, role in enumerate(problem.roles):
            if role in (INPUT, OUTPUT):
                self._new(SOURCE if role == INPUT else SINK, v, v, frozenset())
        artificial = {(self.kind[d], self.start[d]): d for d in range(len(self.kind))}
        for (i, j), a in edge_id.items():
            for k in problem.succs[j]:
                self._link(a, edge_id[j, k])
            if problem.roles[i] == INPUT:
                self._link(artificial[SOURCE, i], a)
            if problem.roles[j] == OUTPUT:
                self._link(a, artificial[SINK, j])
        self._prune(list(edge_id.values()))
        self.pending = _pending_pairs(problem)

    def _prune(self, candidates: list[int]) -> None:
        """Remove partials that no source or no sink reaches (their products are wasted)."""
        while candidates:
            v = candidates.pop()
            if self.preds[v] is None or self.kind[v] != PARTIAL:
                continue
            if not self.preds[v] or not self.succs[v]:
                candidates.extend(self.preds[v] | self.succs[v])  # type: ignore[operator]
                self._remove(v)

    def _new(self, kind: str, start: int, end: int, paths: frozenset, count: int = 1) -> int:
        ident = len(self.kind)
        self.kind.append(kind)
        self.start.append(start)
        self.end.append(end)
        self.preds.append(frozenset())
        self.succs.append(frozenset())
        self.counts.append(count)
        if self.track:
            self.paths.append(paths)
        if kind == PARTIAL:
            self.by_ends[start, end] = self.by_ends.get((start, end), frozenset()) | {ident}
        return ident

    def _link(self, a: int, b: int) -> None:
        self.succs[a] = self.succs[a] | {b}  # type: ignore[operator]
        self.preds[b] = self.preds[b] | {a}  # type: ignore[operator]

    def _unlink(self, a: int, b: int) -> None:
        self.succs[a] = self.succs[a] - {b}  # type: ignore[operator]
        self.preds[b] = self.preds[b] - {a}  # type: ignore[operator]

    def copy(self) -> FaceEliminationState:
        """An independent copy (for branching searches): the sets are immutable, so only the
        lists and dicts holding them are copied."""
        twin = FaceEliminationState.__new__(FaceEliminationState)
        twin.__dict__.update(self.__dict__)
        for name in ("kind", "start", "end", "preds", "succs", "paths", "counts", "steps"):
            setattr(twin, name, list(getattr(self, name)))
        twin.by_ends = dict(self.by_ends)
        twin.pending = dict(self.pending)
        return twin

    def options(self) -> Iterator[tuple[int, int]]:
        """Every intermediate face now, in id order."""
        kind = self.kind
        for a, out in enumerate(self.succs):
            if out is not None and kind[a] == PARTIAL:
                for b in sorted(out):
                    if kind[b] == PARTIAL:
                        yield a, b

    @property
    def done(self) -> bool:
        """Whether no intermediate face is left."""
        return next(self.options(), None) is None

    def absorber(self, a: int, b: int) -> int | None:
        """The dual vertex that would absorb the product of face (a, b), if any."""
        into, out = self.preds[a], self.succs[b]
        for k in self.by_ends.get((self.start[a], self.end[b]), ()):
            if self.preds[k] == into and self.succs[k] == out:
                return k
        return None

    def apply(self, face: tuple[int, int]) -> tuple[int, int]:
        """Eliminate the face (a, b); return its (multiplications, additions).

        Raises
        ------
        UsageError
            When (a, b) is not an intermediate face of the current dual graph.
        """
        a, b = face
        count = len(self.kind)
        if not (
            0 <= a < count
            and 0 <= b < count
            and self.succs[a] is not None
            and b in self.succs[a]
            and self.kind[a] == self.kind[b] == PARTIAL
        ):
            raise UsageError(
                f"({a}, {b}) is not an intermediate face at step {len(self.steps) + 1}",
                fix="a face sequence names dual-vertex pairs present when their turn comes",
            )
        k = self.absorber(a, b)
        paths = frozenset()
        if self.track:
            paths = frozenset(p + q[1:] for p in self.paths[a] for q in self.paths[b])
        count = self.counts[a] * self.counts[b]
        self._cover(self.start[a], self.end[b], count)
        if k is None:
            k = self._new(PARTIAL, self.start[a], self.end[b], paths, count)
            for p in self.preds[a]:  # type: ignore[union-attr]
                self._link(p, k)
            for s in self.succs[b]:  # type: ignore[union-attr]
                self._link(k, s)
            additions = 0
        else:
            if self.track:
                self.paths[k] = self.paths[k] | paths
            self.counts[k] += count
            additions = 1
        self._unlink(a, b)
        if not self.succs[a]:
            self._remove(a)
        if self.preds[b] is not None and not self.preds[b]:
            self._remove(b)
        additions += self._merge_twin(a) + self._merge_twin(b)
        self.steps.append((a, b))
        self.multiplications += 1
        self.additions += additions
        return 1, additions

    def _merge_twin(self, v: int) -> int:
        """Merge into ``v`` a live dual vertex with exactly its predecessors and successors
        (rule 4: their partials multiply into the same products from now on, so one sum
        replaces both; one addition). Return the additions (0 or 1)."""
        if self.preds[v] is None:
            return 0
        for w in self.by_ends[self.start[v], self.end[v]]:
            if w != v and self.preds[w] == self.preds[v] and self.succs[w] == self.succs[v]:
                if self.track:
                    self.paths[v] = self.paths[v] | self.paths[w]
                self.counts[v] += self.counts[w]
                self._remove(w)
                return 1
        return 0

    def _remove(self, v: int) -> None:
        for p in self.preds[v]:  # type: ignore[union-attr]
            self.succs[p] = self.succs[p] - {v}  # type: ignore[operator]
        for s in self.succs[v]:  # type: ignore[union-attr]
            self.preds[s] = self.preds[s] - {v}  # type: ignore[operator]
        self.preds[v] = self.succs[v] = None
        self.by_ends[self.start[v], self.end[v]] -= {v}

    def _cover(self, start: int, end: int, count: int) -> None:
        """Note that ``count`` more paths start -> end are now summed by one dual vertex."""
        if (start, end) in self.pending:
            left = self.pending[start, end] - count
            if left:
                self.pending[start, end] = left
            else:
                del self.pending[start, end]

    def key(self) -> frozenset[tuple[Any, Any]]:
        """The dual graph up to vertex ids (needs ``track_paths``): equal keys, equal futures."""
        if not self.track:
            raise ValueError("key() needs a state built with track_paths=True")

        def name(v: int) -> Any:
            return self.paths[v] if self.kind[v] == PARTIAL else (self.kind[v], self.start[v])

        return frozenset((name(a), name(b)) for a, out in enumerate(self.succs) if out for b in out)

    def dual_vertex(self, i: int, j: int) -> int:
        """The one live dual vertex joining i to j (as in a state reached by edge steps).

        Raises
        ------
        UsageError
            When there is none or more than one.
        """
        ids = self.by_ends.get((i, j), set())
        if len(ids) != 1:
            names = self.problem.names
            raise UsageError(
                f"{len(ids)} dual vertices join {names[i]} -> {names[j]}",
                fix="edge steps map to faces only while every edge is one vertex",
            )
        return next(iter(ids))

    def edge_step_faces(self, step: EdgeStep) -> list[tuple[int, int]]:
        """The faces that make up one edge step in the current dual graph (none for an edge
        on no input-output path: its dual vertex was pruned)."""
        if not self.by_ends.get((step.src, step.dst)):
            return []
        d = self.dual_vertex(step.src, step.dst)
        if step.direction == FRONT:
            return [(d, b) for b in sorted(self.succs[d]) if self.kind[b] == PARTIAL]  # type: ignore[arg-type]
        return [(a, d) for a in sorted(self.preds[d]) if self.kind[a] == PARTIAL]  # type: ignore[arg-type]

    def label(self, face: tuple[int, int]) -> str:
        """``"x -> a -> y (#0 #3)"``: a face by the graph vertices it passes and its dual ids."""
        a, b = face
        names = self.problem.names
        return f"{names[self.start[a]]} -> {names[self.end[a]]} -> {names[self.end[b]]} (#{a} #{b})"


def _pending_pairs(problem: EliminationProblem) -> dict[tuple[int, int], int]:
    """Per input-output pair joined by a path through an intermediate: its number of paths
    of length two or more (those no edge sums yet)."""
    order = list(TopologicalSorter(dict(enumerate(problem.preds))).static_order())
    pending = {}
    for x, role in enumerate(problem.roles):
        if role != INPUT:
            continue
        paths = dict.fromkeys(order, 0)  # paths from x, by end vertex
        for v in order:
            paths[v] = (v == x) + sum(paths[u] for u in problem.preds[v])
        for y, role_y in enumerate(problem.roles):
            long = paths[y] - (x in problem.preds[y]) if role_y == OUTPUT else 0
            if long:
                pending[x, y] = long
    return pending


def edge_steps_as_faces(
    problem: EliminationProblem, steps: Iterable[EdgeStep]
) -> list[tuple[int, int]]:
    """The face sequence of an edge sequence (each step's faces, in id order)."""
    state = FaceEliminationState(problem)
    for step in steps:
        for face in state.edge_step_faces(step):
            state.apply(face)
    return state.steps


def eliminate_faces(problem: EliminationProblem, faces: Iterable[Any]) -> EliminationCost:
    """Score a face-elimination sequence: the one cost model of the face family.

    Parameters
    ----------
    problem
        A node-level problem.
    faces
        Pairs of dual-vertex ids (see :class:`FaceEliminationState`).

    Returns
    -------
    EliminationCost
        ``order`` holds the faces as text (:meth:`FaceEliminationState.label`).

    Raises
    ------
    UsageError
        Block level; a pair that is no intermediate face when its turn comes; a sequence that
        leaves an intermediate face.

    Examples
    --------
    >>> from graphcost.eliminate.problem import problem_from_edges
    >>> p = problem_from_edges([("x", "a"), ("a", "y"), ("a", "z")], inputs=["x"],
    ...     intermediates=["a"], outputs=["y", "z"])
    >>> cost = eliminate_faces(p, [(0, 1), (0, 2)])
    >>> cost.multiplications, cost.additions, cost.order[0]
    (2, 0, 'x -> a -> y (#0 #1)')
    """
    state = FaceEliminationState(problem)
    labels = []
    for face in faces:
        try:
            a, b = face
        except (TypeError, ValueError):
            raise UsageError(f"a face is a pair of dual-vertex ids, not {face!r}") from None
        labels.append(
            state.label((int(a), int(b))) if 0 <= a < len(state.kind) > b >= 0 else str(face)
        )
        state.apply((int(a), int(b)))
    if not state.done:
        left = next(state.options())
        raise UsageError(
            f"the face sequence leaves the face {state.label(left)} uneliminated",
            fix="eliminate faces until every dual vertex joins a source to a sink",
        )
    return EliminationCost(state.multiplications, state.additions, tuple(labels))
