"""Vectorised DAG primitives over edge arrays: topological levels and reachability bitsets.

Both work on graphs given as two integer arrays ``src``, ``dst`` (one entry per edge) over
vertices ``0..n-1``. A wide graph is handled one *level* (longest-path depth) per numpy step,
so a million edges in a handful of levels cost a handful of numpy calls. A deep, narrow graph
(a random DAG of 10^5 nodes can have 10^4 levels) would pay a numpy call's fixed cost per level
instead; there both switch to one sequential pass over the edges (CSR slices, Python ints as
bitsets), linear in the edges: whichever is cheaper for the graph at hand. :func:`reach_counts`
stays with numpy down to 256 edges a level on average (four calls a level), and ORs the edges
out of seeds nothing updates (the inputs) as single bits in one scatter.
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass

import numpy as np

#: Rows of gathered bitsets handled at once, to bound the temporary memory of a wide level.
_CHUNK_WORDS = 1 << 23
#: A frontier narrower than this finishes :func:`topological_levels` sequentially.
NARROW_FRONTIER = 48
#: :func:`reach_counts` goes sequential when its levels hold fewer edges than this on average
#: (a level costs four numpy calls, about as much as a couple of hundred edges in Python).
NARROW_LEVEL_EDGES = 256


class CycleFound(Exception):
    """Raised by :func:`topological_levels`; ``vertices`` lie on or behind a cycle."""

    def __init__(self, vertices: np.ndarray) -> None:
        self.vertices = vertices
        super().__init__(f"{vertices.size} vertices on or behind a cycle")


@dataclass(frozen=True)
class Levels:
    """Longest-path depth of every vertex, and a topological order derived from it.

    Attributes
    ----------
    level
        ``level[v]`` is the length of the longest path from a source to ``v``.
    order
        The vertices sorted by level (stable: equal levels keep index order).
    """

    level: np.ndarray
    order: np.ndarray


def topological_levels(n: int, src: np.ndarray, dst: np.ndarray) -> Levels:
    """Kahn's algorithm, one frontier (= one level) per numpy step.

    Parameters
    ----------
    n
        Number of vertices.
    src, dst
        Edge endpoints.

    Returns
    -------
    Levels

    Raises
    ------
    CycleFound
        If the graph has a cycle; carries the vertices never released.

    Examples
    --------
    >>> import numpy as np
    >>> topological_levels(3, np.array([0, 1]), np.array([1, 2])).level.tolist()
    [0, 1, 2]
    """
    src, dst = _indices(src), _indices(dst)
    indegree = np.bincount(dst, minlength=n).astype(np.int64)
    indptr, targets_by_src = _csr(n, src, dst)
    level = np.full(n, -1, dtype=np.int64)
    frontier = np.flatnonzero(indegree == 0)
    depth = 0
    while frontier.size:
        if frontier.size < NARROW_FRONTIER:
            _finish_sequentially(frontier, depth, indptr, targets_by_src, indegree, level)
            break
        level[frontier] = depth
        starts = indptr[frontier]
        lengths = indptr[frontier + 1] - starts
        total = int(lengths.sum())
        if total == 0:
            break
        offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
        targets = targets_by_src[offsets + np.arange(total)]
        if len(targets) * 8 > n:  # a wide level: counting beats sorting
            counts = np.bincount(targets, minlength=n)
            released = np.flatnonzero(counts)
            counts = counts[released]
        else:
            released, counts = np.unique(targets, return_counts=True)
        indegree[released] -= counts
        frontier = released[indegree[released] == 0]
        depth += 1
    stuck = np.flatnonzero(level < 0)
    if stuck.size:
        raise CycleFound(stuck)
    return Levels(level, np.argsort(level, kind="stable"))


def _indices(array: np.ndarray) -> np.ndarray:
    """An integer array as is (int32 stays int32: half the memory), anything else as int64."""
    array = np.asarray(array)
    return array if array.dtype.kind in "iu" else array.astype(np.int64)


def _csr(n: int, key: np.ndarray, other: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``indptr`` and ``other`` grouped by ``key`` (stable): key v's entries are
    ``other[indptr[v]:indptr[v + 1]]``."""
    by_key = np.argsort(key, kind="stable")
    grouped = np.asarray(other)[by_key]
    del by_key
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(key, minlength=n), out=indptr[1:])
    return indptr, grouped


def _finish_sequentially(
    frontier: np.ndarray,
    depth: int,
    indptr: np.ndarray,
    targets: np.ndarray,
    indegree: np.ndarray,
    level: np.ndarray,
) -> None:
    """Kahn's algorithm from ``frontier`` (at ``depth``) on, one vertex at a time: a vertex's
    level is one more than its deepest predecessor's. Vertices released before ``depth`` have
    levels below it, so every vertex still waiting ends at least one deeper than they."""
    starts = indptr.tolist()
    remaining = indegree.tolist()
    levels = level.tolist()
    deepest = [0] * len(remaining)
    view = memoryview(np.ascontiguousarray(targets))  # int32 or int64: no copy
    queue = frontier.tolist()
    for v in queue:
        levels[v] = depth
    position = 0
    while position < len(queue):
        v = queue[position]
        position += 1
        below = levels[v] + 1
        for t in view[starts[v] : starts[v + 1]]:
            if deepest[t] < below:
                deepest[t] = below
            remaining[t] -= 1
            if not remaining[t]:
                levels[t] = deepest[t]
                queue.append(t)
    level[:] = levels


def reach_counts(
    n: int,
    src: np.ndarray,
    dst: np.ndarray,
    level: np.ndarray,
    seeds: np.ndarray,
    *,
    reverse: bool = False,
    any_seed: bool = False,
) -> np.ndarray:
    """For every vertex, how many seed vertices reach it (or, reversed, it reaches).

    A seed counts itself. Bitsets of ``len(seeds)`` bits are OR-ed along the edges one level
    at a time (``np.bitwise_or.reduceat``) and counted with ``np.bitwise_count``.

    Parameters
    ----------
    n
        Number of vertices.
    src, dst
        Edge endpoints.
    level
        Longest-path depth of every vertex (from :func:`topological_levels`).
    seeds
        The vertices to track (the inputs, or for ``reverse`` the outputs).
    reverse
        Count descendants among the seeds instead of ancestors.
    any_seed
        Only whether some seed is reached (1 or 0): one bit per vertex instead of one per
        seed, so much cheaper for many seeds.

    Returns
    -------
    numpy.ndarray
        ``int64`` counts, one per vertex.

    Examples
    --------
    >>> import numpy as np
    >>> src, dst = np.array([0, 1, 1]), np.array([1, 2, 3])
    >>> lv = topological_levels(4, src, dst).level
    >>> reach_counts(4, src, dst, lv, np.array([0])).tolist()
    [1, 1, 1, 1]
    >>> reach_counts(4, src, dst, lv, np.array([2, 3]), reverse=True).tolist()
    [2, 2, 1, 1]
    """
    src, dst = _indices(src), _indices(dst)
    depth = int(level.max()) + 1 if n else 0
    seed_index = np.zeros(len(seeds), dtype=np.int64) if any_seed else np.arange(len(seeds))
    if len(src) < NARROW_LEVEL_EDGES * depth:
        return _reach_sequentially(n, src, dst, level, seeds, seed_index, reverse)
    words = max(1, (int(seed_index.max(initial=0)) + 64) // 64)
    bits = np.zeros((n, words), dtype=np.uint64)
    word, bit = seed_index // 64, np.left_shift(np.uint64(1), (seed_index % 64).astype(np.uint64))
    bits[seeds, word] |= bit
    # Edges are grouped by the level of the vertex they update; that vertex is the key.
    key, other = (src, dst) if reverse else (dst, src)
    key, other = _from_plain_seeds(n, key, other, seeds, word, bit, bits)
    if len(key):
        _or_by_levels(n, key, other, level, reverse, bits)
    return np.bitwise_count(bits).sum(axis=1, dtype=np.int64)


def _from_plain_seeds(
    n: int,
    key: np.ndarray,
    other: np.ndarray,
    seeds: np.ndarray,
    word: np.ndarray,
    bit: np.ndarray,
    bits: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """OR in the edges from a seed nothing updates (an input, going forward): its bitset is
    its own bit from the start, so one scatter of single bits does for all of them, instead
    of gathering whole rows level by level. Returns the other edges."""
    plain = np.zeros(n, dtype=bool)
    plain[seeds] = True
    plain[key] = False  # updated along an edge: not final before its level
    if len(seeds) != len(np.unique(seeds)):
        return key, other
    from_plain = plain[other]
    if np.count_nonzero(from_plain) * 8 < len(other):  # too few to pay for the copies
        return key, other
    position = np.full(n, -1, dtype=np.int64)
    position[seeds] = np.arange(len(seeds))
    at = position[other[from_plain]]
    np.bitwise_or.at(bits, (key[from_plain], word[at]), bit[at])
    return key[~from_plain], other[~from_plain]


def _or_by_levels(
    n: int, key: np.ndarray, other: np.ndarray, level: np.ndarray, reverse: bool, bits: np.ndarray
) -> None:
    """``bits[k] |= bits[o]`` along the edges (k, o), one level of k at a time (earlier levels
    first: their bitsets are final by then). A level costs four numpy calls however narrow."""
    # By (level, key), one integer sort: rank the vertices by level, sort edges by rank.
    by_level = np.argsort(-level if reverse else level, kind="stable")
    # Under 2^16 vertices the ranks fit 16 bits, which numpy's stable sort sorts by radix.
    rank_type = np.uint16 if n <= 1 << 16 else key.dtype
    rank = np.empty(n, dtype=rank_type)
    rank[by_level] = np.arange(n, dtype=rank_type)
    other = other[np.argsort(rank[key], kind="stable")]
    del rank
    # One group of edges per updated vertex, in rank order: no sorted copy of the keys needed.
    sizes = np.bincount(key, minlength=n)
    group_keys = by_level[sizes[by_level] > 0]
    del by_level
    edge_ends = np.cumsum(sizes[group_keys])
    group_starts = edge_ends - sizes[group_keys]
    level_starts = _group_starts(level[group_keys])  # groups of one level
    words = bits.shape[1]
    flat = bits[:, 0] if words == 1 else bits
    rows_per_chunk = max(1, _CHUNK_WORDS // words)
    for first, last in zip(
        level_starts.tolist(), [*level_starts[1:].tolist(), len(group_starts)], strict=True
    ):
        start, end = int(group_starts[first]), int(edge_ends[last - 1])
        if (end - start) > rows_per_chunk:
            lengths = edge_ends[first:last] - group_starts[first:last]
            keys = np.repeat(group_keys[first:last], lengths)  # every edge's, for _or_into
            _or_into(bits, keys, other[start:end], words)
            continue
        gathered = np.take(flat, other[start:end], axis=0)
        reduced = np.bitwise_or.reduceat(gathered, group_starts[first:last] - start, axis=0)
        flat[group_keys[first:last]] |= reduced


def _or_into(bits: np.ndarray, key: np.ndarray, other: np.ndarray, words: int) -> None:
    """``bits[k] |= OR of bits[o]`` for the edges (k, o) of one level, sorted by k, in chunks
    of about :data:`_CHUNK_WORDS` words (a wide level gathers a row per edge)."""
    boundaries = _group_starts(key)
    rows_per_chunk = max(1, _CHUNK_WORDS // words)
    first = 0
    while first < len(boundaries):
        # Take key groups until the chunk holds about rows_per_chunk edges.
        edge_start = boundaries[first]
        limit = edge_start + rows_per_chunk
        last = int(np.searchsorted(boundaries, limit, side="right"))
        last = max(last, first + 1)
        edge_end = boundaries[last] if last < len(boundaries) else len(key)
        starts = boundaries[first:last] - edge_start
        gathered = np.take(bits, other[edge_start:edge_end], axis=0)
        reduced = np.bitwise_or.reduceat(gathered, starts, axis=0)
        targets = key[boundaries[first:last]]
        bits[targets] |= reduced
        first = last


def _group_starts(values: np.ndarray) -> np.ndarray:
    """Where each run of equal values starts (``np.r_`` costs 50 µs a call: once per level)."""
    change = np.empty(len(values), dtype=bool)
    change[:1] = True
    np.not_equal(values[1:], values[:-1], out=change[1:])
    return np.flatnonzero(change)


def _reach_sequentially(
    n: int,
    src: np.ndarray,
    dst: np.ndarray,
    level: np.ndarray,
    seeds: np.ndarray,
    seed_index: np.ndarray,
    reverse: bool,
) -> np.ndarray:
    """:func:`reach_counts` one vertex at a time in topological order, Python ints as bitsets:
    linear in the edges however many levels there are."""
    key, other = (src, dst) if reverse else (dst, src)
    indptr, grouped = _csr(n, key, other)
    starts = indptr.tolist()
    view = memoryview(np.ascontiguousarray(grouped))
    bits = [0] * n
    for seed, i in zip(np.asarray(seeds).tolist(), seed_index.tolist(), strict=True):
        bits[seed] |= 1 << i
    get = bits.__getitem__
    order = np.argsort(level, kind="stable")
    for v in (order[::-1] if reverse else order).tolist():
        first, last = starts[v], starts[v + 1]
        if first != last:
            bits[v] = functools.reduce(operator.or_, map(get, view[first:last]), bits[v])
    return np.fromiter(map(int.bit_count, bits), dtype=np.int64, count=n)
