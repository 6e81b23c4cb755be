"""The search for a graph where optimal face elimination beats optimal edge elimination.

Run with ``python -m pytest -m benchmark -s tests/benchmarks/test_face_witness_search.py``
(about :data:`SECONDS_PER_CLASS` per class), or one class for longer with
``python -m tests.benchmarks.test_face_witness_search INPUTS INTERMEDIATES OUTPUTS SECONDS``.

Per graph: the best edge heuristic (:func:`~graphcost.eliminate.edge_strategies.best_heuristic`)
gives an edge sequence; the exact face search (:func:`~graphcost.eliminate.families.
shortest_sequence` with :func:`~graphcost.eliminate.face_strategies.face_lower_bound`)
then looks only for face sequences strictly cheaper than it. When it proves there are none,
face = edge heuristic >= edge optimum >= face optimum, so all three are equal and the exact
edge search is not needed; only when a cheaper face sequence turns up is the edge optimum
computed exactly (:data:`EDGE_STATES`), and a witness is a graph where the face optimum stays
below it. A face search that runs out of :data:`FACE_STATES` counts as *unproven*.

Graphs: every vertex on an input-output path, no input -> output edge (it changes no
multiplication). Classes with at most :data:`EXHAUSTIVE_BITS` possible edges are enumerated
completely, one graph per isomorphism class (relabelling intermediates, inputs and outputs);
larger classes are sampled at random (edge probabilities 0.35-0.65), also up to isomorphism.
"""

from __future__ import annotations

import itertools
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from graphcost.eliminate.edge_strategies import best_heuristic
from graphcost.eliminate.edges import EdgeEliminationState
from graphcost.eliminate.face_strategies import face_lower_bound
from graphcost.eliminate.faces import FaceEliminationState, edge_steps_as_faces
from graphcost.eliminate.families import shortest_sequence
from graphcost.eliminate.problem import EliminationProblem, problem_from_edges

#: (inputs, intermediates, outputs) searched by the benchmark, smallest first.
CLASSES = ((1, 4, 1), (1, 4, 2), (2, 4, 1), (2, 4, 2), (1, 5, 1), (2, 5, 2), (2, 6, 2))
SECONDS_PER_CLASS = 60.0
EXHAUSTIVE_BITS = 16
FACE_STATES = 50_000
EDGE_STATES = 2_000_000

Edge = tuple[str, str]


@dataclass
class Tally:
    """What one class's search saw."""

    shape: tuple[int, int, int]
    graphs: int = 0
    unproven: int = 0
    face_below_heuristic: int = 0
    seconds: float = 0.0
    complete: bool = False
    witnesses: list[tuple[list[Edge], int, int]] = field(default_factory=list)

    def line(self) -> str:
        """One printed line."""
        inputs, middle, outputs = self.shape
        how = "all" if self.complete else "sampled"
        return (
            f"{inputs} in, {middle} intermediates, {outputs} out: {self.graphs:,} graphs "
            f"({how}), {self.unproven} unproven, {self.face_below_heuristic} with face below "
            f"the edge heuristic, {len(self.witnesses)} witnesses, {self.seconds:.1f} s CPU"
        )


def names(shape: tuple[int, int, int]) -> tuple[list[str], list[str], list[str]]:
    """Vertex names of a class: x0.., v0.., y0.."""
    inputs, middle, outputs = shape
    return (
        [f"x{i}" for i in range(inputs)],
        [f"v{i}" for i in range(middle)],
        [f"y{i}" for i in range(outputs)],
    )


def slots(shape: tuple[int, int, int]) -> list[Edge]:
    """Every possible edge of a class (intermediates in index order, so every graph is a DAG)."""
    xs, vs, ys = names(shape)
    inner = [(a, b) for i, a in enumerate(vs) for b in vs[i + 1 :]]
    return [(x, v) for x in xs for v in vs] + inner + [(v, y) for v in vs for y in ys]


def live(edges: list[Edge], shape: tuple[int, int, int]) -> bool:
    """Every vertex on an input-output path: each intermediate reachable from an input and
    reaching an output, each input and output touched."""
    xs, vs, ys = names(shape)
    reach, back = set(xs), set(ys)
    for v in vs:  # index order is topological
        if any(a in reach for a, b in edges if b == v):
            reach.add(v)
    for v in reversed(vs):
        if any(b in back for a, b in edges if a == v):
            back.add(v)
    used = {a for a, _ in edges} | {b for _, b in edges}
    return all(v in reach and v in back for v in vs) and set(xs + ys) <= used


def canonical(edges: list[Edge], shape: tuple[int, int, int]) -> tuple[Edge, ...]:
    """The smallest sorted edge list over every relabelling within each role."""
    xs, vs, ys = names(shape)
    best = None
    for px in itertools.permutations(xs):
        for pv in itertools.permutations(vs):
            for py in itertools.permutations(ys):
                rename = dict(zip(xs + vs + ys, (*px, *pv, *py), strict=True))
                form = tuple(sorted((rename[a], rename[b]) for a, b in edges))
                if best is None or form < best:
                    best = form
    return best  # type: ignore[return-value]


def graphs(shape: tuple[int, int, int], rng: random.Random) -> Iterator[list[Edge]]:
    """Every live graph of the class up to isomorphism when it is small, else random ones."""
    possible, seen = slots(shape), set()
    if len(possible) <= EXHAUSTIVE_BITS:
        candidates: Iterator[list[Edge]] = (
            [e for e, bit in zip(possible, bits, strict=True) if bit]
            for bits in itertools.product((0, 1), repeat=len(possible))
        )
    else:
        candidates = (
            [e for e in possible if rng.random() < density]
            for density in iter(lambda: rng.choice((0.35, 0.5, 0.65)), None)
        )
    for edges in candidates:
        if live(edges, shape):
            form = canonical(edges, shape)
            if form not in seen:
                seen.add(form)
                yield edges


def problem(edges: list[Edge], shape: tuple[int, int, int]) -> EliminationProblem:
    """The node-level problem of an edge list of the class."""
    xs, vs, ys = names(shape)
    return problem_from_edges(edges, inputs=xs, intermediates=vs, outputs=ys)


def face_below_edge(p: EliminationProblem) -> tuple[int, int, bool] | None:
    """(face optimum, edge optimum, face proven) when a face sequence beats the edge heuristic,
    ``None`` when the face search proves that none does; raises ``TimeoutError`` when the face
    search runs out of states."""
    edges = best_heuristic(p)
    face = shortest_sequence(
        FaceEliminationState(p, track_paths=True),
        upper=(edges.multiplications, edge_steps_as_faces(p, edges.steps)),
        max_states=FACE_STATES,
        bound=face_lower_bound,
    )
    if face.cost == edges.multiplications:
        if not face.proven:
            raise TimeoutError
        return None
    exact = shortest_sequence(
        EdgeEliminationState(p),
        upper=(edges.multiplications, list(edges.steps)),
        max_states=EDGE_STATES,
    )
    return face.cost, exact.cost, face.proven and exact.proven


def search(shape: tuple[int, int, int], seconds: float, seed: int = 0) -> Tally:
    """Search one class for ``seconds`` of CPU time (or until it is enumerated)."""
    tally, rng = Tally(shape, complete=True), random.Random(seed)
    start = time.process_time()
    for edges in graphs(shape, rng):
        if time.process_time() - start > seconds:
            tally.complete = False
            break
        tally.graphs += 1
        try:
            found = face_below_edge(problem(edges, shape))
        except TimeoutError:
            tally.unproven += 1
            continue
        if found is not None:
            tally.face_below_heuristic += 1
            if found[0] < found[1]:
                tally.witnesses.append((edges, found[0], found[1]))
                print(f"  witness {edges}: face {found[0]} < edge {found[1]}", flush=True)
    if len(slots(shape)) > EXHAUSTIVE_BITS:
        tally.complete = False
    tally.seconds = time.process_time() - start
    return tally


@pytest.mark.benchmark
def test_search_for_a_face_witness() -> None:
    print(f"\nface below edge, {SECONDS_PER_CLASS:.0f} s CPU per class:")
    for shape in CLASSES:
        print(" ", search(shape, SECONDS_PER_CLASS).line(), flush=True)


if __name__ == "__main__":
    inputs, middle, outputs, budget, *rest = sys.argv[1:]
    tally = search(
        (int(inputs), int(middle), int(outputs)), float(budget), int(rest[0] if rest else 0)
    )
    print(tally.line())
