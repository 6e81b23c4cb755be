"""The ONNX importer (issue 12, point 3): models built with ``onnx.helper`` in the tests.

Each model is checked three ways: the input→output reachability of the node-level expansion
equals the non-zero pattern of the Jacobian that finite differences give with
``onnx.reference.ReferenceEvaluator`` at a random point (a superset, strictly, where the
importer says an edge is over-approximated); block-level forward and backward counts equal
the node-level ones; and the MLP's counts equal a hand derivation.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402

from graphcost.eliminate.problem import elimination_problem  # noqa: E402
from graphcost.eliminate.strategies import run_strategy  # noqa: E402
from graphcost.errors import GraphValidationError, UsageError  # noqa: E402
from graphcost.graph.loader import graph_from_dict  # noqa: E402
from graphcost.graph.model import INPUT, OUTPUT, Graph  # noqa: E402
from graphcost.graph.shifts import shifted_edges  # noqa: E402
from graphcost.importers.onnxmodel import graph_from_onnx  # noqa: E402
from graphcost.importers.onnxrecord import names_for  # noqa: E402
from graphcost.jacobian.expansion import expand  # noqa: E402
from tests.conftest import ROOT  # noqa: E402

F64 = TensorProto.DOUBLE
OVER = "Over-approximated edges"


def make_model(nodes, inputs, outputs, initializers=(), opset=17):
    """A model from nodes, ``{name: shape}`` inputs and outputs (float64) and initializers."""
    return helper.make_model(
        helper.make_graph(
            nodes,
            "t",
            [helper.make_tensor_value_info(k, F64, s) for k, s in inputs.items()],
            [helper.make_tensor_value_info(k, F64, s) for k, s in outputs.items()],
            list(initializers),
        ),
        opset_imports=[helper.make_opsetid("", opset)],
    )


def tensor(name, array, dtype=np.float64):
    return numpy_helper.from_array(np.asarray(array, dtype=dtype), name)


def node(op, inputs, outputs, **attributes):
    return helper.make_node(op, inputs, outputs, **attributes)


# ---- the two independent computations -----------------------------------------------------
def reachability(graph: Graph) -> np.ndarray:
    """R[i, o]: whether output node o is reached from input node i in the expansion (inputs
    and outputs in the graph's block order, row-major within a block)."""
    nodes = expand(graph, graph.sizes(), graph.shapes())
    offsets = nodes.offsets.tolist()

    def nodes_with(role: str) -> list[int]:
        return [
            n
            for b, block in enumerate(graph.blocks)
            if block.role == role
            for n in range(offsets[b], offsets[b + 1])
        ]

    preds: list[list[int]] = [[] for _ in range(nodes.node_count)]
    for s, d in zip(nodes.src.tolist(), nodes.dst.tolist(), strict=True):
        preds[d].append(s)
    reach = [0] * nodes.node_count  # bit k: reached from the k-th input node
    for k, n in enumerate(nodes_with(INPUT)):
        reach[n] = 1 << k
    for n in sorted(range(nodes.node_count), key=lambda n: int(nodes.level[n])):
        for p in preds[n]:
            reach[n] |= reach[p]
    inputs, outputs = nodes_with(INPUT), nodes_with(OUTPUT)
    return np.array([[bool(reach[o] >> k & 1) for o in outputs] for k in range(len(inputs))])


def jacobian_pattern(model, chosen: list[str], seed: int = 0) -> np.ndarray:
    """P[i, o]: whether output entry o moves with input entry i (central differences at a
    random point; every chosen initializer becomes a graph input to be perturbed)."""
    model = _with_inputs(model, chosen)
    evaluator = ReferenceEvaluator(model)
    shapes = {
        v.name: [d.dim_value for d in v.type.tensor_type.shape.dim] for v in model.graph.input
    }
    return difference_pattern(lambda feeds: evaluator.run(None, feeds), shapes, chosen, seed)


def difference_pattern(function, shapes: dict, chosen: list[str], seed: int) -> np.ndarray:
    """The non-zero pattern of ``function``'s Jacobian (inputs ``shapes``, outputs a list of
    arrays) with respect to ``chosen``, by central differences at a random point."""
    rng = np.random.default_rng(seed)
    feeds = {k: np.asarray(rng.uniform(0.5, 1.5, s)) for k, s in shapes.items()}  # relu: > 0

    def run(values):
        return np.concatenate([np.ravel(y) for y in function(values)])

    columns = []
    for name in chosen:
        for k in range(feeds[name].size):
            up, down = dict(feeds), dict(feeds)
            up[name], down[name] = feeds[name].copy(), feeds[name].copy()
            up[name].flat[k] += 1e-6
            down[name].flat[k] -= 1e-6
            columns.append((run(up) - run(down)) / 2e-6)
    jacobian = np.array(columns)
    return np.abs(jacobian) > 1e-7 * max(1.0, float(np.abs(jacobian).max()))


def _with_inputs(model, names):
    """A copy of ``model`` whose initializers among ``names`` are graph inputs instead."""
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    moved = [t for t in copy.graph.initializer if t.name in names]
    kept = [t for t in copy.graph.initializer if t.name not in names]
    del copy.graph.initializer[:]
    copy.graph.initializer.extend(kept)
    for t in moved:
        copy.graph.input.append(helper.make_tensor_value_info(t.name, t.data_type, t.dims))
    order = {name: k for k, name in enumerate(names)}
    inputs = sorted(copy.graph.input, key=lambda v: order.get(v.name, -1))
    del copy.graph.input[:]
    copy.graph.input.extend(inputs)
    return copy


# ---- the models ----------------------------------------------------------------------------
W1 = np.linspace(0.2, 1.1, 12).reshape(4, 3)
W2 = np.linspace(0.3, 0.9, 8).reshape(4, 2)
#: x [2, 3] → Gemm(W1ᵀ, b1) → relu → Gemm(W2, b2) → y [2, 2] (transB and no transB)
MLP = make_model(
    [
        node("Gemm", ["x", "W1", "b1"], ["h"], transB=1),
        node("Relu", ["h"], ["z"]),
        node("Gemm", ["z", "W2", "b2"], ["y"]),
    ],
    {"x": [2, 3]},
    {"y": [2, 2]},
    [tensor("W1", W1), tensor("b1", [0.1, 0.2, 0.3, 0.4]), tensor("W2", W2), tensor("b2", [1, 2])],
)


def binary(op, a, b, out, **attributes):
    return make_model([node(op, ["a", "b"], ["y"], **attributes)], {"a": a, "b": b}, {"y": out})


def unary(ops, x, out, initializers=(), opset=17):
    """A chain of one-operand nodes (each ``(op, extra_operands, attributes)``) from x to y."""
    nodes, value = [], "x"
    for k, (op, extra, attributes) in enumerate(ops):
        result = "y" if k == len(ops) - 1 else f"t{k}"
        nodes.append(node(op, [value, *extra], [result], **attributes))
        value = result
    return make_model(nodes, {"x": x}, {"y": out}, initializers, opset)


MODELS = {
    "mlp gemm relu": MLP,
    "matmul batched": binary("MatMul", [2, 3, 4], [2, 4, 2], [2, 3, 2]),
    "matmul broadcast batch": binary("MatMul", [2, 1, 3, 4], [3, 4, 2], [2, 3, 3, 2]),
    "matmul vector left": binary("MatMul", [4], [2, 4, 3], [2, 3]),
    "matmul vector right": binary("MatMul", [2, 3, 4], [4], [2, 3]),
    "matmul same operand": make_model(
        [node("MatMul", ["a", "a"], ["y"])], {"a": [3, 3]}, {"y": [3, 3]}
    ),
    "add broadcast": binary("Add", [3, 1], [4], [3, 4]),
    "mul scalar": binary("Mul", [2, 3], [], [2, 3]),
    "softmax axis 1": unary([("Softmax", [], {"axis": 1})], [2, 3, 2], [2, 3, 2]),
    "logsoftmax tanh": unary([("Tanh", [], {}), ("LogSoftmax", [], {"axis": 0})], [3, 2], [3, 2]),
    "transpose default": unary([("Transpose", [], {}), ("Exp", [], {})], [2, 3, 4], [4, 3, 2]),
    "transpose then merge": unary(
        [("Transpose", [], {"perm": [2, 0, 1]}), ("Reshape", ["s"], {})],
        [2, 3, 2],
        [2, 6],
        [tensor("s", [2, 6], np.int64)],
    ),
    "unsqueeze squeeze": unary(
        [("Unsqueeze", ["ax"], {}), ("Sigmoid", [], {}), ("Squeeze", ["ax"], {})],
        [2, 3],
        [2, 3],
        [tensor("ax", [1], np.int64)],
    ),
    "flatten": unary([("Flatten", [], {"axis": 1}), ("Sqrt", [], {})], [2, 2, 2], [2, 4]),
    "flatten size 1": unary([("Flatten", [], {"axis": 2})], [2, 3, 1], [6, 1]),
    "flatten drops a 1": unary([("Flatten", [], {"axis": 1})], [2, 1, 3], [2, 3]),
    "reducesum keepdims": unary(
        [("ReduceSum", ["ax"], {"keepdims": 1})],
        [2, 3, 4],
        [2, 1, 4],
        [tensor("ax", [1], np.int64)],
    ),
    "reducemean axes attribute": unary(
        [("Log", [], {}), ("ReduceMean", [], {"axes": [0, 2], "keepdims": 0})], [2, 3, 2], [3]
    ),
    "reducesum all": unary([("ReduceSum", [], {"keepdims": 0})], [2, 3], []),
    "concat": binary("Concat", [2, 3], [1, 3], [3, 3], axis=0),
    "slice": unary(
        [("Slice", ["st", "en"], {})],
        [4, 3],
        [2, 3],
        [tensor("st", [1], np.int64), tensor("en", [3], np.int64)],
    ),
    "identity neg abs": unary([("Identity", [], {}), ("Neg", [], {}), ("Abs", [], {})], [3], [3]),
    "slice from the end, strided": unary(
        [("Exp", [], {}), ("Slice", ["st", "en", "ax", "sp"], {})],
        [3, 7],
        [3, 4],
        [
            tensor("st", [-1], np.int64),
            tensor("en", [-8], np.int64),
            tensor("ax", [1], np.int64),
            tensor("sp", [-2], np.int64),
        ],
    ),
    "pad": unary(  # (the reference's np.pad cannot crop: the JAX tests cover a negative pad)
        [("Sin", [], {}), ("Pad", ["pads"], {})],
        [3, 4],
        [4, 7],
        [tensor("pads", [1, 2, 0, 1], np.int64)],
    ),
}
#: Models with an edge the importer holds as full (a merging reshape, an operand used twice);
#: Concat, Slice and Pad have shifted signatures, exact at node level.
OVER_APPROXIMATED = {
    "transpose then merge",
    "flatten",
    "flatten size 1",
    "matmul same operand",
}


def inputs_of(model) -> list[str]:
    return [v.name for v in model.graph.input]


@pytest.mark.parametrize("name", list(MODELS))
def test_reachability_is_the_jacobian_pattern(name: str) -> None:
    model = MODELS[name]
    data = graph_from_onnx(model)
    pattern = jacobian_pattern(model, inputs_of(model))
    reached = reachability(graph_from_dict(data))
    assert reached.shape == pattern.shape
    assert (reached | pattern).tolist() == reached.tolist()  # every dependency is an edge path
    if name in OVER_APPROXIMATED:
        assert OVER in data["description"]
        assert data["upper_bounds"]
        assert reached.sum() > pattern.sum()  # strictly more: the note is not for nothing
    else:
        assert OVER not in data["description"]
        assert "upper_bounds" not in data
        assert reached.tolist() == pattern.tolist()


def test_softmax_before_opset_13_couples_every_dimension_from_axis_on() -> None:
    """Softmax-1/11 coerce the input to 2-D ([a0·…·a(k-1), ak·…·a(n-1)]) and normalise each
    row. ReferenceEvaluator applies the opset-13 meaning at every opset, so the reference here
    is that definition written in numpy."""

    def softmax_11(feeds):
        x = feeds["x"].reshape(2, 6)
        e = np.exp(x - x.max(axis=1, keepdims=True))
        return [(e / e.sum(axis=1, keepdims=True)).reshape(2, 3, 2)]

    model = unary([("Softmax", [], {"axis": 1})], [2, 3, 2], [2, 3, 2], opset=11)
    pattern = difference_pattern(softmax_11, {"x": [2, 3, 2]}, ["x"], seed=0)
    assert reachability(graph_from_dict(graph_from_onnx(model))).tolist() == pattern.tolist()


def test_params_reachability_is_the_jacobian_pattern() -> None:
    data = graph_from_onnx(MLP, wrt="params")
    assert list(data["V"]) == ["x", "W1", "b1", "W2", "b2"]
    pattern = jacobian_pattern(MLP, list(data["V"]), seed=1)
    assert reachability(graph_from_dict(data)).tolist() == pattern.tolist()


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("wrt", ["inputs", "params"])
@pytest.mark.parametrize("strategy", ["forward", "backward"])
def test_block_counts_equal_node_counts(name: str, wrt: str, strategy: str) -> None:
    graph = graph_from_dict(graph_from_onnx(MODELS[name], wrt=wrt))
    block = run_strategy(elimination_problem(graph, level="block"), strategy).cost
    node_level = run_strategy(elimination_problem(graph, level="node"), strategy).cost
    if shifted_edges(graph):  # block level holds the shifted edges' supersets, and says so
        assert set(block.approximate) >= set(shifted_edges(graph))
        assert block.multiplications >= node_level.multiplications
        return
    assert (block.multiplications, block.additions) == (
        node_level.multiplications,
        node_level.additions,
    )


def counts(data: dict, values: dict | None = None) -> tuple[int, int]:
    problem = elimination_problem(graph_from_dict(data), values)
    return tuple(run_strategy(problem, s).cost.multiplications for s in ("forward", "backward"))


def test_mlp_counts_by_hand() -> None:
    """x [2,3] → h [2,4] → z [2,4] → y [2,2]; edges x→h 'ac->ab' (each h[r,i] from the 3
    x[r,k]: 2·4·3 = 24 partials), h→z diag (8), z→y 'ac->ab' (each y[r,j] from the 4 z[r,i]:
    2·2·4 = 16).
    Forward eliminates h, then z. h: one product per path x[r,k]→h[r,i]→z[r,i], 24; z: one
    per path x[r,k]→z[r,i]→y[r,j], 2·3·4·2 = 48. Total 72.
    Backward eliminates z, then h. z: one per path h[r,i]→z[r,i]→y[r,j], 2·4·2 = 16; h: one
    per path x[r,k]→h[r,i]→y[r,j], 48. Total 64.
    """
    assert counts(graph_from_onnx(MLP)) == (72, 64)


def test_mlp_params_counts_by_hand() -> None:
    """With W1 [4,3], b1 [4], W2 [4,2], b2 [2] as inputs too (batch 2). Partials into h:
    x 24, W1 'bc->ab' (each h[r,i] from W1[i,k]: 2·4·3 = 24), b1 'b->ab' (8); into y:
    z 16, W2 'cb->ab' (each y[r,j] from W2[i,j]: 2·2·4 = 16), b2 4.
    Forward: eliminate h: (24 + 24 + 8)·1 = 56; eliminate z: (x→z, W1→z, b1→z have 24, 24,
    8 entries, each times 2 partials to y) = 112. Total 168.
    Backward: eliminate z: h→y 16; eliminate h: the 56 entries into h, each times 2: 112.
    Total 128 (W2, b2 are adjacent to y: nothing to eliminate for them)."""
    assert counts(graph_from_onnx(MLP, wrt="params")) == (168, 128)


def test_mlp_params_equal_the_hand_written_graph() -> None:
    """The same graph written as YAML data by hand, signatures chosen from the formulas."""
    by_hand = {
        "V": {"x": [2, 3], "W1": [4, 3], "b1": [4], "W2": [4, 2], "b2": [2]},
        "D": {"h": [2, 4], "z": [2, 4]},
        "D'": {"y": [2, 2]},
        "E": [
            ["x", "h", "rk->ri"],  # h[r,i] = Σ_k x[r,k] W1[i,k] + b1[i]
            ["W1", "h", "ik->ri"],
            ["b1", "h", "i->ri"],
            ["h", "z", "diag"],
            ["z", "y", "ri->rj"],  # y[r,j] = Σ_i z[r,i] W2[i,j] + b2[j]
            ["W2", "y", "ij->rj"],
            ["b2", "y", "j->rj"],
        ],
    }
    imported = graph_from_onnx(MLP, wrt="params")
    assert counts(imported) == counts(by_hand)
    graph, hand = graph_from_dict(imported), graph_from_dict(by_hand)
    ours = {
        (graph.blocks[s].name, graph.blocks[d].name): p.canonical()
        for s, d, p in zip(graph.edges.src, graph.edges.dst, graph.edge_patterns, strict=True)
    }
    theirs = {
        (hand.blocks[s].name, hand.blocks[d].name): p.canonical()
        for s, d, p in zip(hand.edges.src, hand.edges.dst, hand.edge_patterns, strict=True)
    }
    assert {k: str(v) for k, v in ours.items()} == {k: str(v) for k, v in theirs.items()}


def test_wrt_names_choose_inputs_and_initializers() -> None:
    data = graph_from_onnx(MLP, wrt="W2, b2")
    assert list(data["V"]) == ["W2", "b2"]
    assert list(data["D"]) == []
    assert list(data["D'"]) == ["y"]
    with pytest.raises(UsageError, match=r"'W3' is no input.*x, W1, b1, W2, b2"):
        graph_from_onnx(MLP, wrt="W3")
    with pytest.raises(UsageError, match="wrt names no input"):
        graph_from_onnx(MLP, wrt="")


def test_an_output_no_chosen_input_reaches_is_an_error() -> None:
    model = make_model(
        [node("Tanh", ["a"], ["y"]), node("Exp", ["b"], ["z"])],
        {"a": [2], "b": [2]},
        {"y": [2]},
    )
    with pytest.raises(GraphValidationError, match="no output of the model depends on b"):
        graph_from_onnx(model, wrt="b")


def test_symbolic_dimensions_become_symbols() -> None:
    examples = ROOT / "graphs" / "onnx"
    data = graph_from_onnx(examples / "mlp.onnx")
    assert data["symbols"] == {"N": 1}
    assert data["V"] == {"x": ["N", 4]}
    assert "Symbolic dimensions N" in data["description"]
    # every count is linear in the batch: N = 32 is 32 times N = 1
    assert counts(data, {"N": 32}) == tuple(32 * c for c in counts(data))
    assert counts(data) == (164, 192)  # the 4-8-3 MLP: see the README's worked example


def test_constant_subgraphs_fold_and_integer_values_are_no_vertices() -> None:
    """A reshape whose target shape is computed by Shape/Gather/Concat (as PyTorch exports
    it): those nodes are constants, whatever their operator (Gather has no rule)."""
    nodes = [
        node("Shape", ["x"], ["sh"]),
        node("Gather", ["sh", "zero"], ["n"], axis=0),
        node("Unsqueeze", ["n", "zero1"], ["n1"]),
        node("Concat", ["n1", "minus1"], ["target"], axis=0),
        node("Reshape", ["x", "target"], ["y"]),
    ]
    inits = [
        tensor("zero", 0, np.int64),
        tensor("zero1", [0], np.int64),
        tensor("minus1", [-1], np.int64),
    ]
    data = graph_from_onnx(make_model(nodes, {"x": [2, 3, 2]}, {"y": [2, 6]}, inits))
    assert data["D"] == {}
    assert data["E"] == [["x", "y", "abc->de"]]
    assert "Reshape [2, 3, 2] -> [2, 6] held as full" in data["description"]


def test_integer_results_need_no_rule() -> None:
    """NonZero has no rule, but its result is an integer: it is no vertex, and the model
    imports. An operator with no rule and a float result is refused (next test)."""
    model = make_model(
        [node("NonZero", ["x"], ["i"]), node("Tanh", ["x"], ["y"])], {"x": [3]}, {"y": [3]}
    )
    assert graph_from_onnx(model)["E"] == [["x", "y", "a->a"]]


def test_an_unknown_operator_is_an_error_naming_it() -> None:
    model = unary([("Cumsum", ["ax"], {})], [3], [3], [tensor("ax", 0, np.int64)])
    with pytest.raises(GraphValidationError, match=r"operator 'Cumsum' \(Cumsum node '#1'\)"):
        graph_from_onnx(model)


def test_value_names_are_made_valid_and_unique() -> None:
    names = names_for(["x", "onnx::a", "onnx__a", "/b/c", "y", "y_out"], ["y"])
    assert names == {
        "x": "x",
        "onnx::a": "onnx__a",
        "onnx__a": "onnx__a_2",
        "/b/c": "b/c",
        "y": "y",
        "y_out": "y_out_1",
    }
    model = make_model(
        [node("Tanh", ["in:0"], ["out 1"]), node("Exp", ["out 1"], ["out:2"])],
        {"in:0": [2]},
        {"out 1": [2], "out:2": [2]},
    )
    data = graph_from_onnx(model)
    assert list(data["V"]) == ["in_0"]
    assert list(data["D'"]) == ["out_1_out", "out_2"]  # out 1 feeds on: a copy vertex
    graph_from_dict(data)


def test_the_shipped_examples_are_the_script_output() -> None:
    spec = importlib.util.spec_from_file_location(
        "make_examples", ROOT / "graphs" / "onnx" / "make_examples.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, build in module.EXAMPLES.items():
        shipped = (ROOT / "graphs" / "onnx" / f"{name}.onnx").read_bytes()
        assert shipped == build().SerializeToString()
        graph_from_dict(graph_from_onnx(ROOT / "graphs" / "onnx" / f"{name}.onnx"))


def test_a_missing_onnx_package_is_a_clean_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(UsageError, match=r"pip install '\.\[onnx\]'"):
        graph_from_onnx("graphs/onnx/mlp.onnx")
