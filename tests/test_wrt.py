"""--wrt: activity analysis (chosen inputs independent, the rest constant) and its counts."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from graphcost.cli import cli
from graphcost.count.recursions import count
from graphcost.errors import UsageError
from graphcost.graph.loader import graph_from_dict
from graphcost.graph.wrt import split_names, with_respect_to, wrt_of

#: c feeds a, which only c reaches: with respect to x, a is a constant and drops out.
CHAIN = {
    "V": ["x", "c"],
    "D": ["a", "b"],
    "D'": ["y"],
    "E": [["c", "a"], ["a", "b"], ["x", "b"], ["b", "y"], ["x", "y"]],
}


def names(graph) -> list[str]:
    return [block.name for block in graph.blocks]


def edges(graph) -> list[tuple[str, str]]:
    return [
        (graph.blocks[a].name, graph.blocks[b].name)
        for a, b in zip(graph.edges.src.tolist(), graph.edges.dst.tolist(), strict=True)
    ]


def test_constants_and_what_only_they_reach_drop_out() -> None:
    graph = with_respect_to(graph_from_dict(CHAIN), ["x"])
    assert names(graph) == ["x", "b", "y"]
    assert edges(graph) == [("x", "b"), ("b", "y"), ("x", "y")]  # in file order
    record = wrt_of(graph)
    assert record is not None
    assert (record.independent, record.constants) == (("x",), ("c",))
    assert record.dropped == ("c", "a")
    assert record.dropped_outputs == ()
    assert graph.definitions is None
    assert graph.level.tolist() == [0, 1, 2]


def test_counts_equal_the_hand_built_subgraph() -> None:
    # With respect to x: b has one input ancestor and one successor, one predecessor and one
    # output descendant: forward = backward = 1.
    reduced = graph_from_dict(
        {"V": ["x"], "D": ["b"], "D'": ["y"], "E": [["x", "b"], ["b", "y"], ["x", "y"]]}
    )
    result = count(with_respect_to(graph_from_dict(CHAIN), ["x"]))
    assert result.to_dict()["forward"] == count(reduced).to_dict()["forward"]
    assert result.to_dict()["backward"] == count(reduced).to_dict()["backward"]
    assert (result.forward.multiplications, result.backward.multiplications) == (1, 1)


def test_all_inputs_of_a_reached_graph_change_nothing() -> None:
    graph = graph_from_dict(CHAIN)
    assert count(with_respect_to(graph, ["x", "c"])).to_dict() == count(graph).to_dict()


def test_node_level_equals_block_level_on_blocks_with_diag_edges() -> None:
    data = {
        "symbols": {"n": 4},
        "V": {"x": "n", "w": "n"},
        "D": {"h": "n", "u": "n"},
        "D'": {"y": 1},
        "E": [["x", "h"], ["w", "u", "diag"], ["u", "h", "diag"], ["h", "y"]],
    }
    for chosen in (["x"], ["w"], ["x", "w"]):
        graph = with_respect_to(graph_from_dict(data), chosen)
        block, node = count(graph, values={"n": 7}), count(graph, values={"n": 7}, level="node")
        assert block.to_dict()["forward"] == node.to_dict()["forward"], chosen
        assert block.to_dict()["backward"] == node.to_dict()["backward"], chosen


def test_w_alone_on_the_diag_branch_by_hand() -> None:
    data = {
        "symbols": {"n": 5},
        "V": {"x": "n", "w": "n"},
        "D": {"h": "n", "u": "n"},
        "D'": {"y": 1},
        "E": [["x", "h"], ["w", "u", "diag"], ["u", "h", "diag"], ["h", "y"]],
    }
    result = count(with_respect_to(graph_from_dict(data), ["w"]))
    # u_i: ancestor w_i, successor h_i (1·1 each); h_i: ancestor w_i, successor y: n each way.
    assert result.forward.multiplications == 2 * 5
    assert result.backward.multiplications == 2 * 5


def test_unreached_outputs_are_dropped_and_named() -> None:
    graph = graph_from_dict({"V": ["x", "w"], "D'": ["y", "z"], "E": [["x", "y"], ["w", "z"]]})
    reduced = with_respect_to(graph, ["x"])
    assert names(reduced) == ["x", "y"]
    assert wrt_of(reduced).dropped_outputs == ("z",)
    with pytest.raises(UsageError, match="no output depends on 'w'"):
        with_respect_to(graph_from_dict({"V": ["x", "w"], "D'": ["y"], "E": [["x", "y"]]}), ["w"])


@pytest.mark.parametrize(
    ("chosen", "message"),
    [
        ([], "names no input"),
        ([""], "empty name"),
        (["q"], "unknown input 'q'"),
        (["a"], "'a' is an intermediate block"),
        (["y"], "'y' is an output"),
        (["x", "x"], "'x' twice"),
    ],
)
def test_errors_name_the_inputs(chosen: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message) as caught:
        with_respect_to(graph_from_dict(CHAIN), chosen)
    assert "the inputs are: x, c" in str(caught.value)


def test_split_names() -> None:
    assert split_names("x, W1,b1 ") == ["x", "W1", "b1"]
    assert split_names("  ") == []
    assert split_names("x,,y") == ["x", "", "y"]


def test_cli_analyze_and_sweep(tmp_path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text(
        "symbols: {n: 3}\nV: {x: n, c: n}\nD: {a: n, b: n}\nD': {y: 1}\n"
        "E: [[c, a], [a, b], [x, b], [b, y], [x, y]]\n"
    )
    runner = CliRunner()
    done = runner.invoke(cli, ["analyze", str(path), "--wrt", "x", "-f", "json"])
    assert done.exit_code == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["wrt"] == {"independent": ["x"], "dropped": ["c", "a"]}
    # Each b_j has the n nodes of x as input ancestors and one successor, y: n·n.
    assert data["forward"]["multiplications"] == 3 * 3
    table = runner.invoke(cli, ["analyze", str(path), "--wrt", "x"])
    assert "with respect to x (constants: c)" in table.stdout
    swept = runner.invoke(cli, ["sweep", str(path), "--wrt", "x", "--over", "n=2,3"])
    assert swept.exit_code == 0, swept.stderr
    assert [line.split(",")[1] for line in swept.stdout.splitlines()[1:]] == ["4", "9"]


def test_cli_warns_about_dropped_outputs(tmp_path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text("V: [x, w]\nD': [y, z, t]\nE: [[x, y], [w, z], [w, t]]\n")
    done = CliRunner().invoke(cli, ["analyze", str(path), "--wrt", "x"])
    assert done.exit_code == 0, done.stderr
    assert "outputs 'z', 't' depend on none of x: their derivatives are zero" in done.stderr
