"""Both paths of :func:`graphcost.graph.dag.reach_counts` against networkx.

The level-by-level numpy path (with its scatter of the edges out of seeds nothing updates, and
its chunked OR for wide levels) and the sequential path are each forced on graphs where
seeds are sources (inputs) or not, over one and several 64-bit words.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from graphcost.graph import dag


def layered(seed: int) -> tuple[int, np.ndarray, np.ndarray]:
    """A random DAG in index order: 150 sources first, most edges out of them."""
    rng = np.random.default_rng(seed)
    n = 600
    pairs = {(int(rng.integers(0, 150)), j) for j in range(150, n) for _ in range(6)}
    pairs |= {(int(rng.integers(150, j)), j) for j in range(151, n) for _ in range(3)}
    src, dst = np.array(sorted(pairs)).T
    return n, src, dst


@pytest.mark.parametrize("narrow", [0, 10**9])
@pytest.mark.parametrize("chunk", [5, 1 << 23])
@pytest.mark.parametrize("seeds", [np.arange(150), np.arange(40), np.array([3, 7, 200, 350, 599])])
def test_reach_counts_by_either_path(
    monkeypatch: pytest.MonkeyPatch, narrow: int, chunk: int, seeds: np.ndarray
) -> None:
    monkeypatch.setattr(dag, "NARROW_LEVEL_EDGES", narrow)
    monkeypatch.setattr(dag, "_CHUNK_WORDS", chunk)
    n, src, dst = layered(len(seeds))
    level = dag.topological_levels(n, src, dst).level
    graph = nx.DiGraph(zip(src.tolist(), dst.tolist(), strict=True))
    chosen = set(seeds.tolist())
    up = [len((nx.ancestors(graph, v) | {v}) & chosen) for v in range(n)]
    down = [len((nx.descendants(graph, v) | {v}) & chosen) for v in range(n)]
    assert dag.reach_counts(n, src, dst, level, seeds).tolist() == up
    assert dag.reach_counts(n, src, dst, level, seeds, reverse=True).tolist() == down
    anyone = dag.reach_counts(n, src, dst, level, seeds, any_seed=True)
    assert anyone.tolist() == [min(count, 1) for count in up]
