"""The evaluation cost (multiplications of the primal) and the cheap-gradient ratio."""

from __future__ import annotations

import csv
import io
import json
import random
from fractions import Fraction
from pathlib import Path

import pytest
import sympy
from click.testing import CliRunner

from graphcost.cli import cli
from graphcost.count.evaluation import (
    evaluation_cells,
    evaluation_formula,
    evaluation_multiplications,
    expression_multiplications,
    gradient_ratio,
)
from graphcost.graph.expr import parse_expression
from graphcost.graph.functions import callable_names
from graphcost.graph.layers import layered_graph
from graphcost.graph.loader import graph_from_dict, load_graph
from graphcost.graph.wrt import with_respect_to

GRAPHS = Path(__file__).resolve().parents[1] / "graphs"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x * w", 1),
        ("v1 + b", 0),
        ("1 / v2", 1),  # a division is one multiplication
        ("x / y", 1),
        ("x / (y * z)", 2),
        ("1 / (y * z)", 2),
        ("x**3", 2),  # repeated products
        ("x**-2", 2),  # x·x, then one division
        ("sqrt(x)", 0),  # a function
        ("-x", 0),  # a sign
        ("2 * x", 1),
        ("x / 2", 1),
        ("a * tanh(c)", 1),
        ("log(1 + exp(-y * f3))", 1),
        ("sigmoid(z1)", 0),
        ("2*x**2 + x*y", 3),
        ("exp(x * y) * sin(x * z)", 3),
    ],
)
def test_expression_multiplications(text: str, expected: int) -> None:
    assert (
        expression_multiplications(parse_expression(text, functions=callable_names())) == expected
    )


def test_shipped_graphs_by_hand() -> None:
    # seed 004: v1 = x·w (1), v2 = v1 + b, v3 = 1/v2 (1), y = x + v3.
    assert evaluation_multiplications(load_graph(GRAPHS / "seed-004-expression.yaml")) == 2
    # seed 002: linear 2→10, sigmoid, linear 10→10, sigmoid, linear 10→2.
    assert evaluation_multiplications(load_graph(GRAPHS / "seed-002-network.yaml")) == 20 + 100 + 20
    # structure only: unknown, never a guess
    assert evaluation_multiplications(load_graph(GRAPHS / "exercise-4b.yaml")) is None
    assert evaluation_formula(load_graph(GRAPHS / "exercise-4b.yaml")) is None


def test_layer_ops_with_several_parents_and_elementwise_blocks() -> None:
    graph = graph_from_dict(
        {
            "symbols": {"n": 4, "m": 3},
            "V": {"x": "n", "u": "m"},
            "D": {"h": "m", "a": "m"},
            "D'": {"y": "m"},
            "g": {"h": "affine(x, u)", "a": "h * h * u", "y": "sigmoid(a)"},
        }
    )
    # h = W_x·x + W_u·u + b: m·(n + m); a: two products per node.
    assert evaluation_multiplications(graph) == 3 * (4 + 3) + 2 * 3
    assert evaluation_multiplications(graph, {"n": 10, "m": 5}) == 5 * 15 + 10
    n, m = sympy.symbols("n m", positive=True, integer=True)
    assert sympy.expand(evaluation_formula(graph) - (m * (n + m) + 2 * m)) == 0


def test_layers_by_hand_and_formula_equals_numbers() -> None:
    assert (
        evaluation_multiplications(layered_graph([784, 300, 100, 10]))
        == 784 * 300 + 300 * 100 + 100 * 10
    )
    graph = layered_graph(["n", "2*n/3", "n/3", "1"])
    formula = evaluation_formula(graph)
    symbol = next(iter(formula.free_symbols))
    rng = random.Random(11)
    for _ in range(20):
        n = 3 * rng.randint(1, 10**6)
        assert formula.subs(symbol, n) == evaluation_multiplications(graph, {"n": n})
    cell = evaluation_cells(graph, ["n"], {})
    assert [cell((n,)) for n in (3, 300, 3 * 10**40)] == [
        evaluation_multiplications(graph, {"n": n}) for n in (3, 300, 3 * 10**40)
    ]


def test_wrt_evaluates_the_whole_program() -> None:
    graph = load_graph(GRAPHS / "seed-004-expression.yaml")
    assert evaluation_multiplications(with_respect_to(graph, ["b"])) == 2


def test_gradient_ratio() -> None:
    assert gradient_ratio(3, 2, 1) == Fraction(3, 2)
    assert gradient_ratio(3, 2, 2) is None  # a Jacobian
    assert gradient_ratio(3, None, 1) is None  # unknown
    assert gradient_ratio(3, 0, 1) is None


def test_analyze_table_json_csv() -> None:
    runner = CliRunner()
    seed = str(GRAPHS / "seed-004-expression.yaml")
    table = runner.invoke(cli, ["analyze", seed])
    assert table.exit_code == 0, table.stderr
    data = json.loads(runner.invoke(cli, ["analyze", seed, "-f", "json"]).stdout)
    backward = data["backward"]["multiplications"]
    assert data["evaluation"] == {
        "multiplications": 2,
        "gradient_ratio": backward / 2,
        "backward_ratio": backward / 2,
    }
    assert (
        f"evaluation: 2 multiplications; gradient ÷ evaluation: {backward / 2:.4g}" in table.stdout
    )
    rows = list(
        csv.DictReader(io.StringIO(runner.invoke(cli, ["analyze", seed, "-f", "csv"]).stdout))
    )
    assert rows[0]["evaluation_multiplications"] == "2"
    unknown = json.loads(
        runner.invoke(cli, ["analyze", str(GRAPHS / "exercise-4b.yaml"), "-f", "json"]).stdout
    )
    assert unknown["evaluation"] == {
        "multiplications": None,
        "gradient_ratio": None,
        "backward_ratio": None,
    }
    shown = runner.invoke(cli, ["analyze", str(GRAPHS / "exercise-4b.yaml")]).stdout
    assert "evaluation: —" in shown


def test_a_vector_output_gives_no_gradient_ratio() -> None:
    runner = CliRunner()
    data = json.loads(
        runner.invoke(cli, ["analyze", "--layers", "784,300,100,10", "-f", "json"]).stdout
    )
    assert data["evaluation"]["multiplications"] == 266_200
    assert data["evaluation"]["gradient_ratio"] is None
    assert data["evaluation"]["backward_ratio"] == data["backward"]["multiplications"] / 266_200
    table = runner.invoke(cli, ["analyze", "--layers", "784,300,100,10"]).stdout
    assert "10 output nodes: a Jacobian, not a gradient" in table


def test_formula_only_report_shows_the_evaluation_formula() -> None:
    done = CliRunner().invoke(cli, ["analyze", "--layers", "n,2*n/3,1", "-f", "json"])
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["evaluation"]["formula"] == "2*n**2/3 + 2*n/3"
