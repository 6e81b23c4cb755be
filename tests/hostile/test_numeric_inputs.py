"""Hostile input to the numeric commands (trace, check): points, parameters, options, sizes.

Each case runs graphcost in its own process (the harness of ``conftest.py``) and asserts one
``Error:`` line, exit code 2, no traceback, no output, within seconds: non-finite or overflowing
values given with ``--at``, ``at:``, ``params:`` or an ``.npz``; seeds numpy refuses;
tolerances and steps that make a check meaningless; functions that leave their domain at the
point or at the finite-difference step; sizes that would need gigabytes, refused before
anything is allocated.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.hostile.conftest import assert_clean_error, run_graphcost

SCALAR = "V: [x]\nD': [y]\ng: {y: sin(x)}\n"
MLP = Path(__file__).resolve().parents[2] / "graphs" / "mlp-relu.yaml"

#: Fast cases: (command-line arguments after the graph, graph text, fragments of the error).
OPTION_CASES = [
    # The expression parser may refuse a literal beyond float range itself; either way the
    # line names the option and the value.
    (["trace", "--at", "x=1e999"], SCALAR, ["--at x", "1e999"]),
    (["check", "--at", "x=-1e999"], SCALAR, ["--at x", "1e999"]),
    (["trace", "--at", "x=10**400"], SCALAR, ["--at x", "10**400"]),
    (["check", "--at", "x=9**999*9**999"], SCALAR, ["--at x"]),
    (["trace", "--at", "x=1/0"], SCALAR, ["--at x", "division by zero"]),
    (["trace", "--at", "x=nan"], SCALAR, ["--at x"]),
    (["trace", "--at", "q=1"], SCALAR, ["'q' is not an input"]),
    (["trace", "--seed", "-1"], SCALAR, ["--seed"]),
    (["check", "--seed", "-99999999999999999999999"], SCALAR, ["--seed"]),
    (["check", "--tolerance", "0"], SCALAR, ["--tolerance 0"]),
    (["check", "--tolerance", "-1e-6"], SCALAR, ["--tolerance -1e-06"]),
    (["check", "--tolerance", "nan"], SCALAR, ["--tolerance nan"]),
    (["check", "--tolerance", "inf"], SCALAR, ["--tolerance inf"]),
    (["check", "--tolerance", "1e999"], SCALAR, ["--tolerance inf"]),
    (["check", "--step", "0"], SCALAR, ["--step 0"]),
    (["check", "--step", "inf"], SCALAR, ["--step inf"]),
    (["check", "--step", "nan"], SCALAR, ["--step nan"]),
    (["check", "--step", "1e-300"], SCALAR, ["--step 1e-300"]),
    # Values in the file.
    (["trace"], SCALAR + "at: {x: .inf}\n", ["input 'x'", "finite"]),
    (["check"], SCALAR + "at: {x: .nan}\n", ["input 'x'", "finite"]),
    (["trace"], SCALAR + "at: {x: 1" + "0" * 400 + "}\n", ["too large for a float"]),
    (
        ["trace"],
        "V: [x]\nD': [y]\ng: {y: a * x}\nparams: {a: .nan}\n",
        ["parameter 'a'", "non-finite"],
    ),
    (
        ["check"],
        "V: [x]\nD': [y]\ng: {y: a * x}\nparams: {a: 1" + "0" * 400 + "}\n",
        ["parameter 'a'", "too large for a float"],
    ),
    (
        ["trace"],
        "V: {x: 2}\nD': {y: 1}\ng: {y: linear(x)}\nparams: {W_y: [[1, -.inf]]}\n",
        ["parameter 'W_y'", "non-finite"],
    ),
    # Non-finite values during evaluation, at the point or at the finite-difference step.
    (["trace", "--at", "x=0"], "V: [x]\nD': [y]\ng: {y: log(x)}\n", ["value of y", "not finite"]),
    (["check", "--at", "x=0"], "V: [x]\nD': [y]\ng: {y: 1/x}\n", ["not finite"]),
    (["trace", "--at", "x=1000"], "V: [x]\nD': [y]\ng: {y: exp(x)}\n", ["not finite"]),
    (["check", "--at", "x=0"], "V: [x]\nD': [y]\ng: {y: sqrt(x)}\n", ["derivative", "not finite"]),
    (
        ["check", "--at", "x=1e-9"],
        "V: [x]\nD': [y]\ng: {y: log(x)}\n",
        ["x ± 1e-06", "finite-difference step", "--step"],
    ),
    (
        ["trace", "--at", "x=1e300"],
        "V: [x]\nD: [v]\nD': [y]\ng: {v: x * x, y: v + 1}\n",
        ["value of v", "not finite"],
    ),
]


@pytest.mark.parametrize(("args", "text", "contains"), OPTION_CASES)
def test_bad_points_parameters_and_options(
    graph_file, args: list[str], text: str, contains: list[str]
) -> None:
    path = graph_file(text)
    outcome = run_graphcost([args[0], str(path), *args[1:]], timeout=30)
    assert_clean_error(outcome, contains=contains)
    assert outcome.seconds < 20


@pytest.mark.parametrize(
    ("name", "array"),
    [
        ("W_y", np.array([[1.0, np.nan]])),
        ("W_y", np.array([[np.inf, 1.0]])),
        ("W_y", np.ones((3, 3))),
    ],
)
def test_bad_npz_parameters(tmp_path: Path, graph_file, name: str, array: np.ndarray) -> None:
    path = graph_file("V: {x: 2}\nD': {y: 1}\ng: {y: linear(x)}\n")
    np.savez(tmp_path / "weights.npz", **{name: array})
    outcome = run_graphcost(["check", str(path), "--params", str(tmp_path / "weights.npz")])
    assert_clean_error(outcome, contains=["parameter 'W_y'"])


@pytest.mark.parametrize(
    ("command", "sizes"),
    [
        ("check", "p=1000000000"),
        ("trace", "p=100000,m1=100000"),
        ("check", "p=20000,m1=2000"),
        ("trace", "p=10**12,m1=10**12,m2=10**12"),
        ("check", "p=50000,m1=8,m2=8"),
    ],
)
def test_huge_numeric_graphs_are_refused_before_allocating(command: str, sizes: str) -> None:
    # Without the bound these ran out of a 2 GiB limit after allocating, or ran for hours.
    outcome = run_graphcost([command, str(MLP), "--set", sizes], timeout=30)
    assert_clean_error(outcome, contains=["more than", "smaller instance (--set)"])
    assert outcome.seconds < 10


def test_huge_elementwise_graph_is_refused(graph_file) -> None:
    path = graph_file("symbols: {n: 1000000000}\nV: {x: n}\nD': {y: n}\ng: {y: sin(x)}\n")
    outcome = run_graphcost(["trace", str(path)], timeout=30)
    assert_clean_error(outcome, contains=["node values and parameters", "more than"])
    assert outcome.seconds < 10


def test_huge_seed_is_fine(graph_file) -> None:
    # numpy takes arbitrarily large non-negative seeds: not an error, and quick.
    outcome = run_graphcost(["trace", str(graph_file(SCALAR)), "--seed", "9" * 200])
    assert outcome.code == 0, outcome.stderr
    assert "Traceback" not in outcome.stderr
