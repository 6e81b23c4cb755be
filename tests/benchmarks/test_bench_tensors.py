"""Tensor-shaped blocks (issue 11): figures printed beside what they are compared with.

Run with ``python -m pytest -m benchmark -s tests/benchmarks/test_bench_tensors.py``.

(i)  The MLP 784-300-100-10 with respect to all weights and biases (``--layers ... --wrt
     params``): forward and backward multiplications, the evaluation cost, backward ÷
     evaluation, and the time of the block-level count (target ≤ 0.5 s), with the scaled copy
     8-6-4-2 counted at block and node level (they must agree).
(ii) Exactness against ``full``: the attention-like graph softmax(X·Wq·Xᵀ)·X with index
     signatures, counted at block level, expanded to nodes, and with every edge ``full``.
"""

from __future__ import annotations

import time

import pytest

from graphcost.count.evaluation import evaluation_multiplications
from graphcost.count.recursions import count
from graphcost.graph.layers import parameter_graph, parameter_names
from graphcost.graph.loader import graph_from_dict, load_graph
from graphcost.graph.wrt import with_respect_to
from tests.benchmarks.conftest import verdict
from tests.conftest import GRAPHS

pytestmark = pytest.mark.benchmark


def test_mlp_with_respect_to_its_weights() -> None:
    start = time.perf_counter()
    graph = parameter_graph([784, 300, 100, 10])
    graph = with_respect_to(graph, parameter_names(graph))  # x is a constant
    result = count(graph)
    evaluation = evaluation_multiplications(graph)
    seconds = time.perf_counter() - start
    assert evaluation is not None
    forward, backward = result.forward.multiplications, result.backward.multiplications
    print(
        f"\n(i) MLP 784-300-100-10 w.r.t. W1, b1, W2, b2, W3, b3: forward {forward:,}, backward "
        f"{backward:,} multiplications (forward ÷ backward {forward / backward:.1f}); "
        f"evaluation {evaluation:,}; backward ÷ evaluation {backward / evaluation:.2f}; "
        f"build + count + evaluation {seconds * 1000:.1f} ms"
    )
    verdict("block level ≤ 0.5 s", seconds <= 0.5, f"{seconds:.3f} s")
    small = parameter_graph([8, 6, 4, 2])
    small = with_respect_to(small, parameter_names(small))
    block, node = count(small, level="block"), count(small, level="node")
    assert (block.forward, block.backward) == (node.forward, node.backward)
    print(
        f"    8-6-4-2: block = node level: forward {block.forward.multiplications:,}, "
        f"backward {block.backward.multiplications:,}"
    )


def test_attention_exact_against_full() -> None:
    graph = load_graph(GRAPHS / "attention.yaml")
    block, node = count(graph, level="block"), count(graph, level="node")
    full = graph_from_dict(
        {
            "symbols": dict(graph.symbols),
            "V": {b.name: [d.text for d in b.shape] for b in graph.blocks if b.role == "V"},
            "D": {b.name: [d.text for d in b.shape] for b in graph.blocks if b.role == "D"},
            "D'": {b.name: [d.text for d in b.shape] for b in graph.blocks if b.role == "D'"},
            "E": [
                [graph.blocks[a].name, graph.blocks[b].name]
                for a, b in zip(graph.edges.src.tolist(), graph.edges.dst.tolist(), strict=True)
            ],
        }
    )
    dense = count(full)
    print(
        f"\n(ii) attention {dict(graph.symbols)}: forward / backward multiplications — "
        f"every edge full {dense.forward.multiplications:,} / {dense.backward.multiplications:,}; "
        f"signatures at block level {block.forward.multiplications:,} / "
        f"{block.backward.multiplications:,} (approximate: {', '.join(block.approximate) or '—'}); "
        f"exact at node level {node.forward.multiplications:,} / "
        f"{node.backward.multiplications:,}"
    )
    assert block.forward.multiplications >= node.forward.multiplications
    assert block.backward.multiplications == node.backward.multiplications
