"""Numeric backward propagation on the block MLP 784-300-100-10 against a hand-written chain.

Run with ``python -m pytest -m benchmark -s tests/benchmarks/test_bench_numeric.py``. Prints
the median times and their ratio (target: numeric backward within 2× of the hand-written
numpy matrix chain product, both measured in this run).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pytest

from graphcost.count.recursions import count
from graphcost.graph.loader import graph_from_dict
from graphcost.numeric.build import build_model, input_values
from graphcost.numeric.evaluate import evaluate
from graphcost.numeric.propagation import backward

MLP = {
    "name": "mlp-784-300-100-10",
    "V": {"x": 784},
    "D": {"z1": 300, "h1": 300, "z2": 100, "h2": 100},
    "D'": {"y": 10},
    "g": {
        "z1": "affine(x)",
        "h1": "relu(z1)",
        "z2": "affine(h1)",
        "h2": "relu(z2)",
        "y": "affine(h2)",
    },
}


def interleaved(
    first: Callable[[], object], second: Callable[[], object], repeats: int = 200
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Median and best times of two functions, run alternately so that load hits both alike."""
    first(), second()  # warm up (compiles the node functions once)
    times_first, times_second = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        first()
        middle = time.perf_counter()
        second()
        times_first.append(middle - start)
        times_second.append(time.perf_counter() - middle)
    return (
        (float(np.median(times_first)), float(np.min(times_first))),
        (float(np.median(times_second)), float(np.min(times_second))),
    )


@pytest.mark.benchmark
def test_numeric_backward_versus_hand_written_chain() -> None:
    graph = graph_from_dict(MLP)
    model = build_model(graph, seed=0)
    point, _ = input_values(model, seed=0)
    values = evaluate(model, point)
    w1, w2, w3 = (model.params[k] for k in ("W_z1", "W_z2", "W_y"))
    b1, b2, b3 = (model.params[k] for k in ("b_z1", "b_z2", "b_y"))
    x = point[0]

    def hand_chain() -> np.ndarray:
        # ∂y/∂x = W3 · diag(pos(z2)) · W2 · diag(pos(z1)) · W1, multiplied from the output side.
        d1 = (values[graph.index["z1"]] > 0).astype(float)
        d2 = (values[graph.index["z2"]] > 0).astype(float)
        return ((w3 * d2) @ w2 * d1) @ w1

    def hand_full() -> np.ndarray:
        z1 = w1 @ x + b1
        h1 = np.maximum(z1, 0)
        z2 = w2 @ h1 + b2
        h2 = np.maximum(z2, 0)
        _ = w3 @ h2 + b3
        return ((w3 * (z2 > 0)) @ w2 * (z1 > 0)) @ w1

    result = backward(model, point, values=values)
    np.testing.assert_allclose(result.jacobian, hand_chain(), rtol=1e-12, atol=1e-14)
    assert result.multiplications == count(graph).backward.multiplications

    numeric, baseline = interleaved(lambda: backward(model, point, values=values), hand_chain)
    numeric_full, baseline_full = interleaved(lambda: backward(model, point), hand_full)
    print()
    print(f"block MLP 784-300-100-10, backward recursion, {result.multiplications:,} mults")
    print("                                         median ms    best ms")
    for label, (median, best) in (
        ("numeric backward (partials + recursion)", numeric),
        ("hand-written numpy chain product", baseline),
        ("numeric, with the primal evaluation", numeric_full),
        ("hand-written, with the forward pass", baseline_full),
    ):
        print(f"  {label:<40} {median * 1e3:8.3f}  {best * 1e3:8.3f}")
    print(
        f"  ratio numeric / hand-written: {numeric[0] / baseline[0]:.2f}x median, "
        f"{numeric[1] / baseline[1]:.2f}x best (target <= 2x)"
    )
    print(
        f"  with the primal evaluation: {numeric_full[0] / baseline_full[0]:.2f}x median, "
        f"{numeric_full[1] / baseline_full[1]:.2f}x best"
    )
