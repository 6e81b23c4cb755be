"""The algebra of Jacobian-block structure: the one place that knows what an edge between two
blocks links, how two such edges compose, what composing them costs, and how a fill-in joins
an edge that is already there.

A block has a *shape* (a tuple of sizes: ``()`` a scalar, ``(n,)`` a vector, ``(n, m)`` a
matrix ...); an edge I → J stands for a block ∂J/∂I of local partials whose structure is a
:class:`~graphcost.graph.signature.Pattern`: one letter per dimension of I and of J; a letter on
both sides pairs two dimensions (equal index), a source-only letter is summed over, a
target-only letter is broadcast. ``full`` (every node of J depends on every node of I) and
``diag`` (node i of J on node i of I) are two patterns among many (``ik->i`` is the weight of
a matrix-vector product, ``ij->ji`` a transpose, ``ij->i`` a reduction).

Both the recursion counts (:mod:`graphcost.jacobian.structure`, read by
:mod:`graphcost.count.recursions`) and vertex elimination (:mod:`graphcost.eliminate.engine`)
do their block arithmetic here, at block level with ints or sympy sizes, so the two can never
disagree about what a block costs. Every rule equals the node-level count of the expanded
blocks (tests/test_blocks.py checks each against a plain node-level enumeration), except
:func:`join`, which returns ``None`` where the union of two patterns is no pattern; callers
then hold :meth:`Pattern.full` (a superset) and mark their result approximate.

Examples
--------
Composing a full edge x → h (3 × 4) with a diag edge h → a (4 × 4) costs 3·4 products and
gives a full edge x → a:

>>> full, diag = Pattern.full(1, 1), Pattern.diag(1)
>>> compose_cost(full, diag, (3,), (4,), (4,)), compose(full, diag)
(12, Pattern('a->b'))

The weight W (n × m) of h = W·x feeds each h_i through row i only: n·m partials, not n·m·n.

>>> partials(Pattern.parse("ik->i"), (5, 3), (5,))
15
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from graphcost.graph.signature import MAX_RANK, Pattern, Shifted

__all__ = [
    "MAX_RANK",
    "Pattern",
    "compose",
    "compose_cost",
    "contains",
    "edge_pattern",
    "join",
    "new_partials",
    "node_pairs",
    "overlap",
    "partials",
    "same",
    "sources_per_node",
    "targets_per_node",
]

Shape = tuple[Any, ...]


def edge_pattern(diag: bool, source_rank: int, target_rank: int) -> Pattern:
    """The pattern of an edge given only as ``full`` or ``diag`` between blocks of these ranks."""
    return Pattern.diag(source_rank) if diag else Pattern.full(source_rank, target_rank)


def same(p: Pattern, q: Pattern) -> bool:
    """Whether two patterns are equal up to the names of their letters."""
    return p.canonical() == q.canonical()


def _letter_sizes(p: Pattern, source: Shape, target: Shape) -> dict[str, Any]:
    sizes = dict(zip(p.target, target, strict=True))
    sizes.update(zip(p.source, source, strict=True))
    return sizes


def partials(p: Pattern | Shifted, source: Shape, target: Shape) -> Any:
    """Node-level edges (local partials) the block stands for (a :class:`Shifted` one: its
    exact pairs, integer sizes only)."""
    if isinstance(p, Shifted):
        return len(node_pairs(p, source, target)[0])
    return math.prod(_letter_sizes(p, source, target).values())


def sources_per_node(p: Pattern, source: Shape) -> Any:
    """Nodes of the source block each node of the target depends on through this edge."""
    return math.prod(s for x, s in zip(p.source, source, strict=True) if x not in p.target)


def targets_per_node(p: Pattern, target: Shape) -> Any:
    """Nodes of the target block each node of the source feeds through this edge."""
    return math.prod(s for x, s in zip(p.target, target, strict=True) if x not in p.source)


class _Classes:
    """Union-find over hashable keys."""

    def __init__(self) -> None:
        self.parent: dict[Any, Any] = {}

    def find(self, key: Any) -> Any:
        self.parent.setdefault(key, key)
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def union(self, a: Any, b: Any) -> None:
        self.parent[self.find(a)] = self.find(b)


def _chain(p: Pattern, q: Pattern) -> _Classes:
    if len(p.target) != len(q.source):
        raise ValueError(f"cannot compose {p} with {q}: the middle block's ranks differ")
    classes = _Classes()
    for x in (*p.source, *p.target):
        classes.find(("p", x))
    for x in (*q.source, *q.target):
        classes.find(("q", x))
    for x, y in zip(p.target, q.source, strict=True):
        classes.union(("p", x), ("q", y))
    return classes


def compose(first: Pattern, second: Pattern) -> Pattern:
    """The structure of I → K obtained through J from I → J (``first``) and J → K (``second``)."""
    classes = _chain(first, second)
    names: dict[Any, str] = {}

    def name(key: Any) -> str:
        return names.setdefault(classes.find(key), chr(ord("a") + len(names)))

    return Pattern(
        tuple(name(("p", x)) for x in first.source), tuple(name(("q", x)) for x in second.target)
    )


def compose_cost(first: Pattern, second: Pattern, s_i: Shape, s_j: Shape, s_k: Shape) -> Any:
    """Scalar multiplications of composing I → J with J → K (every non-zero product once):
    the number of node triples (i, j, k) with i → j and j → k."""
    classes = _chain(first, second)
    sizes: dict[Any, Any] = {}
    for tag, letters, shape in (
        ("p", first.source, s_i),
        ("p", first.target, s_j),
        ("q", second.target, s_k),
    ):
        for x, size in zip(letters, shape, strict=True):
            sizes[classes.find((tag, x))] = size
    return math.prod(sizes.values())


def _positions(patterns: tuple[Pattern, ...]) -> _Classes:
    classes = _Classes()
    for p in patterns:
        for d, x in enumerate(p.source):
            classes.find(("s", d))
            if x in p.target:
                classes.union(("s", d), ("t", p.target.index(x)))
        for d in range(len(p.target)):
            classes.find(("t", d))
    return classes


def overlap(p: Pattern, q: Pattern, source: Shape, target: Shape) -> Any:
    """Node pairs two patterns of the same edge share."""
    classes = _positions((p, q))
    sizes: dict[Any, Any] = {}
    for d, size in enumerate(source):
        sizes[classes.find(("s", d))] = size
    for d, size in enumerate(target):
        sizes[classes.find(("t", d))] = size
    return math.prod(sizes.values())


def contains(big: Pattern, small: Pattern) -> bool:
    """Whether every node pair of ``small`` is one of ``big``'s (at any sizes)."""
    classes = _positions((small,))
    return all(
        classes.find(("s", d)) == classes.find(("t", big.target.index(x)))
        for d, x in enumerate(big.source)
        if x in big.target
    )


def join(existing: Pattern | None, added: Pattern) -> Pattern | None:
    """The structure of an edge after ``added`` partials are summed into it (``existing``
    ``None``: no edge yet); ``None`` when the union of the two is no pattern (the caller then
    holds a conservative one, :meth:`Pattern.full`, and says so)."""
    if existing is None:
        return added
    if contains(existing, added):
        return existing
    if contains(added, existing):
        return added
    return None


def new_partials(existing: Pattern | None, added: Pattern, source: Shape, target: Shape) -> Any:
    """Node pairs that ``added`` creates where ``existing`` had none (the rest cost an addition)."""
    fresh = partials(added, source, target)
    if existing is None:
        return fresh
    return fresh - overlap(existing, added, source, target)


def node_pairs(
    p: Pattern | Shifted, source: tuple[int, ...], target: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """The node pairs of the expanded block as flat (row-major) index arrays (a
    :class:`Shifted` pattern: only the pairs whose shifted source index is inside the block).

    Examples
    --------
    >>> a, b = node_pairs(Pattern.parse("ik->i"), (2, 2), (2,))
    >>> list(zip(a.tolist(), b.tolist()))
    [(0, 0), (1, 0), (2, 1), (3, 1)]
    """
    if isinstance(p, Shifted):
        return _shifted_pairs(p, source, target)
    sizes = _letter_sizes(p, source, target)
    letters = list(dict.fromkeys((*p.source, *p.target)))  # source-major, as np.repeat/tile
    if letters:
        grids = np.indices([sizes[x] for x in letters]).reshape(len(letters), -1)
    else:  # scalar to scalar: one pair
        grids = np.zeros((0, 1), dtype=np.int64)
    axis = {x: i for i, x in enumerate(letters)}

    def flat(side: tuple[str, ...], shape: tuple[int, ...]) -> np.ndarray:
        if not side:
            return np.zeros(grids.shape[1], dtype=np.int64)
        return np.ravel_multi_index(tuple(grids[axis[x]] for x in side), shape).astype(np.int64)

    return flat(p.source, source), flat(p.target, target)


def _shifted_pairs(
    p: Shifted, source: tuple[int, ...], target: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of a shifted pattern: a grid over the target's letters and the source-only ones,
    each source index computed (stride·t + offset for a paired letter), out-of-range dropped."""
    sizes = dict(zip(p.target, target, strict=True))
    sizes.update((x, n) for x, n in zip(p.source, source, strict=True) if x not in sizes)
    letters = list(dict.fromkeys((*p.source, *p.target)))
    grids = np.indices([sizes[x] for x in letters]).reshape(len(letters), -1)
    axis = {x: i for i, x in enumerate(letters)}
    index = [
        grids[axis[x]] if move is None else move[0] * grids[axis[x]] + move[1]
        for x, move in zip(p.source, p.moves, strict=True)
    ]
    keep = np.ones(grids.shape[1], dtype=bool)
    for values, size in zip(index, source, strict=True):
        keep &= (values >= 0) & (values < size)
    first = np.ravel_multi_index(tuple(v[keep] for v in index), source) if index else None
    second = (
        np.ravel_multi_index(tuple(grids[axis[x]][keep] for x in p.target), target)
        if p.target
        else np.zeros(int(keep.sum()), dtype=np.int64)
    )
    if first is None:
        first = np.zeros(int(keep.sum()), dtype=np.int64)
    return first.astype(np.int64), second.astype(np.int64)
