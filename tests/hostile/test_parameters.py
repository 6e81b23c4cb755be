"""Hostile weight inputs (issue 11, point 6): a layer op's weight ``W_<block>`` or bias
``b_<block>`` declared as an input of the wrong shape, rank, role or edge. Every case is one
clean ``Error:`` line naming the block and the shape it needs, from the numeric commands and
from ``analyze``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.hostile.conftest import assert_clean_error, run_graphcost

HEAD = "symbols: {n: 4, m: 3}\n"
LINEAR = "D': {h: m}\ng: {h: linear(x)}\n"

CASES = [
    pytest.param(
        HEAD + "V: {x: n, W_h: 12}\n" + LINEAR,
        ["weight input 'W_h' of 'h' has shape 12", "[size(h), size(parent)]"],
        id="weight-as-a-vector",
    ),
    pytest.param(
        HEAD + "V: {x: n, W_h: [m, n, 2]}\n" + LINEAR,
        ["has shape [m, n, 2]"],
        id="weight-of-rank-3",
    ),
    pytest.param(
        HEAD + "V: {x: n, W_h: [m, 5]}\n" + LINEAR,
        ["W_h [m, 5] = [3, 5] multiplies x of size 4", "second dimension must be n"],
        id="weight-columns-mismatch",
    ),
    pytest.param(
        HEAD + "V: {x: n, W_h: [2, n]}\n" + LINEAR,
        ["pairs dimension 1 of W_h (2) with dimension 1 of h (m = 3)"],
        id="weight-rows-mismatch",
    ),
    pytest.param(
        "V: [x, W_h]\nD': {h: 3}\ng: {h: linear(x)}\n",
        ["weight input 'W_h' of 'h' is a single node, but 'h' or 'x' is not"],
        id="single-node-weight-of-a-vector",
    ),
    pytest.param(
        HEAD + "V: {x: n, W_h: [m, n]}\nD': {h: [m, 1]}\ng: {h: linear(x)}\n",
        ["a layer op maps vectors", "'h' has shape [m, 1]"],
        id="layer-block-a-matrix",
    ),
    pytest.param(
        HEAD + "V: {x: n, b_h: [m, 1]}\nD': {h: m}\ng: {h: affine(x)}\n",
        ["bias input 'b_h' of 'h' has shape [m, 1]"],
        id="bias-a-matrix",
    ),
    pytest.param(
        HEAD + "V: {x: n, b_h: 2}\nD': {h: m}\ng: {h: affine(x)}\n",
        ["[b_h, h] joins blocks of sizes 2 and m = 3"],
        id="bias-size-mismatch",
    ),
    pytest.param(
        HEAD + "V: {x: n}\nD: {W_h: n}\nD': {h: m}\ng: {W_h: sin(x), h: linear(x)}\n",
        ["'W_h' has the name of the weight of 'h' but is not an input"],
        id="weight-not-an-input",
    ),
    pytest.param(
        HEAD + "V: {x: n, W_h: [m, n]}\n" + LINEAR + "params: {W_h: 1}\n",
        ["'W_h' has the name of a node"],
        id="weight-also-a-parameter",
    ),
    pytest.param(
        HEAD + "V: {x: n, W_h: [m, n]}\nD': {h: m}\nE: [[x, h], [W_h, h]]\ng: {h: linear(x)}\n",
        ["edge [W_h, h] is full", "needs a 'ik->i' (weight input) edge"],
        id="weight-edge-full",
    ),
    pytest.param(
        HEAD
        + "V: {x: n, W_h: [m, n]}\nD': {h: m}\nE: [[x, h], [W_h, h, 'ki->i']]\n"
        + "g: {h: linear(x)}\n",
        ["edge [W_h, h] is 'ki->i'", "write [W_h, h, 'ik->i']"],
        id="weight-edge-transposed",
    ),
    pytest.param(
        HEAD + "V: {x: n, W_h: [m, n]}\nD': {h: m}\nE: [[x, h]]\ng: {h: linear(x)}\n",
        ["uses 'W_h', but E has no edge [W_h, h]", "add [W_h, h, 'ik->i']"],
        id="weight-edge-missing",
    ),
    pytest.param(
        HEAD + "V: {W_h: [m, n]}\nD': {h: m}\ng: {h: linear(W_h)}\n",
        ["'W_h' is both a parent and a parameter"],
        id="weight-is-its-own-parent",
    ),
    pytest.param(
        HEAD + "V: {x: [m, n]}\nD': {h: [n, m]}\nE: [[x, h, 'ij->ji']]\ng: {h: sin(x)}\n",
        ["edge [x, h] is 'ij->ji'", "needs a diag (elementwise) edge"],
        id="other-signature-with-g",
    ),
]


@pytest.mark.parametrize(("graph", "contains"), CASES)
@pytest.mark.parametrize("command", ["check", "analyze"])
def test_bad_weight_inputs(
    tmp_path: Path,
    graph_file: Callable[..., Path],
    command: str,
    graph: str,
    contains: list[str],
) -> None:
    outcome = run_graphcost([command, str(graph_file(graph))], cwd=tmp_path)
    assert_clean_error(outcome, contains=contains)


@pytest.mark.parametrize("command", ["trace", "jacobians"])
def test_weight_mismatch_under_set(
    tmp_path: Path, graph_file: Callable[..., Path], command: str
) -> None:
    # Consistent at the defaults, not at --set k=5: refused when the sizes are evaluated.
    path = graph_file("symbols: {n: 4, m: 3, k: 4}\nV: {x: n, W_h: [m, k]}\n" + LINEAR)
    outcome = run_graphcost([command, str(path), "--set", "k=5"], cwd=tmp_path)
    assert_clean_error(outcome, contains=["W_h [m, k] = [3, 5] multiplies x of size 4"])


@pytest.mark.parametrize(
    ("at", "contains"),
    [
        ("[[1, 2], [3, 4]]", ["'W_h' must be a finite number or a list of 12", "[3, 4]"]),
        ("[[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, .nan]]", ["'W_h' must be a finite"]),
        ("{a: 1}", ["'at W_h' is not a number"]),
    ],
    ids=["wrong-shape", "nan", "mapping"],
)
def test_bad_weight_values(
    tmp_path: Path, graph_file: Callable[..., Path], at: str, contains: list[str]
) -> None:
    path = graph_file(HEAD + "V: {x: n, W_h: [m, n]}\n" + LINEAR + f"at: {{W_h: {at}}}\n")
    outcome = run_graphcost(["check", str(path)], cwd=tmp_path)
    assert_clean_error(outcome, contains=contains)


@pytest.mark.parametrize(
    ("wrt", "contains"),
    [
        ("q", ["unknown input 'q'", "x, W_h"]),
        ("h", ["'h' is an output"]),
        ("x,x", ["'x' twice"]),
        ("", ["names no input"]),
    ],
    ids=["unknown", "output", "twice", "empty"],
)
@pytest.mark.parametrize("command", ["trace", "check"])
def test_bad_wrt_on_numeric_commands(
    tmp_path: Path, graph_file: Callable[..., Path], command: str, wrt: str, contains: list[str]
) -> None:
    path = graph_file(HEAD + "V: {x: n, W_h: [m, n]}\n" + LINEAR)
    outcome = run_graphcost([command, str(path), "--wrt", wrt], cwd=tmp_path)
    assert_clean_error(outcome, contains=contains)


def test_wrt_params_without_weight_inputs(tmp_path: Path, graph_file: Callable[..., Path]) -> None:
    path = graph_file(HEAD + "V: {x: n}\n" + LINEAR)
    outcome = run_graphcost(["check", str(path), "--wrt", "params"], cwd=tmp_path)
    assert_clean_error(outcome, contains=["--wrt params", "(it has none)", "x"])
