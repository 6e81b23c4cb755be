"""The search for a graph where optimal face elimination beats optimal edge elimination.

Run with ``python -m pytest -m benchmark -s tests/benchmarks/test_face_witness_search.py``
(:data:`SECONDS_PER_CLASS` of CPU per class), or one class for longer with ``python -m
tests.benchmarks.test_face_witness_search INPUTS INTERMEDIATES OUTPUTS SECONDS [SEED [STATES
[K/N]]]`` (K/N: the K-th of N processes sharing the class, K from 0).

Per graph: the best edge heuristic (:func:`~graphcost.eliminate.edge_strategies.best_heuristic`)
gives an edge sequence; a depth-first face search (:func:`faces_within`, pruned by
:func:`~graphcost.eliminate.face_strategies.face_lower_bound`, failures remembered per dual
graph) then looks only for face sequences strictly cheaper than it. When it proves there are
none, face = edge heuristic >= edge optimum >= face optimum, so all three are equal and the
exact edge search is not needed; only when a cheaper face sequence turns up are the face and
edge optima computed exactly (edges by A* with :func:`edge_lower_bound`), and a witness is a
graph where the face optimum stays below the edge optimum. A face search that runs out of
:data:`FACE_STATES` expansions counts as *unproven*.

Graphs: every vertex on an input-output path, no input -> output edge (it changes no
multiplication). Classes with at most :data:`EXHAUSTIVE_BITS` possible edges are enumerated
in a fixed order, one graph per isomorphism class (relabelling intermediates, inputs and
outputs), until done or out of time; larger classes are drawn at random (edge probabilities
0.35-0.65), also up to isomorphism. Reversing every edge swaps inputs and outputs and keeps
all three optima, so (2, 4, 1) is (1, 4, 2) reversed and is not searched separately.
"""

from __future__ import annotations

import itertools
import random
import sys
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from graphcost.eliminate.edge_strategies import best_heuristic, edge_lower_bound
from graphcost.eliminate.edges import EdgeEliminationState
from graphcost.eliminate.face_strategies import faces_within as bounded_faces
from graphcost.eliminate.faces import FaceEliminationState
from graphcost.eliminate.families import shortest_sequence
from graphcost.eliminate.problem import EliminationProblem, problem_from_edges

#: (inputs, intermediates, outputs) searched by the benchmark, smallest first.
CLASSES = ((1, 4, 1), (1, 4, 2), (2, 4, 2), (1, 5, 1), (2, 5, 2))
SECONDS_PER_CLASS = 60.0
EXHAUSTIVE_BITS = 18
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
        exhaustive = len(slots(self.shape)) <= EXHAUSTIVE_BITS
        how = "all" if self.complete else "enumeration unfinished" if exhaustive else "random"
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


def graphs(
    shape: tuple[int, int, int], rng: random.Random, part: tuple[int, int] = (0, 1)
) -> Iterator[list[Edge]]:
    """Every live graph of the class up to isomorphism when it is small, else random ones;
    with ``part`` = (k, n), only the classes whose canonical form hashes to k modulo n (so n
    processes share an enumeration, each class searched by one of them)."""
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
                if zlib.crc32(repr(form).encode()) % part[1] == part[0]:
                    yield edges


def problem(edges: list[Edge], shape: tuple[int, int, int]) -> EliminationProblem:
    """The node-level problem of an edge list of the class."""
    xs, vs, ys = names(shape)
    return problem_from_edges(edges, inputs=xs, intermediates=vs, outputs=ys)


def faces_within(state: FaceEliminationState, budget: int, failed: dict, work: list[int]) -> bool:
    """Whether faces costing at most ``budget`` finish ``state``
    (:func:`graphcost.eliminate.face_strategies.faces_within`; ``failed`` remembers per dual
    graph a budget that is too small, ``work`` counts expansions against
    :data:`FACE_STATES`)."""

    def expand() -> None:
        work[0] += 1
        if work[0] > FACE_STATES:
            raise TimeoutError

    return bounded_faces(state, budget, failed, expand) is not None


def face_below_edge(p: EliminationProblem) -> tuple[int, int] | None:
    """(a face sequence's cost, the edge optimum) when a face sequence beats the best edge
    heuristic, ``None`` when :func:`faces_within` proves that none does; ``TimeoutError``
    when it runs out of expansions."""
    edges = best_heuristic(p)
    budget = edges.multiplications - 1
    if budget < 0 or not faces_within(FaceEliminationState(p, track_paths=True), budget, {}, [0]):
        return None
    while budget > 0 and faces_within(
        FaceEliminationState(p, track_paths=True), budget - 1, {}, [0]
    ):
        budget -= 1
    exact = shortest_sequence(
        EdgeEliminationState(p),
        upper=(edges.multiplications, list(edges.steps)),
        max_states=EDGE_STATES,
        bound=edge_lower_bound,
    )
    if not exact.proven:
        raise TimeoutError
    return budget, exact.cost


def search(
    shape: tuple[int, int, int], seconds: float, seed: int = 0, part: tuple[int, int] = (0, 1)
) -> Tally:
    """Search one class for ``seconds`` of CPU time (or until it is enumerated); ``part`` as
    in :func:`graphs`."""
    tally, rng = Tally(shape, complete=True), random.Random(seed)
    start = time.process_time()
    for edges in graphs(shape, rng, part):
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
    tally.complete = tally.complete and len(slots(shape)) <= EXHAUSTIVE_BITS
    tally.seconds = time.process_time() - start
    return tally


@pytest.mark.benchmark
def test_search_for_a_face_witness() -> None:
    print(f"\nface below edge, {SECONDS_PER_CLASS:.0f} s CPU per class:")
    for shape in CLASSES:
        print(" ", search(shape, SECONDS_PER_CLASS).line(), flush=True)


if __name__ == "__main__":
    inputs, middle, outputs, budget, *rest = sys.argv[1:]
    if len(rest) > 1:
        FACE_STATES = int(rest[1])
    share = tuple(int(v) for v in rest[2].split("/")) if len(rest) > 2 else (0, 1)
    shape = (int(inputs), int(middle), int(outputs))
    print(search(shape, float(budget), int(rest[0] if rest else 0), share).line())
