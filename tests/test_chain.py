"""Jacobian chains: seed 003's shapes, and step costs that add up to the elimination count."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphcost.count.chain import jacobian_chain
from graphcost.count.recursions import count
from graphcost.errors import UsageError
from graphcost.graph.loader import graph_from_dict, load_graph
from tests.conftest import GRAPHS

SEED_003 = {
    # Seed 003, problem 7.3: f0 → h1 → f1 → h2 → f2 → h3 → f3 → ℓ, h_k = a(f_{k-1}) elementwise.
    "symbols": {"D1": 4, "D2": 3, "D3": 5, "Df": 2},
    "V": {"f0": "D1"},
    "D": {"h1": "D1", "f1": "D2", "h2": "D2", "f2": "D3", "h3": "D3", "f3": "Df"},
    "D'": {"l": 1},
    "E": [
        ["f0", "h1", "diag"],
        ["h1", "f1"],
        ["f1", "h2", "diag"],
        ["h2", "f2"],
        ["f2", "h3", "diag"],
        ["h3", "f3"],
        ["f3", "l"],
    ],
}


def test_seed_003_problem_7_3_shapes() -> None:
    factors = jacobian_chain(graph_from_dict(SEED_003))
    assert [(f"∂{f.numerator}/∂{f.denominator}", f.rows, f.columns) for f in factors] == [
        ("∂h1/∂f0", "D1", "D1"),
        ("∂f1/∂h1", "D1", "D2"),
        ("∂h2/∂f1", "D2", "D2"),
        ("∂f2/∂h2", "D2", "D3"),
        ("∂h3/∂f2", "D3", "D3"),
        ("∂f3/∂h3", "D3", "Df"),
        ("∂l/∂f3", "Df", "1"),
    ]
    assert [f.diag for f in factors] == [True, False, True, False, True, False, False]


@st.composite
def chains(draw: st.DrawFn) -> dict:
    length = draw(st.integers(1, 6))
    sizes = [draw(st.integers(1, 5))]
    edges = []
    for i in range(length):
        diag = draw(st.booleans())
        sizes.append(sizes[-1] if diag else draw(st.integers(1, 5)))
        edges.append([f"b{i}", f"b{i + 1}", "diag" if diag else "full"])
    names = [f"b{i}" for i in range(length + 1)]
    return {
        "V": {names[0]: sizes[0]},
        "D": dict(zip(names[1:-1], sizes[1:-1], strict=True)),
        "D'": {names[-1]: sizes[-1]},
        "E": edges,
    }


@settings(max_examples=60, deadline=None)
@given(chains())
def test_steps_add_up_to_the_count(data: dict) -> None:
    graph = graph_from_dict(data)
    factors = jacobian_chain(graph)
    counted = count(graph)
    assert sum(f.forward_multiplications for f in factors) == counted.forward.multiplications
    assert sum(f.backward_multiplications for f in factors) == counted.backward.multiplications


def test_exercise_4b_steps() -> None:
    # Forward: copy, then |V|·|V1|·|V2| = 30·20·10, then |V|·|V2| = 300 (seed 000, 4b).
    factors = jacobian_chain(load_graph(GRAPHS / "exercise-4b.yaml"))
    assert [f.forward_multiplications for f in factors] == [0, 6000, 300]
    assert [f.backward_multiplications for f in factors] == [600, 200, 0]


def test_branching_graph_is_refused() -> None:
    with pytest.raises(UsageError, match="is not layered"):
        jacobian_chain(load_graph(GRAPHS / "small.yaml"))
