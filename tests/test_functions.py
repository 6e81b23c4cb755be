"""The node-function registry: every entry's derivative against central differences."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sympy

from graphcost.errors import ExpressionError
from graphcost.graph.functions import (
    FUNCTIONS,
    LAYER_OPS,
    callable_names,
    get_function,
    numpy_functions,
    sympy_functions,
)

#: Points inside every function's domain (log, sqrt need x > 0), away from relu's kink.
POINTS = np.array([0.2, 0.7, 1.3, 2.1])


def compiled(name: str):
    x = sympy.Symbol("_a0", real=True)
    expression = sympy_functions()[name](x)
    modules = [numpy_functions(), "numpy"]
    return (
        sympy.lambdify([x], expression, modules=modules),
        sympy.lambdify([x], sympy.diff(expression, x), modules=modules),
    )


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_derivative_matches_central_differences(name: str) -> None:
    value, derivative = compiled(name)
    for sign in (1, -1) if name not in ("log", "log1p", "sqrt") else (1,):
        x = sign * POINTS
        h = 1e-6
        reference = (np.asarray(value(x + h)) - np.asarray(value(x - h))) / (2 * h)
        np.testing.assert_allclose(
            np.broadcast_to(derivative(x), x.shape), reference, rtol=1e-6, atol=1e-8
        )


@pytest.mark.parametrize(
    ("name", "x", "expected"),
    [
        ("relu", [-1.0, 0.0, 2.0], [0.0, 0.0, 2.0]),
        ("pos", [-1.0, 0.0, 2.0], [0.0, 0.0, 1.0]),  # seed 001: pos(x) = 0 for x <= 0
        ("sigmoid", [0.0], [0.5]),
        ("softplus", [0.0], [np.log(2)]),
        ("abs", [-3.0], [3.0]),
    ],
)
def test_values(name: str, x: list[float], expected: list[float]) -> None:
    value, _ = compiled(name)
    np.testing.assert_allclose(value(np.array(x)), expected)


def test_relu_derivative_is_pos_also_at_zero() -> None:
    _, derivative = compiled("relu")
    np.testing.assert_array_equal(derivative(np.array([-1.0, 0.0, 1e-9])), [0.0, 0.0, 1.0])


def test_sigmoid_and_softplus_do_not_overflow() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in ("sigmoid", "softplus"):
            value, derivative = compiled(name)
            x = np.array([-800.0, 800.0])
            assert np.all(np.isfinite(value(x)))
            assert np.all(np.isfinite(derivative(x)))


def test_every_registry_name_has_a_sympy_form() -> None:
    assert set(sympy_functions()) == set(FUNCTIONS)
    assert callable_names() == set(FUNCTIONS) | set(LAYER_OPS)


def test_unknown_function_lists_the_valid_ones() -> None:
    with pytest.raises(ExpressionError, match="the functions are: abs, cos, exp"):
        get_function("frobnicate")
