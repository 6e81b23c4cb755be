"""The trace, check and jacobians commands, and hostile node functions, at the CLI."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphcost.cli import cli
from tests.conftest import GRAPHS, ROOT

SEED_004 = str(GRAPHS / "seed-004-expression.yaml")


def run(runner, *args: str):
    return runner.invoke(cli, list(args))


def table_cells(output: str) -> dict[str, list[str]]:
    """Rows of a rich table, by first cell."""
    rows = {}
    for line in output.splitlines():
        if line.startswith(("│", "┃")):
            cells = [c.strip() for c in line.replace("┃", "│").strip("│").split("│")]
            rows[cells[0]] = cells[1:]
    return rows


def test_seed_004_reverse_table(runner) -> None:
    result = run(runner, "trace", SEED_004, "--at", "x=0.3,w=0.5,b=0.1")
    assert result.exit_code == 0, result.output
    # The last column (adjoint rule) is tested in test_seed_004_adjoint_rules.
    rows = {node: cells[:-1] for node, cells in table_cells(result.stdout).items()}
    # Seed 004: the forward primal trace and the reverse adjoint trace.
    assert rows == {
        "node": ["definition", "value", "∂y/∂v"],
        "x": ["input", "0.3", "-7"],
        "w": ["input", "0.5", "-4.8"],
        "b": ["input", "0.1", "-16"],
        "v1": ["x * w", "0.15", "-16"],
        "v2": ["v1 + b", "0.25", "-16"],
        "v3": ["1 / v2", "4", "1"],
        "y": ["x + v3", "4.3", "1"],
    }
    assert "5 multiplications performed by the backward recursion (elimination count: 5)" in (
        result.stdout
    )


def test_seed_004_forward_tangent_trace(runner) -> None:
    result = run(runner, "trace", SEED_004, "--mode", "forward")
    assert result.exit_code == 0, result.output
    rows = {node: cells[:-1] for node, cells in table_cells(result.stdout).items()}
    assert rows["node"] == ["definition", "value", "∂v/∂x", "∂v/∂w", "∂v/∂b"]
    assert rows["v3"] == ["1 / v2", "4", "-8", "-4.8", "-16"]  # -1/v2² · (w, x, 1)
    assert rows["y"] == ["x + v3", "4.3", "-7", "-4.8", "-16"]


def test_trace_json_and_csv(runner) -> None:
    data = json.loads(run(runner, "trace", SEED_004, "--format", "json").stdout)
    assert data["mode"] == "reverse"
    assert data["jacobian"][0] == pytest.approx([-7, -4.8, -16])
    assert {n["node"]: n["adjoint"]["y"] for n in data["nodes"]}["w"] == pytest.approx(-4.8)
    csv = run(runner, "trace", SEED_004, "--format", "csv").stdout.splitlines()
    assert csv[0] == "node,definition,value,∂y/∂v,adjoint rule"
    assert csv[1].startswith("x,input,0.3,-7.0")


def test_trace_markdown_and_latex(runner) -> None:
    markdown = run(runner, "trace", SEED_004, "--format", "markdown").stdout
    assert "| v3 | 1 / v2 | 4 | 1 |" in markdown
    latex = run(runner, "trace", SEED_004, "--format", "latex").stdout
    assert "\\begin{tabular}{llrrl}" in latex  # text columns left, numbers right
    assert "x & input & 0.3 & -7 & " in latex


# --- the chain rule column (seed 004, question 3) ----------------------------------------------

BAR, DOT = "\u0304", "\u0307"  # combining macron (adjoint v̄) and dot above (tangent v̇)


def test_seed_004_adjoint_rules(runner) -> None:
    # By hand from g: v1 = x·w, v2 = v1 + b, v3 = 1/v2, y = x + v3. succ(x) = {v1, y} with
    # ∂v1/∂x = w and ∂y/∂x = 1; succ(w) = {v1}, ∂v1/∂w = x; ∂v2/∂b = ∂v2/∂v1 = 1;
    # ∂v3/∂v2 = -1/v2²; ∂y/∂v3 = 1; the output's adjoint is the seed 1.
    expected = {
        "x": f"x{BAR} = v{BAR}1·w + y{BAR}·1",
        "w": f"w{BAR} = v{BAR}1·x",
        "b": f"b{BAR} = v{BAR}2·1",
        "v1": f"v{BAR}1 = v{BAR}2·1",
        "v2": f"v{BAR}2 = v{BAR}3·(-1/v2**2)",
        "v3": f"v{BAR}3 = y{BAR}·1",
        "y": f"y{BAR} = 1",
    }
    result = run(runner, "trace", SEED_004)
    assert result.exit_code == 0, result.output
    rows = table_cells(result.stdout)
    assert rows["node"][-1] == "adjoint rule"
    assert {node: cells[-1] for node, cells in rows.items() if node != "node"} == expected
    data = json.loads(run(runner, "trace", SEED_004, "--format", "json").stdout)
    assert {n["node"]: n["rule"] for n in data["nodes"]} == expected
    csv = run(runner, "trace", SEED_004, "--format", "csv").stdout.splitlines()
    assert csv[5] == f"v2,v1 + b,0.25,-16.0,{expected['v2']}"
    markdown = run(runner, "trace", SEED_004, "--format", "markdown").stdout
    assert f"| v2 | v1 + b | 0.25 | -16 | v{BAR}2 = v{BAR}3·(-1/v2\\*\\*2) |" in markdown
    latex = run(runner, "trace", SEED_004, "--format", "latex").stdout
    # pdflatex-safe: the bar, the dot and the partial as LaTeX commands, never raw Unicode
    rule = r"$\bar{x}$ = $\bar{v}$1$\cdot$w + $\bar{y}$$\cdot$1"
    assert f"x & input & 0.3 & -7 & {rule} \\\\" in latex
    assert latex.isascii()


def test_seed_004_tangent_rules(runner) -> None:
    # v̇ = Σ_{u ∈ P_v} ∂g_v/∂u · u̇, parents in the order the definition names them.
    data = json.loads(run(runner, "trace", SEED_004, "--mode", "forward", "-f", "json").stdout)
    assert {n["node"]: n["rule"] for n in data["nodes"]} == {
        "x": f"x{DOT} = 1",
        "w": f"w{DOT} = 1",
        "b": f"b{DOT} = 1",
        "v1": f"v{DOT}1 = w·x{DOT} + x·w{DOT}",
        "v2": f"v{DOT}2 = 1·v{DOT}1 + 1·b{DOT}",
        "v3": f"v{DOT}3 = (-1/v2**2)·v{DOT}2",
        "y": f"y{DOT} = 1·x{DOT} + 1·v{DOT}3",
    }


def test_block_graph_has_no_rule_column(runner) -> None:
    data = json.loads(run(runner, "trace", str(GRAPHS / "mlp-relu.yaml"), "-f", "json").stdout)
    assert all("rule" not in node for node in data["nodes"])
    csv = run(runner, "trace", str(GRAPHS / "mlp-relu.yaml"), "-f", "csv").stdout.splitlines()
    assert csv[0] == "node,definition,value,∂loss/∂v"


def split_top_level(text: str, separator: str) -> list[str]:
    """``text`` split at ``separator`` outside parentheses (partials hold sums too)."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0 and text.startswith(separator, i):
            parts.append(text[start:i])
            start = i + len(separator)
    return [*parts, text[start:]]


def rule_value(rule: str, mark: str, values: dict[str, float], deltas: dict[str, float]) -> float:
    """Evaluate a rule's right-hand side: each partial parsed by sympy at the trace point."""
    import sympy

    _, rhs = rule.split(" = ")
    symbols = {name: sympy.Symbol(name, real=True) for name in values}
    total = 0.0
    for term in split_top_level(rhs, " + ") if rhs != "0" else []:
        first, second = term.split("·")
        named, partial = (first, second) if mark == BAR else (second, first)
        assert mark in named  # the other factor is the local partial
        derivative = sympy.sympify(partial, locals=symbols).subs(
            {symbols[n]: v for n, v in values.items()}
        )
        total += float(derivative) * deltas[named.replace(mark, "")]
    return total


MIXED = {
    "V": ["x", "w"],
    "D": ["a", "c"],
    "D'": ["y", "z"],
    "g": {
        "a": "sin(x * w)",
        "c": "exp(a) - x**2",
        "y": "a * c + log(1 + w**2)",
        "z": "tanh(c) / w + a",
    },
}


@settings(max_examples=25, deadline=None)
@given(
    x=st.floats(-2, 2),
    w=st.one_of(st.floats(-2, -0.1), st.floats(0.1, 2)),
    mode=st.sampled_from(["backward", "forward"]),
)
def test_rules_reproduce_the_recursion(x: float, w: float, mode: str) -> None:
    # Two computations: the recursion's Δ values (compiled partials, numpy), and each node's
    # printed rule re-read by sympy and summed over the printed terms with those Δ values.
    from graphcost.graph.loader import graph_from_dict
    from graphcost.numeric.build import build_model
    from graphcost.numeric.propagation import backward, forward
    from graphcost.numeric.rules import chain_rules

    model = build_model(graph_from_dict(MIXED))
    result = (backward if mode == "backward" else forward)(model, {0: [x], 1: [w]})
    names = [block.name for block in model.graph.blocks]
    values = {name: float(result.values[b][0]) for b, name in enumerate(names)}
    mark, seeds = (BAR, model.outputs) if mode == "backward" else (DOT, model.inputs)
    rules = chain_rules(model, mode)
    for column in range(len(seeds)):  # one seed direction at a time
        deltas = {name: float(result.deltas[b][0][column]) for b, name in enumerate(names)}
        for b, rule in enumerate(rules):
            if b in seeds:
                assert rule == f"{names[b][0]}{mark}{names[b][1:]} = 1"
                continue
            assert rule_value(rule, mark, values, deltas) == pytest.approx(
                deltas[names[b]], rel=1e-9, abs=1e-12
            )


def test_seed_004_rules_reproduce_the_adjoints(runner) -> None:
    data = json.loads(run(runner, "trace", SEED_004, "-f", "json").stdout)
    values = {n["node"]: n["value"] for n in data["nodes"]}
    adjoints = {n["node"]: n["adjoint"]["y"] for n in data["nodes"]}
    for node in data["nodes"]:
        if node["node"] != "y":
            assert rule_value(node["rule"], BAR, values, adjoints) == pytest.approx(
                adjoints[node["node"]]
            )
    assert adjoints["w"] == pytest.approx(-4.8)  # the seed's table: -x/v2² = -0.3/0.25²


def test_trace_at_overrides_the_file(runner) -> None:
    result = run(runner, "trace", SEED_004, "--at", "x=1", "--at", "w=2,b=3", "-f", "json")
    data = json.loads(result.stdout)
    values = {n["node"]: n["value"] for n in data["nodes"]}
    assert values["y"] == pytest.approx(1 + 1 / 5)


def test_trace_block_graph_limits_rows(runner) -> None:
    result = run(runner, "trace", str(GRAPHS / "mlp-relu.yaml"), "--limit", "3")
    assert result.exit_code == 0, result.output
    assert "x[2]" in result.stdout
    assert "x[3]" not in result.stdout
    assert "(--limit 0 shows all)" in result.stdout
    assert "parameters drawn from randn·√(2/fan-in), biases 0.1·randn (--seed)" in result.stdout


@pytest.mark.parametrize("bad", ["x=", "=3", "x", "x=abc()", "x=1e999", "x=-1e999", "x=10**400"])
def test_bad_at_is_a_usage_error(runner, bad: str) -> None:
    result = run(runner, "trace", SEED_004, "--at", bad)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: --at")


# --- check -------------------------------------------------------------------------------------


def test_seed_002_network_passes_check(runner) -> None:
    result = run(runner, "check", str(GRAPHS / "seed-002-network.yaml"))
    assert result.exit_code == 0, result.output
    rows = table_cells(result.stdout)
    for name in (
        "forward vs finite differences",
        "backward vs finite differences",
        "forward vs backward",
        "forward multiplications vs count",
        "backward multiplications vs count",
    ):
        assert rows[name][-1] == "PASS"
    assert result.stdout.rstrip().endswith("PASS")


def test_check_fails_with_exit_1_after_the_table(runner, write_graph) -> None:
    # pos at its jump (a discontinuity, no kink): the derivative 0, central differences see
    # 1/(2h) = 5e5. (relu at its kink reports KINK instead: tests/test_kinks.py.)
    path = write_graph("V: [x]\nD': [y]\ng: {y: pos(x)}\nat: {x: 0}\n")
    result = run(runner, "check", str(path))
    assert result.exit_code == 1
    rows = table_cells(result.stdout)
    assert rows["forward vs finite differences"][-1] == "FAIL"
    assert rows["forward vs finite differences"][0] == "5e+05"
    # Both recursions agree on a zero derivative (pos's): an agreement that checks nothing.
    assert rows["forward vs backward"][-1] == "VACUOUS"
    assert result.stdout.rstrip().endswith("FAIL")
    assert result.stderr.startswith("Error: check of")
    assert "forward vs finite differences" in result.stderr


def test_check_json(runner) -> None:
    result = run(runner, "check", SEED_004, "--format", "json")
    data = json.loads(result.stdout)
    assert data["passed"] is True
    assert [c["check"] for c in data["checks"]][:3] == [
        "forward vs finite differences",
        "backward vs finite differences",
        "forward vs backward",
    ]


def test_cancellation_counterexample_passes_check(runner) -> None:
    # Issue 9: fixed 1e-10 against the result made this FAIL (a relative 8.3e-8 of 2e-10).
    result = run(runner, "check", str(ROOT / "tests" / "data" / "cancellation.yaml"))
    assert result.exit_code == 0, result.output
    rows = table_cells(result.stdout)
    assert rows["forward vs backward"][-1] == "PASS"
    assert result.stdout.rstrip().endswith("PASS")


@pytest.mark.parametrize(
    ("tolerance", "finite", "agreement"), [("1e-6", "1e-06", "1e-10"), ("0.001", "0.001", "1e-07")]
)
def test_tolerance_governs_every_comparison(
    runner, tolerance: str, finite: str, agreement: str
) -> None:
    result = run(runner, "check", SEED_004, "--tolerance", tolerance, "-f", "json")
    assert result.exit_code == 0, result.output
    checks = {c["check"]: c["tolerance"] for c in json.loads(result.stdout)["checks"]}
    assert checks["forward vs finite differences"] == float(finite)
    assert checks["backward vs finite differences"] == float(finite)
    assert checks["forward vs backward"] == pytest.approx(float(agreement))


@pytest.mark.parametrize(
    "text",
    [
        "V: [x]\nD': [y]\ng: {y: relu(x)}\nat: {x: -1}\n",  # a dead unit: zero partial
        "V: [w]\nD': [y]\ng: {y: w * w}\nat: {w: 0}\n",  # a stationary point
    ],
)
def test_identically_zero_jacobian_is_vacuous_not_pass(runner, write_graph, text: str) -> None:
    result = run(runner, "check", str(write_graph(text)))
    assert result.exit_code == 1, result.output
    assert not result.stdout.rstrip().endswith("PASS")
    assert "VACUOUS: the Jacobian is identically zero" in " ".join(result.stdout.split())
    assert table_cells(result.stdout)["forward vs backward"][-1] == "VACUOUS"
    assert result.stderr.startswith("Error: check of")
    assert "is vacuous" in result.stderr
    data = json.loads(run(runner, "check", str(write_graph(text)), "-f", "json").stdout)
    assert data["passed"] is False
    assert data["result"] == "VACUOUS"


def test_relu_mlp_784_300_100_check_is_not_vacuous(runner) -> None:
    # Issue 9: with all-positive default weights this passed with a Jacobian of zeros.
    mlp = str(GRAPHS / "mlp-relu.yaml")
    result = run(runner, "check", mlp, "--set", "p=784,m1=300,m2=100", "-f", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["result"] == "PASS"
    assert not data["vacuous"]
    trace = json.loads(
        run(runner, "trace", mlp, "--set", "p=784,m1=300,m2=100", "-f", "json").stdout
    )
    assert sum(1 for v in trace["jacobian"][0] if v != 0) > 0.3 * 784


@pytest.mark.parametrize(
    ("option", "fragment"),
    [
        (["--tolerance", "0"], "--tolerance 0 is not"),
        (["--tolerance", "-1"], "--tolerance -1 is not"),
        (["--tolerance", "nan"], "--tolerance nan is not"),
        (["--tolerance", "inf"], "--tolerance inf is not"),
        (["--step", "inf"], "--step inf is outside"),
        (["--step", "1e-300"], "--step 1e-300 is outside"),
        (["--seed", "-1"], "--seed"),
    ],
)
def test_bad_check_options_are_usage_errors(runner, option: list[str], fragment: str) -> None:
    result = run(runner, "check", SEED_004, *option)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error:")
    assert fragment in result.stderr


# --- jacobians ---------------------------------------------------------------------------------


def test_jacobians_of_the_relu_network(runner) -> None:
    result = run(runner, "jacobians", str(GRAPHS / "mlp-relu.yaml"), "--format", "csv")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("position,factor,rows,columns,rows_value,columns_value,kind")
    factors = [line.split(",")[1] for line in lines[1:]]
    assert factors == ["df1/dx", "dz1/df1", "df2/dz1", "dz2/df2", "df3/dz2", "dloss/df3"]


def test_jacobians_refuses_a_graph_that_is_not_layered(runner) -> None:
    result = run(runner, "jacobians", str(GRAPHS / "small.yaml"))
    assert result.exit_code == 2
    assert "is not layered" in result.stderr


# --- hostile node functions: exit 2, one clear line, nothing runs ----------------------------


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("__import__('os').system('id')", "only plain function names may be called"),
        ("x.__class__", "attribute access not allowed"),
        ("(lambda: x)()", "only plain function names may be called"),
        ("lambda q: x", "lambdas not allowed"),
        ("[x for x in w]", "comprehensions not allowed"),
        ("w[0]", "subscripts not allowed"),
        ("2**10**10", "exponent 10 ** 10 is too large"),
        ("x ** (10**10)", "exponent 10 ** 10 is too large"),
        ("system(x)", "unknown function 'system'"),
        ("exp(x, base=2)", "keyword arguments are not allowed"),
        ("'rm -rf'", "literal 'rm -rf' is not allowed"),
    ],
)
@pytest.mark.parametrize("command", ["trace", "check", "analyze"])
def test_hostile_expressions_are_refused(
    runner, write_graph, monkeypatch, command: str, expression: str, message: str
) -> None:
    import os

    def forbidden(*_: object) -> None:
        raise AssertionError("os.system was called")

    monkeypatch.setattr(os, "system", forbidden)
    text = f'V: [x, w]\nD\': [y]\ng:\n  y: "{expression}"\n'
    result = run(runner, command, str(write_graph(text)))
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: ")
    assert "graph.yaml:4: g of 'y'" in lines[0]
    assert message in lines[0]


def test_unknown_function_lists_the_valid_ones(runner, write_graph) -> None:
    result = run(runner, "trace", str(write_graph("V: [x]\nD': [y]\ng: {y: frob(x)}\n")))
    assert result.exit_code == 2
    assert "the functions are: abs, cos, exp, log, log1p" in result.stderr
    assert "layer ops: linear, affine" in result.stderr


def test_non_finite_value_is_a_clean_error(runner, write_graph) -> None:
    result = run(
        runner, "trace", str(write_graph("V: [x]\nD': [y]\ng: {y: log(x)}\nat: {x: -1}\n"))
    )
    assert result.exit_code == 2
    assert "the value of y (log(x)) is not finite" in result.stderr


@pytest.mark.parametrize("command", ["trace", "check", "jacobians"])
def test_help_has_examples(runner, command: str) -> None:
    result = run(runner, command, "--help")
    assert result.exit_code == 0
    assert "Examples:" in result.stdout
    assert f"graphcost {command} graphs/" in result.stdout
