"""Sweeps: axes, exact vectorised evaluation against analyze and count(), the CLI (an
interrupted sweep keeps its finished rows)."""

from __future__ import annotations

import csv
import io
import json
import signal
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphcost.cli import cli
from graphcost.count.compiled import compile_counts, evaluate_counts
from graphcost.count.records import COUNT_COLUMNS, EVALUATION_COLUMN, result_record
from graphcost.count.recursions import count
from graphcost.count.sweep import sweep_rows
from graphcost.count.sweep_plan import parse_over, plan_sweep
from graphcost.errors import SizeError, UsageError
from graphcost.graph.layers import layered_graph
from graphcost.graph.loader import graph_from_dict, load_graph
from tests.conftest import GRAPHS, ROOT
from tests.hostile.conftest import started
from tests.test_symbolic import block_graphs

EX4B = GRAPHS / "exercise-4b.yaml"
GENERAL = GRAPHS / "exercise-4b-general.yaml"


def reference_row(graph, values: dict[str, int], columns: list[str]) -> tuple:
    """The row of a plain count() at one point (block level, one graph at a time)."""
    record = result_record(count(graph, values=values))
    return tuple(record[column] for column in columns)


# --- axes --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("n=3:12:3", [3, 6, 9, 12]),  # stop inclusive
        ("n=3:13:3", [3, 6, 9, 12]),
        ("n=5", [5]),
        ("n=1,2,4", [1, 2, 4]),
        ("n=10:1:-4", [10, 6, 2]),
        ("n=1:3", [1, 2, 3]),
        ("n = 10**2 : 3*10**2 : 10**2", [100, 200, 300]),
    ],
)
def test_parse_over(text: str, values: list[int]) -> None:
    axis = parse_over(text)
    assert axis.symbol == "n"
    assert list(axis.values) == values


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("n", "SYMBOL="),
        ("=3", "SYMBOL="),
        ("n=1:2:3:4", "START:STOP"),
        ("n=1:5:0", "step is 0"),
        ("n=5:1", "empty"),
        ("n=1.5:3", "1.5"),
        ("n=1,,2", "not an integer"),
        ("n=2/3", "not an integer"),
        ("n=__import__('os')", "--over"),
    ],
)
def test_parse_over_errors(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_over(text)


def test_axis_take_large_values_are_python_ints() -> None:
    axis = parse_over(f"n={10**30}:{10**30 + 4}:2")
    taken = axis.take(np.array([0, 2]))
    assert taken.dtype == object
    assert taken.tolist() == [10**30, 10**30 + 4]


@pytest.mark.parametrize(
    ("overs", "values", "message"),
    [
        ([], {}, "at least one --over"),
        (["n=3", "n=6"], {}, "twice"),
        (["m=3"], {}, "no symbol 'm'"),
        (["n=3"], {"n": 6}, "both set"),
    ],
)
def test_plan_errors(overs: list[str], values: dict[str, int], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        plan_sweep(load_graph(EX4B), [parse_over(o) for o in overs], values=values)


def test_plan_missing_symbol() -> None:
    graph = layered_graph(["n", "m", "1"])
    with pytest.raises(SizeError, match="'m' has no value"):
        plan_sweep(graph, [parse_over("n=1:3")])


def test_too_many_points() -> None:
    axes = [parse_over("V=1:100000"), parse_over("V1=1:100000")]
    with pytest.raises(UsageError, match="more than"):
        plan_sweep(load_graph(GENERAL), axes)


# --- exact evaluation --------------------------------------------------------------------------


def test_grid_order_and_values_equal_count() -> None:
    graph = load_graph(GENERAL)
    plan = plan_sweep(graph, [parse_over("V=1:4"), parse_over("V1=2,5")], values={"V2": 3})
    rows, skipped = sweep_rows(plan)
    assert skipped == 0
    assert [row[:3] for row in rows] == [(v, v1, 3) for v in range(1, 5) for v1 in (2, 5)]
    for row in rows:
        values = dict(zip(plan.symbols, row, strict=False))
        assert row == reference_row(graph, values, plan.columns)


def test_inadmissible_points_are_skipped() -> None:
    graph = load_graph(EX4B)
    rows, skipped = sweep_rows(plan_sweep(graph, [parse_over("n=-3:30")]))
    assert [row[0] for row in rows] == list(range(3, 31, 3))  # n ≤ 0 and n % 3 ≠ 0 skipped
    assert skipped == 34 - 10


def test_strict_names_the_block() -> None:
    plan = plan_sweep(load_graph(EX4B), [parse_over("n=3:10")])
    with pytest.raises(SizeError, match=r"block 'h1' \(2\*n/3\).*n = 4"):
        sweep_rows(plan, strict=True)


@pytest.mark.parametrize(
    "over",
    [
        "n=3*10**9:3*10**9+30:3",  # int64 throughout
        "n=3*10**5:3*10**7:3*10**5",  # counts ~1e22: past int64, Python ints
        "n=2097150:2097159:3",  # forward crosses 2**63 inside the chunk
        f"n={3 * 10**40}:{3 * 10**40 + 9}:3",  # symbol values past int64
    ],
)
def test_large_values_are_exact(over: str) -> None:
    graph = load_graph(EX4B)
    plan = plan_sweep(graph, [parse_over(over)])
    rows, _ = sweep_rows(plan)
    assert rows
    for row in rows:
        assert row == reference_row(graph, {"n": row[0]}, plan.columns)


def test_int64_bound_decides_the_dtype() -> None:
    compiled = compile_counts(load_graph(EX4B))
    small = evaluate_counts(compiled, {"n": np.array([3, 30, 300], dtype=np.int64)})
    assert all(array.dtype == np.int64 for array in small.counts)
    big = evaluate_counts(compiled, {"n": np.array([3, 3 * 10**7], dtype=np.int64)})
    assert big.counts[0].dtype == object
    assert (
        big.counts[0].tolist()[1]
        == count(load_graph(EX4B), values={"n": 3 * 10**7}).forward.multiplications
    )


def test_diag_edges_and_node_level_agree() -> None:
    # mlp-relu has diag (relu) edges; the per-point node-level count is an independent engine.
    graph = load_graph(GRAPHS / "mlp-relu.yaml")
    axes = [parse_over("p=1:6"), parse_over("m1=1,3"), parse_over("m2=2:4")]
    block, _ = sweep_rows(plan_sweep(graph, axes))
    nodes, _ = sweep_rows(plan_sweep(graph, axes, nodes=True))
    assert block == nodes
    assert len(block) == 6 * 2 * 3


def test_floor_sizes_are_evaluated_point_by_point() -> None:
    graph = graph_from_dict(
        {
            "symbols": {"m": 4},
            "V": {"x": "m"},
            "D": {"h": "m//2"},
            "D'": {"y": 1},
            "E": [["x", "h"], ["h", "y"]],
        }
    )
    plan = plan_sweep(graph, [parse_over("m=1:9")])
    rows, skipped = sweep_rows(plan)
    assert skipped == 1  # m = 1: m//2 = 0
    for row in rows:
        assert row == reference_row(graph, {"m": row[0]}, plan.columns)


def test_dense_convention() -> None:
    graph = load_graph(GENERAL)
    plan = plan_sweep(graph, [parse_over("V=1:5")], convention="dense")
    for row in sweep_rows(plan)[0]:
        record = result_record(count(graph, convention="dense", values={"V": row[0]}))
        assert row == tuple(record[c] for c in plan.columns)


@settings(max_examples=40, deadline=None)
@given(
    v=st.integers(1, 10**12),
    v1=st.integers(1, 10**6),
    v2=st.integers(1, 10**12),
)
def test_vectorised_equals_count_anywhere(v: int, v1: int, v2: int) -> None:
    graph = load_graph(GENERAL)
    plan = plan_sweep(graph, [parse_over(f"V={v},{v + 1}")], values={"V1": v1, "V2": v2})
    rows, _ = sweep_rows(plan)
    for row in rows:
        assert row == reference_row(graph, {"V": row[0], "V1": v1, "V2": v2}, plan.columns)


# --- CLI ---------------------------------------------------------------------------------------


def test_sweep_csv_reads_back_and_equals_analyze(runner, tmp_path: Path) -> None:
    output = tmp_path / "grid.csv"
    result = runner.invoke(
        cli,
        [
            "sweep",
            str(GENERAL),
            "--over",
            "V=3,6",
            "--over",
            "V1=1,2,5",
            "--over",
            "V2=2,4",
            "--output",
            str(output),
        ],
    )
    assert result.exit_code == 0, result.stderr
    with output.open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == 12
    assert list(rows[0]) == ["V", "V1", "V2", *COUNT_COLUMNS, "approximate", EVALUATION_COLUMN]
    for row in rows:
        settings_ = ["--set", f"V={row['V']},V1={row['V1']},V2={row['V2']}"]
        analyzed = runner.invoke(cli, ["analyze", str(GENERAL), *settings_, "--format", "csv"])
        assert analyzed.exit_code == 0
        (expected,) = list(csv.DictReader(io.StringIO(analyzed.stdout)))
        assert row == expected


def test_sweep_layers_stdout(runner) -> None:
    result = runner.invoke(cli, ["sweep", "--layers", "n,2*n/3,n/3,1", "--over", "n=1:9"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "n," + ",".join([*COUNT_COLUMNS, "approximate", EVALUATION_COLUMN])
    # evaluation: n·2n/3 + 2n/3·n/3 + n/3 = 8n²/9 + n/3
    assert lines[1:] == [
        "3,9,3,8,3,1.125,,9",
        "6,60,42,32,22,1.875,,34",
        "9,189,153,72,57,2.625,,75",
    ]
    assert "skipped 6 of 9 points" in result.stderr


def test_sweep_json_and_table(runner) -> None:
    result = runner.invoke(cli, ["sweep", str(EX4B), "--over", "n=3:9:3", "--format", "json"])
    data = json.loads(result.stdout)
    assert data["columns"][0] == "n"
    assert [row["forward_multiplications"] for row in data["rows"]] == [9, 60, 189]
    table = runner.invoke(cli, ["sweep", str(EX4B), "--over", "n=3:9:3", "--format", "table"])
    assert "189" in table.stdout


@pytest.mark.parametrize(
    ("extra", "holders"),
    [
        (["--format", "json"], "--format json keeps"),
        (["--format", "json", "--plot", "p.png"], "--format json and --plot keeps"),
        (["--plot", "p.png"], "--plot keeps"),
    ],
)
def test_sweeps_kept_in_memory_are_bounded(runner, extra: list[str], holders: str) -> None:
    """JSON, tables and plots hold every row: 10^7 points are refused before any work."""
    args = ["sweep", str(EX4B), "--over", "n=3:3*10**7:3", *extra]
    result = runner.invoke(cli, args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"Error: this sweep has 10,000,000 points, but {holders} every row in memory (at most "
        "1,000,000 points); write CSV, which is streamed row by row, or use a coarser step\n"
    )


def test_sweep_tables_are_bounded_before_any_work(runner, monkeypatch) -> None:
    """Drawing 10^6 rows took a quarter of an hour: refused at once, the bound named."""
    import graphcost.count.sweep as sweep_module

    def no_work(*_: object, **__: object) -> None:
        raise AssertionError("the sweep ran")

    monkeypatch.setattr(sweep_module, "run_sweep", no_work)
    result = runner.invoke(cli, ["sweep", str(EX4B), "--over", "n=3:3*10**6:3", "-f", "table"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "draws at most 2,000 rows" in result.stderr
    assert "--format csv" in result.stderr


@pytest.mark.parametrize("spec", ["n=1:10**30", "n=10**30:1:-1", "n=0:-(10**40):-1"])
def test_over_ranges_beyond_a_machine_length_are_usage_errors(spec: str) -> None:
    with pytest.raises(UsageError, match="more than 1,000,000,000"):
        parse_over(spec)


def test_an_error_before_the_first_row_prints_no_header(runner, monkeypatch) -> None:
    """--strict, or a scheduler that cannot be reached: nothing reaches stdout before the error."""
    import graphcost.parallel as parallel_module

    def unreachable(*_: object, **__: object) -> None:
        raise UsageError("cannot connect to the Dask scheduler 'tcp://127.0.0.1:1'")

    monkeypatch.setattr(parallel_module, "map_ordered", unreachable)
    args = ["sweep", str(EX4B), "--over", "n=3:9:3", "--nodes", "--scheduler", "tcp://127.0.0.1:1"]
    result = runner.invoke(cli, args)
    assert (result.exit_code, result.stdout) == (2, "")
    strict = runner.invoke(cli, ["sweep", str(EX4B), "--over", "n=1:7", "--strict"])
    assert (strict.exit_code, strict.stdout) == (2, "")


def test_sweep_strict_leaves_no_file(runner, tmp_path: Path) -> None:
    output = tmp_path / "strict.csv"
    result = runner.invoke(
        cli, ["sweep", str(EX4B), "--over", "n=3:10", "--strict", "--output", str(output)]
    )
    assert result.exit_code == 2
    assert "Error:" in result.stderr
    assert "'h1'" in result.stderr
    assert not output.exists()
    assert list(tmp_path.iterdir()) == []


def test_sweep_jobs_on_block_level_warns(runner) -> None:
    result = runner.invoke(cli, ["sweep", str(EX4B), "--over", "n=3", "--jobs", "2"])
    assert result.exit_code == 0
    assert "vectorised" in result.stderr


def test_sweep_nodes_with_jobs_equals_block_level(runner) -> None:
    graph = str(GRAPHS / "seed-002-network.yaml")
    base = ["sweep", graph, "--over", "h1=1:4", "--over", "h2=2,3"]
    block = runner.invoke(cli, base)
    nodes = runner.invoke(cli, [*base, "--nodes", "--jobs", "2"])
    assert block.exit_code == 0
    assert nodes.exit_code == 0, nodes.stderr
    assert nodes.stdout == block.stdout


def test_sweep_strategy_columns(runner) -> None:
    result = runner.invoke(cli, ["sweep", str(EX4B), "--over", "n=3:9:3", "--strategy", "forward"])
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["strategy"] for row in rows] == ["forward"] * 3
    # Eliminating D in forward order costs what the forward recursion costs.
    assert [row["strategy_multiplications"] for row in rows] == [
        row["forward_multiplications"] for row in rows
    ]


def test_sweep_strategy_runs_with_the_given_budget(runner, monkeypatch) -> None:
    """--seed, --time-limit and --iterations reach the strategy at every point."""
    from graphcost.eliminate.registry import STRATEGIES, Strategy, StrategyOutcome

    seen = []

    def probe(problem, options):  # records what it was given; forward order
        seen.append((options.seed, options.time_limit, options.iterations))
        return StrategyOutcome(tuple(problem.topological_order()))

    monkeypatch.setitem(STRATEGIES, "probe", Strategy("probe", probe, "test"))
    args = ["--over", "n=3:9:3", "-s", "probe", "--seed", "3", "--time-limit", "2.5"]
    result = runner.invoke(cli, ["sweep", str(EX4B), *args, "--iterations", "200"])
    assert result.exit_code == 0, result.stderr
    assert seen == [(3, 2.5, 200)] * 3


def test_sweep_interrupted_leaves_complete_lines(tmp_path: Path) -> None:
    output = tmp_path / "long.csv"
    args = ["sweep", str(EX4B), "--over", "n=3:3*10**9:3", "--output", str(output)]
    # The harness's process: default signal handling even under nohup, a session of its own
    # that is killed whatever happens, so no test leaves a sweep running.
    with started(args, cwd=ROOT) as process:
        deadline = time.monotonic() + 60
        partial = None
        while time.monotonic() < deadline:  # wait until some rows have been written
            found = list(tmp_path.glob(".long.csv.*.partial"))
            if found and found[0].stat().st_size > 100_000:
                partial = found[0]
                break
            if process.poll() is not None:
                break
            time.sleep(0.05)
        assert partial is not None, process.stderr.read() if process.poll() is not None else ""
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "interrupted after" in stderr
    assert stderr.rstrip().endswith("Error: interrupted")
    text = output.read_text()
    assert text.endswith("\n")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["n", *COUNT_COLUMNS, "approximate", EVALUATION_COLUMN]
    assert len(rows) > 1000
    assert all(len(row) == 8 for row in rows)
    assert [int(row[0]) for row in rows[1:]] == list(range(3, 3 * len(rows), 3))
    graph = load_graph(EX4B)
    last = rows[-1]
    expected = reference_row(graph, {"n": int(last[0])}, ["n", *COUNT_COLUMNS])
    # exact (no approximate edges), and exercise-4b has no g: its evaluation cost is unknown
    assert tuple(last) == (*(str(cell) for cell in expected), "", "")
    assert list(tmp_path.iterdir()) == [output]


def test_sweep_help_mentions_inclusive_stop(runner) -> None:
    result = runner.invoke(cli, ["sweep", "--help"])
    assert result.exit_code == 0
    assert "STOP inclusive" in result.output
    assert "Examples:" in result.output


def test_diag_between_different_symbols_is_checked_per_point() -> None:
    graph = graph_from_dict(
        {"symbols": {"n": 2, "m": 2}, "V": {"x": "n"}, "D": {"h": "m"}, "D'": {"y": 1},
         "E": [["x", "h", "diag"], ["h", "y"]]}
    )  # fmt: skip
    plan = plan_sweep(graph, [parse_over("n=1:3"), parse_over("m=1:3")])
    rows, skipped = sweep_rows(plan)
    assert [row[:2] for row in rows] == [(1, 1), (2, 2), (3, 3)]
    assert skipped == 6
    for row in rows:
        assert row == reference_row(graph, {"n": row[0], "m": row[1]}, plan.columns)


@settings(max_examples=40, deadline=None)
@given(
    data=block_graphs(),
    b=st.integers(1, 3),
    convention=st.sampled_from(["elimination", "dense"]),
)
def test_vectorised_equals_node_counts_on_random_graphs(
    data: dict, b: int, convention: str
) -> None:
    if data["D"] is None:
        del data["D"]
    graph = graph_from_dict(data)
    plan = plan_sweep(graph, [parse_over("a=1:4")], values={"b": b}, convention=convention)
    rows, skipped = sweep_rows(plan)
    assert skipped == 0  # every size form is a positive integer for positive a, b
    for row in rows:
        values = dict(zip(plan.symbols, row, strict=False))
        record = result_record(count(graph, convention=convention, values=values, level="node"))
        assert row == tuple(record[column] for column in plan.columns)
