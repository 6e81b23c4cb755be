"""Write the example ONNX models of ``graphs/onnx/`` (built with ``onnx.helper``).

Run from the repository root (the ``.onnx`` files it writes are committed)::

    python graphs/onnx/make_examples.py graphs/onnx

- ``mlp.onnx``: an MLP 4-8-3, ``y = softmax(W2 tanh(W1 x + b1) + b2)`` as two ``Gemm``
  (``transB=1``, PyTorch's layout), ``Tanh`` and ``Softmax``, on a batch of ``N`` rows (a
  symbolic dimension);
- ``attention.onnx``: one self-attention head on 4 tokens of 6 features,
  ``softmax(q kᵀ) v`` with ``q, k, v = x Wq, x Wk, x Wv`` (``MatMul``, ``Transpose``,
  ``Softmax``).

The weights are drawn from a seeded generator, so the files are the same on every run
(``tests/test_import_onnx.py`` checks it).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from onnx import ModelProto, TensorProto, helper, numpy_helper

OPSET = 17


def _weights(rng: np.random.Generator, **shapes: tuple[int, ...]) -> list[TensorProto]:
    return [
        numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)
        for name, shape in shapes.items()
    ]


def _model(nodes, name, inputs, outputs, initializers) -> ModelProto:
    graph = helper.make_graph(nodes, name, inputs, outputs, initializers)
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="make_examples"
    )
    model.ir_version = 8
    return model


def mlp() -> ModelProto:
    """The MLP 4-8-3 with tanh and softmax, batch ``N``."""
    rng = np.random.default_rng(4083)
    nodes = [
        helper.make_node("Gemm", ["x", "W1", "b1"], ["h1"], name="fc1", transB=1),
        helper.make_node("Tanh", ["h1"], ["z1"], name="tanh1"),
        helper.make_node("Gemm", ["z1", "W2", "b2"], ["h2"], name="fc2", transB=1),
        helper.make_node("Softmax", ["h2"], ["y"], name="softmax", axis=-1),
    ]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])
    weights = _weights(rng, W1=(8, 4), b1=(8,), W2=(3, 8), b2=(3,))
    return _model(nodes, "mlp", [x], [y], weights)


def attention() -> ModelProto:
    """One self-attention head on 4 tokens of 6 features."""
    rng = np.random.default_rng(46)
    nodes = [
        helper.make_node("MatMul", ["x", "Wq"], ["q"], name="query"),
        helper.make_node("MatMul", ["x", "Wk"], ["k"], name="key"),
        helper.make_node("MatMul", ["x", "Wv"], ["v"], name="value"),
        helper.make_node("Transpose", ["k"], ["kT"], name="keyT", perm=[1, 0]),
        helper.make_node("MatMul", ["q", "kT"], ["s"], name="scores"),
        helper.make_node("Softmax", ["s"], ["a"], name="weights", axis=-1),
        helper.make_node("MatMul", ["a", "v"], ["y"], name="mix"),
    ]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 6])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 6])
    weights = _weights(rng, Wq=(6, 6), Wk=(6, 6), Wv=(6, 6))
    return _model(nodes, "attention", [x], [y], weights)


EXAMPLES = {"mlp": mlp, "attention": attention}


def main(target: str) -> None:
    for name, build in EXAMPLES.items():
        Path(target, f"{name}.onnx").write_bytes(build().SerializeToString())


if __name__ == "__main__":
    main(*(sys.argv[1:] or ["graphs/onnx"]))
