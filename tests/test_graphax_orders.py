"""Orders in Graphax's numbering (issue 12, point 4): ``--save-order --for graphax``,
``--strategy graphax:PATH`` and the re-scoring of AlphaGrad's best orders."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from graphcost.cli import cli
from graphcost.eliminate.engine import eliminate
from graphcost.eliminate.graphax import (
    from_graphax,
    parse_graphax_order,
    pruned_equations,
    rescore,
    to_graphax,
)
from graphcost.eliminate.problem import (
    EliminationProblem,
    elimination_problem,
    problem_from_edges,
)
from graphcost.errors import UsageError
from graphcost.graph.loader import load_graph
from tests.conftest import BENCHMARKS, GRAPHS, ROOT
from tests.test_cli_strategies import as_json, fails_cleanly

TENSOR = BENCHMARKS / "tensor"
TRACE = json.loads((ROOT / "tests" / "data" / "ad-tensor-graphs.json").read_text())


def small_problem() -> EliminationProblem:
    """Equations 1..6 of a jaxpr; 3 was pruned (a constant), 6 is the output, 2 and 4 feed it.

    x1 -> v1 -> v2 -> v6,  v1 -> v4 -> v6,  x2 -> v5 -> v6.
    """
    return problem_from_edges(
        [
            ("x1", "v1"),
            ("v1", "v2"),
            ("v1", "v4"),
            ("v2", "v6"),
            ("v4", "v6"),
            ("x2", "v5"),
            ("v5", "v6"),
        ],
        inputs=["x1", "x2"],
        intermediates=["v1", "v2", "v4", "v5"],
        outputs=["v6"],
    )


# --- the text form -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["[12, 15, 3]\n", "12,15,3", "12\n15\n3\n", "# best order\n[12,\n 15, 3]  # done\n"],
)
def test_the_index_list_is_read_in_every_written_form(text: str) -> None:
    assert parse_graphax_order(text) == [12, 15, 3]


@pytest.mark.parametrize("text", ["", "[]", "[1, x2]", "[0, 1]", "[1.5]", "[-1]", "v12"])
def test_anything_but_positive_indices_is_refused(text: str) -> None:
    with pytest.raises(UsageError):
        parse_graphax_order(text)


# --- conversion ----------------------------------------------------------------------------


def test_to_graphax_puts_the_pruned_equations_first_highest_first() -> None:
    problem = small_problem()
    assert pruned_equations(problem) == [3]
    assert to_graphax(problem, ["v5", "v4", "v1", "v2"]) == [3, 5, 4, 1, 2]


def test_from_graphax_drops_pruned_equations_and_outputs_and_appends_the_rest() -> None:
    imported = from_graphax(small_problem(), [6, 4, 3, 1])
    assert imported.pruned == (3,)
    assert imported.outputs == (6,)
    # v2 and v5 are not named: appended in forward (topological, then D's order) order.
    assert imported.appended == ("v2", "v5")
    assert imported.order == ("v4", "v1", "v2", "v5")
    assert "dropped 1 equation" in (imported.remark() or "")


def test_every_order_survives_the_round_trip() -> None:
    problem = small_problem()
    for order in itertools.permutations(["v1", "v2", "v4", "v5"]):
        back = from_graphax(problem, to_graphax(problem, order))
        assert back.order == order
        assert back.pruned == (3,)
        assert not back.outputs
        assert not back.appended


def test_a_repeated_index_is_refused() -> None:
    with pytest.raises(UsageError, match="twice"):
        from_graphax(small_problem(), [1, 2, 1])


@pytest.mark.parametrize(
    ("path", "level", "message"),
    [
        (GRAPHS / "exercise-4b.yaml", "auto", "'h1' .* is not a jaxpr equation vertex"),
        (BENCHMARKS / "RoeFlux_1d.yaml", "auto", "input 'v1' .* named like an equation"),
        (TENSOR / "Perceptron.yaml", "node", "drop --nodes"),
    ],
)
def test_graphs_without_graphax_numbering_are_refused(path: Path, level: str, message: str) -> None:
    problem = elimination_problem(load_graph(path), level=level)
    with pytest.raises(UsageError, match=message):
        to_graphax(problem, [problem.names[v] for v in problem.intermediates])
    with pytest.raises(UsageError, match=message):
        from_graphax(problem, [1, 2])


# --- re-scoring AlphaGrad's best orders ----------------------------------------------------


def test_alphagrad_best_order_of_roeflux_1d_rescores_to_its_published_count(
    runner: CliRunner,
) -> None:
    """A scalar task: nothing pruned, and graphcost's count is the published best, 320."""
    graph = load_graph(TENSOR / "RoeFlux_1d.yaml")
    problem = elimination_problem(graph)
    best = graph.extra["published"]["best_order"]["order"]
    cost, imported = rescore(problem, best)
    assert (imported.pruned, imported.outputs, imported.appended) == ((), (), ())
    assert cost.multiplications == graph.extra["published"]["best_alphagrad"] == 320
    names = ",".join(f"v{k}" for k in best)
    data = as_json(runner, str(TENSOR / "RoeFlux_1d.yaml"), "-s", f"order:{names}")
    assert data["strategies"][f"order:{names}"]["multiplications"] == cost.multiplications


def test_alphagrad_best_order_of_perceptron_drops_exactly_the_pruned_equations(
    runner: CliRunner,
) -> None:
    """A tensor task: the dropped indices are the trace's equations that are not vertices
    (read from the trace record, independently of the graph's numbering gaps), and the
    re-scored count equals ``--strategy order:...`` with the kept names in the same order."""
    path = TENSOR / "Perceptron.yaml"
    problem = elimination_problem(load_graph(path))
    best = TRACE["Perceptron"]["best_order"]["order"]
    cost, imported = rescore(problem, best)
    vertices = set(problem.names)
    expected = [k for k in best if f"v{k}" not in vertices]
    assert list(imported.pruned) == expected == [29, 28, 30]
    kept = [f"v{k}" for k in best if f"v{k}" in vertices]
    assert list(imported.order) == kept
    assert cost == eliminate(problem, kept)
    data = as_json(runner, str(path), "-s", "order:" + ",".join(kept))
    assert data["strategies"]["order:" + ",".join(kept)]["multiplications"] == (
        cost.multiplications
    )
    shown = f"graphax:{json.dumps(best)}"
    via_strategy = as_json(runner, str(path), "-s", shown)["strategies"]
    (entry,) = via_strategy.values()
    assert entry["multiplications"] == cost.multiplications
    assert "dropped 3 equations" in entry["remark"]


# --- the command line ----------------------------------------------------------------------


def test_saved_graphax_order_loads_back_to_the_same_order_and_count(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = str(TENSOR / "Perceptron.yaml")
    saved = tmp_path / "best.txt"
    first = as_json(runner, path, "-s", "markowitz", "--save-order", str(saved), "--for", "graphax")
    text = saved.read_text()
    indices = json.loads(text)  # pastes into graphax.jacve(f, order=...)
    assert text == "[" + ", ".join(map(str, indices)) + "]\n"
    order = first["strategies"]["markowitz"]["order"]
    assert indices == [30, 29, 28] + [int(name[1:]) for name in order]
    second = as_json(runner, path, "-s", f"graphax:{saved}")["strategies"][f"graphax:{saved}"]
    assert second["order"] == order
    assert second["multiplications"] == first["strategies"]["markowitz"]["multiplications"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([str(TENSOR / "Perceptron.yaml"), "--for", "graphax"], "--for needs --save-order"),
        (
            [str(GRAPHS / "exercise-4b.yaml"), "-s", "markowitz", "--for", "graphax"],
            "--for needs --save-order",
        ),
        ([str(TENSOR / "Perceptron.yaml"), "-s", "graphax:nosuchfile"], "no such Graphax order"),
        ([str(TENSOR / "Perceptron.yaml"), "-s", "graphax:1,2,1"], "names equation 1 twice"),
        ([str(TENSOR / "Perceptron.yaml"), "-s", "graphax"], "needs an argument"),
    ],
)
def test_usage_errors(runner: CliRunner, args: list[str], message: str) -> None:
    assert message in fails_cleanly(runner.invoke(cli, ["analyze", *args]))


def test_graphax_order_of_a_hand_written_graph_is_refused_before_anything_is_written(
    runner: CliRunner, tmp_path: Path
) -> None:
    saved = tmp_path / "order.txt"
    args = [str(GRAPHS / "exercise-4b.yaml"), "-s", "markowitz", "--save-order", str(saved)]
    line = fails_cleanly(runner.invoke(cli, ["analyze", *args, "--for", "graphax"]))
    assert "'h1'" in line
    assert "not a jaxpr equation vertex" in line
    assert not saved.exists()


def test_a_file_that_is_not_an_index_list_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "names.txt"
    bad.write_text("v1\nv2\n")
    line = fails_cleanly(
        runner.invoke(cli, ["analyze", str(TENSOR / "Perceptron.yaml"), "-s", f"graphax:{bad}"])
    )
    assert "'v1', which is not an equation index" in line
