"""Vectorised DAG primitives against networkx on random graphs, and by hand on tiny ones."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphcost.graph import dag as dag_module
from graphcost.graph.dag import CycleFound, reach_counts, topological_levels


def test_levels_by_hand() -> None:
    # 0 -> 1 -> 3, 0 -> 2 -> 3, 2 -> 4; 5 isolated.
    src, dst = np.array([0, 1, 0, 2, 2]), np.array([1, 3, 2, 3, 4])
    levels = topological_levels(6, src, dst)
    assert levels.level.tolist() == [0, 1, 1, 2, 2, 0]
    assert levels.order.tolist() == [0, 5, 1, 2, 3, 4]


def test_no_edges() -> None:
    levels = topological_levels(3, np.array([], dtype=np.int64), np.array([], dtype=np.int64))
    assert levels.level.tolist() == [0, 0, 0]
    counts = reach_counts(3, np.array([]), np.array([]), levels.level, np.array([0, 2]))
    assert counts.tolist() == [1, 0, 1]


def test_cycle_reports_the_stuck_vertices() -> None:
    # 0 -> 1 -> 2 -> 1, 2 -> 3: 1 and 2 form the cycle, 3 sits behind it.
    with pytest.raises(CycleFound) as caught:
        topological_levels(4, np.array([0, 1, 2, 2]), np.array([1, 2, 1, 3]))
    assert caught.value.vertices.tolist() == [1, 2, 3]


def test_self_loop_is_a_cycle() -> None:
    with pytest.raises(CycleFound):
        topological_levels(2, np.array([0, 1]), np.array([1, 1]))


@st.composite
def random_dags(draw: st.DrawFn) -> tuple[int, np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 30))
    pairs = [(a, b) for a in range(n) for b in range(a + 1, n)]
    edges = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=80)) if pairs else []
    # Relabel so that index order is not a topological order.
    perm = np.array(draw(st.permutations(range(n))), dtype=np.int64)
    src = perm[np.array([a for a, _ in edges], dtype=np.int64)]
    dst = perm[np.array([b for _, b in edges], dtype=np.int64)]
    return n, src, dst


def _networkx(n: int, src: np.ndarray, dst: np.ndarray) -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(zip(src.tolist(), dst.tolist(), strict=True))
    return graph


@settings(max_examples=80, deadline=None)
@given(random_dags())
def test_levels_are_longest_paths(case: tuple[int, np.ndarray, np.ndarray]) -> None:
    n, src, dst = case
    graph = _networkx(n, src, dst)
    levels = topological_levels(n, src, dst)
    for v in nx.topological_sort(graph):
        expected = max((levels.level[u] + 1 for u in graph.predecessors(v)), default=0)
        assert levels.level[v] == expected
    position = np.empty(n, dtype=np.int64)
    position[levels.order] = np.arange(n)
    assert all(position[a] < position[b] for a, b in graph.edges)


@settings(max_examples=80, deadline=None)
@given(random_dags(), st.data())
def test_reach_counts_match_networkx(
    case: tuple[int, np.ndarray, np.ndarray], data: st.DataObject
) -> None:
    n, src, dst = case
    seeds = np.array(sorted(data.draw(st.sets(st.integers(0, n - 1), min_size=1))), dtype=np.int64)
    graph = _networkx(n, src, dst)
    level = topological_levels(n, src, dst).level
    ancestors = reach_counts(n, src, dst, level, seeds)
    descendants = reach_counts(n, src, dst, level, seeds, reverse=True)
    chosen = set(seeds.tolist())
    for v in range(n):
        assert ancestors[v] == len((nx.ancestors(graph, v) | {v}) & chosen)
        assert descendants[v] == len((nx.descendants(graph, v) | {v}) & chosen)


def test_reach_counts_past_one_word_and_in_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    # 150 seeds need three 64-bit words; a tiny chunk forces the chunked OR path.
    rng = np.random.default_rng(7)
    n = 400
    pairs = rng.integers(0, n, size=(3000, 2))
    pairs = np.unique(np.sort(pairs, axis=1), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    src, dst = pairs[:, 0], pairs[:, 1]
    seeds = np.arange(150)
    level = topological_levels(n, src, dst).level
    expected = reach_counts(n, src, dst, level, seeds)
    monkeypatch.setattr(dag_module, "_CHUNK_WORDS", 5)
    assert np.array_equal(reach_counts(n, src, dst, level, seeds), expected)
    graph = _networkx(n, src, dst)
    chosen = set(seeds.tolist())
    assert expected.tolist() == [len((nx.ancestors(graph, v) | {v}) & chosen) for v in range(n)]
