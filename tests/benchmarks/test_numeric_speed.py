"""Numeric speed on the block MLP 784-300-100-10 (issue 16, point 5), against baselines in the run.

Run with ``python -m pytest -m benchmark -s tests/benchmarks/test_numeric_speed.py``. On a
shared machine set ``OPENBLAS_NUM_THREADS=1``: both sides use the same BLAS, and threads
fighting other processes for the cores turn a 0.2 ms product into 20 ms at random.

(i)   The backward recursion (local partials + recursion, given the primal values) against a
      hand-written numpy chain ∂y/∂x = W3·diag(pos(z2))·W2·diag(pos(z1))·W1 multiplied from the
      output side (target ≤ 1.3×), and with the primal evaluation against a hand forward pass
      plus that chain; jit-compiled ``jax.jacrev`` of the same function as a reference point.
(ii)  The forward recursion against the same chain multiplied from the input side, and the
      primal evaluation against a hand forward pass.
(iii) ``check``'s finite differences (at h and 2h, 4 evaluations per input) batched against
      the one-point-at-a-time loop they replaced (target ≥ 4×), and ``check_jacobians`` whole
      with either.

Times are medians of runs alternating the two sides, so that load hits both alike.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import numpy as np
import pytest

from graphcost.count.recursions import count
from graphcost.graph.loader import graph_from_dict
from graphcost.numeric import checks
from graphcost.numeric.build import build_model, input_values
from graphcost.numeric.differences import central_differences, looped_differences
from graphcost.numeric.evaluate import evaluate
from graphcost.numeric.propagation import backward, forward
from tests.benchmarks.conftest import verdict

pytestmark = pytest.mark.benchmark

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


def paired(
    first: Callable[[], object], second: Callable[[], object], repeats: int
) -> tuple[float, float]:
    """Median seconds of two functions run alternately (after one warm-up call each)."""
    first(), second()
    times_first, times_second = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        first()
        middle = time.perf_counter()
        second()
        times_first.append(middle - start)
        times_second.append(time.perf_counter() - middle)
    return float(np.median(times_first)), float(np.median(times_second))


def row(label: str, seconds: float, baseline: float, against: str) -> None:
    print(f"  {label:<44} {seconds * 1e3:9.3f} ms  {seconds / baseline:5.2f}× {against}")


@pytest.fixture(scope="module")
def mlp():
    graph = graph_from_dict(MLP)
    model = build_model(graph, seed=0)
    point, _ = input_values(model, seed=0)
    values = evaluate(model, point)
    weights = [model.params[k] for k in ("W_z1", "W_z2", "W_y")]
    biases = [model.params[k] for k in ("b_z1", "b_z2", "b_y")]
    print(
        f"\nMLP 784-300-100-10 (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores, "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')})"
    )
    return graph, model, point, values, weights, biases


def test_backward_and_forward_against_hand_chains(mlp) -> None:
    graph, model, point, values, (w1, w2, w3), (b1, b2, b3) = mlp
    x = point[0]
    z1, z2 = values[graph.index["z1"]], values[graph.index["z2"]]

    def from_the_output() -> np.ndarray:
        return ((w3 * (z2 > 0)) @ w2 * (z1 > 0)) @ w1

    def from_the_input() -> np.ndarray:
        return w3 @ ((z2 > 0)[:, None] * (w2 @ ((z1 > 0)[:, None] * w1)))

    def primal() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        a = w1 @ x + b1
        b = w2 @ np.maximum(a, 0) + b2
        return a, b, w3 @ np.maximum(b, 0) + b3

    def primal_and_chain() -> np.ndarray:
        a, b, _ = primal()
        return ((w3 * (b > 0)) @ w2 * (a > 0)) @ w1

    behind = backward(model, point, values=values)
    ahead = forward(model, point, values=values)
    counted = count(graph)
    # The same Jacobian, and the products counted: the recursions do what they claim.
    np.testing.assert_allclose(behind.jacobian, from_the_output(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ahead.jacobian, from_the_input(), rtol=1e-12, atol=1e-14)
    assert behind.multiplications == counted.backward.multiplications
    assert ahead.multiplications == counted.forward.multiplications

    numeric, hand = paired(lambda: backward(model, point, values=values), from_the_output, 400)
    numeric_full, hand_full = paired(lambda: backward(model, point), primal_and_chain, 400)
    numeric_forward, hand_forward = paired(
        lambda: forward(model, point, values=values), from_the_input, 40
    )
    evaluation, hand_primal = paired(lambda: evaluate(model, point), primal, 400)
    print(f"  backward recursion, {behind.multiplications:,} multiplications")
    row("hand numpy chain from the output side", hand, hand, "")
    row("numeric backward (partials + recursion)", numeric, hand, "the hand chain")
    row("hand forward pass + chain", hand_full, hand_full, "")
    row("numeric evaluate + backward", numeric_full, hand_full, "the hand pass + chain")
    print(f"  forward recursion, {ahead.multiplications:,} multiplications")
    row("hand numpy chain from the input side", hand_forward, hand_forward, "")
    row("numeric forward (partials + recursion)", numeric_forward, hand_forward, "the hand chain")
    row("hand forward pass (primal values)", hand_primal, hand_primal, "")
    row("numeric evaluate (primal values)", evaluation, hand_primal, "the hand pass")
    verdict("backward ≤ 1.3× the hand chain", numeric <= 1.3 * hand, f"{numeric / hand:.2f}×")
    _jax_reference(x, (w1, w2, w3), (b1, b2, b3), hand, behind.jacobian)


def _jax_reference(x, weights, biases, hand: float, jacobian: np.ndarray) -> None:
    """jit-compiled ``jax.jacrev`` of the same function, in float64 (skipped without jax)."""
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        print("  jax.jacrev: jax not installed (pip install '.[test]')")
        return
    with jax.enable_x64(True):
        (w1, w2, w3), (b1, b2, b3) = (
            [jnp.asarray(w) for w in weights],
            [jnp.asarray(b) for b in biases],
        )

        def network(v):
            return w3 @ jax.nn.relu(w2 @ jax.nn.relu(w1 @ v + b1) + b2) + b3

        jacobian_of = jax.jit(jax.jacrev(network))
        at = jnp.asarray(x)
        np.testing.assert_allclose(np.asarray(jacobian_of(at)), jacobian, rtol=1e-10, atol=1e-12)
        seconds, _ = paired(lambda: jacobian_of(at).block_until_ready(), lambda: None, 400)
    row("jax.jit(jax.jacrev) (reference point)", seconds, hand, "the hand chain")


def test_check_finite_differences_batched_against_the_loop(mlp) -> None:
    _, model, point, _, _, _ = mlp

    def batched() -> list[np.ndarray]:
        return central_differences(model, point, [1e-6, 2e-6], [[], None], None)

    def looped() -> list[np.ndarray]:
        rounding: list[np.ndarray] = []
        at_h = looped_differences(model, point, rounding=rounding)
        return [at_h, looped_differences(model, point, step=2e-6)]

    new, old = batched(), looped()
    for a, b in zip(new, old, strict=True):
        # Equal up to the rounding of the first layer's products (gemm vs one gemv per point).
        assert np.max(np.abs(a - b)) <= 1e-6 * max(1.0, float(np.max(np.abs(b))))

    def check_with(differences: Callable[..., list[np.ndarray]]) -> Callable[[], object]:
        def run() -> object:
            saved = checks.central_differences
            checks.central_differences = differences
            try:
                return checks.check_jacobians(model, point)
            finally:
                checks.central_differences = saved

        return run

    def looped_central(model_, inputs, steps, roundings, wrt) -> list[np.ndarray]:
        return [
            looped_differences(model_, inputs, step=s, rounding=r, wrt=wrt)
            for s, r in zip(steps, roundings, strict=True)
        ]

    fast, slow = paired(batched, looped, 7)
    whole, whole_looped = paired(check_with(central_differences), check_with(looped_central), 5)
    print(f"  check: finite differences at h and 2h, {4 * 784:,} evaluations")
    row("one point at a time (the loop replaced)", slow, slow, "")
    row("batched (one evaluation per chunk)", fast, slow, "the loop")
    row("check_jacobians with the loop", whole_looped, whole_looped, "")
    row("check_jacobians batched", whole, whole_looped, "with the loop")
    verdict("finite differences ≥ 4× faster", slow >= 4 * fast, f"{slow / fast:.1f}×")
