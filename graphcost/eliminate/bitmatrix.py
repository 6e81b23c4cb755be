"""Node-level elimination on packed bit matrices: :class:`BitMatrixState`.

The same computation as :class:`graphcost.eliminate.engine.EliminationState`, vectorised with
numpy for graphs whose fill-in gets dense; :func:`graphcost.eliminate.engine.node_engine` decides
when it is used.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graphcost.eliminate.problem import EliminationProblem
from graphcost.errors import UsageError


class BitMatrixState:
    """Node-level elimination on bit matrices: the same computation as
    :class:`~graphcost.eliminate.engine.EliminationState`, vectorised with numpy for graphs
    whose fill-in gets dense.

    Each live vertex has a row of ``succ`` (``pred``) holding its successors (predecessors) as
    packed bits. Eliminating j ORs j's successor row into the rows of its predecessors (and its
    predecessor row into its successors'), so the work is O((|preds| + |succs|)·w/64) words, w
    the live vertices, instead of O(|preds|·|succs|) set insertions; the fill-in count comes
    from popcounts. Whenever half the rows are dead the matrices are compacted to the live
    vertices, so later steps get cheaper. Memory is 2·n²/8 bytes at first, which is why
    :func:`~graphcost.eliminate.engine.node_engine` uses it only up to
    :data:`~graphcost.eliminate.engine.BIT_MATRIX_MAX_NODES` nodes.

    Parameters
    ----------
    problem
        A node-level problem.
    compact_above
        Compact only while more than this many rows exist (tests set 0 to compact often).

    Attributes
    ----------
    indegree, outdegree
        Current |preds| and |succs| of every vertex (int64 arrays, by vertex index).
    last_neighbours
        The predecessors and successors (vertex index arrays) of the vertex eliminated last.
    multiplications, additions
        The running totals (Python ints).
    """

    def __init__(self, problem: EliminationProblem, *, compact_above: int = 128) -> None:
        if problem.level != "node":
            raise UsageError("the bit-matrix engine works at node level only")
        self.problem = problem
        count = len(problem.names)
        words = (count + 63) // 64
        src = np.fromiter(
            (a for a, succs in enumerate(problem.succs) for _ in succs), dtype=np.int64
        )
        dst = np.fromiter((b for succs in problem.succs for b in succs), dtype=np.int64)
        self.succ = _bit_rows(count, words, src, dst)
        self.pred = _bit_rows(count, words, dst, src)
        self.outdegree = np.bincount(src, minlength=count).astype(np.int64)
        self.indegree = np.bincount(dst, minlength=count).astype(np.int64)
        self.eliminated: list[int] = []
        self.multiplications = 0
        self.additions = 0
        self.last_neighbours: tuple[Any, Any] = (np.empty(0, np.int64), np.empty(0, np.int64))
        # Rows and bit columns are *local* indices of the live vertices.
        self._global = np.arange(count, dtype=np.int64)  # local → vertex
        self._local = np.arange(count, dtype=np.int64)  # vertex → local, -1 once eliminated
        self._width = count
        self._alive = count
        self._compact_above = compact_above

    def members(self, row: Any) -> Any:
        """The vertex indices set in a packed bit row."""
        bits = np.unpackbits(row.view(np.uint8), bitorder="little", count=self._width)
        return self._global[np.flatnonzero(bits)]

    def cost(self, vertex: int) -> int:
        """Scalar multiplications of eliminating ``vertex`` now."""
        return int(self.indegree[vertex]) * int(self.outdegree[vertex])

    def eliminate(self, vertex: int) -> tuple[int, int]:
        """Eliminate ``vertex``; returns its (multiplications, additions)."""
        local = int(self._local[vertex])
        preds, succs = self.members(self.pred[local]), self.members(self.succ[local])
        self.last_neighbours = (preds, succs)
        multiplications = len(preds) * len(succs)
        word, bit = local >> 6, ~np.uint64(1 << (local & 63))
        fresh = 0
        for rows, degree, sources, others in (
            (self.succ, self.outdegree, preds, self.succ[local]),
            (self.pred, self.indegree, succs, self.pred[local]),
        ):
            if len(sources) == 0:
                continue
            at = self._local[sources]
            merged = rows[at]
            merged[:, word] &= bit
            merged |= others
            new_degree = np.bitwise_count(merged).sum(axis=1, dtype=np.int64)
            if rows is self.succ:
                fresh = int((new_degree - degree[sources] + 1).sum())
            rows[at] = merged
            degree[sources] = new_degree
        self.succ[local] = 0
        self.pred[local] = 0
        self.indegree[vertex] = 0
        self.outdegree[vertex] = 0
        self._local[vertex] = -1
        self._alive -= 1
        self.eliminated.append(vertex)
        additions = multiplications - fresh
        self.multiplications += multiplications
        self.additions += additions
        if self._width > self._compact_above and 2 * self._alive <= self._width:
            self._compact()
        return multiplications, additions

    def _compact(self) -> None:
        """Drop the rows and bit columns of eliminated vertices."""
        keep = np.flatnonzero(self._local[self._global] >= 0)
        width = len(keep)
        words = (width + 63) // 64
        for name in ("succ", "pred"):
            old = getattr(self, name)[keep]
            new = np.zeros((width, words), dtype=np.uint64)
            packed = new.view(np.uint8)
            for start in range(0, width, 2048):
                bits = np.unpackbits(
                    old[start : start + 2048].view(np.uint8),
                    axis=1,
                    bitorder="little",
                    count=self._width,
                )[:, keep]
                chunk = np.packbits(bits, axis=1, bitorder="little")
                packed[start : start + len(bits), : chunk.shape[1]] = chunk
            setattr(self, name, new)
        self._global = self._global[keep]
        self._local[self._global] = np.arange(width, dtype=np.int64)
        self._width = width


def _bit_rows(count: int, words: int, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
    matrix = np.zeros((count, words), dtype=np.uint64)
    np.bitwise_or.at(
        matrix,
        (rows, columns >> 6),
        np.left_shift(np.uint64(1), (columns & 63).astype(np.uint64)),
    )
    return matrix
