"""``analyze --strategy``: strategies in the table, JSON and CSV; orders saved and read back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from graphcost.cli import cli
from graphcost.cli.strategies import parse_specs
from graphcost.eliminate.problem import EliminationProblem
from graphcost.eliminate.registry import STRATEGIES, Strategy, StrategyOptions, StrategyOutcome
from tests.conftest import GRAPHS

SEED_004 = str(GRAPHS / "seed-004-expression.yaml")
EX4B = str(GRAPHS / "exercise-4b.yaml")
CORMEN = "30,35,15,5,10,20,25"


def fails_cleanly(result: Result) -> str:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


def as_json(runner: CliRunner, *args: str) -> dict:
    result = runner.invoke(cli, ["analyze", *args, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_all_strategies_in_json(runner: CliRunner) -> None:
    data = as_json(runner, SEED_004, "--strategy", "all")
    strategies = data["strategies"]
    # Hand counts (tests/test_elimination.py): forward 8, reverse 5, Markowitz 6 (v3, v1, v2).
    assert strategies["forward"]["multiplications"] == 8
    assert strategies["backward"]["multiplications"] == 5
    assert strategies["markowitz"]["order"] == ["v3", "v1", "v2"]
    assert strategies["markowitz"]["multiplications"] == 6
    assert strategies["markowitz"]["ratio_to_forward"] == 0.75
    assert "chain" not in strategies  # does not apply: three inputs
    assert data["best_strategy"] == "backward"
    assert data["strategy_level"] == "node"
    # the recursion's keys stay
    assert data["forward"]["multiplications"] == 8
    assert data["backward"]["multiplications"] == 5
    assert data["speedup"] == 1.6


def test_table_merges_forward_and_backward_and_notes_skips(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["analyze", SEED_004, "--strategy", "all"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert sum(line.startswith("│ forward ") for line in lines) == 1
    assert any("markowitz" in line and "v3, v1, v2" in line for line in lines)
    assert "best: backward, 5 multiplications" in result.stdout
    assert "chain: skipped" in " ".join(result.stdout.split())


def test_cormen_chain_through_layers(runner: CliRunner) -> None:
    data = as_json(runner, "--layers", CORMEN, "--strategy", "forward,backward,chain")
    assert data["strategies"]["chain"]["multiplications"] == 15125
    assert data["strategies"]["chain"]["order"] == ["h2", "h1", "h4", "h5", "h3"]
    assert data["best_strategy"] == "chain"
    assert data["strategy_level"] == "block"


def test_best_row_is_highlighted() -> None:
    from graphcost.cli.analyze import analysis_report
    from graphcost.cli.strategies import StrategyRequest
    from graphcost.count.recursions import count
    from graphcost.graph.layers import layered_graph, parse_layers

    graph = layered_graph(parse_layers(CORMEN))
    report = analysis_report(count(graph), graph)
    request = StrategyRequest(("markowitz", "chain"), False, 0, None, None, 1, None, None)
    request.add_to(report, graph, {})
    assert [row[0] for row in report.rows] == ["forward", "backward", "markowitz", "chain"]
    assert report.highlight == 3
    assert report.columns[-2:] == ["order", "÷ forward"]


def test_csv_gets_strategy_columns(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["analyze", EX4B, "-s", "markowitz", "--format", "csv"])
    assert result.exit_code == 0, result.stderr
    header, row = result.stdout.splitlines()
    record = dict(zip(header.split(","), row.split(","), strict=True))
    # Markowitz on exercise 4b: h2 (20·10·1 = 200) before h1 (30·20·1 = 600).
    assert record["markowitz_multiplications"] == "800"
    assert record["forward_multiplications"] == "6300"


def test_nodes_runs_strategies_on_single_nodes(runner: CliRunner) -> None:
    data = as_json(runner, EX4B, "--set", "n=6", "--nodes", "-s", "forward,markowitz")
    assert data["strategy_level"] == "node"
    assert len(data["strategies"]["forward"]["order"]) == 4 + 2
    # exercise 4b by hand at n = 6: forward |V|·|V2|·(|V1| + 1) = 6·2·5 = 60
    assert data["strategies"]["forward"]["multiplications"] == 60


def test_save_order_and_read_it_back(runner: CliRunner, tmp_path: Path) -> None:
    saved = tmp_path / "best.txt"
    result = runner.invoke(
        cli, ["analyze", "--layers", CORMEN, "-s", "forward,chain", "--save-order", str(saved)]
    )
    assert result.exit_code == 0, result.stderr
    assert saved.read_text() == "h2\nh1\nh4\nh5\nh3\n"
    data = as_json(runner, "--layers", CORMEN, "--strategy", f"order:{saved}")
    assert data["strategies"][f"order:{saved}"]["multiplications"] == 15125


def test_inline_order_after_other_strategies(runner: CliRunner) -> None:
    data = as_json(runner, EX4B, "--strategy", "markowitz,order:h1,h2")
    assert data["strategies"]["order:h1,h2"]["multiplications"] == 6300


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([EX4B, "-s", "fastest"], "unknown strategy 'fastest'; choose from: forward"),
        ([EX4B, "--save-order", "x.txt"], "--save-order needs --strategy"),
        ([EX4B, "-s", "chain", "--convention", "dense"], "drop --convention dense"),
        ([SEED_004, "-s", "chain"], "needs a chain-structured graph"),
        ([EX4B, "-s", "order:h1"], "leaves out 1 intermediate vertex: h2"),
        ([EX4B, "-s", "forward,,markowitz"], "empty strategy name"),
        (["--layers", "n,2*n/3,1", "-s", "markowitz"], "needs numeric sizes"),
    ],
)
def test_bad_strategy_requests_fail_cleanly(runner: CliRunner, args: list, message: str) -> None:
    assert message in fails_cleanly(runner.invoke(cli, ["analyze", *args]))


def test_lower_bounds_are_shown(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    def bounded(problem: EliminationProblem, options: StrategyOptions) -> StrategyOutcome:
        return StrategyOutcome(tuple(problem.intermediates[::-1]), lower_bound=4)

    monkeypatch.setitem(STRATEGIES, "bounded", Strategy("bounded", bounded, "test"))
    result = runner.invoke(cli, ["analyze", SEED_004, "-s", "bounded"])
    assert result.exit_code == 0, result.stderr
    assert "bounded: proven lower bound 4" in result.stdout
    data = as_json(runner, SEED_004, "-s", "bounded")
    assert data["strategies"]["bounded"]["lower_bound"] == 4


@pytest.mark.slow  # several seconds: run with -m slow (README: slow cases and benchmarks)
def test_an_unproven_optimum_says_why(runner: CliRunner) -> None:
    """RoeFlux_1d (98 intermediates) is not proven in half a second: the output says so."""
    roeflux = str(GRAPHS / "benchmarks" / "RoeFlux_1d.yaml")
    args = ["analyze", roeflux, "-s", "optimal", "--time-limit", "0.5", "--iterations", "200"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.stderr
    assert "optimal: time limit of 0.5 s reached before the proof" in result.stdout
    data = as_json(runner, *args[1:])
    assert data["strategies"]["optimal"]["proven_optimal"] is False
    assert data["strategies"]["optimal"]["remark"].startswith("time limit of 0.5 s")


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["forward,reverse"], (("forward", "backward"), False)),
        (["all"], ((), True)),
        (["markowitz,order:h2,h1"], (("markowitz", "order:h2,h1"), False)),
        (["order:a,b,forward", "chain"], (("order:a,b", "forward", "chain"), False)),
        (["forward", "forward"], (("forward",), False)),
    ],
)
def test_parse_specs(values: list[str], expected: tuple) -> None:
    assert parse_specs(values) == expected


def test_help_documents_the_strategy_options(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["analyze", "--help"])
    assert result.exit_code == 0
    for option in (
        "--strategy",
        "--seed",
        "--time-limit",
        "--iterations",
        "--jobs",
        "--save-order",
    ):
        assert option in result.stdout
    assert "--strategy all" in result.stdout


def test_an_approximate_strategy_result_says_so(runner: CliRunner) -> None:
    # On the attention graph the forward order joins X -> S fill-ins that no pattern holds.
    graph = str(GRAPHS / "attention.yaml")
    result = runner.invoke(cli, ["analyze", graph, "-s", "forward,backward", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    strategies = json.loads(result.stdout)["strategies"]
    assert strategies["forward"]["approximate"] == ["X -> S"]
    assert strategies["backward"]["approximate"] == []
    table = runner.invoke(cli, ["analyze", graph, "-s", "forward"], terminal_width=200)
    assert "forward: approximate (an upper bound)" in table.stdout
