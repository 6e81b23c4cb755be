"""Hostile corpus: edge, face and portfolio strategies (``analyze --strategy edge-*,face-*``).

Block-level graphs, ``--save-order`` (which writes vertex orders), the dense convention, sizes
without values, expansions too large, commands that score vertex orders only (``sweep``,
``draw``), budgets that are no budget, and names full of rich markup. Each refusal: one
``Error:`` line, exit 2, nothing on stdout, no file written or changed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import GRAPHS
from tests.hostile.conftest import assert_clean_error, run_graphcost

WITNESS = str(GRAPHS / "witness-edge.yaml")
EX4B = str(GRAPHS / "exercise-4b.yaml")


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        ([EX4B, "-s", "edge-markowitz"], ["edge-markowitz", "single nodes", "add --nodes"]),
        ([EX4B, "-s", "all,families"], ["edge-markowitz", "add --nodes"]),
        ([EX4B, "-s", "portfolio", "--set", "n=30"], ["portfolio", "add --nodes"]),
        (["--layers", "3,2,1", "-s", "face-optimal"], ["face-optimal", "add --nodes"]),
        ([WITNESS, "-s", "edge-markowitz", "--convention", "dense"], ["--convention dense"]),
        (["--layers", "n,n,1", "-s", "edge-optimal"], ["--set n=VALUE"]),
        ([EX4B, "--set", "n=3*10**9", "--nodes", "-s", "edge-markowitz"], ["too large"]),
        ([WITNESS, "-s", "edge-optimal", "--time-limit", "nan"], ["--time-limit"]),
        ([WITNESS, "-s", "edge-bogus"], ["unknown strategy 'edge-bogus'", "edge-markowitz"]),
        ([WITNESS, "-s", "forward,fce-optimal"], ["'fce-optimal'", "face-optimal", "portfolio"]),
        ([WITNESS, "-s", "families,"], ["empty strategy name"]),
    ],
)
def test_refusals(args: list[str], fragments: list[str]) -> None:
    assert_clean_error(run_graphcost(["analyze", *args]), contains=fragments)


@pytest.mark.parametrize("spec", ["edge-optimal", "markowitz,portfolio", "families"])
def test_save_order_with_a_family_strategy_writes_nothing(tmp_path: Path, spec: str) -> None:
    saved = tmp_path / "best.txt"
    saved.write_text("before\n", encoding="utf-8")
    outcome = run_graphcost(["analyze", WITNESS, "-s", spec, "--save-order", str(saved)])
    assert_clean_error(outcome, contains=["--save-order writes a vertex order", "steps"])
    assert saved.read_text(encoding="utf-8") == "before\n"
    fresh = tmp_path / "fresh.txt"
    outcome = run_graphcost(["analyze", WITNESS, "-s", spec, "--save-order", str(fresh)])
    assert_clean_error(outcome)
    assert not fresh.exists()


def test_sweep_refuses_family_strategies() -> None:
    outcome = run_graphcost(["sweep", EX4B, "--over", "n=3:6:3", "-s", "edge-markowitz"])
    assert_clean_error(
        outcome, contains=["sweep scores vertex strategies", "analyze FILE --nodes --strategy"]
    )


def test_draw_refuses_family_strategies(tmp_path: Path) -> None:
    args = ["draw", WITNESS, "-s", "face-markowitz", "--steps", str(tmp_path / "frames")]
    assert_clean_error(run_graphcost(args), contains=["face-markowitz"])
    assert not (tmp_path / "frames").exists()


MARKUP_GRAPH = (
    "name: markup\nV: ['[/x]']\nD: ['[bold]h', '[/]']\nD': ['[red]y']\n"
    "E: [['[/x]', '[bold]h'], ['[bold]h', '[/]'], ['[/]', '[red]y']]\n"
)


def test_markup_in_names_is_printed_as_text(graph_file) -> None:
    path = graph_file(MARKUP_GRAPH)
    outcome = run_graphcost(["analyze", str(path), "-s", "edge-markowitz,face-markowitz"])
    assert outcome.code == 0, outcome.stderr
    assert "[/x]→[bold]h (front)" in outcome.stdout
    assert "([/x]→[/], [/]→[red]y)" in outcome.stdout


def test_graph_without_intermediates(graph_file) -> None:
    """Nothing to eliminate: every family row is 0 and shows no step."""
    path = graph_file("name: direct\nV: [x]\nD: []\nD': [y]\nE: [[x, y]]\n")
    outcome = run_graphcost(["analyze", str(path), "-s", "families", "--format", "csv"])
    assert outcome.code == 0, outcome.stderr
    header, row = outcome.stdout.splitlines()
    record = dict(zip(header.split(","), row.split(","), strict=True))
    assert all(record[f"{name}_multiplications"] == "0" for name in ("edge-optimal", "portfolio"))
