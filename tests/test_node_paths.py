"""Node level at scale (issue 16, point 2): the paths taken only by big or deep graphs, checked
against plainly written references on graphs small enough for them.

- :func:`topological_levels` and :func:`reach_counts` finish sequentially on deep, narrow
  graphs: both paths against a brute-force longest path and a brute-force reachability.
- The plain edge-file reader works a chunk at a time: a chunk of a few characters must read
  the same edges and line numbers as the YAML list, and errors still name the right line.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import graphcost.graph.dag as dag
import graphcost.graph.edgefile as edgefile
from graphcost.errors import GraphFileError, GraphValidationError
from graphcost.graph.loader import graph_from_dict, load_graph


def random_edges(n: int, m: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A random DAG on n vertices (edges go from a lower to a higher index of a shuffled
    order, so the index order is not topological)."""
    rng = random.Random(seed)
    rank = list(range(n))
    rng.shuffle(rank)
    pairs = set()
    for _ in range(m):
        a, b = rng.sample(range(n), 2)
        pairs.add((a, b) if rank[a] < rank[b] else (b, a))
    src, dst = zip(*sorted(pairs), strict=True) if pairs else ((), ())
    return np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64)


def longest_paths(n: int, src, dst) -> list[int]:
    """Brute force: relax every edge until nothing changes."""
    level = [0] * n
    changed = True
    while changed:
        changed = False
        for a, b in zip(src.tolist(), dst.tolist(), strict=True):
            if level[b] < level[a] + 1:
                level[b], changed = level[a] + 1, True
    return level


def reached(n: int, src, dst, seeds, reverse: bool) -> list[int]:
    """Brute force: a depth-first search from every seed."""
    follow: list[list[int]] = [[] for _ in range(n)]
    for a, b in zip(src.tolist(), dst.tolist(), strict=True):
        (follow[b] if reverse else follow[a]).append(a if reverse else b)
    counts = [0] * n
    for seed in seeds:
        seen, stack = {seed}, [seed]
        while stack:
            for w in follow[stack.pop()]:
                if w not in seen:
                    seen.add(w)
                    stack.append(w)
        for v in seen:
            counts[v] += 1
    return counts


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 40), m=st.integers(0, 120), seed=st.integers(0, 10**6))
def test_levels_and_reach_on_both_paths(n: int, m: int, seed: int) -> None:
    src, dst = random_edges(n, m, seed)
    expected = longest_paths(n, src, dst)
    seeds = np.array(sorted(random.Random(seed).sample(range(n), min(n, 3))), dtype=np.int64)
    results = []
    for narrow in (0, 10**9):  # numpy per level / sequential from the start
        saved = dag.NARROW_FRONTIER, dag.NARROW_LEVEL_EDGES
        dag.NARROW_FRONTIER = dag.NARROW_LEVEL_EDGES = narrow
        try:
            levels = dag.topological_levels(n, src, dst)
            forward = dag.reach_counts(n, src, dst, levels.level, seeds)
            backward = dag.reach_counts(n, src, dst, levels.level, seeds, reverse=True)
        finally:
            dag.NARROW_FRONTIER, dag.NARROW_LEVEL_EDGES = saved
        assert levels.level.tolist() == expected
        assert forward.tolist() == reached(n, src, dst, seeds.tolist(), reverse=False)
        for reverse, counts in ((False, forward), (True, backward)):
            anyone = dag.reach_counts(
                n, src, dst, levels.level, seeds, reverse=reverse, any_seed=True
            )
            assert anyone.tolist() == (counts > 0).astype(int).tolist()
        assert backward.tolist() == reached(n, src, dst, seeds.tolist(), reverse=True)
        results.append((levels.order.tolist(), forward.tolist(), backward.tolist()))
    assert results[0] == results[1]


def test_a_deep_graph_switches_midway() -> None:
    # A wide first level, then a long chain: numpy steps first, the rest sequentially.
    width, length = 200, 300
    src = np.r_[np.arange(width), np.arange(width, width + length - 1)]
    dst = np.r_[np.full(width, width), np.arange(width + 1, width + length)]
    levels = dag.topological_levels(width + length, src, dst)
    assert levels.level.tolist() == longest_paths(width + length, src, dst)
    with pytest.raises(dag.CycleFound):
        dag.topological_levels(3, np.array([0, 1, 2]), np.array([1, 2, 1]))


def _write(folder: Path, names: list[str], edges: list[tuple[str, str]], header: bool) -> Path:
    lines = (["from,to"] if header else []) + [f"{a},{b}" for a, b in edges]
    (folder / "edges.csv").write_text("\n".join(lines), encoding="utf-8")  # no final newline
    graph = folder / "graph.yaml"
    graph.write_text(
        f"V: [{', '.join(names[:3])}]\nD: [{', '.join(names[3:-2])}]\n"
        f"D': [{', '.join(names[-2:])}]\nE: {{file: edges.csv}}\n",
        encoding="utf-8",
    )
    return graph


@pytest.mark.parametrize("chunk", [1, 7, 64, 1 << 22])
@pytest.mark.parametrize("header", [True, False])
def test_chunked_edge_file_equals_the_yaml_list(tmp_path: Path, monkeypatch, chunk, header) -> None:
    monkeypatch.setattr(edgefile, "_CHUNK_CHARS", chunk)
    names = [f"v{i}" for i in range(3)] + [f"ü{i}" for i in range(20)] + ["y0", "y1"]
    rng = random.Random(chunk)
    pairs = (sorted(rng.sample(range(23), 2)) for _ in range(60))
    edges = sorted({(names[a], names[b]) for a, b in pairs if b >= 3})
    edges += [(names[i], "y0") for i in range(3, 23)] + [("ü5", "y1")]
    from_file = load_graph(_write(tmp_path, names, edges, header))
    listed = graph_from_dict(
        {"V": names[:3], "D": names[3:-2], "D'": names[-2:], "E": [list(e) for e in edges]}
    )
    assert from_file.edges.src.tolist() == listed.edges.src.tolist()
    assert from_file.edges.dst.tolist() == listed.edges.dst.tolist()
    first = 2 if header else 1
    assert from_file.edges.line.tolist() == list(range(first, first + len(edges)))


@pytest.mark.parametrize("chunk", [5, 1 << 22])
def test_a_bad_line_late_in_a_chunked_file_is_named(tmp_path: Path, monkeypatch, chunk) -> None:
    monkeypatch.setattr(edgefile, "_CHUNK_CHARS", chunk)
    names = ["x", "a", "b", "c", "y", "z"]
    edges = [("x", "a"), ("a", "b"), ("b", "c"), ("c", "y"), ("x", "z")]
    graph = _write(tmp_path, names, edges, header=True)
    edge_file = tmp_path / "edges.csv"
    edge_file.write_text(edge_file.read_text() + "\nc,q\n", encoding="utf-8")
    with pytest.raises(GraphValidationError, match="unknown node 'q'") as error:
        load_graph(graph)
    assert error.value.line == 7
    edge_file.write_text("from,to\nx,a\na,b,c,d\n", encoding="utf-8")
    with pytest.raises(GraphFileError) as error:
        load_graph(graph)
    assert error.value.line == 3


def reference_markowitz(problem) -> tuple[list[int], int]:
    """Plainly: recompute every cost at every step, take the smallest (cost, D position)."""
    preds = [set(p) for p in problem.preds]
    succs = [set(s) for s in problem.succs]
    left, order, total = list(problem.intermediates), [], 0
    while left:
        vertex = min(left, key=lambda v: (len(preds[v]) * len(succs[v]), left.index(v)))
        left.remove(vertex)
        total += len(preds[vertex]) * len(succs[vertex])
        for p in preds[vertex]:
            succs[p] = (succs[p] | succs[vertex]) - {vertex}
        for s in succs[vertex]:
            preds[s] = (preds[s] | preds[vertex]) - {vertex}
        order.append(vertex)
    return order, total


@settings(max_examples=40, deadline=None)
@given(n=st.integers(4, 40), m=st.integers(3, 150), seed=st.integers(0, 10**6))
def test_markowitz_is_the_same_order_on_every_path(n: int, m: int, seed: int) -> None:
    import graphcost.eliminate.engine as engine
    import graphcost.eliminate.heuristics as heuristics
    from graphcost.eliminate.problem import problem_from_edges
    from graphcost.eliminate.registry import StrategyOptions
    from graphcost.eliminate.strategies import run_strategy

    src, dst = random_edges(n, m, seed)
    names = [f"v{i}" for i in range(n)]
    rng = random.Random(seed)
    has_in, has_out = set(dst.tolist()), set(src.tolist())
    inputs = [v for v in range(n) if v not in has_in]
    outputs = [v for v in range(n) if v not in has_out and v not in inputs]
    middle = [v for v in range(n) if v not in inputs and v not in outputs]
    rng.shuffle(middle)  # D's order (the tie-break) is not the index order
    problem = problem_from_edges(
        [(names[a], names[b]) for a, b in zip(src.tolist(), dst.tolist(), strict=True)],
        inputs=[names[v] for v in inputs],
        intermediates=[names[v] for v in middle],
        outputs=[names[v] for v in outputs] or ["sink"],
    )
    expected, cost = reference_markowitz(problem)
    orders = []
    for limit, choice in ((10**9, "sets"), (10**9, "bits"), (0, "auto"), (n // 2, "auto")):
        saved = engine.BIT_MATRIX_MAX_NODES, heuristics.BIT_MATRIX_MAX_NODES
        engine.BIT_MATRIX_MAX_NODES = heuristics.BIT_MATRIX_MAX_NODES = limit
        try:
            outcome = run_strategy(problem, "markowitz", StrategyOptions(engine=choice))
        finally:
            engine.BIT_MATRIX_MAX_NODES, heuristics.BIT_MATRIX_MAX_NODES = saved
        orders.append([problem.index[name] for name in outcome.cost.order])
        assert outcome.cost.multiplications == cost
    assert orders == [expected] * 4
