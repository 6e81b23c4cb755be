"""A node-level problem from integer edge arrays: graphs of millions of edges built in memory.

:func:`~graphcost.eliminate.problem.problem_from_edges` takes named edges; this takes numpy
arrays of vertex indices and builds the adjacency with numpy
(:func:`~graphcost.eliminate.node_adjacency.adjacency`), after checking that it fits in memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphcost.eliminate.node_adjacency import adjacency, check_node_memory
from graphcost.eliminate.problem import EliminationProblem
from graphcost.errors import UsageError
from graphcost.graph.model import INTERMEDIATE, ROLES


def problem_from_arrays(
    src: Any,
    dst: Any,
    roles: Sequence[str],
    *,
    names: Sequence[str] | None = None,
    name: str = "graph",
) -> EliminationProblem:
    """A node-level problem from integer edge arrays (vertex ``i`` has role ``roles[i]``).

    For graphs of millions of edges built in memory: the adjacency comes from numpy
    (:func:`~graphcost.eliminate.node_adjacency.adjacency`), the names default to ``v0, v1, …``.

    Raises
    ------
    UsageError
        For an unknown role, or an edge naming a vertex outside ``0 .. len(roles) - 1``.
    GraphTooLargeError
        When the problem and an elimination over it would not fit in the memory available.

    Examples
    --------
    >>> p = problem_from_arrays([0, 1], [1, 2], ["V", "D", "D'"])
    >>> p.names, p.intermediates, p.edge_count
    (['v0', 'v1', 'v2'], [1], 2)
    """
    import numpy as np

    src, dst = np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64)
    count = len(roles)
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise UsageError(f"unknown role {sorted(unknown)[0]!r}", fix="use 'V', 'D' or \"D'\"")
    if (
        len(src) != len(dst)
        or (len(src) and min(src.min(), dst.min()) < 0)
        or (len(src) and max(src.max(), dst.max()) >= count)
    ):
        raise UsageError(
            f"edge arrays must have equal lengths and hold vertices 0 .. {count - 1}",
            fix="give one role per vertex",
        )
    check_node_memory(count, len(src), graph_name=name)
    preds, succs = adjacency(count, src, dst)
    return EliminationProblem(
        level="node",
        names=list(names) if names is not None else [f"v{i}" for i in range(count)],
        intermediates=[v for v, role in enumerate(roles) if role == INTERMEDIATE],
        roles=list(roles),
        sizes=[1] * count,
        preds=preds,
        succs=succs,
        graph_name=name,
    )
