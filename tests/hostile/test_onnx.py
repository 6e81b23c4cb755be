"""Hostile ONNX models (issue 12, point 3): every case is one clean ``Error:`` line, quickly.

The library is driven as the CLI drives it: a ``GraphcostError`` becomes ``Error: ...`` and
exit 2, and the corpus's :func:`assert_clean_error` checks the line. Cases that could block
or exhaust memory (a FIFO, an external-data file that is a FIFO, a file over the size limit)
run in a process of their own with the corpus's limits (address space, time), so a read that
blocks fails the case instead of hanging the suite; the others run in this process.
``graphcost import onnx`` cases run the CLI.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tests.hostile.conftest import (
    MEMORY_LIMIT,
    Outcome,
    assert_clean_error,
    run_graphcost,
)

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from graphcost.errors import GraphcostError  # noqa: E402
from graphcost.importers.onnxmodel import MAX_ONNX_FILE_BYTES, graph_from_onnx  # noqa: E402

QUICK = 20.0
#: The child: import one model with the library, print its blocks, or one Error: line.
CHILD = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from graphcost.errors import GraphcostError
from graphcost.importers.onnxmodel import graph_from_onnx
try:
    data = graph_from_onnx(sys.argv[1], wrt=sys.argv[2])
except GraphcostError as error:
    print(f"Error: {{error}}", file=sys.stderr)
    sys.exit(2)
print(sorted(data["V"]), sorted(data["D'"]), len(data["E"]))
"""


def import_in_child(path: Path, wrt: str = "inputs") -> Outcome:
    """Import ``path`` in a child process (killed after :data:`QUICK` seconds)."""
    start = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD.format(limit=MEMORY_LIMIT), str(path), wrt],
            capture_output=True,
            text=True,
            timeout=QUICK,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"importing {path.name} gave no answer in {QUICK:.0f} s")
    return Outcome(done.returncode, done.stdout, done.stderr, time.monotonic() - start)


def import_here(path: Path, wrt: str = "inputs") -> Outcome:
    """Import ``path`` in this process, the outcome as the CLI would show it."""
    start = time.monotonic()
    try:
        data = graph_from_onnx(path, wrt=wrt)
    except GraphcostError as error:
        return Outcome(2, "", f"Error: {error}\n", time.monotonic() - start)
    outputs = sorted(data["D'"])
    out = f"{sorted(data['V'])} {outputs} {len(data['E'])}\n"
    return Outcome(0, out, "", time.monotonic() - start)


def model_bytes(nodes, initializers=(), x_shape=(2, 3), y_shape=None, inputs=()) -> bytes:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x_shape) if x_shape else None)
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)
    graph = helper.make_graph(nodes, "hostile", [x, *inputs], [y], list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    return model.SerializeToString()


def tanh_model() -> bytes:
    return model_bytes([helper.make_node("Tanh", ["x"], ["y"])])


def external(tensor, location: str):
    """``tensor`` with its data moved to external ``location`` (which is never written)."""
    tensor.ClearField("raw_data")
    tensor.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", "48")):
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value
    return tensor


def weights(name: str, shape, dtype=np.float32):
    return numpy_helper.from_array(np.ones(shape, dtype=dtype), name)


#: name: (the file's bytes, fragments the error line must hold)
CASES: dict[str, tuple[Callable[[], bytes], list[str]]] = {
    "not an ONNX file": (
        lambda: b"V: {x: 3}\nD': {y: 1}\nE: [[x, y]]\n",
        ["model.onnx: is not an ONNX model", "onnx.save_model"],
    ),
    "empty file": (lambda: b"", ["model.onnx: is not an ONNX model"]),
    "truncated model": (lambda: tanh_model()[:-7], ["model.onnx: is not an ONNX model"]),
    "random bytes": (
        lambda: np.random.default_rng(5).bytes(4096),
        ["model.onnx: is not an ONNX model"],
    ),
    "unsupported operator": (
        lambda: model_bytes([helper.make_node("Einsum", ["x"], ["y"], equation="ij->i")]),
        ["operator 'Einsum' (Einsum node '#1') is not supported", "README"],
    ),
    "operator of another domain": (
        lambda: model_bytes([helper.make_node("Gelu", ["x"], ["y"], domain="com.microsoft")]),
        ["operator 'com.microsoft.Gelu'", "not supported"],
    ),
    "integer constant in external data": (
        lambda: model_bytes(
            [helper.make_node("ReduceSum", ["x", "axes"], ["y"])],
            [external(weights("axes", [1], np.int64), "/etc/passwd")],
        ),
        ["initializer 'axes' (int64) is stored as external data", "does not read"],
    ),
    "input without a shape": (
        lambda: model_bytes([helper.make_node("Tanh", ["x"], ["y"])], x_shape=None),
        ["could not tell the shape of value 'x' (read by Tanh node '#1')", "dim_param"],
    ),
    "shape computed at run time": (
        lambda: model_bytes(
            [helper.make_node("Reshape", ["x", "k"], ["y"])],
            inputs=[helper.make_tensor_value_info("k", TensorProto.INT64, [2])],
        ),
        ["could not tell dimension 1 of value 'y' (result of Reshape node '#1')"],
    ),
    "shapes that conflict": (
        lambda: model_bytes([helper.make_node("MatMul", ["x", "x"], ["y"])]),
        ["ONNX shape inference failed", "Incompatible dimensions"],
    ),
    "a value read before it is defined": (
        lambda: model_bytes(
            [helper.make_node("Exp", ["t"], ["y"]), helper.make_node("Tanh", ["x"], ["t"])]
        ),
        ["Exp node '#1' reads 't'", "topological order"],
    ),
    "no output depends on the input": (
        lambda: model_bytes(
            [helper.make_node("Shape", ["x"], ["s"]), helper.make_node("Cast", ["s"], ["y"], to=1)]
        ),
        ["no output of the model depends on x"],
    ),
    "a node with two results": (
        lambda: model_bytes(
            [helper.make_node("Dropout", ["x"], ["y", "mask"])],
        ),
        ["Dropout node '#1' has 2 results"],
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_model(tmp_path: Path, name: str) -> None:
    content, fragments = CASES[name]
    (tmp_path / "model.onnx").write_bytes(content())
    outcome = import_here(tmp_path / "model.onnx")
    line = assert_clean_error(outcome, contains=fragments)
    assert "Traceback" not in line
    assert outcome.seconds < QUICK


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "model.onnx")
    outcome = import_in_child(tmp_path / "model.onnx")
    assert_clean_error(outcome, contains=["model.onnx: is a named pipe (FIFO), not a file"])


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    with open(tmp_path / "model.onnx", "wb") as file:
        file.truncate(MAX_ONNX_FILE_BYTES + 1)  # sparse: no disk space, no memory
    outcome = import_in_child(tmp_path / "model.onnx")
    assert_clean_error(
        outcome,
        contains=[
            "model file is 2,147,483,648 bytes, more than the 2,147,483,647",
            "external data",
        ],
    )
    assert outcome.seconds < 10


def test_missing_file_and_folder(tmp_path: Path) -> None:
    assert_clean_error(
        import_here(tmp_path / "absent.onnx"), contains=["absent.onnx: ONNX model not found"]
    )
    (tmp_path / "dir.onnx").mkdir()
    assert_clean_error(import_here(tmp_path / "dir.onnx"), contains=["is a folder"])


def test_an_unknown_wrt_name(tmp_path: Path) -> None:
    (tmp_path / "model.onnx").write_bytes(tanh_model())
    outcome = import_here(tmp_path / "model.onnx", wrt="W9")
    assert_clean_error(outcome, contains=["wrt: 'W9' is no input or initializer", "among: x"])


def test_external_weights_are_never_opened(tmp_path: Path) -> None:
    """Float weights in external data, pointing outside the model's folder at a FIFO: were
    the importer to open it, the child would block (and the case fail on its time limit).
    Only shapes are needed, so the model imports, with the weights as inputs if asked."""
    os.mkfifo(tmp_path / "outside.bin")
    folder = tmp_path / "model"
    folder.mkdir()
    content = model_bytes(
        [helper.make_node("Gemm", ["x", "W"], ["y"], transB=1)],
        [external(weights("W", [4, 3]), "../outside.bin")],
    )
    (folder / "model.onnx").write_bytes(content)
    for wrt, inputs in (("inputs", "['x']"), ("params", "['W', 'x']")):
        outcome = import_in_child(folder / "model.onnx", wrt=wrt)
        assert outcome.code == 0, outcome.stderr
        assert outcome.stdout == f"{inputs} ['y'] {len(inputs.split(','))}\n"


@pytest.mark.parametrize(
    ("command", "name"),
    [(["import", "onnx"], "truncated model"), (["analyze"], "unsupported operator")],
)
def test_the_cli_refuses_a_hostile_model(tmp_path: Path, command: list[str], name: str) -> None:
    """The same refusals through ``graphcost import onnx`` and ``graphcost analyze``."""
    content, fragments = CASES[name]
    (tmp_path / "model.onnx").write_bytes(content())
    outcome = run_graphcost([*command, "model.onnx"], cwd=tmp_path, timeout=QUICK)
    assert_clean_error(outcome, contains=[f.replace("model.onnx:", "") for f in fragments])
