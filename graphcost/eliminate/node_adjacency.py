"""Node-level adjacency from edge arrays, and whether it fits in memory.

A node-level :class:`~graphcost.eliminate.problem.EliminationProblem` holds one frozenset of
predecessors and one of successors per vertex; eliminating copies them into sets that the
fill-in then grows. :func:`adjacency` builds the frozensets from integer edge arrays with numpy
(sorting, not a Python loop over edges), every vertex an int object shared by all the sets
that hold it. :func:`check_node_memory` replaces a fixed edge limit: it estimates the bytes of
the problem and of an elimination over it (:data:`BYTES_PER_EDGE`, :data:`BYTES_PER_NODE`,
measured on CPython 3.12 at 10^5–10^6 nodes and 10 edges per node) and refuses, with the
figures, when that exceeds the memory available.
"""

from __future__ import annotations

import os
from typing import Any

from graphcost.errors import GraphTooLargeError

#: Resident bytes per edge of a node-level problem and an elimination state over it before
#: fill-in (two frozensets and two sets per vertex; ~75 bytes per member each).
BYTES_PER_EDGE = 320
#: Resident bytes per vertex (its name, four set headers, the int object, list slots).
BYTES_PER_NODE = 1_100


def adjacency(count: int, src: Any, dst: Any) -> tuple[tuple[frozenset[int], ...], ...]:
    """``(preds, succs)``: per vertex the frozenset of its predecessors and of its successors.

    Parameters
    ----------
    count
        Number of vertices (``0 .. count - 1``).
    src, dst
        Integer sequences or arrays of equal length: the edges; repeated edges count once.

    Examples
    --------
    >>> preds, succs = adjacency(3, [0, 0, 1], [1, 2, 2])
    >>> sorted(preds[2]), sorted(succs[0])
    ([0, 1], [1, 2])
    """
    import numpy as np  # here, not at the top: `graphcost analyze` starts without numpy

    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    shared = np.empty(count, dtype=object)  # one int object per vertex, in every set
    shared[:] = range(count)
    return _grouped(shared, dst, src, count), _grouped(shared, src, dst, count)


def _grouped(shared: Any, key: Any, value: Any, count: int) -> tuple[frozenset[int], ...]:
    """Per vertex v, the frozenset of ``value[i]`` over the edges with ``key[i] == v``."""
    import numpy as np

    order = np.argsort(key, kind="stable")
    members = shared[value[order]].tolist()
    ends = np.cumsum(np.bincount(key, minlength=count)).tolist()
    starts = [0, *ends[:-1]]
    return tuple(frozenset(members[a:b]) for a, b in zip(starts, ends, strict=True))


def available_memory() -> int | None:
    """Bytes this process may still use: ``MemAvailable`` (Linux) or the physical memory,
    capped by an address-space limit (``ulimit -v``); ``None`` where nothing can be read."""
    free = None
    try:
        with open("/proc/meminfo", encoding="ascii") as stream:
            for line in stream:
                if line.startswith("MemAvailable:"):
                    free = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    if free is None:
        try:
            free = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (AttributeError, ValueError, OSError):
            return None
    try:
        import resource

        limit = resource.getrlimit(resource.RLIMIT_AS)[0]
    except (ImportError, OSError, ValueError):
        return free
    return free if limit == resource.RLIM_INFINITY else min(free, limit)


def node_memory_estimate(nodes: int, edges: int) -> int:
    """Bytes of a node-level problem of this size and an elimination over it, before fill-in.

    >>> node_memory_estimate(1_000_000, 10_000_000) / 2**30  # doctest: +ELLIPSIS
    4.0...
    """
    return BYTES_PER_EDGE * edges + BYTES_PER_NODE * nodes


def check_node_memory(
    nodes: int, edges: int, *, graph_name: str, path: Any = None, available: int | None = None
) -> None:
    """Refuse a node-level elimination whose estimate exceeds the memory available.

    Parameters
    ----------
    nodes, edges
        The size of the node-level graph.
    graph_name, path
        Named in the error.
    available
        Bytes available (default :func:`available_memory`; no check when unknown).

    Raises
    ------
    GraphTooLargeError
        With the estimate, the memory available and what to do instead.
    """
    if available is None:
        available = available_memory()
    need = node_memory_estimate(nodes, edges)
    if available is None or need <= available:
        return
    raise GraphTooLargeError(
        f"node-level elimination of {graph_name!r} ({nodes:,} nodes, {edges:,} edges) would "
        f"need about {_gib(need)} before fill-in, and {_gib(available)} of memory is available",
        path=path,
        fix="eliminate at block level (drop --nodes), choose smaller sizes with --set, "
        "or free memory",
    )


def _gib(size: int) -> str:
    return f"{size / 2**30:.1f} GiB"
