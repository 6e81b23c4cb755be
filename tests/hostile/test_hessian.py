"""Hostile input to ``graphcost hessian``: each case one ``Error:`` line, exit 2, no traceback,
no output, within seconds — outputs that are not one scalar, inputs that are not inputs, graphs
without node functions, points where a second derivative does not exist, graphs too large for
closed forms or for the Hessian's memory, and options that make no sense together."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile.conftest import assert_clean_error, run_graphcost

GRAPHS = Path(__file__).resolve().parents[2] / "graphs"
SCALAR = "V: [x, w]\nD': [y]\ng: {y: sin(x) * w}\n"

#: (arguments after the graph, graph text or a shipped graph's name, fragments of the error).
CASES = [
    ([], "seed-002-network.yaml", ["2 output nodes", "--output-node", "f[0], f[1]"]),
    (["--output-node", "f[7]"], "seed-002-network.yaml", ["'f[7]' is not an output", "f[0]"]),
    (["--output-node", "z1[0]"], "seed-002-network.yaml", ["not an output node"]),
    (["--wrt", "v1"], "seed-004-expression.yaml", ["--wrt", "v1"]),
    (["--wrt", "nothing"], "seed-004-expression.yaml", ["unknown input", "nothing"]),
    ([], "V: [x]\nD': [y]\nE: [[x, y]]\n", ["no node functions", "g:"]),
    (["--at", "x=0"], "V: [x]\nD': [y]\ng: {y: abs(x)}\n", ["kink", "no second derivative"]),
    (["--at", "x=0"], "V: [x]\nD: [v]\nD': [y]\ng: {v: relu(x), y: v * v}\n", ["kink"]),
    (["--at", "x=0"], "V: [x]\nD': [y]\ng: {y: x**1.5}\n", ["second derivative", "not finite"]),
    (["--at", "x=-1"], "V: [x]\nD': [y]\ng: {y: log(x)}\n", ["value of y", "not finite"]),
    (["--symbolic"], "V: {x: 60}\nD': {y: 1}\ng: {y: linear(x)}\n", ["at most 50 nodes", "61"]),
    (["--latex"], SCALAR, ["--latex goes with --symbolic"]),
    (["--points", "3", "--grid", "x=0:1:2"], SCALAR, ["--points or --grid"]),
    (["--symbolic", "--points", "3"], SCALAR, ["--symbolic"]),
    (["--grid", "x=0:1"], SCALAR, ["A:B:COUNT"]),
    (["--grid", "x=0:1:0"], SCALAR, ["A:B:COUNT"]),
    (["--grid", "x=0:inf:3"], SCALAR, ["A:B:COUNT"]),
    (["--grid", "q=0:1:3"], SCALAR, ["--grid q", "not an input"]),
    (["--grid", "x=0:1:200", "--grid", "w=0:1:200"], SCALAR, ["40,000 points", "10,000"]),
    (["--points", "20000"], SCALAR, ["--points"]),
    (["--step", "0"], SCALAR, ["--step 0"]),
    (["--tolerance", "2"], SCALAR, ["--tolerance"]),
    (["--psd-tolerance", "nan"], SCALAR, ["--psd-tolerance"]),
    (["--set", "p=20000"], "mlp-relu.yaml", ["more than", "--wrt"]),
]


@pytest.mark.parametrize(("args", "graph", "contains"), CASES)
def test_hostile_hessian_input(graph_file, args: list[str], graph: str, contains: list[str]):
    path = GRAPHS / graph if graph.endswith(".yaml") and "\n" not in graph else graph_file(graph)
    outcome = run_graphcost(["hessian", str(path), *args], timeout=60)
    assert_clean_error(outcome, contains=contains)
    assert outcome.seconds < 30
