"""Kinks of max, min, abs and relu: found at the point, one-sided derivatives and subgradient
intervals derived by hand, checked against one-sided differences; check reports KINK."""

from __future__ import annotations

import json

import numpy as np
import pytest

from graphcost.cli import cli
from graphcost.graph.loader import graph_from_dict
from graphcost.numeric.build import build_model, input_values
from graphcost.numeric.evaluate import evaluate
from graphcost.numeric.kinks import OneSided, check_one_sided, find_kinks, one_sided
from tests.conftest import GRAPHS

HINGE = str(GRAPHS / "seed-004-hinge.yaml")


def at_point(spec: dict, at: dict | None = None):
    model = build_model(graph_from_dict(spec))
    point, _ = input_values(model, at)
    return model, point, evaluate(model, point)


def sides(found: list[OneSided]) -> dict[str, tuple[float, float]]:
    return {d.wrt: (d.left, d.right) for d in found}


def hinge(at: dict | None = None):
    from graphcost.graph.loader import load_graph

    model = build_model(load_graph(HINGE))
    point, _ = input_values(model, at)
    return model, point, evaluate(model, point)


def test_hinge_at_its_kink_by_hand() -> None:
    # Seed 004, question 2: l = max(0, 1 − y·a) + w², a = w·x, at w = 0.5, x = 2, y = 1 so
    # y·a = 1. Left of the kink (y·a < 1) the seed's first case holds, right of it the second:
    #   ∂l/∂a: −y = −1 | 0;   dl/dw: −y·x + 2w = −2 + 1 = −1 | 2w = 1;
    #   ∂l/∂x: −y·w = −0.5 | 0;   ∂l/∂y: −a = −1 | 0 (y·a grows with y: right is the flat side).
    # Along w, x, y and a, y·a grows with the node, so "left" is the seed's case y·a < 1.
    model, point, values = hinge()
    kinks = find_kinks(model, values)
    assert [(k.node, k.call, k.arguments) for k in kinks] == [("c", "max(0, -a*y + 1)", (0.0, 0.0))]
    found = one_sided(model, values, kinks)
    assert sides(found) == {
        "w": (-1.0, 1.0),
        "x": (-0.5, 0.0),
        "y": (-1.0, 0.0),
        "a": (-1.0, 0.0),
        "m": (1.0, 1.0),
        "c": (1.0, 1.0),
    }
    by_node = {d.wrt: d for d in found}
    assert by_node["a"].kind == "convex"
    assert by_node["a"].describe() == "subgradient [-1, 0]"
    assert by_node["m"].kind == "smooth"
    assert all(c.passed for c in check_one_sided(model, point, found))


def test_hinge_off_the_kink_has_none() -> None:
    # w = 0.2: y·a = 0.4 < 1, the seed's first case, dl/dw = −y·x + 2w = −1.6: no kink.
    model, _, values = hinge({"w": 0.2})
    assert find_kinks(model, values) == []


def test_relu_abs_min_by_hand() -> None:
    # y = relu(x) + 2|u − x| − min(x, u) at x = u = 0, three kinks at once.
    # Along x: y(h) = h + 2h − 0 = 3h, y(−h) = 0 + 2h + h = 3h: left −3, right 3.
    # Along u: y(h) = 0 + 2h − 0 = 2h, y(−h) = 2h + h = 3h: left −3, right 2.
    spec = {
        "V": ["x", "u"],
        "D": ["r", "s"],
        "D'": ["y"],
        "g": {"r": "relu(x)", "s": "abs(u - x)", "y": "r + 2*s - min(x, u)"},
        "at": {"x": 0, "u": 0},
    }
    model, point, values = at_point(spec)
    kinks = find_kinks(model, values)
    assert [k.node for k in kinks] == ["r", "s", "y"]
    found = one_sided(model, values, kinks)
    got = sides(found)
    assert got["x"] == (-3.0, 3.0)
    assert got["u"] == (-3.0, 2.0)
    # Along r and s (independent), y is linear: 1 and 2 on both sides.
    assert got["r"] == (1.0, 1.0)
    assert got["s"] == (2.0, 2.0)
    assert all(c.passed for c in check_one_sided(model, point, found))


@pytest.mark.parametrize(
    ("g", "left", "right", "kind"),
    [
        ("min(x, 0)", 1.0, 0.0, "concave"),  # slope 1 below 0, 0 above
        ("-abs(x)", 1.0, -1.0, "concave"),
        ("abs(x)", -1.0, 1.0, "convex"),
        # sympy flattens this to Max(x, 2x, 3x): three tied arguments, the extreme slopes.
        ("max(max(x, 2*x), 3*x)", 1.0, 3.0, "convex"),
        ("max(0, max(x, -x))", -1.0, 1.0, "convex"),  # nested: |x|
        ("relu(abs(x) - x)", -2.0, 0.0, "convex"),  # 2x for x < 0, 0 for x > 0 (kinks nested)
    ],
)
def test_one_sided_by_hand(g: str, left: float, right: float, kind: str) -> None:
    model, point, values = at_point({"V": ["x"], "D'": ["y"], "g": {"y": g}, "at": {"x": 0}})
    (d,) = one_sided(model, values, find_kinks(model, values))
    assert (d.left, d.right, d.kind) == (left, right, kind)
    assert all(c.passed for c in check_one_sided(model, point, [d]))


def test_a_wrong_one_sided_value_fails_the_check() -> None:
    # The check is no formality: the hinge's true right derivative along w is 1, not 0.
    model, point, values = hinge()
    found = [
        OneSided(d.output, d.wrt, d.left, 0.0 if d.wrt == "w" else d.right)
        for d in one_sided(model, values, find_kinks(model, values))
    ]
    left, right = check_one_sided(model, point, found)
    assert left.passed
    assert not right.passed


def test_block_graph_kinks_are_named_by_node() -> None:
    model, _, values = at_point({"V": {"x": 3}, "D'": {"y": 3}, "g": {"y": "relu(x)"}},
                                {"x": [0.5, 0.0, -1.0]})  # fmt: skip
    kinks = find_kinks(model, values)
    assert [k.node for k in kinks] == ["y[1]"]
    assert one_sided(model, values, kinks) is None  # node-level graphs only


def test_max_and_min_values_and_derivatives_off_the_kink() -> None:
    spec = {"V": ["a", "b"], "D'": ["y", "z"], "g": {"y": "max(a, b)", "z": "min(a, b)"}}
    model, point, values = at_point({**spec, "at": {"a": 2.0, "b": -1.0}})
    assert (values[2][0], values[3][0]) == (2.0, -1.0)
    from graphcost.numeric.propagation import backward

    # max picks a (∂/∂a = 1, ∂/∂b = 0), min picks b.
    np.testing.assert_array_equal(backward(model, point).jacobian, [[1.0, 0.0], [0.0, 1.0]])


def test_check_reports_kink_exit_0_and_1_with_strict(runner) -> None:
    result = runner.invoke(cli, ["check", HINGE])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "KINK: the point is at a kink" in result.stdout
    assert "KINK at c: max(0, -a*y + 1), equal arguments 0, 0" in lines
    assert "∂l/∂w at the kink: left -1, right 1: subgradient interval [-1, 1]" in lines
    assert "∂l/∂x at the kink: left -0.5, right 0: subgradient interval [-0.5, 0]" in lines
    strict = runner.invoke(cli, ["check", HINGE, "--strict"])
    assert strict.exit_code == 1
    assert "at a kink" in strict.stderr


def test_check_json_at_a_kink(runner) -> None:
    result = runner.invoke(cli, ["check", HINGE, "--format", "json"])
    data = json.loads(result.stdout)
    assert data["result"] == "KINK"
    assert data["kink"] is True
    by_node = {d["wrt"]: d for d in data["one_sided"]}
    assert by_node["a"]["subgradient"] == [-1.0, 0.0]
    rows = {c["check"]: c["result"] for c in data["checks"]}
    assert rows["right derivatives at the kink vs one-sided differences"] == "PASS"


def test_check_relu_kink_relabels_central_differences(runner, tmp_path) -> None:
    # relu(0): the recursions use pos(0) = 0, central differences (0 + 1)/2: they disagree,
    # which at a kink is no failure (KINK), while the one-sided values 0 | 1 pass.
    path = tmp_path / "relu.yaml"
    path.write_text("V: [x]\nD': [y]\ng: {y: relu(x)}\nat: {x: 0}\n")
    result = runner.invoke(cli, ["check", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {c["check"]: c["result"] for c in json.loads(result.stdout)["checks"]}
    assert rows["forward vs finite differences"] == "KINK"
    assert rows["left derivatives at the kink vs one-sided differences"] == "PASS"


def test_trace_shows_one_sided_column_at_the_kink(runner) -> None:
    result = runner.invoke(cli, ["trace", HINGE, "--format", "json"])
    data = json.loads(result.stdout)
    assert {d["wrt"]: (d["left"], d["right"]) for d in data["one_sided"]}["a"] == (-1.0, 0.0)
    table = runner.invoke(cli, ["trace", HINGE]).stdout
    row = next(line for line in table.splitlines() if line.startswith("│ a "))
    assert "-1 | 0" in row
    assert "∂l/∂a at the kink: left -1, right 0: subgradient interval [-1, 0]" in table
