"""Batched central differences against the one-point-at-a-time loop they replace.

The reference is :func:`graphcost.numeric.differences.looped_differences`: two
:func:`~graphcost.numeric.evaluate.evaluate` calls per direction, written as plainly as before
batching. On graphs of elementwise definitions the batch performs the same ufuncs on the same
numbers, so the two are bitwise equal; a layer op applied to many rows is one matrix product
whose sums BLAS orders differently from one matrix-vector product per row, so there they agree
to rounding (a few eps of the terms, amplified by 1/h in the quotient).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from graphcost.errors import EvaluationError
from graphcost.graph.loader import graph_from_dict, load_graph
from graphcost.numeric import differences
from graphcost.numeric.build import build_model, input_values
from graphcost.numeric.differences import (
    central_differences,
    finite_differences,
    looped_differences,
)
from graphcost.numeric.evaluate import OneCoordinate, evaluate, evaluate_batch
from tests.conftest import GRAPHS
from tests.test_numeric import NUMERIC, block_graphs, node_graphs


def both(model, point, step: float = 1e-6, wrt=None):
    """(batched, its rounding columns), (looped, its rounding columns)."""
    batched_rounding: list[np.ndarray] = []
    looped_rounding: list[np.ndarray] = []
    batched = finite_differences(model, point, step=step, rounding=batched_rounding, wrt=wrt)
    looped = looped_differences(model, point, step=step, rounding=looped_rounding, wrt=wrt)
    return (batched, batched_rounding), (looped, looped_rounding)


def assert_within_rounding(batched: np.ndarray, looped: np.ndarray, step: float) -> None:
    """Equal up to the matrix products' rounding: eps·1e3 of the largest output, over h."""
    assert batched.shape == looped.shape
    scale = max(1.0, float(np.max(np.abs(looped), initial=0.0)))
    assert np.max(np.abs(batched - looped), initial=0.0) <= 1e3 * 2.2e-16 * scale / step


@NUMERIC
@given(node_graphs(), st.sampled_from([1e-6, 1e-3]))
def test_elementwise_graphs_batched_equals_looped_bitwise(data: dict, step: float) -> None:
    model = build_model(graph_from_dict(data))
    point, _ = input_values(model)
    (batched, batched_rounding), (looped, looped_rounding) = both(model, point, step)
    np.testing.assert_array_equal(batched, looped)
    np.testing.assert_array_equal(
        np.column_stack(batched_rounding), np.column_stack(looped_rounding)
    )


@NUMERIC
@given(block_graphs(), st.integers(0, 3))
def test_block_graphs_batched_equals_looped_within_rounding(data: dict, seed: int) -> None:
    model = build_model(graph_from_dict(data), seed=seed)
    point, _ = input_values(model, seed=seed)
    (batched, _), (looped, _) = both(model, point)
    assert_within_rounding(batched, looped, 1e-6)


@pytest.mark.parametrize("wrt", [None, ["W_h1"], ["b_h2", "x"]])
def test_weight_inputs_batched_equals_looped_within_rounding(wrt) -> None:
    # A weight input varying with the rows: one matrix-vector product per row.
    model = build_model(load_graph(GRAPHS / "mlp-weights-small.yaml"))
    point, _ = input_values(model)
    blocks = None if wrt is None else [model.graph.index[name] for name in wrt]
    (batched, _), (looped, _) = both(model, point, wrt=blocks)
    assert batched.shape[1] == sum(model.sizes[b] for b in blocks or model.inputs)
    assert_within_rounding(batched, looped, 1e-6)


def test_both_steps_in_one_batch_equal_each_step_alone() -> None:
    model = build_model(load_graph(GRAPHS / "seed-002-network.yaml"))
    point, _ = input_values(model)
    rounding: list[np.ndarray] = []
    at_h, at_2h = central_differences(model, point, [1e-6, 2e-6], [rounding, None], None)
    alone: list[np.ndarray] = []
    np.testing.assert_array_equal(at_h, finite_differences(model, point, rounding=alone))
    np.testing.assert_array_equal(at_2h, finite_differences(model, point, step=2e-6))
    np.testing.assert_array_equal(np.column_stack(rounding), np.column_stack(alone))


def test_chunks_of_a_few_points_give_the_same_columns(monkeypatch) -> None:
    data = {
        "V": {"x": 5, "c": 5},
        "D'": {"y": 5},
        "g": {"y": "sin(x) * c + max(x, c)"},
        "at": {"x": [0.1, -2.0, 3.0, 0.5, -0.25], "c": 0.3},
    }
    model = build_model(graph_from_dict(data))
    point, _ = input_values(model)
    whole = finite_differences(model, point)
    monkeypatch.setattr(differences, "BATCH_ENTRIES", 7)  # a chunk of one direction at a time
    np.testing.assert_array_equal(finite_differences(model, point), whole)
    np.testing.assert_array_equal(whole, looped_differences(model, point))


def test_batch_rows_are_the_points() -> None:
    # max() of a varying and a shared argument: the shared one broadcasts to every row.
    data = {"V": ["x", "w"], "D": ["v"], "D'": ["y"], "g": {"v": "max(x, w)", "y": "exp(v) * x"}}
    model = build_model(graph_from_dict(data))
    xs = np.array([[-1.0], [0.5], [2.0]])
    values = evaluate_batch(model, {0: xs, 1: np.array([[0.25]])})
    for row, x in enumerate(xs):
        single = evaluate(model, {0: x, 1: np.array([0.25])})
        for block, value in enumerate(values):
            np.testing.assert_array_equal(value[min(row, len(value) - 1)], single[block])


def test_a_step_outside_the_domain_is_named_as_the_loop_names_it() -> None:
    data = {"V": ["x", "u"], "D'": ["y"], "g": {"y": "sqrt(x) + u"}, "at": {"x": 1e-7, "u": 1}}
    model = build_model(graph_from_dict(data))
    point, _ = input_values(model)
    with pytest.raises(EvaluationError) as looped:
        looped_differences(model, point)
    with pytest.raises(EvaluationError) as batched:
        finite_differences(model, point)
    assert batched.value.message == looped.value.message
    assert "x ± 1e-06 (the finite-difference step)" in batched.value.message


def test_one_coordinate_rows_equal_the_full_matrix_product() -> None:
    # x feeds two layer ops (one with a weight input W_a, one with a parameter) and an
    # elementwise op; its rows move one coordinate each, and so do the rank-one updates.
    data = {
        "V": {"x": 5, "W_a": [3, 5], "b_a": 3},
        "D": {"a": 3, "b": 4, "c": 5},
        "D'": {"y": 3},
        "g": {"a": "affine(x)", "b": "linear(x)", "c": "sin(x)", "y": "affine(a, b, c)"},
    }
    model = build_model(graph_from_dict(data), seed=1)
    point, _ = input_values(model, seed=1)
    x = point[0]
    columns = np.array([0, 4, 2, 2, 1])
    deltas = np.array([1e-3, -2e-3, 0.5, -0.25, 3.0])
    rows = np.tile(x, (len(columns), 1))
    rows[np.arange(len(columns)), columns] += deltas
    shared = {b: np.atleast_1d(v)[None, :] for b, v in point.items() if b != 0}
    plain = evaluate_batch(model, {**shared, 0: rows})
    moved = evaluate_batch(
        model,
        {**shared, 0: rows},
        {0: OneCoordinate(x, columns, rows[np.arange(len(columns)), columns] - x[columns])},
    )
    for block, (a, b) in enumerate(zip(moved, plain, strict=True)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=str(block))
