"""Hessians by forward-over-reverse (graphcost.numeric.hessian and second_*), `graphcost hessian`.

References, each independent of the recursion under test: closed forms derived by hand below
(Exercise 4c's φ, seed 002's L(β), the bilinear f of Exercise 4c), sympy's exact Hessian of the
output expression, and central differences of the gradient computed by the first-order engine.
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphcost.cli import cli
from graphcost.graph.loader import graph_from_dict, load_graph
from graphcost.numeric.build import build_model, input_values
from graphcost.numeric.hessian import hessian, output_nodes
from graphcost.numeric.second_checks import check_hessian
from graphcost.numeric.second_convexity import Axis, convexity, grid_points, random_points
from graphcost.numeric.second_symbolic import closed_form
from tests.conftest import GRAPHS

LN2 = math.log(2)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def model_of(name: str):
    model = build_model(load_graph(GRAPHS / name))
    point, _ = input_values(model)
    return model, point


def blocks(model, *names: str) -> list[int]:
    return [model.graph.index[n] for n in names]


# -- Exercise 4c: φ(θ) ---------------------------------------------------------------------------


def phi_by_hand(x, wh, wf, y, sigma):
    """Gradient and Hessian of φ w.r.t. θ = (W_h row-major, W_f), derived by hand.

    Seed 000, (3) with one sample and log = log₂:
        φ(θ) = −y f + log₂(1 + 2^f) + log₂(e)/(2σ²) ‖θ‖²,   f = Σ_v Σ_v' θ_v'out θ_vv' x_v.
    With ℓ(t) = −y t + log₂(1 + 2^t): ℓ'(t) = −y + 2^t/(1 + 2^t) = p − y, where
    p = 2^t/(1 + 2^t) = σ(t ln 2), and ℓ''(t) = ln 2 · p(1 − p). The chain rule gives
        ∇φ = (p − y) ∇f + θ/(σ² ln 2),
        H^φ = ln 2 · p(1 − p) ∇f ∇fᵀ + (p − y) H^f + I/(σ² ln 2).
    Here θ_vv' = W_h[v'][v] and θ_v'out = W_f[0][v'], h = W_h x, f = W_f h:
        ∂f/∂W_h[i][k] = W_f[0][i] x_k,   ∂f/∂W_f[0][i] = h_i,
        ∂²f/∂W_h[i][k]∂W_f[0][j] = δ_ij x_k, every other second partial 0.
    """
    m, n = wh.shape
    h = wh @ x
    f = float(wf[0] @ h)
    p = 2**f / (1 + 2**f)
    grad_f = np.concatenate([np.outer(wf[0], x).ravel(), h])
    hess_f = np.zeros((m * n + m, m * n + m))
    for i in range(m):
        for k in range(n):
            hess_f[i * n + k, m * n + i] = hess_f[m * n + i, i * n + k] = x[k]
    theta = np.concatenate([wh.ravel(), wf[0]])
    gradient = (p - y) * grad_f + theta / (sigma**2 * LN2)
    matrix = (
        LN2 * p * (1 - p) * np.outer(grad_f, grad_f)
        + (p - y) * hess_f
        + np.eye(m * n + m) / (sigma**2 * LN2)
    )
    return gradient, matrix


@pytest.mark.parametrize(("y", "sigma"), [(1.0, 1.0), (0.0, 1.0), (1.0, 0.5), (0.0, 3.0)])
@pytest.mark.parametrize("draw", range(4))
def test_phi_hessian_equals_the_hand_derived_closed_form(y: float, sigma: float, draw: int):
    model, point = model_of("exercise-4c-phi.yaml")
    model.params["y"], model.params["sigma"] = np.array(y), np.array(sigma)
    x_block, wh_block, wf_block = blocks(model, "x", "W_h", "W_f")
    if draw:  # draw 0 is the file's point
        rng = np.random.default_rng(draw)
        point = {b: rng.standard_normal(v.shape) for b, v in point.items()}
    result = hessian(model, point, output_nodes(model)[0], wrt=[wh_block, wf_block])
    gradient, matrix = phi_by_hand(
        point[x_block], point[wh_block].reshape(2, 2), point[wf_block].reshape(1, 2), y, sigma
    )
    np.testing.assert_allclose(result.gradient, gradient, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(result.matrix, matrix, rtol=1e-12, atol=1e-12)
    assert result.names == [
        "W_h[0][0]", "W_h[0][1]", "W_h[1][0]", "W_h[1][1]", "W_f[0][0]", "W_f[0][1]"
    ]  # fmt: skip


def test_phi_is_not_convex_at_the_shipped_point_and_the_direction_shows_it():
    model, point = model_of("exercise-4c-phi.yaml")
    result = hessian(model, point, output_nodes(model)[0], wrt=blocks(model, "W_h", "W_f"))
    verdict = convexity(result.matrix)
    assert not verdict.psd
    z = verdict.direction
    _, by_hand = phi_by_hand(np.array([1.0, 2]), np.array([[0.5, -1], [1, 0.25]]),
                             np.array([[1.0, -0.5]]), 1.0, 1.0)  # fmt: skip
    assert z @ by_hand @ z == pytest.approx(verdict.curvature, rel=1e-12)
    assert verdict.curvature < 0
    assert np.linalg.norm(z) == pytest.approx(1.0)


# -- Seed 002: L(β) ------------------------------------------------------------------------------


@pytest.mark.parametrize("draw", range(5))
def test_logistic_hessian_equals_the_hand_derived_closed_form(draw: int):
    """L(β) = −Σ_i [y_i log σ(z_i) + (1 − y_i) log(1 − σ(z_i))] + λ βᵀβ, z = Xβ.

    d/dz [−y log σ(z) − (1 − y) log(1 − σ(z))] = −y(1 − σ) + (1 − y)σ = σ − y, and
    d/dz (σ − y) = σ(1 − σ). So ∇L = Xᵀ(σ(Xβ) − y) + 2λβ and
    ∇²L = Xᵀ diag(σ(1 − σ)) X + 2λ I, positive definite for λ > 0.
    """
    model, point = model_of("seed-002-logistic.yaml")
    beta, labels = blocks(model, "beta", "y")
    if draw:
        point[beta] = 2 * np.random.default_rng(draw).standard_normal(3)
    matrix_x, lam = model.params["W_z"], float(model.params["lam"])
    s = sigmoid(matrix_x @ point[beta])
    gradient = matrix_x.T @ (s - point[labels]) + 2 * lam * point[beta]
    by_hand = matrix_x.T @ np.diag(s * (1 - s)) @ matrix_x + 2 * lam * np.eye(3)
    result = hessian(model, point, output_nodes(model)[0], wrt=[beta])
    np.testing.assert_allclose(result.gradient, gradient, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(result.matrix, by_hand, rtol=1e-12, atol=1e-13)
    assert convexity(result.matrix).psd
    assert convexity(result.matrix).eigenvalues[0] >= 2 * lam - 1e-12


def test_bilinear_weight_inputs_of_exercise_4c():
    """f = W_v_out·(W_h·x): ∂²f/∂W_h[i][k]∂W_v_out[0][j] = δ_ij x_k, ∂²f/∂x_k∂W_h[i][k'] =
    δ_kk' W_v_out[0][i], ∂²f/∂x_k∂W_v_out[0][i] = W_h[i][k], all else 0 (by hand)."""
    model, point = model_of("exercise-4c-theta.yaml")
    x, wh, wo = (point[b] for b in blocks(model, "x", "W_h", "W_v_out"))
    wh, wo = wh.reshape(3, 4), wo.reshape(1, 3)
    n, m = 4, 3
    by_hand = np.zeros((n + m * n + m,) * 2)
    for k in range(n):
        for i in range(m):
            by_hand[k, n + i * n + k] = wo[0, i]
            by_hand[k, n + m * n + i] = wh[i, k]
            by_hand[n + i * n + k, n + m * n + i] = x[k]
    by_hand = by_hand + by_hand.T
    result = hessian(model, point, output_nodes(model)[0])
    np.testing.assert_array_equal(result.matrix, by_hand)


# -- random node graphs against sympy and differences of the gradient ---------------------------

FUNCTIONS = ["{a} * {b}", "sin({a}) + {b}", "exp({a} / 4) * {b}", "tanh({a} - {b})",
             "{a} / (2 + cos({b}))", "sigmoid({a}) * {b}**2", "softplus({a} * {b})",
             "log(1 + {a}**2) - {b}"]  # fmt: skip


@st.composite
def node_graphs(draw):
    inputs = draw(st.integers(1, 3))
    inner = draw(st.integers(1, 5))
    names = [f"x{i}" for i in range(inputs)]
    g = {}
    for k in range(inner):
        a = draw(st.sampled_from(names))
        b = draw(st.sampled_from(names))
        g[f"v{k}"] = draw(st.sampled_from(FUNCTIONS)).format(a=a, b=b)
        names.append(f"v{k}")
    last = names[-1]
    g["y"] = f"{last} + {draw(st.sampled_from(names))} * {names[0]}"
    graph = {"V": names[:inputs], "D": names[inputs:], "D'": ["y"], "g": g}
    values = draw(st.lists(st.floats(-1.5, 1.5), min_size=inputs, max_size=inputs))
    return graph, values


@settings(max_examples=30, derandomize=True, deadline=None)
@given(node_graphs())
def test_random_node_graphs_agree_with_sympy_and_differences(case):
    graph, values = case
    model = build_model(graph_from_dict(graph))
    point = {b: np.array([v]) for b, v in zip(model.inputs, values, strict=True)}
    node = output_nodes(model)[0]
    result = hessian(model, point, node)
    comparisons = check_hessian(model, point, result, node, list(model.inputs))
    assert [c.name for c in comparisons] == [
        "Hessian vs differences of the gradient",
        "Hessian vs its transpose",
        "Hessian vs sympy (exact)",
    ]
    assert all(c.passed for c in comparisons), comparisons


def test_the_check_fails_on_a_wrong_hessian():
    model, point = model_of("seed-002-logistic.yaml")
    beta = blocks(model, "beta")
    node = output_nodes(model)[0]
    right = hessian(model, point, node, wrt=beta)
    wrong = dataclasses.replace(right, matrix=right.matrix + np.diag([0, 1e-3, 0]))
    verdicts = {c.name: c.passed for c in check_hessian(model, point, wrong, node, beta)}
    assert verdicts == {
        "Hessian vs differences of the gradient": False,
        "Hessian vs its transpose": True,
        "Hessian vs sympy (exact)": False,
    }


@pytest.mark.slow  # several seconds: run with -m slow (README: slow cases and benchmarks)
def test_a_block_output_is_one_node_at_a_time():
    # seed-002-network: f = W2 σ(W1 σ(W0 x0)) has two output nodes; each Hessian w.r.t. x0
    # against differences of the gradient (the graph has 46 nodes: sympy checks it too).
    model, point = model_of("seed-002-network.yaml")
    nodes = output_nodes(model)
    assert [n.name for n in nodes] == ["f[0]", "f[1]"]
    for node in nodes:
        result = hessian(model, point, node)
        assert all(c.passed for c in check_hessian(model, point, result, node, model.inputs))


# -- closed forms --------------------------------------------------------------------------------


def test_closed_form_of_seed_004_by_hand():
    """y = x + 1/(wx + b): ∂y/∂x = 1 − w/u², ∂²y/∂x² = 2w²/u³, ∂²y/∂x∂w = (wx − b)/u³
    (= −1/u² + 2wx/u³), ∂²y/∂b² = 2/u³, with u = wx + b."""
    import sympy

    model, _ = model_of("seed-004-expression.yaml")
    form = closed_form(model, model.outputs[0], 0, list(model.inputs))
    x, w, b = form.inputs
    u = w * x + b
    assert sympy.simplify(form.gradient[0] - (1 - w / u**2)) == 0
    assert sympy.simplify(form.hessian[0][0] - 2 * w**2 / u**3) == 0
    assert sympy.simplify(form.hessian[0][1] - (w * x - b) / u**3) == 0
    assert sympy.simplify(form.hessian[2][2] - 2 / u**3) == 0
    assert form.hessian[0][1] == form.hessian[1][0]


def test_closed_form_of_logistic_keeps_constants_and_shows_parameters_as_numbers():
    model, _ = model_of("seed-002-logistic.yaml")
    form = closed_form(model, model.outputs[0], 0, blocks(model, "beta"))
    text = str(form.hessian[0][0])
    assert "lam" in text
    assert "W_z" not in text
    assert "sigmoid(beta[0] + beta[1]/2 - beta[2])" in text
    assert {str(k): v for k, v in form.constants.items()} == {"lam": 0.1}


# -- convexity helpers ---------------------------------------------------------------------------


def test_convexity_by_hand():
    assert convexity(np.diag([3.0, 0.0])).psd  # semidefinite: zero eigenvalue admitted
    c = convexity(np.array([[1.0, 2.0], [2.0, 1.0]]))  # eigenvalues −1 and 3
    assert c.eigenvalues.tolist() == pytest.approx([-1.0, 3.0])
    assert not c.psd
    assert c.direction.tolist() == pytest.approx([2**-0.5, -(2**-0.5)])
    assert convexity(np.diag([1.0, -1e-12])).psd  # rounding, within 1e-9·max|λ|
    assert not convexity(np.diag([1.0, -1e-6])).psd


def test_points_and_grids():
    base = {0: np.array([5.0]), 1: np.array([1.0, 2.0])}
    drawn = random_points(base, [1], 3, seed=4, radius=2.0)
    expected = 2.0 * np.random.default_rng(4).standard_normal((3, 2))
    assert [p[1].tolist() for p in drawn] == expected.tolist()
    assert all(p[0].tolist() == [5.0] for p in drawn)
    grid = grid_points(
        base, [Axis("a", ((0, 0),), (0.0, 1.0)), Axis("b", ((1, 0), (1, 1)), (7.0,))]
    )
    assert [(p[0].tolist(), p[1].tolist()) for p in grid] == [
        ([0.0], [7.0, 7.0]),
        ([1.0], [7.0, 7.0]),
    ]


# -- the command ---------------------------------------------------------------------------------


def invoke(runner, *args: str):
    return runner.invoke(cli, ["hessian", *args])


def test_cli_json_holds_the_hessian_and_the_verdict(runner):
    result = invoke(runner, str(GRAPHS / "seed-002-logistic.yaml"), "--wrt", "beta", "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    model, point = model_of("seed-002-logistic.yaml")
    direct = hessian(model, point, output_nodes(model)[0], wrt=blocks(model, "beta"))
    assert data["inputs"] == ["beta[0]", "beta[1]", "beta[2]"]
    assert data["hessian"] == direct.matrix.tolist()
    assert data["positive_semidefinite"] is True
    assert data["passed"] is True
    assert len(data["checks"]) == 3


def test_cli_not_convex_exits_0_unless_convexity_is_expected(runner):
    path = str(GRAPHS / "exercise-4c-phi.yaml")
    result = invoke(runner, path, "--wrt", "params")
    assert result.exit_code == 0, result.stderr
    assert "not positive semidefinite: zᵀHz = -0.404953" in result.stdout
    expected = invoke(runner, path, "--wrt", "params", "--expect-convex")
    assert expected.exit_code == 1
    assert expected.stderr.startswith("Error: --expect-convex")


def test_cli_survey_names_the_first_failing_point(runner):
    path = str(GRAPHS / "seed-004-expression.yaml")
    result = invoke(runner, path, "--grid", "x=-1:1:3", "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    # y = x + 1/u with u = wx + b: ∂²y/∂b² = 2/u³ < 0 where u < 0, i.e. at x = −1 (u = −0.4).
    assert [p["x"] for p in data["points"]] == [-1.0, 0.0, 1.0]
    assert data["first_failure"] == 1
    logistic = invoke(runner, str(GRAPHS / "seed-002-logistic.yaml"), "--wrt", "beta",
                      "--points", "20", "--radius", "3", "--expect-convex")  # fmt: skip
    assert logistic.exit_code == 0, logistic.stderr
    assert "convex on these 20 points" in logistic.stdout


def test_cli_symbolic_latex(runner):
    result = invoke(runner, str(GRAPHS / "seed-004-expression.yaml"), "--symbolic", "--latex")
    assert result.exit_code == 0, result.stderr
    assert r"\frac{2 w^{2}}{\left(b + w x\right)^{3}}" in result.stdout


# -- the README's examples -----------------------------------------------------------------------


def readme_hessian_examples() -> list[tuple[list[str], str]]:
    """Each ``$ graphcost hessian ...`` line of the README with the output pasted below it."""
    import shlex

    from tests.conftest import ROOT

    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    examples = []
    for i, line in enumerate(lines):
        if line.startswith("$ graphcost hessian "):
            end = lines.index("```", i)
            examples.append((shlex.split(line[2:])[1:], "\n".join(lines[i + 1 : end])))
    return examples


def test_the_readme_has_hessian_examples():
    assert len(readme_hessian_examples()) >= 4


@pytest.mark.parametrize(("words", "pasted"), readme_hessian_examples(), ids=str)
def test_readme_output_is_what_the_command_prints(runner, words: list[str], pasted: str):
    result = runner.invoke(cli, words)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.rstrip("\n") == pasted
    for fmt in ("latex", "markdown"):
        typeset = runner.invoke(cli, [*words, "--format", fmt])
        assert typeset.exit_code == 0, typeset.stderr
        assert fmt != "latex" or typeset.stdout.isascii()
