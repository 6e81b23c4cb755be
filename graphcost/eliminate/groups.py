"""A stronger lower bound for exact vertex elimination: small groups solved exactly, combined by
a linear programme (node level).

The min-cut bound of :mod:`graphcost.eliminate.bound` charges every vertex j at least
κ_in(j)·κ_out(j) *alone*. It misses what vertices cost each other: a vertex with nine
successors but three outputs behind them costs 3·|preds| only once six of its successors are
gone, and eliminating those first costs *them* more. This module bounds small groups of
neighbours jointly, and adds up the groups without counting a vertex twice.

Vertex floors with forced neighbours
    Take a state T (the set eliminated, graph G_T) and any later state T' ⊇ T at which j is
    eliminated, with the vertices of a set K (``keep``) not yet eliminated (K ∩ T' = ∅). Let
    F be j's predecessors in G_T that are inputs or lie in K. Edges only disappear with an
    endpoint, so F ⊆ P_j(T') (j's predecessors when it goes). P_j(T') meets every input→j
    path of G_{T'}, hence (paths of G_T shrink to paths of G_{T'} by dropping T' vertices)
    every input→j path of G_T; the paths that avoid F must meet P_j(T') \\ F. So

        |P_j(T')| ≥ |F| + κ(inputs \\ F → j in G_T − F) =: in(j | T, K),

    and likewise out(j | T, K) for the successors; ``floor(j | T, K)`` is their product. With
    K = ∅ it is at least the min-cut weight (F plus a cut of G_T − F is a cut of G_T).

Group minima
    For a group S of intermediates alive at T, any completion from T eliminates S in some
    order s_1, s_2, …; when s_i goes, T' ⊇ T ∪ {s_1…s_{i−1}} =: T_i and s_{i+1}… are alive, so
    s_i costs at least floor(s_i | T_i, S \\ {s_1…s_i}) (the floor above, taken in G_{T_i}:
    every later state contains T_i). The least such sum over the orders of S, M(S), is a
    dynamic programme over the 2^|S| subsets of S (:meth:`GroupBound.minimum`), and no
    completion from T spends less than M(S) on S.

Combining groups (why the bound is admissible)
    Let c(v) be what v costs in some completion from T and w(v) = floor(v | T, ∅) ≤ c(v), so
    the excess x(v) = c(v) − w(v) ≥ 0 and Σ_{v∈S} x(v) ≥ δ(S) := M(S) − Σ_{v∈S} w(v) for
    every group. For any y ≥ 0 with Σ_{S∋v} y(S) ≤ 1 for every v (a fractional packing),

        Σ_v c(v) = Σ_v w(v) + Σ_v x(v) ≥ Σ_v w(v) + Σ_S y(S)·Σ_{v∈S} x(v)
                 ≥ Σ_v w(v) + Σ_S y(S)·δ(S),

    whatever the completion: that is the bound, rounded up (costs are integers). The best y
    is the linear programme max Σ y·δ over packings, solved by HiGHS (``scipy.optimize.
    linprog``, the ``exact`` extra); without scipy a greedy packing (weaker, equally valid) is
    used. Any y found is clipped to ≥ 0, made exact (fractions) and scaled until it is a
    packing, so floating point cannot make the bound unsound. Groups that were not evaluated
    (time ran out) only weaken it: fewer constraints.

Use in the search
    The bound is computed once, at the start (:func:`root_table`). From a later state T the
    same y restricted to groups disjoint from T is still a packing, and every completion from
    T is one from the start that eliminates T first, so

        rest(T) = Σ_{v∉T} w(v) + Σ_{S∩T=∅} y(S)·δ(S)

    bounds what is left (:meth:`GroupTable.rest`). It is admissible but not consistent (a
    vertex can cost less than the group share it takes away), so the A* of
    :mod:`graphcost.eliminate.exact` reopens states reached more cheaply and reports the
    larger of its queue's least f and the start bound.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from graphcost.eliminate.bound import CutBound, members, vertex_cut
from graphcost.eliminate.kernels import BitKernel

#: Largest group solved exactly (2^size subsets, size·2^(size−1) floors each).
MAX_GROUP = 10
#: Denominators of the LP's packing weights are limited to this before the exact check.
DENOMINATOR = 10**6


@dataclass(frozen=True)
class GroupTable:
    """The start bound and what is needed to re-evaluate it at later states.

    Attributes
    ----------
    bound
        The proven lower bound at the start (rounded up).
    weights
        w(v) by member slot (the position of v in the problem's intermediates).
    groups
        ``(slot mask, y(S)·δ(S))`` of every group with y(S) > 0.
    evaluated
        Groups solved (δ computed), of ``candidates`` listed.
    candidates
        Groups listed.
    """

    bound: int
    weights: tuple[int, ...]
    groups: tuple[tuple[int, Fraction], ...]
    evaluated: int = 0
    candidates: int = 0

    def rest(self, mask: int) -> int:
        """The bound on finishing from the state whose eliminated member slots are ``mask``."""
        total = Fraction(0)
        for mask_s, share in self.groups:
            if not mask & mask_s:
                total += share
        plain = sum(w for k, w in enumerate(self.weights) if not mask >> k & 1)
        return plain + math.ceil(total)


class GroupBound:
    """Vertex floors with forced neighbours and exact group minima (see the module docstring).

    Examples
    --------
    x→a→c→y with x→c and a→y: each vertex has min-cut weight 1 (x cuts the paths in, y the
    paths out), but whichever goes first has two successors or two predecessors then, so
    every order costs 3, which the group {a, c} sees.

    >>> from graphcost.eliminate.problem import problem_from_edges
    >>> from graphcost.eliminate.kernels import BitKernel
    >>> edges = [("x", "a"), ("x", "c"), ("a", "c"), ("a", "y"), ("c", "y")]
    >>> p = problem_from_edges(edges, inputs=["x"], intermediates=["a", "c"], outputs=["y"])
    >>> groups = GroupBound(p)
    >>> state = BitKernel(p).fresh()
    >>> a, c = p.intermediates
    >>> groups.floor(state, 0, a, 0), groups.floor(state, 0, a, 1 << c)
    (1, 2)
    >>> groups.minimum(state, 0, (a, c))
    3
    """

    def __init__(self, problem, cuts: CutBound | None = None) -> None:
        self.kernel = BitKernel(problem)
        self.cuts = CutBound(problem) if cuts is None else cuts

    def floor(self, state: list[list[int]], gone: int, vertex: int, keep: int) -> int:
        """floor(vertex | T, K): the least it costs once eliminated with ``keep`` still alive.

        ``state`` is G_T as ``[preds, succs]`` bitmasks, ``gone`` the bitmask of T.
        """
        preds, succs = state
        cuts = self.cuts
        forced_in = preds[vertex] & (cuts.inputs | keep)
        forced_out = succs[vertex] & (cuts.outputs | keep)
        into = forced_in.bit_count() + vertex_cut(
            preds, cuts.ancestors[vertex] & ~gone & ~forced_in, cuts.inputs & ~forced_in, vertex
        )
        out = forced_out.bit_count() + vertex_cut(
            succs,
            cuts.descendants[vertex] & ~gone & ~forced_out,
            cuts.outputs & ~forced_out,
            vertex,
        )
        return into * out

    def minimum(self, state: list[list[int]], gone: int, group: Iterable[int]) -> int:
        """M(S): the least the group costs over all its orders, by floors (dynamic programme)."""
        group = list(group)
        whole = sum(1 << v for v in group)
        layer: dict[int, tuple[int, list[list[int]]]] = {0: (0, state)}
        for _ in group:
            following: dict[int, tuple[int, list[list[int]]]] = {}
            for done, (spent, current) in layer.items():
                for v in group:
                    if done >> v & 1:
                        continue
                    after = done | 1 << v
                    cost = spent + self.floor(current, gone | done, v, whole & ~after)
                    known = following.get(after)
                    if known is None:
                        child = self.kernel.copy(current)
                        self.kernel.step(child, v)
                        following[after] = (cost, child)
                    elif cost < known[0]:  # G after a set does not depend on the order
                        following[after] = (cost, known[1])
            layer = following
        return layer[whole][0]


def candidate_groups(state: list[list[int]], alive: Iterable[int], max_size: int) -> list:
    """Groups worth solving, smallest first, at most ``max_size`` vertices each.

    Around every alive intermediate v (neighbours counted among the alive intermediates): v
    with each successor, with its successors, its predecessors, both, the union with a
    neighbour's neighbourhood; v with the successors of its successors (two levels down), the
    predecessors of its predecessors (two levels up), both two-level trees with v's
    neighbourhood; and every path v→u→w.
    """
    alive = list(alive)
    live = sum(1 << v for v in alive)
    preds, succs = state
    found: set[tuple[int, ...]] = set()
    near = {v: (preds[v] | succs[v]) & live | 1 << v for v in alive}
    for v in alive:
        down, up = succs[v] & live, preds[v] & live
        below, above = down, up
        for u in members(down):
            below |= succs[u] & live
            found.add((v, u) if v < u else (u, v))
            for w in members(succs[u] & live):
                found.add(tuple(sorted((v, u, w))))
        for u in members(up):
            above |= preds[u] & live
        one = 1 << v
        for around in (down | one, up | one, near[v], below | one, above | one):
            found.add(tuple(members(around)))
        for around in (below | up | one, above | down | one):
            found.add(tuple(members(around)))
        for u in members(near[v] & ~one):
            found.add(tuple(members(near[v] | near[u])))
    return sorted((g for g in found if 2 <= len(g) <= max_size), key=lambda g: (len(g), g))


def root_table(
    problem, cuts: CutBound, *, deadline: float | None = None, max_size: int = MAX_GROUP
) -> GroupTable:
    """The group bound at the start of ``problem`` (node level), within ``deadline``.

    Groups are solved smallest first until ``time.perf_counter()`` passes ``deadline``; the
    packing is then chosen over those solved.

    Examples
    --------
    >>> from graphcost.eliminate.problem import problem_from_edges
    >>> from graphcost.eliminate.bound import CutBound
    >>> edges = [("x", "a"), ("x", "c"), ("a", "c"), ("a", "y"), ("c", "y")]
    >>> p = problem_from_edges(edges, inputs=["x"], intermediates=["a", "c"], outputs=["y"])
    >>> root_table(p, CutBound(p)).bound
    3
    """
    groups = GroupBound(problem, cuts)
    members = list(problem.intermediates)
    slot = {v: k for k, v in enumerate(members)}
    state = groups.kernel.fresh()
    weights = [groups.floor(state, 0, v, 0) for v in members]
    listed = candidate_groups(state, members, max_size)
    rows: list[tuple[int, int]] = []
    evaluated = 0
    for group in listed:
        if deadline is not None and time.perf_counter() > deadline:
            break
        evaluated += 1
        excess = groups.minimum(state, 0, group) - sum(weights[slot[v]] for v in group)
        if excess > 0:
            rows.append((sum(1 << slot[v] for v in group), excess))
    packing = _packing(rows, len(members))
    shares = tuple((mask, y * excess) for (mask, excess), y in zip(rows, packing, strict=True))
    shares = tuple(s for s in shares if s[1] > 0)
    bound = sum(weights) + math.ceil(sum((s for _, s in shares), Fraction(0)))
    return GroupTable(bound, tuple(weights), shares, evaluated, len(listed))


def _packing(rows: list[tuple[int, int]], count: int) -> list[Fraction]:
    """y ≥ 0 per row with Σ_{rows ∋ v} y ≤ 1 for every slot v, maximising Σ y·excess (LP when
    scipy is installed, greedy otherwise), exact and checked."""
    if not rows:
        return []
    try:
        weights = _lp_packing(rows, count)
    except ImportError:
        weights = _greedy_packing(rows, count)
    load = [Fraction(0)] * count
    for (mask, _), y in zip(rows, weights, strict=True):
        for k in members(mask):
            load[k] += y
    most = max(load)
    return weights if most <= 1 else [y / most for y in weights]


def _lp_packing(rows: list[tuple[int, int]], count: int) -> list[Fraction]:
    import numpy as np
    from scipy.optimize import linprog  # the 'exact' extra; ImportError → greedy packing

    matrix = np.zeros((count, len(rows)))
    for r, (mask, _) in enumerate(rows):
        matrix[members(mask), r] = 1.0
    gains = np.array([-float(excess) for _, excess in rows])
    result = linprog(gains, A_ub=matrix, b_ub=np.ones(count), bounds=(0, 1), method="highs")
    if result.status != 0:
        return _greedy_packing(rows, count)
    return [Fraction(max(0.0, float(y))).limit_denominator(DENOMINATOR) for y in result.x]


def _greedy_packing(rows: list[tuple[int, int]], count: int) -> list[Fraction]:
    room = [Fraction(1)] * count
    weights = [Fraction(0)] * len(rows)
    by_gain = sorted(range(len(rows)), key=lambda r: -rows[r][1] / rows[r][0].bit_count())
    for r in by_gain:
        slots = members(rows[r][0])
        y = min(room[k] for k in slots)
        weights[r] = y
        for k in slots:
            room[k] -= y
    return weights
