"""Local search over edge sequences, started from a vertex order: :func:`improve_edges`.

Why this method
    Edge sequences include every vertex order, and on the benchmark graphs the best vertex
    orders found by ``search`` are hard to beat; what an edge sequence can do that no order can
    is eliminate *some* edges of a vertex early. On ``graphs/witness-edge.yaml`` the winning
    move is a back-elimination absorbed into an existing edge (a → b back-eliminated while the
    predecessors of a already reach b): it removes a predecessor of b before b is eliminated,
    so b's elimination no longer multiplies through a. So the search keeps a *token* sequence:
    the vertex order (a vertex token eliminates all edges left at that vertex, front, as
    :meth:`~graphcost.eliminate.edges.EdgeEliminationState.vertex_steps` does) with single
    edge tokens inserted between them; an edge token whose edge is gone when its turn comes is
    skipped. Moves insert an edge token (mostly an absorbed one next to the vertex about to be
    eliminated), delete one, flip its direction, or shift a vertex or edge token a few places;
    a move is accepted by simulated annealing (cheaper, or worse with probability e^(−Δ/T)).

Incremental cost
    The state is two lists of Python int bitmasks (predecessors and successors), as in
    :mod:`graphcost.eliminate.search`. A snapshot is kept every :data:`CHECKPOINT` tokens; a
    move is scored by replaying from the snapshot before it, and stops early when the state
    at a later snapshot position equals the old one (the rest then costs what it cost before).

The vertex tokens guarantee that every sequence finishes the elimination, and the result is
re-scored by :func:`graphcost.eliminate.edges.eliminate_edges` wherever it is reported.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence

from graphcost.eliminate.edges import BACK, FRONT, EdgeStep
from graphcost.eliminate.problem import EliminationProblem
from graphcost.graph.model import INTERMEDIATE

#: Tokens between two snapshots of the replayed state.
CHECKPOINT = 16
#: Largest distance a shift move carries a token.
SHIFT = 8
#: Temperatures (in multiplications) at the start and the end of the annealing schedule.
START_TEMPERATURE = 1.0
END_TEMPERATURE = 0.05
#: Token kinds: eliminate a vertex, front- or back-eliminate one edge.
VERTEX, FRONT_EDGE, BACK_EDGE = 0, 1, 2

Token = tuple[int, int, int]


def _bits(mask: int):
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


class TokenMachine:
    """Replays token sequences on bitmask graphs of one node-level problem."""

    def __init__(self, problem: EliminationProblem) -> None:
        self.problem = problem
        self.preds0 = [sum(1 << p for p in preds) for preds in problem.preds]
        self.succs0 = [sum(1 << s for s in succs) for succs in problem.succs]
        self.middle = [role == INTERMEDIATE for role in problem.roles]

    def start(self) -> tuple[list[int], list[int]]:
        """The original graph as (preds, succs) bitmask lists."""
        return list(self.preds0), list(self.succs0)

    def apply(self, preds: list[int], succs: list[int], token: Token, out: list | None) -> int:
        """Apply ``token`` in place; return its multiplications (0 for a skipped token).

        With ``out`` a list, the :class:`EdgeStep` items taken are appended to it."""
        kind, a, b = token
        if kind == VERTEX:
            return self._vertex(preds, succs, a, out)
        if not succs[a] >> b & 1:
            return 0
        if kind == FRONT_EDGE:
            return self._front(preds, succs, a, b, out) if self.middle[b] else 0
        return self._back(preds, succs, a, b, out) if self.middle[a] else 0

    def _vertex(self, preds: list[int], succs: list[int], j: int, out: list | None) -> int:
        into, away = preds[j], succs[j]
        if not into and not away:
            return 0
        if out is not None:
            if into or not away:
                out.extend(EdgeStep(i, j, FRONT) for i in _bits(into))
            else:
                out.extend(EdgeStep(j, k, BACK) for k in _bits(away))
        bit = ~(1 << j)
        for i in _bits(into):
            succs[i] = (succs[i] | away) & bit
        for k in _bits(away):
            preds[k] = (preds[k] | into) & bit
        preds[j] = succs[j] = 0
        return into.bit_count() * away.bit_count()

    def _front(self, preds: list[int], succs: list[int], i: int, j: int, out: list | None) -> int:
        away = succs[j]
        if out is not None:
            out.append(EdgeStep(i, j, FRONT))
        succs[i] = (succs[i] | away) & ~(1 << j)
        ibit = 1 << i
        for k in _bits(away):
            preds[k] |= ibit
        preds[j] &= ~ibit
        if not preds[j]:
            jbit = ~(1 << j)
            for k in _bits(away):
                preds[k] &= jbit
            succs[j] = 0
        return away.bit_count()

    def _back(self, preds: list[int], succs: list[int], i: int, j: int, out: list | None) -> int:
        into = preds[i]
        if out is not None:
            out.append(EdgeStep(i, j, BACK))
        preds[j] = (preds[j] | into) & ~(1 << i)
        jbit = 1 << j
        for h in _bits(into):
            succs[h] |= jbit
        succs[i] &= ~jbit
        if not succs[i]:
            ibit = ~(1 << i)
            for h in _bits(into):
                succs[h] &= ibit
            preds[i] = 0
        return into.bit_count()

    def steps(self, tokens: Sequence[Token]) -> list[EdgeStep]:
        """The edge steps a token sequence takes."""
        preds, succs = self.start()
        out: list[EdgeStep] = []
        for token in tokens:
            self.apply(preds, succs, token, out)
        return out


class Replay:
    """A token sequence with snapshots every :data:`CHECKPOINT` tokens and its total cost."""

    def __init__(self, machine: TokenMachine, tokens: list[Token]) -> None:
        self.machine = machine
        self.tokens = tokens
        self.snapshots: list[tuple[list[int], list[int], int]] = []
        self.total = self._rebuild(0)

    def _rebuild(self, first: int) -> int:
        """Recompute the snapshots from snapshot ``first`` on; return the total cost."""
        if first == 0:
            (preds, succs), cost = self.machine.start(), 0
            self.snapshots = []
        else:
            preds, succs, cost = self.snapshots[first]
            preds, succs = list(preds), list(succs)
            del self.snapshots[first:]
        for index in range(first * CHECKPOINT, len(self.tokens) + 1):
            if index % CHECKPOINT == 0:
                self.snapshots.append((list(preds), list(succs), cost))
            if index < len(self.tokens):
                cost += self.machine.apply(preds, succs, self.tokens[index], None)
        return cost

    def state_at(self, index: int) -> tuple[list[int], list[int]]:
        """The graph before token ``index``."""
        preds, succs, _ = self.snapshots[index // CHECKPOINT]
        preds, succs = list(preds), list(succs)
        for token in self.tokens[index - index % CHECKPOINT : index]:
            self.machine.apply(preds, succs, token, None)
        return preds, succs

    def score(self, tokens: list[Token], low: int, high: int) -> int:
        """The total cost of ``tokens``, equal to :attr:`tokens` before position ``low`` and
        equal to :attr:`tokens` shifted by len(tokens) − len(:attr:`tokens`) from ``high`` on."""
        shift = len(tokens) - len(self.tokens)
        first = low // CHECKPOINT
        preds, succs, cost = self.snapshots[first]
        preds, succs = list(preds), list(succs)
        apply = self.machine.apply
        for index in range(first * CHECKPOINT, len(tokens)):
            old = index - shift
            if index >= high + shift and old % CHECKPOINT == 0:
                snap = self.snapshots[old // CHECKPOINT]
                if snap[1] == succs and snap[0] == preds:
                    return cost + self.total - snap[2]
            cost += apply(preds, succs, tokens[index], None)
        return cost

    def accept(self, tokens: list[Token], low: int, total: int) -> None:
        """Adopt ``tokens`` (scored ``total``), changed from position ``low`` on."""
        self.tokens = tokens
        self.total = self._rebuild(low // CHECKPOINT)
        if self.total != total:
            raise RuntimeError("incremental edge-sequence cost disagrees with the replay")


def _absorbed_options(machine: TokenMachine, preds, succs, vertex: int) -> list[Token]:
    """Edge tokens at ``vertex`` that create no edge now: an in-edge i → vertex back-eliminated
    when preds(i) ⊆ preds(vertex), an out-edge vertex → k front-eliminated when succs(k) ⊆
    succs(vertex), and the same with ``vertex`` as the far end."""
    middle = machine.middle
    options = []
    for i in _bits(preds[vertex]):
        if middle[i] and not preds[i] & ~preds[vertex]:
            options.append((BACK_EDGE, i, vertex))
        if middle[vertex] and not succs[vertex] & ~succs[i]:
            options.append((FRONT_EDGE, i, vertex))
    for k in _bits(succs[vertex]):
        if middle[k] and not succs[k] & ~succs[vertex]:
            options.append((FRONT_EDGE, vertex, k))
        if middle[vertex] and not preds[vertex] & ~preds[k]:
            options.append((BACK_EDGE, vertex, k))
    return options


def _any_option(machine: TokenMachine, preds, succs, vertex: int, rng: random.Random):
    """A random edge token at ``vertex`` (fill-in allowed)."""
    edges = [(i, vertex) for i in _bits(preds[vertex])] + [
        (vertex, k) for k in _bits(succs[vertex])
    ]
    if not edges:
        return None
    i, j = rng.choice(edges)
    kinds = [k for k, end in ((FRONT_EDGE, j), (BACK_EDGE, i)) if machine.middle[end]]
    return (rng.choice(kinds), i, j) if kinds else None


def _propose(
    replay: Replay, rng: random.Random, vertex_only: bool
) -> tuple[list[Token], int, int] | None:
    """A random move: (new tokens, first changed position, end of the change in the old)."""
    tokens = replay.tokens
    size = len(tokens)
    if not size:
        return None
    edge_at = [n for n, t in enumerate(tokens) if t[0] != VERTEX]
    roll = 1.0 if vertex_only else rng.random()
    if not vertex_only and (roll < 0.5 or not edge_at):
        at = rng.randrange(size)
        preds, succs = replay.state_at(at)
        kind, a, b = tokens[at]
        vertex = a if kind == VERTEX or rng.random() < 0.5 else b
        options = _absorbed_options(replay.machine, preds, succs, vertex)
        token = rng.choice(options) if options and rng.random() < 0.8 else None
        token = token or _any_option(replay.machine, preds, succs, vertex, rng)
        if token is None:
            return None
        return [*tokens[:at], token, *tokens[at:]], at, at
    if roll < 0.65:
        at = rng.choice(edge_at)
        return [*tokens[:at], *tokens[at + 1 :]], at, at + 1
    if roll < 0.75:
        at = rng.choice(edge_at)
        kind, i, j = tokens[at]
        flipped = (FRONT_EDGE + BACK_EDGE - kind, i, j)
        return [*tokens[:at], flipped, *tokens[at + 1 :]], at, at + 1
    at = rng.choice(edge_at) if roll < 0.85 else rng.randrange(size)
    to = min(size - 1, max(0, at + rng.randint(-SHIFT, SHIFT)))
    if to == at:
        return None
    moved = list(tokens)
    moved.insert(to, moved.pop(at))
    return moved, min(at, to), max(at, to) + 1


def improve_edges(
    problem: EliminationProblem,
    order: Sequence[int],
    *,
    seed: int = 0,
    iterations: int | None = None,
    time_limit: float | None = None,
    vertex_only: bool = False,
) -> tuple[int, list[EdgeStep]]:
    """Anneal edge tokens into a vertex order; return (multiplications, edge steps) of the
    cheapest sequence seen (never worse than ``order`` itself).

    Parameters
    ----------
    problem
        A node-level problem.
    order
        A vertex order (vertex indices), e.g. the best ``search`` found.
    seed, iterations, time_limit
        The random stream, and the budget: moves, or seconds (the first that runs out; with
        neither, 2,000 moves).
    vertex_only
        Only shift vertex tokens (no edge tokens): the same annealing over vertex orders, the
        control that tells an edge sequence's gain from a better order's.

    Examples
    --------
    On the edge witness the vertex order costs 7; an absorbed back-elimination saves one.

    >>> from graphcost.eliminate.problem import elimination_problem
    >>> from graphcost.graph.loader import load_graph
    >>> p = elimination_problem(load_graph("graphs/witness-edge.yaml"))
    >>> improve_edges(p, p.intermediates, iterations=300)[0]
    6
    """
    machine = TokenMachine(problem)
    replay = Replay(machine, [(VERTEX, v, 0) for v in order])
    best = (replay.total, list(replay.tokens))
    rng = random.Random(seed)
    budget = iterations if iterations is not None else (None if time_limit else 2_000)
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    done = 0
    while (budget is None or done < budget) and (
        deadline is None or time.perf_counter() < deadline
    ):
        fraction = done / budget if budget else (1 - (deadline - time.perf_counter()) / time_limit)
        temperature = START_TEMPERATURE * (END_TEMPERATURE / START_TEMPERATURE) ** min(1, fraction)
        done += 1
        move = _propose(replay, rng, vertex_only)
        if move is None:
            continue
        tokens, low, high = move
        total = replay.score(tokens, low, high)
        delta = total - replay.total
        if delta <= 0 or rng.random() < math.exp(-delta / temperature):
            replay.accept(tokens, low, total)
            if total < best[0]:
                best = (total, list(tokens))
    return best[0], machine.steps(best[1])
