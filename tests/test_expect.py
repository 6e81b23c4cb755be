"""check --expect: hand-derived derivatives from the seeds judged EQUAL or DIFFERENT, by sympy
and at random points, and the first wrong step named."""

from __future__ import annotations

import json
import math

import pytest

from graphcost.cli import cli
from graphcost.graph.loader import graph_from_dict, load_graph
from graphcost.numeric.build import build_model, input_values
from graphcost.numeric.expect import check_expectations, first_wrong, parse_expectation
from tests.conftest import GRAPHS

LOGISTIC = str(GRAPHS / "seed-004-logistic-squared.yaml")
EXPRESSION = str(GRAPHS / "seed-004-expression.yaml")

# Seed 004, question 1e, as written: dl/dw = (2p − 2y)·(e^{−a}/(1 + e^{−a})²)·x
#   = (2p − 2y)·(e^{−a}p²)·x  (the middle step: 1/(1 + e^{−a}) = p, so the factor is e^{−a}p²)
#   = 2p³e^{−a}x − 3p²e^{−a}yx  (the boxed answer: expanding (2p − 2y)·e^{−a}p²·x gives
#     2p³e^{−a}x − 2p²e^{−a}yx; the seed's 3 is a slip for 2).
CHAIN = "w = (2*p - 2*y)*(exp(-a)/(1 + exp(-a))**2)*x"
MIDDLE = "w = (2*p - 2*y)*(exp(-a)*p**2)*x"
BOXED = "w = 2*p**3*exp(-a)*x - 3*p**2*exp(-a)*y*x"
CORRECTED = "w = 2*p**3*exp(-a)*x - 2*p**2*exp(-a)*y*x"


def decide(path: str, *texts: str, output: int | None = None, at: dict | None = None):
    model = build_model(load_graph(path))
    point, _ = input_values(model, at)
    expectations = [parse_expectation(t, model, output) for t in texts]
    return check_expectations(model, point, expectations)


def logistic_derivative(w: float, x: float, y: float) -> float:
    """dl/dw of l = (y − σ(wx))², written out plainly: 2(p − y)·p(1 − p)·x."""
    p = 1 / (1 + math.exp(-w * x))
    return 2 * (p - y) * p * (1 - p) * x


def test_seed_004_1e_boxed_answer_is_different_and_the_middle_step_equal() -> None:
    chain, middle, boxed, corrected = decide(LOGISTIC, CHAIN, MIDDLE, BOXED, CORRECTED)
    assert chain.equal
    assert chain.method == "sympy"
    assert middle.equal
    assert middle.method == "sympy"
    assert corrected.equal
    assert corrected.method == "sympy"
    assert not boxed.equal
    assert boxed.method == "points"
    # Shown at the graph's own point (w = 0.5, x = 1.5, y = 1), both values plainly computed.
    assert boxed.point == {"w": 0.5, "x": 1.5, "y": 1.0}
    p = 1 / (1 + math.exp(-0.75))
    assert boxed.yours == pytest.approx(
        2 * p**3 * math.exp(-0.75) * 1.5 - 3 * p**2 * math.exp(-0.75) * 1.5
    )
    assert boxed.derivative == pytest.approx(logistic_derivative(0.5, 1.5, 1.0))
    assert first_wrong([chain, middle, boxed, corrected]) is boxed


def test_the_briefs_example_is_equal() -> None:
    (verdict,) = decide(LOGISTIC, "w = 2*(p - y)*p*(1 - p)*x")
    assert verdict.equal
    assert verdict.derivative == pytest.approx(logistic_derivative(0.5, 1.5, 1.0))


@pytest.mark.parametrize(
    "text",
    [
        "p = 2*p - 2*y",  # seed 004 1a: dl/dp, the adjoint of p
        "l/p = 2*p - 2*y",
        "dl/dp = 2*p - 2*y",
        "∂p/∂a = p*(1 - p)",  # 1c: dp/da as a function of p only
        "p/a = exp(-a)/(1 + exp(-a))**2",  # 1b
        "a/w = x",  # 1d
    ],
)
def test_seed_004_question_1_parts(text: str) -> None:
    (verdict,) = decide(LOGISTIC, text)
    assert verdict.equal, verdict


def test_seed_004_reverse_table_steps_and_first_wrong_step() -> None:
    # Question 3's reverse adjoint table at x = 0.3, w = 0.5, b = 0.1 (v_{-2} = x, v_{-1} = w,
    # v_0 = b): v̄3 = 1, v̄2 = −1/v2², v̄1 = v̄0 = −1/v2², v̄_{-1} = −v_{-2}/v2² = −x/v2²,
    # v̄_{-2} = 1 − v_{-1}/v2² = 1 − w/v2² (−7, −4.8, −16, 1 in the seed). One step is given
    # wrong here, v̄2 = −1/v2 (a slip), and the steps are given out of order: the first wrong
    # step is v̄2, not x̄ — the reverse sweep computes v̄2 first.
    steps = ["x = 1 - w/v2**2", "w = -x/v2**2", "v2 = -1/v2", "b = -1/v2**2", "v3 = 1"]
    verdicts = decide(EXPRESSION, *steps)
    assert [v.expectation.text for v in verdicts] == [
        "v3 = 1",
        "v2 = -1/v2",
        "b = -1/v2**2",
        "w = -x/v2**2",
        "x = 1 - w/v2**2",
    ]
    assert [v.equal for v in verdicts] == [True, False, True, True, True]
    wrong = first_wrong(verdicts)
    assert wrong.expectation.text == "v2 = -1/v2"
    assert (wrong.yours, wrong.derivative) == (pytest.approx(-4.0), pytest.approx(-16.0))
    # The seed's own chain for v̄_{-2} has the factor v_{-2} (x) where ∂v1/∂x = w belongs:
    (seed_chain,) = decide(EXPRESSION, "x = (1)*(1)*(-1/v2**2)*(1)*(x) + (1)*(1)")
    assert not seed_chain.equal
    assert seed_chain.yours == pytest.approx(1 - 0.3 / 0.25**2)


def test_random_points_decide_when_sympy_is_not_tried() -> None:
    # y = (x + 1)**14: an expression with a power beyond the simplify bound (12) goes to points.
    spec = {"V": ["x"], "D'": ["y"], "g": {"y": "(x + 1)**14"}, "at": {"x": 0.1}}
    model = build_model(graph_from_dict(spec))
    point, _ = input_values(model)
    right = parse_expectation("x = 14*(x + 1)**13*(sin(x)**2 + cos(x)**2)", model, None)
    wrong = parse_expectation("x = 13*(x + 1)**13", model, None)
    got_right, got_wrong = check_expectations(model, point, [right, wrong])
    assert got_right.equal
    assert got_right.method == "points"
    assert got_right.points == 8
    assert not got_wrong.equal
    assert got_wrong.method == "points"
    assert got_wrong.derivative == pytest.approx(14 * 1.1**13)


def test_zero_derivative_written_with_cancellation_is_equal() -> None:
    # l does not depend on y through p: ∂p/∂y = 0, written as p − sigmoid(w*x).
    (verdict,) = decide(LOGISTIC, "p/y = p - sigmoid(w*x)")
    assert verdict.equal


def test_several_outputs_need_a_choice() -> None:
    spec = {"V": ["x"], "D'": ["u", "v"], "g": {"u": "x**2", "v": "sin(x)"}}
    model = build_model(graph_from_dict(spec))
    point, _ = input_values(model)
    from graphcost.errors import UsageError

    with pytest.raises(UsageError, match="several outputs"):
        parse_expectation("x = 2*x", model, None)
    (verdict,) = check_expectations(model, point, [parse_expectation("x = cos(x)", model, 2)])
    assert verdict.equal


def test_cli_table_exit_codes_and_formats(runner) -> None:
    equal = runner.invoke(cli, ["check", LOGISTIC, "--expect", MIDDLE])
    assert equal.exit_code == 0, equal.output
    assert equal.stdout.splitlines()[-1] == "EQUAL"
    different = runner.invoke(cli, ["check", LOGISTIC, "--expect", MIDDLE, "--expect", BOXED])
    assert different.exit_code == 1
    assert "first wrong step: ∂l/∂w = 2*p**3*exp(-a)*x - 3*p**2*exp(-a)*y*x" in different.stdout
    assert different.stderr.startswith("Error: --expect")
    data = json.loads(
        runner.invoke(cli, ["check", LOGISTIC, "--expect", BOXED, "--format", "json"]).stdout
    )
    assert data["result"] == "DIFFERENT"
    assert data["first_wrong"] == BOXED
    assert data["expectations"][0]["point"] == "w = 0.5, x = 1.5, y = 1"
    for fmt in ("csv", "markdown", "latex"):
        result = runner.invoke(cli, ["check", LOGISTIC, "--expect", MIDDLE, "--format", fmt])
        assert result.exit_code == 0, (fmt, result.output)
        assert "EQUAL" in result.stdout, fmt


def test_output_node_option(runner) -> None:
    result = runner.invoke(cli, ["check", LOGISTIC, "--output-node", "l", "--expect", MIDDLE])
    assert result.exit_code == 0, result.output
    bad = runner.invoke(cli, ["check", LOGISTIC, "--output-node", "p", "--expect", MIDDLE])
    assert bad.exit_code == 2
    assert "is not an output node" in bad.stderr
