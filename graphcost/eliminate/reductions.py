"""Reduction rules of exact vertex elimination: moves that never lose the optimum (node level).

The exact searches (:mod:`graphcost.eliminate.exact`, :mod:`graphcost.eliminate.deepening`)
branch, at a state T (the set eliminated so far, with its graph G_T), on every vertex that may
come next. These rules shrink that choice; each keeps at least one optimal completion of every
state reachable, so the optimum found is still the optimum.

Rule 0, zero-cost vertices (*forced*)
    A vertex j with no predecessor or no successor in G_T costs nothing to eliminate, and
    eliminating it only removes edges: every other vertex's predecessor and successor sets
    lose j and gain nothing (the fill-in is |preds|·|succs| = 0 pairs). So every later cost is
    at most what it was, and some optimal completion eliminates j first.

Rule 1, chain vertices (*forced*)
    A vertex j with exactly one predecessor p and one successor s in G_T, in a state where
    Rule 0 does not apply (then every remaining intermediate lies on an input→output path:
    backwards from it one always finds a predecessor, ending at an input). Eliminating it
    first costs 1, the least any elimination of j can cost (it always keeps a predecessor and
    a successor). Afterwards the edge p→s stands for the path p→j→s: every other vertex sees
    the same predecessors with j replaced by p and the same successors with j replaced by s
    (fewer where p or s was already there). ``tests/test_reductions.py`` checks at every state
    of random DAGs, by dynamic programming over all subsets, that eliminating such a vertex
    first is optimal, and that the optimum with the rules equals the optimum without.

Rule 2, twins (*symmetry*)
    Vertices with the same predecessors and the same successors in G_T (false twins: no edge
    joins them in a DAG) are exchanged by an automorphism of G_T that keeps every role, so any
    order and the order with two twins swapped cost the same. Branching on the first twin of
    each class only (lowest vertex index) therefore keeps an optimal completion (Bentert,
    Crane, Drange, Reidl, Sullivan, 2025, prove more: false twins may always be eliminated
    consecutively).

The functions work on :class:`~graphcost.eliminate.kernels.BitKernel` states (``[preds,
succs]``, lists of int bitmasks indexed by vertex).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

#: The rules, by name: ``zero`` and ``chain`` force a move; ``twins`` prunes branching.
RULES = ("zero", "chain", "twins")


def forced_vertex(
    state: Sequence[list[int]], alive: Iterable[int], rules: Sequence[str] = RULES
) -> int | None:
    """A vertex that some optimal completion eliminates next (Rules 0 and 1), or ``None``.

    ``alive`` lists the intermediates not yet eliminated. Rule 1 is used only when no vertex
    qualifies for Rule 0 (its proof needs every vertex on an input→output path).

    Examples
    --------
    x→a→b→y with x→b: a has one predecessor and one successor.

    >>> from graphcost.eliminate.problem import problem_from_edges
    >>> from graphcost.eliminate.kernels import BitKernel
    >>> p = problem_from_edges([("x", "a"), ("a", "b"), ("x", "b"), ("b", "y")],
    ...     inputs=["x"], intermediates=["a", "b"], outputs=["y"])
    >>> forced_vertex(BitKernel(p).fresh(), [1, 2])
    1
    """
    preds, succs = state
    chain = None
    for v in alive:
        into, out = preds[v], succs[v]
        if not into or not out:
            if "zero" in rules:
                return v
        elif chain is None and "chain" in rules and into & (into - 1) == 0 and out & (out - 1) == 0:
            chain = v
    return chain


def branch_vertices(
    state: Sequence[list[int]], alive: Iterable[int], rules: Sequence[str] = RULES
) -> list[int]:
    """The vertices to branch on at this state: all of ``alive``, but one per twin class.

    Examples
    --------
    Two twins a, b (both x→·→y) and c (x→c→z): only a and c are branched on.

    >>> from graphcost.eliminate.problem import problem_from_edges
    >>> from graphcost.eliminate.kernels import BitKernel
    >>> p = problem_from_edges([("x", "a"), ("x", "b"), ("a", "y"), ("b", "y"), ("x", "c"),
    ...     ("c", "z")], inputs=["x"], intermediates=["a", "b", "c"], outputs=["y", "z"])
    >>> branch_vertices(BitKernel(p).fresh(), [1, 2, 3])
    [1, 3]
    """
    alive = list(alive)
    if "twins" not in rules:
        return alive
    preds, succs = state
    seen: set[tuple[int, int]] = set()
    chosen = []
    for v in sorted(alive):
        key = (preds[v], succs[v])
        if key not in seen:
            seen.add(key)
            chosen.append(v)
    return chosen


def check_rules(rules: Iterable[str]) -> tuple[str, ...]:
    """``rules`` as a tuple, each one of :data:`RULES`.

    Raises
    ------
    ValueError
        For an unknown rule (a programming error).
    """
    rules = tuple(rules)
    unknown = [r for r in rules if r not in RULES]
    if unknown:
        raise ValueError(f"unknown reduction rule {unknown[0]!r}; known: {', '.join(RULES)}")
    return rules
