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
    Exact for small graphs: breadth-first (all faces cost 1) over dual graphs with their
    vertices named by the graph paths they sum, pruned by the best edge heuristic expanded
    into faces; when the budget (``--time-limit``, 200,000 states) runs out, the best face
    sequence found, not proven.
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
from graphcost.eliminate.problem import EliminationProblem
from graphcost.eliminate.registry import StrategyOptions

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
    """The fewest faces by a uniform-cost search over dual graphs (small graphs)."""
    edges = best_heuristic(problem)
    upper = edge_steps_as_faces(problem, edges.steps)
    for candidate in (greedy_faces(problem, _markowitz_key), greedy_faces(problem, _fill_key)):
        if len(candidate.steps) < len(upper):
            upper = candidate.steps
    result = shortest_sequence(
        FaceEliminationState(problem, track_paths=True),
        upper=(len(upper), list(upper)),
        time_limit=options.time_limit if options.time_limit is not None else 60.0,
    )
    return solved_outcome("face", result)
