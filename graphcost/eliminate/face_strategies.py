"""Face-elimination strategies on the dual graph (node level), registered as family strategies.

Every face costs one multiplication, so a face strategy minimises the number of faces it
eliminates; what differs is how many new faces each one creates (a fill-in vertex gets the
predecessors of a and the successors of b, one new face with each partial among them).

``face-markowitz``
    After ANGEL's lowest-Markowitz face: the face through the graph vertex j whose dual
    Markowitz degree (partials ending at j × partials starting at j) is smallest now; ties to
    the face creating fewer new faces, then to the lowest ids.
``face-fill-in``
    The face creating the fewest new faces (0 when absorbed); ties as above.
``face-absorb``
    First every face whose product an existing partial absorbs (one multiplication, no new
    partial), then every face through each vertex in turn, in the cheapest of the forward,
    backward and Markowitz orders. On ``graphs/witness-face.yaml`` it finds the sequence
    that beats every edge sequence.
``face-optimal``
    Exact for small graphs: starting from the cheapest of the edge heuristics expanded into
    faces and the face heuristics, a depth-first search for a sequence one face cheaper
    (:func:`faces_within`, pruned by :func:`face_lower_bound`, dual graphs named by the
    graph paths their vertices sum), again and again, until none exists (proven optimal) or
    ``--time-limit`` (60 s) runs out (the best sequence found, not proven). What a search
    proves impossible is remembered for the next, cheaper one.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from graphcost.eliminate.edge_strategies import best_heuristic, heuristic_orders
from graphcost.eliminate.edges import require_node_level
from graphcost.eliminate.faces import PARTIAL, FaceEliminationState, edge_steps_as_faces
from graphcost.eliminate.families import (
    FamilyOutcome,
    SolveResult,
    register_family,
    solved_outcome,
)
from graphcost.eliminate.pairs import far_cover
from graphcost.eliminate.problem import EliminationProblem
from graphcost.eliminate.registry import StrategyOptions
from graphcost.graph.model import INPUT, INTERMEDIATE, OUTPUT

Face = tuple[int, int]


def new_faces(state: FaceEliminationState, face: Face) -> int:
    """Faces that eliminating ``face`` would add (0 when its product is absorbed)."""
    a, b = face
    if state.absorber(a, b) is not None:
        return 0
    kind = state.kind
    into = sum(1 for p in state.preds[a] if kind[p] == PARTIAL)  # type: ignore[union-attr]
    out = sum(1 for s in state.succs[b] if kind[s] == PARTIAL)  # type: ignore[union-attr]
    return into + out


def _degrees(state: FaceEliminationState) -> Counter:
    """Per graph vertex j: (partials ending at j) × (partials starting at j)."""
    ending: Counter = Counter()
    starting: Counter = Counter()
    for v, kind in enumerate(state.kind):
        if kind == PARTIAL and state.preds[v] is not None:
            ending[state.end[v]] += 1
            starting[state.start[v]] += 1
    return Counter({j: ending[j] * starting[j] for j in ending})


def greedy_faces(
    problem: EliminationProblem, key: Callable[[FaceEliminationState, Face, Counter], tuple]
) -> FaceEliminationState:
    """Eliminate faces greedily: always the face with the smallest ``key`` now."""
    state = FaceEliminationState(problem)
    while True:
        faces = list(state.options())
        if not faces:
            return state
        degrees = _degrees(state)
        state.apply(min(faces, key=lambda f: key(state, f, degrees)))


def _markowitz_key(state: FaceEliminationState, face: Face, degrees: Counter) -> tuple:
    return (degrees[state.end[face[0]]], new_faces(state, face), face)


def _fill_key(state: FaceEliminationState, face: Face, degrees: Counter) -> tuple:
    return (new_faces(state, face), degrees[state.end[face[0]]], face)


def face_lower_bound(state: FaceEliminationState) -> int:
    """A lower bound on the faces still to eliminate that drops by at most one per face (a
    *consistent* bound, so an A* search with it stays exact); 0 once done.

    It is the larger of two counts. (1) The sum over intermediates j of the faces that j
    still needs (:func:`_through`): every face passes through one j, and takes at most one
    off j's count while leaving every other j's count as it was or higher. (2) The
    input-output pairs (x, y) some of whose paths no (x, y) partial sums yet
    (:func:`~graphcost.eliminate.faces._pending_pairs`), plus a minimum vertex cover of the
    *far* ones among them (:mod:`graphcost.eliminate.pairs`). A face adds paths to the one
    partial start(a) -> end(b) only, and merges and removals move no path between pairs, so
    a face completes at most one pair; it completes only pairs that are not far (a face
    that completes one creates a source-to-sink partial, which brings no pair closer), and
    a face that completes none shrinks the cover by at most one.
    """
    needed, near = _through(state)
    far: dict[int, list[int]] = {}
    for x, y in state.pending:
        if (x, y) not in near:
            far.setdefault(x, []).append(y)
    return max(needed, len(state.pending) + far_cover(far))


def _through(state: FaceEliminationState) -> tuple[int, set[tuple[int, int]]]:
    """(faces the intermediates still need, the *near* input-output pairs).

    Per intermediate j with a partial ending at it: at least one face; at least one per
    input x with a partial x -> j, one per output y with a partial j -> y, and one per such
    (x, y) joined by a face. A partial x -> j from an input has only the source of x before
    it, so it never loses its predecessors: it leaves only when its last face through j is
    taken, or by merging into a twin, which also runs x -> j. Likewise j -> y into an
    output. A face through j removes one face, so it settles at most one x, one y and one
    pair (x, y); faces through other vertices add partials at j but remove none of these.

    A pair (x, y) is near when a partial from x has a face into a partial into y: one face
    can complete it now.
    """
    roles, kind, end, succs = state.problem.roles, state.kind, state.end, state.succs
    inputs: dict[int, set[int]] = {}
    outputs: dict[int, set[int]] = {}
    pairs: dict[int, set[tuple[int, int]]] = {}
    for (i, j), ids in state.by_ends.items():
        if not ids:
            continue
        inputs.setdefault(j, set())
        if roles[i] == INPUT:
            inputs[j].add(i)
            joined = pairs.setdefault(j, set())
            for a in ids:
                joined.update(
                    (i, end[b])
                    for b in succs[a]  # type: ignore[union-attr]
                    if kind[b] == PARTIAL and roles[end[b]] == OUTPUT
                )
        if roles[j] == OUTPUT:
            outputs.setdefault(i, set()).add(j)
    needed = sum(
        max(1, len(xs), len(outputs.get(j, ())), len(pairs.get(j, ())))
        for j, xs in inputs.items()
        if roles[j] == INTERMEDIATE
    )
    return needed, set().union(*pairs.values())


@register_family("face-markowitz", description="face through the lowest dual Markowitz vertex")
def face_markowitz(problem: EliminationProblem, options: StrategyOptions) -> FamilyOutcome:
    """Greedy lowest-Markowitz face elimination."""
    return FamilyOutcome("face", tuple(greedy_faces(problem, _markowitz_key).steps))


@register_family("face-fill-in", description="face creating the fewest new faces first")
def face_fill_in(problem: EliminationProblem, options: StrategyOptions) -> FamilyOutcome:
    """Greedy lowest-fill-in face elimination."""
    return FamilyOutcome("face", tuple(greedy_faces(problem, _fill_key).steps))


def absorbed_first(problem: EliminationProblem, order: Iterable[int]) -> FaceEliminationState:
    """Every face an existing partial absorbs, then every face through each vertex of
    ``order`` in turn (any face left over, in id order: none is, when ``order`` holds every
    intermediate, as a new partial never touches a vertex already cleared)."""
    state = FaceEliminationState(problem)
    while face := next((f for f in state.options() if state.absorber(*f) is not None), None):
        state.apply(face)
    for vertex in order:
        while face := next((f for f in state.options() if state.end[f[0]] == vertex), None):
            state.apply(face)
    while face := next(state.options(), None):
        state.apply(face)
    return state


def best_absorbed_first(problem: EliminationProblem) -> FaceEliminationState:
    """:func:`absorbed_first` in the cheapest of the forward, backward and Markowitz orders."""
    states = [absorbed_first(problem, order) for order in heuristic_orders(problem)]
    return min(states, key=lambda s: (s.multiplications, s.additions))


@register_family("face-absorb", description="absorbed faces first, then vertex by vertex")
def face_absorb(problem: EliminationProblem, options: StrategyOptions) -> FamilyOutcome:
    """Absorbed faces first, then whole vertices in the best of three vertex orders."""
    require_node_level(problem, "face")
    return FamilyOutcome("face", tuple(best_absorbed_first(problem).steps))


def faces_within(
    start: FaceEliminationState,
    budget: int,
    failed: dict[Any, int],
    expand: Callable[[], None] = lambda: None,
) -> FaceEliminationState | None:
    """A finished state reached from ``start`` with at most ``budget`` more faces, or ``None``
    when there is none.

    Depth-first, children with the smallest :func:`face_lower_bound` first, on an explicit
    stack (sequences may be long). ``failed`` maps a dual graph (:meth:`key`, so ``start``
    needs ``track_paths``) to a budget known to be too small, plus one; it may be shared
    between calls on the same problem. ``expand()`` is called once per dual graph expanded
    and may raise to stop the search (a time or expansion limit).
    """

    def hopeless(state: FaceEliminationState, key: Any, left: int) -> bool:
        return face_lower_bound(state) > left or failed.get(key, 0) > left

    def children(state: FaceEliminationState, left: int) -> Iterator[FaceEliminationState]:
        expand()
        scored = []
        for face in list(state.options()):
            child = state.copy()
            child.apply(face)
            scored.append((face_lower_bound(child), len(scored), child))
        for bound, _, child in sorted(scored, key=lambda c: c[:2]):
            if bound < left:
                yield child

    if start.done:
        return start
    key = start.key()
    if hopeless(start, key, budget):
        return None
    stack = [(key, budget, children(start, budget))]
    while stack:
        key, left, pending = stack[-1]
        child = next(pending, None)
        if child is None:
            failed[key] = left + 1
            stack.pop()
        elif child.done:
            return child
        elif not hopeless(child, child_key := child.key(), left - 1):
            stack.append((child_key, left - 1, children(child, left - 1)))
    return None


@register_family("face-optimal", description="exact face elimination for small graphs")
def face_optimal(problem: EliminationProblem, options: StrategyOptions) -> FamilyOutcome:
    """The fewest faces: ever cheaper sequences by :func:`faces_within` (small graphs)."""
    edges = best_heuristic(problem)
    best = edge_steps_as_faces(problem, edges.steps)
    candidates = [greedy_faces(problem, _markowitz_key), greedy_faces(problem, _fill_key)]
    candidates.append(best_absorbed_first(problem))
    for candidate in candidates:
        if len(candidate.steps) < len(best):
            best = candidate.steps
    start = FaceEliminationState(problem, track_paths=True)
    floor = face_lower_bound(start)
    limit = options.time_limit if options.time_limit is not None else 60.0
    deadline = time.perf_counter() + limit
    expanded = [0]

    def expand() -> None:
        expanded[0] += 1
        if time.perf_counter() > deadline:
            raise TimeoutError

    failed: dict[Any, int] = {}
    proven = True
    try:
        while len(best) > floor:
            found = faces_within(start, len(best) - 1, failed, expand)
            if found is None:
                break
            best = found.steps
    except TimeoutError:
        proven = False
    return solved_outcome("face", SolveResult(list(best), len(best), proven, expanded[0]))
