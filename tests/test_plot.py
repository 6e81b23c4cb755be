"""Sweep plots: drawn with the Agg canvas, written atomically, clear errors."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from graphcost.cli import cli
from graphcost.count.sweep import sweep_rows
from graphcost.count.sweep_plan import parse_over, plan_sweep
from graphcost.errors import UsageError
from graphcost.graph.loader import load_graph
from graphcost.report.plot import plot_sweep
from tests.conftest import GRAPHS

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_cli_draws_png(runner, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    image = tmp_path / "exercise-4b.png"
    result = runner.invoke(
        cli,
        ["sweep", str(GRAPHS / "exercise-4b.yaml"), "--over", "n=3:300:3",
         "--output", str(tmp_path / "out.csv"), "--plot", str(image)],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = image.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (11 * 110, int(4.5 * 110))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exercise-4b.png", "out.csv"]


def test_one_curve_per_combination(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    graph = load_graph(GRAPHS / "exercise-4b-general.yaml")
    plan = plan_sweep(graph, [parse_over("V=10:100:10"), parse_over("V1=5,10,20")])
    rows, _ = sweep_rows(plan)
    curves = plot_sweep(
        tmp_path / "general.svg", plan.columns, rows, x="V", graph=graph.name,
        convention=plan.convention, group_by=["V1"],
    )  # fmt: skip
    assert curves == 3
    svg = (tmp_path / "general.svg").read_text()
    assert "exercise-4b-general" in svg
    assert "V1 = 20" in svg


@pytest.mark.parametrize(
    ("name", "message"), [("plot.gif", "unknown image type"), ("plot", "unknown image type")]
)
def test_bad_suffix(tmp_path: Path, name: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        plot_sweep(tmp_path / name, ["n"], [(1,)], x="n", graph="g", convention="c")


def test_nothing_to_plot(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    with pytest.raises(UsageError, match="no rows"):
        plot_sweep(tmp_path / "p.png", ["n"], [], x="n", graph="g", convention="c")


def test_missing_matplotlib_is_a_clear_error(
    runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in [m for m in sys.modules if m.startswith("matplotlib")]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib → ImportError
    result = runner.invoke(
        cli, ["sweep", str(GRAPHS / "exercise-4b.yaml"), "--over", "n=3", "--plot",
              str(tmp_path / "p.png")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: --plot needs matplotlib")
    assert "pip install '.[plot]'" in result.stderr
    assert not (tmp_path / "p.png").exists()


@pytest.mark.parametrize(
    ("plot", "message"),
    [("p.gif", "unknown image type 'gif'"), ("missing/p.png", "does not exist")],
)
def test_bad_plot_path_is_refused_before_the_sweep_writes(
    runner, tmp_path: Path, plot: str, message: str
) -> None:
    # A usage error leaves --output untouched: the sweep must not run first and fail at the plot.
    output = tmp_path / "rows.csv"
    output.write_text("old\n")
    result = runner.invoke(
        cli, ["sweep", str(GRAPHS / "exercise-4b.yaml"), "--over", "n=3:9:3", "-o", str(output),
              "--plot", str(tmp_path / plot)],
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: --plot")
    assert message in result.stderr
    assert output.read_text() == "old\n"
    assert result.stdout == ""
