"""Gradients with respect to weights (issue 11, points 6 and 7): a layer op reads its weight
``W_<block>`` and bias ``b_<block>`` from input blocks of those names.

References written plainly here: seed 001's closed form of ∇_{W_l} C and ∇_{b_l} C, central
differences of seed 002's f = W2 σ(W1 σ(W0 x0)) with respect to each W_l, Exercise 4c's ∇_θ f
by hand, and the elimination count for the multiplications the recursions perform.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphcost.cli import cli
from graphcost.count.chain import jacobian_chain
from graphcost.count.recursions import count
from graphcost.errors import UsageError
from graphcost.graph.loader import graph_from_dict, load_graph
from graphcost.graph.wrt import with_respect_to
from graphcost.numeric.build import build_model, input_values
from graphcost.numeric.checks import check_jacobians
from graphcost.numeric.evaluate import evaluate, local_jacobians
from graphcost.numeric.propagation import backward, forward
from tests.conftest import GRAPHS

WIDE = {"COLUMNS": "200"}

SEED_001 = GRAPHS / "mlp-relu-params.yaml"
EXERCISE_4C = GRAPHS / "exercise-4c-theta.yaml"
MLP = GRAPHS / "mlp-weights.yaml"
MLP_SMALL = GRAPHS / "mlp-weights-small.yaml"
SMALL = [SEED_001, EXERCISE_4C, MLP_SMALL]
NEW = [*SMALL, MLP]


def gradient(model, jacobian: np.ndarray, name: str) -> np.ndarray:
    """The columns of input block ``name`` of a one-row Jacobian, in the block's shape."""
    start = 0
    for block in model.inputs:
        size = model.sizes[block]
        if model.graph.blocks[block].name == name:
            return jacobian[:, start : start + size].reshape(-1, *model.shapes[block])
        start += size
    raise KeyError(name)


def run_both(model, point):
    values = evaluate(model, point)
    return forward(model, point, values=values), backward(model, point, values=values)


# --- seed 001: ∇_{b_l} C and ∇_{W_l} C in closed form ----------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_seed_001_closed_form(seed: int) -> None:
    model = build_model(load_graph(SEED_001), seed=seed)
    point, _ = input_values(model, seed=seed)
    values = {model.graph.blocks[b].name: v for b, v in point.items()}
    x, y = values["x"], 1.0
    W1, b1 = values["W_f1"].reshape(5, 6), values["b_f1"]
    W2, b2 = values["W_f2"].reshape(4, 5), values["b_f2"]
    W3, b3 = values["W_f3"].reshape(1, 4), values["b_f3"]
    pos = lambda v: (v > 0).astype(float)  # noqa: E731 - seed 001's pos
    f1 = W1 @ x + b1
    z1 = np.maximum(f1, 0)
    f2 = W2 @ z1 + b2
    z2 = np.maximum(f2, 0)
    f3 = W3 @ z2 + b3
    # Seed 001 (N = 1): ∇_{b_l} C = -y/(1 + exp(y f_L))·(Π_{k=0}^{L-l-1} W_{L-k}
    # diag(pos(z_{L-k-1})))ᵀ and ∇_{W_l} C = the same times z_{l-1}ᵀ (pos(z_l) = pos(f_l)).
    scale = -y / (1 + np.exp(y * f3[0]))
    grad_b3 = np.array([scale])
    grad_b2 = scale * (W3 @ np.diag(pos(z2))).T[:, 0]
    grad_b1 = scale * (W3 @ np.diag(pos(z2)) @ W2 @ np.diag(pos(z1))).T[:, 0]
    expected = {
        "b_f3": grad_b3,
        "b_f2": grad_b2,
        "b_f1": grad_b1,
        "W_f3": np.outer(grad_b3, z2),
        "W_f2": np.outer(grad_b2, z1),
        "W_f1": np.outer(grad_b1, x),
    }
    ahead, behind = run_both(model, point)
    for name, closed in expected.items():
        np.testing.assert_allclose(gradient(model, behind.jacobian, name)[0], closed, atol=1e-13)
        np.testing.assert_allclose(gradient(model, ahead.jacobian, name)[0], closed, atol=1e-13)
    assert np.any(grad_b1)  # some relu unit is active: the check is not vacuous


# --- seed 002: df/dW_l against central differences --------------------------------------------

SEED_002 = {
    "symbols": {"h0": 2, "h1": 10, "h2": 10, "h3": 2},
    "V": {"x0": "h0", "W_z1": ["h1", "h0"], "W_z2": ["h2", "h1"], "W_f": ["h3", "h2"]},
    "D": {"z1": "h1", "x1": "h1", "z2": "h2", "x2": "h2"},
    "D'": {"f": "h3"},
    "g": {
        "z1": "linear(x0)",
        "x1": "sigmoid(z1)",
        "z2": "linear(x1)",
        "x2": "sigmoid(z2)",
        "f": "linear(x2)",
    },
}


def seed_002_f(x0: np.ndarray, W0: np.ndarray, W1: np.ndarray, W2: np.ndarray) -> np.ndarray:
    sigma = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    return W2 @ sigma(W1 @ sigma(W0 @ x0))


@pytest.mark.parametrize("seed", range(4))
def test_seed_002_df_dW_by_central_differences(seed: int) -> None:
    model = build_model(graph_from_dict(SEED_002))
    rng = np.random.default_rng(seed)
    # The seed's test data: x ~ randn(2), W_l ~ rand(h_{l+1}, h_l)/√h_{l+1}.
    x0 = rng.standard_normal(2)
    Ws = [rng.random((10, 2)) / np.sqrt(10), rng.random((10, 10)) / np.sqrt(10)]
    Ws.append(rng.random((2, 10)) / np.sqrt(2))
    names = ["W_z1", "W_z2", "W_f"]
    index = model.graph.index
    point = {index["x0"]: x0, **{index[n]: W.reshape(-1) for n, W in zip(names, Ws, strict=True)}}
    ahead, behind = run_both(model, point)
    h = 1e-6
    for position, name in enumerate(names):
        W = Ws[position]
        reference = np.zeros((2, *W.shape))  # the Jacobian tensor df/dW_l: f index, then W's
        for i, j in np.ndindex(*W.shape):
            plus, minus = [w.copy() for w in Ws], [w.copy() for w in Ws]
            plus[position][i, j] += h
            minus[position][i, j] -= h
            reference[:, i, j] = (seed_002_f(x0, *plus) - seed_002_f(x0, *minus)) / (2 * h)
        for result in (ahead, behind):
            np.testing.assert_allclose(gradient(model, result.jacobian, name), reference, atol=1e-9)


# --- Exercise 4c: ∇_θ f by hand -----------------------------------------------------------------


def test_exercise_4c_gradient_by_hand() -> None:
    # f = Σ_v Σ_v' θ_{v'out} θ_{vv'} x_v with θ_{vv'} = W_h[v', v], θ_{v'out} = W_v_out[0, v']:
    # ∂f/∂θ_{vv'} = θ_{v'out} x_v and ∂f/∂θ_{v'out} = Σ_v θ_{vv'} x_v.
    model = build_model(load_graph(EXERCISE_4C))
    rng = np.random.default_rng(3)
    x, theta_h, theta_out = rng.standard_normal(4), rng.standard_normal((3, 4)), rng.random(3)
    index = model.graph.index
    point = {index["x"]: x, index["W_h"]: theta_h.reshape(-1), index["W_v_out"]: theta_out}
    ahead, behind = run_both(model, point)
    by_hand_h = np.array([[theta_out[vp] * x[v] for v in range(4)] for vp in range(3)])
    by_hand_out = np.array([sum(theta_h[vp, v] * x[v] for v in range(4)) for vp in range(3)])
    for result in (ahead, behind):
        np.testing.assert_allclose(gradient(model, result.jacobian, "W_h")[0], by_hand_h)
        np.testing.assert_allclose(gradient(model, result.jacobian, "W_v_out")[0, 0], by_hand_out)
    # Counts by hand: each h_i has the n inputs x and the n entries of row i of W_h as input
    # ancestors, one successor, and n + n predecessors: forward = backward = 2mn = 24.
    assert ahead.multiplications == behind.multiplications == 2 * 3 * 4


def test_weight_factor_is_not_materialised() -> None:
    # ∂h_i/∂W_ik = x_k: the factor of the edge W → h holds the m values of x, not n·m·n.
    graph = load_graph(MLP_SMALL)
    model = build_model(graph)
    point, _ = input_values(model)
    values = evaluate(model, point)
    for factor in local_jacobians(model, values):
        source = graph.blocks[factor.src].name
        if source.startswith("W_"):
            assert factor.row
            assert factor.value.ndim == 1
            assert factor.value.size * model.sizes[factor.dst] == model.sizes[factor.src]


# --- performed = counted ------------------------------------------------------------------------


def performed_equals_counted(graph, model, point):
    """Run both recursions; assert each performed what the elimination convention counts, at
    block and at node level. Returns the two propagations."""
    ahead, behind = run_both(model, point)
    for level in ("block", "node"):
        counted = count(graph, level=level)
        assert ahead.multiplications == counted.forward.multiplications
        assert behind.multiplications == counted.backward.multiplications
    return ahead, behind


@pytest.mark.parametrize("path", SMALL, ids=lambda p: p.stem)
@pytest.mark.parametrize("seed", [0, 1])
def test_performed_equals_counted(path, seed: int) -> None:
    graph = load_graph(path)
    model = build_model(graph, seed=seed)
    point, _ = input_values(model, seed=seed)
    ahead, behind = performed_equals_counted(graph, model, point)
    chain = jacobian_chain(graph)
    assert sum(f.forward_multiplications for f in chain) == ahead.multiplications
    assert sum(f.backward_multiplications for f in chain) == behind.multiplications
    comparisons, _, _ = check_jacobians(model, point)
    assert all(c.passed for c in comparisons), comparisons


def test_mlp_small_figures() -> None:
    # The 8-6-4-2 copy, with respect to everything: 1,338 forward and 328 backward.
    counted = count(load_graph(MLP_SMALL))
    assert (counted.forward.multiplications, counted.backward.multiplications) == (1338, 328)


#: Scalar node functions for the elementwise blocks of the random graphs.
TERMS = ("{}", "sin({})", "tanh({})", "sigmoid({})", "({}**2)")


@st.composite
def parameter_graphs(draw: st.DrawFn) -> dict:
    """Random block graphs whose layer ops read some weights and biases from input blocks;
    later blocks may use those inputs too (elementwise on W's shape, or as a layer's parent)."""
    shapes: dict[str, list[int]] = {}
    inputs: dict = {}
    for i in range(draw(st.integers(1, 2))):
        size = draw(st.integers(1, 4))
        inputs[f"x{i}"], shapes[f"x{i}"] = size, [size]
    middle: dict = {}
    g: dict[str, str] = {}
    for i in range(draw(st.integers(0, 3)) + 1):
        name = f"b{i}"
        pool = list(inputs) + list(middle)
        if draw(st.booleans()):
            parents = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=2, unique=True))
            op = draw(st.sampled_from(["linear", "affine"]))
            size = draw(st.integers(1, 4))
            middle[name], shapes[name] = size, [size]
            g[name] = f"{op}({', '.join(parents)})"
            vectors = all(len(shapes[p]) == 1 for p in parents)
            for p in parents:
                if vectors and draw(st.booleans()):
                    weight = f"W_{name}" if len(parents) == 1 else f"W_{name}_{p}"
                    inputs[weight] = shapes[weight] = [size, shapes[p][0]]
            if op == "affine" and vectors and draw(st.booleans()):
                inputs[f"b_{name}"], shapes[f"b_{name}"] = size, [size]
        else:
            first = draw(st.sampled_from(pool))
            same = [p for p in pool if shapes[p] == shapes[first] and p != first]
            extra = draw(st.lists(st.sampled_from(same), max_size=1)) if same else []
            parents = [first, *extra]
            shape = shapes[first]
            middle[name], shapes[name] = (shape[0] if len(shape) == 1 else shape), shape
            g[name] = " * ".join(draw(st.sampled_from(TERMS)).format(p) for p in parents)
    last = list(middle)[-1]
    return {"V": inputs, "D": middle, "D'": {last: middle.pop(last)}, "g": g}


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(parameter_graphs(), st.integers(0, 3), st.data())
def test_random_graphs_with_weight_inputs(data: dict, seed: int, draw: st.DataObject) -> None:
    graph = graph_from_dict(data)
    model = build_model(graph, seed=seed)
    point, _ = input_values(model, seed=seed)
    performed_equals_counted(graph, model, point)
    comparisons, _, _ = check_jacobians(model, point)
    assert all(c.passed for c in comparisons), comparisons
    # --wrt: some inputs only; the recursions perform what analyze --wrt counts.
    names = [graph.blocks[b].name for b in model.inputs]
    chosen = draw.draw(st.lists(st.sampled_from(names), min_size=1, unique=True))
    try:
        differentiated = with_respect_to(graph, chosen)
    except UsageError:  # no output depends on the chosen inputs
        return
    wrt = [graph.index[name] for name in chosen]
    values = evaluate(model, point)
    ahead = forward(model, point, values=values, wrt=wrt)
    behind = backward(model, point, values=values, wrt=wrt)
    counted = count(differentiated)
    assert ahead.multiplications == counted.forward.multiplications
    assert behind.multiplications == counted.backward.multiplications
    comparisons, _, _ = check_jacobians(model, point, wrt=wrt)
    assert all(c.passed for c in comparisons), comparisons


# --- the shipped graphs and the commands ----------------------------------------------------------


@pytest.mark.parametrize("path", NEW, ids=lambda p: p.stem)
def test_new_graphs_load_and_count(path) -> None:
    graph = load_graph(path)
    assert graph.definitions is not None
    counted = count(graph)
    assert not counted.approximate
    assert counted.backward.multiplications < counted.forward.multiplications or path == EXERCISE_4C


def test_mlp_block_level_equals_nodes_on_the_small_copy() -> None:
    graph = load_graph(MLP_SMALL)
    block, node = count(graph, level="block"), count(graph, level="node")
    assert block.forward == node.forward
    assert block.backward == node.backward


@pytest.mark.parametrize("path", SMALL, ids=lambda p: p.stem)
def test_check_passes(runner, path) -> None:
    result = runner.invoke(cli, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert "row-major order W[i][j]" in result.output
    assert result.output.rstrip().endswith("PASS")


def test_trace_json_gives_gradients_in_the_weights_shape(runner) -> None:
    result = runner.invoke(cli, ["trace", str(EXERCISE_4C), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    gradients = data["gradients"]["v_out"]
    assert np.array(gradients["W_h"]).shape == (3, 4)
    assert np.array(gradients["W_v_out"]).shape == (1, 3)
    assert "W_h[2][3]" in data["inputs"]


def test_matrix_input_given_as_nested_lists(runner) -> None:
    W = [[1, 0, 0, 0], [0, 2, 0, 0], [0, 0, 3, 0]]
    data = {
        "symbols": {"n": 4, "m": 3},
        "V": {"x": "n", "W_h": ["m", "n"]},
        "D'": {"h": "m"},
        "g": {"h": "linear(x)"},
        "at": {"x": [1, 1, 1, 1], "W_h": W},
    }
    model = build_model(graph_from_dict(data))
    point, _ = input_values(model)
    assert evaluate(model, point)[model.graph.index["h"]].tolist() == [1.0, 2.0, 3.0]


def test_jacobians_lists_the_weight_factors(runner) -> None:
    result = runner.invoke(cli, ["jacobians", str(SEED_001), "--format", "json"])
    assert result.exit_code == 0, result.output
    factors = json.loads(result.output)["factors"]
    weights = [f["factor"] for f in factors if f["weight"]]
    assert weights == ["df1/dW_f1", "df1/db_f1", "df2/dW_f2", "df2/db_f2", "df3/dW_f3", "df3/db_f3"]
    counted = count(load_graph(SEED_001))
    assert sum(f["forward_multiplications"] for f in factors) == counted.forward.multiplications
    assert sum(f["backward_multiplications"] for f in factors) == counted.backward.multiplications


@pytest.mark.parametrize(
    "wrt",
    ["params", "x", "x,W_h1", "W_h2,b_h2", "W_y,b_y", "b_h1", "x,W_h1,b_h1,W_h2,b_h2,W_y,b_y"],
)
def test_jacobians_with_respect_to_some_inputs_add_up_to_analyze(runner, wrt: str) -> None:
    # Two computations: the chain's factors (counted one by one on the graph --wrt keeps) and
    # analyze's counts of that graph.
    path = GRAPHS / "mlp-weights-small.yaml"
    result = runner.invoke(cli, ["jacobians", str(path), "--wrt", wrt, "--format", "json"])
    assert result.exit_code == 0, result.output
    factors = json.loads(result.output)["factors"]
    names = "W_h1,b_h1,W_h2,b_h2,W_y,b_y" if wrt == "params" else wrt
    counted = count(with_respect_to(load_graph(path), names.split(",")))
    assert sum(f["forward_multiplications"] for f in factors) == counted.forward.multiplications
    assert sum(f["backward_multiplications"] for f in factors) == counted.backward.multiplications
    chosen = set(wrt.split(",")) if wrt != "params" else None
    for f in factors:
        source = f["factor"].split("/d")[1]
        if chosen is not None and f["weight"] and source not in chosen:
            assert f["constant"], f  # a weight not chosen carries no derivative


def test_jacobians_with_respect_to_weights_only_shows_them(runner) -> None:
    path = GRAPHS / "mlp-weights-small.yaml"
    result = runner.invoke(cli, ["jacobians", str(path), "--wrt", "W_h2,b_h2"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("mlp-weights-small — ∂y/∂(W_h2, b_h2), with ∂y/∂x = ")
    assert "with respect to W_h2, b_h2 only (--wrt)" in result.output
    assert "│ ∂h1/∂x    │" in result.output
    bad = runner.invoke(cli, ["jacobians", str(path), "--wrt", "nope"])
    assert bad.exit_code == 2
    assert bad.stderr.startswith("Error: --wrt: unknown input 'nope'")


def test_single_node_weights_and_their_rules(runner) -> None:
    # Node level: y = sin(W_h·x + b_h); the weight and bias are single nodes, the rules say
    # ∂h/∂W_h = x and ∂h/∂b_h = 1.
    data = {
        "V": ["x", "W_h", "b_h"],
        "D": ["h"],
        "D'": ["y"],
        "g": {"h": "affine(x)", "y": "sin(h)"},
        "at": {"x": 2, "W_h": 3, "b_h": 1},
    }
    model = build_model(graph_from_dict(data))
    point, _ = input_values(model)
    ahead, behind = run_both(model, point)
    expected = np.cos(7.0) * np.array([[3.0, 2.0, 1.0]])
    np.testing.assert_allclose(behind.jacobian, expected)
    np.testing.assert_allclose(ahead.jacobian, expected)
    assert ahead.multiplications == behind.multiplications == 3
    from graphcost.numeric.rules import chain_rules

    assert chain_rules(model, "backward")[1] == "W̄_h = h̄·x"


@pytest.mark.parametrize(
    ("wrt", "figures"),
    [("params", (1002, 232)), ("W_h1", (816, 164)), ("x", (336, 164))],
)
def test_check_with_respect_to_weights(runner, wrt: str, figures: tuple[int, int]) -> None:
    # The 8-6-4-2 MLP: performed = analyze --wrt (forward, backward), and the check passes.
    result = runner.invoke(cli, ["check", str(MLP_SMALL), "--wrt", wrt, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["result"] == "PASS"
    analyzed = runner.invoke(cli, ["analyze", str(MLP_SMALL), "--wrt", wrt, "--format", "json"])
    data = json.loads(analyzed.output)
    assert (data["forward"]["multiplications"], data["backward"]["multiplications"]) == figures
    traced = runner.invoke(cli, ["trace", str(MLP_SMALL), "--wrt", wrt, "--format", "json"])
    trace = json.loads(traced.output)
    assert trace["multiplications"] == trace["elimination_count"] == figures[1]
    assert set(trace["gradients"]["y[0]"]) == set(data["wrt"]["independent"])
