"""Hostile ``--wrt`` values: every one is a clean one-line error naming the valid inputs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.hostile.conftest import assert_clean_error, run_graphcost

GRAPH = "V: [x, w]\nD: [v]\nD': [y]\nE: [[x, v], [w, v], [v, y]]\n"
#: Two outputs; w reaches neither of them through v, only its own dead end.
LONELY = "V: [x, w]\nD: [v, u]\nD': [y]\nE: [[x, v], [v, y], [w, u]]\n"
#: Seconds a refusal may take.
QUICK = 20.0

CASES = [
    pytest.param(["--wrt", ""], GRAPH, ["names no input", "the inputs are: x, w"], id="empty"),
    pytest.param(["--wrt", " , "], GRAPH, ["empty name", "the inputs are: x, w"], id="blank-parts"),
    pytest.param(["--wrt", "x,,w"], GRAPH, ["empty name"], id="double-comma"),
    pytest.param(
        ["--wrt", "q"], GRAPH, ["unknown input 'q'", "the inputs are: x, w"], id="unknown"
    ),
    pytest.param(["--wrt", "y"], GRAPH, ["'y' is an output", "the inputs are: x, w"], id="output"),
    pytest.param(
        ["--wrt", "v"], GRAPH, ["'v' is an intermediate block", "x, w"], id="intermediate"
    ),
    pytest.param(["--wrt", "x,x"], GRAPH, ["'x' twice"], id="repeated"),
    pytest.param(["--wrt", "params"], GRAPH, ["--layers graph", "x, w"], id="params-on-a-file"),
    pytest.param(
        ["--wrt", "w"], LONELY, ["no output depends on 'w'", "x, w"], id="reaches-nothing"
    ),
    pytest.param(["--wrt", "x\x1b[31m"], GRAPH, ["unknown input", "\\x1b"], id="escape-codes"),
    pytest.param(
        ["--wrt", ",".join(f"n{i}" for i in range(10_000))],
        GRAPH,
        ["unknown input 'n0'"],
        id="huge",
    ),
]


@pytest.mark.parametrize(("options", "graph", "contains"), CASES)
@pytest.mark.parametrize("command", ["analyze", "sweep"])
def test_bad_wrt_on_a_file(
    tmp_path: Path,
    graph_file: Callable[..., Path],
    command: str,
    options: list[str],
    graph: str,
    contains: list[str],
) -> None:
    path = graph_file(graph)
    extra = ["--over", "n=1:2"] if command == "sweep" else []  # --wrt is checked first
    outcome = run_graphcost([command, str(path), *options, *extra], cwd=tmp_path)
    assert_clean_error(outcome, contains=contains)
    assert outcome.seconds < QUICK


@pytest.mark.parametrize(
    ("options", "contains"),
    [
        (["--wrt", "W9"], ["unknown input 'W9'", "W1, b1, W2, b2"]),
        (["--wrt", "h1"], ["'h1' is an intermediate block"]),
        (["--wrt", "params,W1"], ["'W1' twice"]),
        (["--wrt", "y"], ["'y' is an output"]),
    ],
)
def test_bad_wrt_on_layers(tmp_path: Path, options: list[str], contains: list[str]) -> None:
    outcome = run_graphcost(["analyze", "--layers", "4,3,2", *options], cwd=tmp_path)
    assert_clean_error(outcome, contains=contains)


def test_wrt_with_file_and_layers(tmp_path: Path, graph_file: Callable[..., Path]) -> None:
    path = graph_file(GRAPH)
    outcome = run_graphcost(["analyze", str(path), "--layers", "3,2", "--wrt", "x"], cwd=tmp_path)
    assert_clean_error(outcome, contains=["exactly one"])


def test_dropped_output_is_a_warning_not_an_error(
    tmp_path: Path, graph_file: Callable[..., Path]
) -> None:
    path = graph_file("V: [x, w]\nD': [y, z]\nE: [[x, y], [w, z]]\n")
    outcome = run_graphcost(["analyze", str(path), "--wrt", "x"], cwd=tmp_path)
    assert outcome.code == 0, outcome.stderr
    assert "Warning: --wrt: output 'z' depends on none of x" in outcome.stderr
    assert "Traceback" not in outcome.stderr
