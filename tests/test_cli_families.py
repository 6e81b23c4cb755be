"""``analyze --strategy`` with edge, face and portfolio strategies (graphcost.cli.family_report).

Every CLI row is checked against :func:`run_family_strategy` on the same problem, replayed
through the family's own scorer from the JSON ``steps``, and the witness graph's optima (edge 6
< vertex 7, both proven; brute-forced in tests/test_edge_elimination.py) come out of the CLI.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from graphcost.cli import cli
from graphcost.cli.family_report import family_names
from graphcost.cli.strategies import parse_specs
from graphcost.eliminate.edges import eliminate_edges
from graphcost.eliminate.faces import eliminate_faces
from graphcost.eliminate.families import run_family_strategy
from graphcost.eliminate.portfolio import PORTFOLIO
from graphcost.eliminate.problem import elimination_problem
from graphcost.eliminate.registry import StrategyOptions
from graphcost.graph.loader import load_graph
from tests.conftest import GRAPHS
from tests.test_conventions import schema, schema_errors

WITNESS = str(GRAPHS / "witness-edge.yaml")
EX4B = str(GRAPHS / "exercise-4b.yaml")
#: Problems small enough for every family strategy, with the CLI arguments that give them.
CASES = {
    "witness": ([WITNESS], {}),
    "exercise-4b n=3 --nodes": ([EX4B, "--set", "n=3", "--nodes"], {"n": 3}),
    "small --nodes": ([str(GRAPHS / "small.yaml"), "--nodes"], {}),
}
BUDGET = ["--iterations", "20", "--search-seed", "3"]


def as_json(runner: CliRunner, *args: str) -> dict:
    result = runner.invoke(cli, ["analyze", *args, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def problem_of(args: list[str], values: dict[str, int]):
    return elimination_problem(
        load_graph(args[0]), values, level="node" if "--nodes" in args else "auto"
    )


def test_families_word_and_names_are_parsed() -> None:
    names = family_names()
    assert names == [
        "edge-markowitz",
        "edge-relative-markowitz",
        "edge-fill-in",
        "edge-search",
        "edge-optimal",
        "face-markowitz",
        "face-fill-in",
        "face-absorb",
        "face-optimal",
        "portfolio",
    ]
    assert parse_specs(["families"]) == (tuple(names), False)
    assert parse_specs(["all,families"]) == (tuple(names), True)
    # A family name ends an inline order, as a vertex strategy's name does.
    assert parse_specs(["order:a,b,edge-markowitz"]) == (("order:a,b", "edge-markowitz"), False)


@pytest.mark.parametrize("case", CASES)
def test_cli_rows_equal_the_library_and_replay(runner: CliRunner, case: str) -> None:
    args, values = CASES[case]
    data = as_json(runner, *args, "-s", "families", *BUDGET)
    problem = problem_of(args, values)
    options = StrategyOptions(seed=3, iterations=20)
    rows = data["strategies"]
    assert list(rows) == family_names()
    for name, row in rows.items():
        library = run_family_strategy(problem, name, options)
        assert row["family"] == library.family, name
        assert (row["multiplications"], row["additions"]) == (
            library.cost.multiplications,
            library.cost.additions,
        ), name
        assert row["order"] == list(library.cost.order), name
        assert (row["lower_bound"], row["proven_optimal"]) == (
            library.lower_bound,
            library.proven_optimal,
        ), name
        # The JSON's steps, replayed by the family's scorer, give the row's counts again.
        replay = {"edge": eliminate_edges, "face": eliminate_faces}.get(row["family"])
        if replay is not None:
            cost = replay(problem, row["steps"])
            assert (cost.multiplications, cost.additions) == (
                row["multiplications"],
                row["additions"],
            )
    assert schema_errors(data, schema("analyze")) == []


def test_witness_edge_optimal_beats_vertex_optimal(runner: CliRunner) -> None:
    data = as_json(runner, WITNESS, "-s", "optimal,edge-optimal,face-optimal")
    rows = data["strategies"]
    assert (rows["optimal"]["family"], rows["optimal"]["multiplications"]) == ("vertex", 7)
    assert (rows["edge-optimal"]["family"], rows["edge-optimal"]["multiplications"]) == ("edge", 6)
    assert rows["face-optimal"]["multiplications"] == 6
    assert all(row["proven_optimal"] for row in rows.values())
    assert data["best_strategy"] == "edge-optimal"
    # Every vertex order costs 7 (the vertex optimum); the first edge step of the sequence
    # that saves one product back-eliminates a -> b (README, tests/test_edge_elimination.py).
    assert rows["edge-optimal"]["steps"][0] == ["a", "b", "back"]
    text = runner.invoke(cli, ["analyze", WITNESS, "-s", "optimal,edge-optimal"]).stdout
    assert "best: edge-optimal, 6 multiplications" in text
    assert "an edge sequence" in text
    assert "edge-optimal: proven lower bound 6, proven optimal among edge sequences" in text


@pytest.mark.parametrize("case", CASES)
def test_portfolio_row_is_at_most_every_member_row(runner: CliRunner, case: str) -> None:
    args, _values = CASES[case]
    data = as_json(runner, *args, "-s", ",".join([*PORTFOLIO, "portfolio"]))
    rows = data["strategies"]
    best = rows.pop("portfolio")
    assert set(rows) == set(PORTFOLIO)
    assert all(best["multiplications"] <= row["multiplications"] for row in rows.values())
    winner = best["details"]["winner"]
    assert rows[winner]["multiplications"] == best["multiplications"]
    assert rows[winner]["family"] == best["family"] == best["details"]["winner_family"]
    assert best["details"]["members"] == {n: r["multiplications"] for n, r in rows.items()}


def test_table_shows_family_column_and_compact_sequences(runner: CliRunner) -> None:
    data = as_json(runner, WITNESS, "-s", "markowitz,edge-optimal,face-optimal")
    result = runner.invoke(
        cli,
        ["analyze", WITNESS, "-s", "markowitz,edge-optimal,face-optimal"],
        env={"COLUMNS": "200"},
    )
    lines = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if "│" in line}
    header = next(line for line in result.stdout.splitlines() if "┃" in line)
    assert [c.strip() for c in header.split("┃")[1:-1]] == [
        "schedule",
        "multiplications",
        "additions",
        "family",
        "order",
        "÷ forward",
    ]
    edge = [f"{a}→{b} ({d})" for a, b, d in data["strategies"]["edge-optimal"]["steps"][:3]]
    assert ", ".join(edge) + ", … (+2)" in lines["edge-optimal"]
    # Faces as pairs of partials: the JSON's text "x -> a -> b (#0 #3)" is "(x→a, a→b)".
    faces = []
    for label in data["strategies"]["face-optimal"]["order"][:3]:
        start, middle, end = label.split(" (")[0].split(" -> ")
        faces.append(f"({start}→{middle}, {middle}→{end})")
    assert ", ".join(faces) + ", … (+3)" in lines["face-optimal"]
    assert "vertex" in lines["markowitz"]
    assert "vertex" in lines["forward"]


@pytest.mark.slow  # several seconds: run with -m slow (README: slow cases and benchmarks)
def test_vertex_only_tables_have_no_family_column(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["analyze", WITNESS, "-s", "all"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.stderr
    assert "family" not in result.stdout
    assert "edge-" not in result.stdout  # all = the vertex strategies only


def test_csv_has_family_columns(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["analyze", WITNESS, "-s", "edge-optimal", "--format", "csv"])
    header, row = result.stdout.splitlines()
    record = dict(zip(header.split(","), row.split(","), strict=True))
    assert record["edge-optimal_multiplications"] == "6"
    assert record["forward_multiplications"] == "7"


@pytest.mark.parametrize("spec", ["edge-markowitz", "face-markowitz,markowitz", "families"])
def test_block_level_graph_is_refused_with_the_fix(runner: CliRunner, spec: str) -> None:
    result = runner.invoke(cli, ["analyze", EX4B, "-s", spec])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ")
    assert result.stderr.count("\n") == 1
    assert "add --nodes" in result.stderr
    # The same graph with --nodes runs.
    assert (
        runner.invoke(
            cli, ["analyze", EX4B, "--set", "n=3", "--nodes", "-s", spec, "--iterations", "300"]
        ).exit_code
        == 0
    )


def test_save_order_refuses_family_strategies(runner: CliRunner, tmp_path) -> None:
    saved = tmp_path / "best.txt"
    args = ["analyze", WITNESS, "-s", "markowitz,edge-optimal", "--save-order", str(saved)]
    result = runner.invoke(cli, args)
    assert result.exit_code == 2
    assert "--save-order writes a vertex order" in result.stderr
    assert not saved.exists()
    # Vertex strategies alone still save their order.
    assert runner.invoke(cli, [*args[:3], "markowitz", *args[4:]]).exit_code == 0
    assert (
        saved.read_text(encoding="utf-8").split()
        == as_json(runner, WITNESS, "-s", "markowitz")["strategies"]["markowitz"]["order"]
    )


def test_help_documents_families(runner: CliRunner) -> None:
    text = " ".join(runner.invoke(cli, ["analyze", "--help"]).stdout.split())
    for fragment in ("edge-markowitz", "face-optimal", "portfolio", "families (all ten)"):
        assert fragment in text
