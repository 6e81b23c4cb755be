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
``face-optimal``
    Exact for small graphs: A* (all faces cost 1) over dual graphs with their vertices named
    by the graph paths they sum, guided by :func:`face_lower_bound` and pruned by the best
    edge heuristic expanded into faces and the greedy face heuristics; when the budget
    (``--time-limit``, 200,000 states) runs out, the best face sequence found, not proven.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from graphcost.eliminate.edge_strategies import best_heuristic
from graphcost.eliminate.faces import PARTIAL, FaceEliminationState, edge_steps_as_faces
from graphcost.eliminate.families import (
    FamilyOutcome,
    register_family,
    shortest_sequence,
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


@register_family("face-optimal", description="exact face elimination for small graphs")
def face_optimal(problem: EliminationProblem, options: StrategyOptions) -> FamilyOutcome:
    """The fewest faces by an A* search over dual graphs (small graphs)."""
    edges = best_heuristic(problem)
    upper = edge_steps_as_faces(problem, edges.steps)
    for candidate in (greedy_faces(problem, _markowitz_key), greedy_faces(problem, _fill_key)):
        if len(candidate.steps) < len(upper):
            upper = candidate.steps
    result = shortest_sequence(
        FaceEliminationState(problem, track_paths=True),
        upper=(len(upper), list(upper)),
        time_limit=options.time_limit if options.time_limit is not None else 60.0,
        bound=face_lower_bound,
    )
    return solved_outcome("face", result)
