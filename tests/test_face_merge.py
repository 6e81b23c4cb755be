"""Face elimination's merge rule (Naumann; ANGEL's ``face_elimination``): a dual vertex left with
exactly the predecessors and successors of another is merged into it, for one addition."""

from __future__ import annotations

import random

import pytest

from graphcost.eliminate.faces import PARTIAL, FaceEliminationState
from graphcost.eliminate.problem import problem_from_edges
from graphcost.graph.model import INPUT, OUTPUT
from tests.test_faces import brute_force_faces
from tests.test_strategies import random_problem


def diamond():
    # x -> i -> j -> {k1, k2}, with a second path i -> m -> j.
    return problem_from_edges(
        [("x", "i"), ("i", "j"), ("i", "m"), ("m", "j"), ("j", "k1"), ("j", "k2")],
        inputs=["x"],
        intermediates=["i", "m", "j"],
        outputs=["k1", "k2"],
    )


def test_a_partial_path_merges_into_its_twin_by_hand() -> None:
    problem = diamond()
    i, j, m, k1 = (problem.index[n] for n in ("i", "j", "m", "k1"))
    state = FaceEliminationState(problem, track_paths=True)
    ij, jk1 = state.dual_vertex(i, j), state.dual_vertex(j, k1)
    im, mj = state.dual_vertex(i, m), state.dual_vertex(m, j)
    # (i->j, j->k1): a new i->k1, no addition; i->j keeps only its face with j->k2.
    assert state.apply((ij, jk1)) == (1, 0)
    # (i->m, m->j): a new i->m->j, which still has both j->k1 and j->k2 as successors, so it
    # is no twin of i->j (now only j->k2): no merge, no addition.
    assert state.apply((im, mj)) == (1, 0)
    imj = next(v for v in state.by_ends[i, j] if v != ij)
    # (i->m->j, j->k1) is absorbed by i->k1 (one addition); i->m->j is left with exactly the
    # predecessors and successors of i->j, so the two merge (a second addition).
    assert state.apply((imj, jk1)) == (1, 2)
    (left,) = state.by_ends[i, j]
    assert state.paths[left] == {(i, j), (i, m, j)}
    through_j = [face for face in state.options() if state.end[face[0]] == j]
    assert through_j == [(left, state.dual_vertex(j, problem.index["k2"]))]  # one face, not two


def twin_free(state: FaceEliminationState) -> bool:
    """No two live partials with the same predecessors and successors."""
    live = [v for v, p in enumerate(state.preds) if p is not None and state.kind[v] == PARTIAL]
    seen = set()
    for v in live:
        key = (frozenset(state.preds[v]), frozenset(state.succs[v]))
        if key in seen:
            return False
        seen.add(key)
    return True


@pytest.mark.parametrize("seed", range(30))
def test_no_twins_survive_any_face_step(seed: int) -> None:
    rng = random.Random(seed)
    problem = random_problem(rng, intermediates=rng.randint(2, 6))
    state = FaceEliminationState(problem, track_paths=True)
    assert twin_free(state)
    while not state.done:
        state.apply(rng.choice(list(state.options())))
        assert twin_free(state)
    # Every live dual vertex now joins an input to an output, and between each such pair the
    # dual vertices sum every path of the graph exactly once.
    summed: dict = {}
    for v, preds in enumerate(state.preds):
        if preds is not None and state.kind[v] == PARTIAL:
            for path in state.paths[v]:
                ends = (state.start[v], state.end[v])
                assert path[0] == ends[0]
                assert path[-1] == ends[1]
                assert path not in summed.get(ends, set())
                summed.setdefault(ends, set()).add(path)
    assert summed == all_paths(problem)


def all_paths(problem) -> dict:
    """Every input-output path of the graph, by its ends (plain depth-first enumeration)."""
    found: dict = {}

    def walk(path: tuple) -> None:
        if problem.roles[path[-1]] == OUTPUT:
            found.setdefault((path[0], path[-1]), set()).add(path)
        for nxt in problem.succs[path[-1]]:
            walk((*path, nxt))

    for v, role in enumerate(problem.roles):
        if role == INPUT:
            walk((v,))
    return found


def test_the_merged_sequence_is_optimal() -> None:
    assert brute_force_faces(FaceEliminationState(diamond(), track_paths=True)) == 4
