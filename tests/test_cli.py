"""The command line: exact output, and one ``Error:`` line with exit code 2 for every bad input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from graphcost import __version__
from graphcost.cli import cli
from tests.conftest import GRAPHS, ROOT

EX4B = str(GRAPHS / "exercise-4b.yaml")


def fails_cleanly(result: Result, *, code: int = 2) -> str:
    """Assert a clean failure and return its one stderr line."""
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.stderr
    return lines[0]


# -- success paths, exact output -----------------------------------------------------------


def test_analyze_table(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["analyze", EX4B])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines()[0] == "exercise-4b — elimination convention (n = 30)"
    assert "│ forward  │           6,300 │     5,970 │" in result.stdout
    assert "│ backward │             800 │       750 │" in result.stdout
    assert "speed-up (forward / backward multiplications): 7.875 (63/8)" in result.stdout
    assert "counted at block level" in result.stdout


@pytest.mark.parametrize("n", [3, 30, 300, 3 * 10**9])
def test_analyze_json_matches_the_exercise_4b_formulas(runner: CliRunner, n: int) -> None:
    result = runner.invoke(cli, ["analyze", EX4B, "--set", f"n={n}", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    v, v1, v2 = n, 2 * n // 3, n // 3
    # Forward adds per input: each V2 node sums |V1| terms, the output |V2|; backward
    # adds: each V1 node sums |V2| terms, each input |V1| terms.
    assert data["forward"] == {
        "multiplications": v * v2 * (v1 + 1),
        "additions": v * (v2 * (v1 - 1) + (v2 - 1)),
    }
    assert data["backward"] == {
        "multiplications": v1 * (v2 + v),
        "additions": v1 * (v2 - 1) + v * (v1 - 1),
    }
    assert data["speedup"] == pytest.approx((2 * n + 3) / 8)
    assert data["symbols"] == {"n": n}


@pytest.mark.parametrize("n_text", ["3*10**900", "3*10**1000*10**1000*10**1000*10**1000*10**1000"])
def test_counts_beyond_float_range_and_4300_digits_stay_exact(
    runner: CliRunner, n_text: str
) -> None:
    n = 3 * 10 ** (900 if n_text == "3*10**900" else 5000)
    forward, backward = n * (n // 3) * (2 * n // 3 + 1), (2 * n // 3) * (n // 3 + n)
    result = runner.invoke(cli, ["analyze", EX4B, "--set", f"n={n_text}", "-f", "json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["forward"]["multiplications"], data["backward"]["multiplications"]) == (
        forward,
        backward,
    )
    assert data["speedup"] is None  # (2n + 3)/8 has no float; the exact value is kept
    assert data["speedup_exact"] == f"{2 * n + 3}/8"
    table = runner.invoke(cli, ["analyze", EX4B, "--set", f"n={n_text}"])
    assert table.exit_code == 0, table.stderr
    shown = "".join(table.stdout.split())  # rich wraps the long note
    assert f"speed-up(forward/backwardmultiplications):{2 * n + 3}/8" in shown
    csv = runner.invoke(cli, ["analyze", EX4B, "--set", f"n={n_text}", "-f", "csv"])
    row = csv.stdout.splitlines()[1]
    assert row.startswith(
        f"{n},{forward},{data['forward']['additions']},{backward},{data['backward']['additions']},inf,"
    )
    assert row.endswith(",")  # evaluation_multiplications, last: unknown without g:


def test_analyze_csv_is_exact(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["analyze", str(GRAPHS / "small.yaml"), "-f", "csv", "-c", "dense"])
    assert result.exit_code == 0, result.stderr
    # Dense, by hand: |V| = 2 seeds × 6 edges forward, |D'| = 1 × 6 backward; additions:
    # a, b, y have two predecessors each (×2 seeds), x2 and a two successors each.
    header, row = result.stdout.splitlines()
    assert header.startswith(
        "forward_multiplications,forward_additions,backward_multiplications,"
        "backward_additions,speedup,"
    )
    assert header.endswith(",evaluation_multiplications")
    assert row.startswith("12,6,6,2,2.0,")
    assert row.endswith(",")  # no g: the evaluation cost is unknown


def test_analyze_nodes_equals_block_level(runner: CliRunner) -> None:
    block = runner.invoke(cli, ["analyze", EX4B, "--set", "n=30", "-f", "json"])
    nodes = runner.invoke(cli, ["analyze", EX4B, "--set", "n=30", "--nodes", "-f", "json"])
    block_data, node_data = json.loads(block.stdout), json.loads(nodes.stdout)
    assert (block_data["level"], node_data["level"]) == ("block", "node")
    for key in ("forward", "backward", "speedup"):
        assert block_data[key] == node_data[key]


def test_analyze_output_file(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    result = runner.invoke(cli, ["analyze", EX4B, "-f", "json", "-o", str(target)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert json.loads(target.read_text())["forward"]["multiplications"] == 6300
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_show_edges_round_trips(runner: CliRunner, tmp_path: Path) -> None:
    graph = tmp_path / "nodes.yaml"
    result = runner.invoke(cli, ["show", EX4B, "--set", "n=6", "-f", "yaml", "-o", str(graph)])
    assert result.exit_code == 0, result.stderr
    analysed = runner.invoke(cli, ["analyze", str(graph), "-f", "json"])
    data = json.loads(analysed.stdout)
    assert data["forward"]["multiplications"] == 6 * 2 * (4 + 1)
    assert data["backward"]["multiplications"] == 4 * (2 + 6)


def test_show_refuses_a_negative_limit(runner: CliRunner) -> None:
    line = fails_cleanly(runner.invoke(cli, ["show", EX4B, "--limit", "-1"]))
    assert line.startswith("Error: Invalid value for '--limit': -1 is not in the range x>=0")


def test_show_table(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["show", str(GRAPHS / "small.yaml"), "--limit", "2"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "5 nodes, 6 edges" in lines
    assert lines[lines.index("edges:") + 1 :] == [
        "  x1 -> a",
        "  x2 -> a",
        "  ... and 4 more (--limit 0 lists all)",
    ]


def test_unreachable_nodes_warn_and_still_count(
    runner: CliRunner, write_graph: Callable[..., Path]
) -> None:
    path = write_graph(
        """
        V: [x1, x2]
        D: [a, b, c, d]
        D': [y]
        E: [[x1, a], [a, y], [b, a], [x2, c], [a, d]]
        """
    )
    result = runner.invoke(cli, ["analyze", str(path), "-f", "json"])
    assert result.exit_code == 0
    warnings = result.stderr.splitlines()
    assert warnings == [
        f"Warning: {path}: node 'b' reached by no input: Δ_uv is structurally zero there; the "
        "forward recursion counts no products for it, the backward recursion still counts its "
        "products",
        f"Warning: {path}: nodes 'x2', 'c', 'd' reach no output: the backward recursion counts "
        "no products for them, the forward recursion still counts their products",
    ]
    data = json.loads(result.stdout)
    # By hand: forward, a has 1 input ancestor (x1) × 2 successors (y, d); c, d reach no
    # further node. Backward, a has 2 predecessors (x1, b) × 1 output descendant. Every Δ
    # that is non-zero has a single term: no additions.
    assert data["forward"] == {"multiplications": 2, "additions": 0}
    assert data["backward"] == {"multiplications": 2, "additions": 0}


# -- errors: one line, exit 2 --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "V: [x\nD': [y]\n",
            "{path}:2: malformed YAML: did not find expected ',' or ']'; check indentation, "
            "brackets and quoting around this line",
        ),
        (
            "V: [x]\nD': [y]\nV: [z]\nE: [[x, y]]\n",
            "{path}:3: duplicate key 'V' (first at line 1); each key may appear once: merge or "
            "rename the entries",
        ),
        (
            "V: [x, a]\nD: [a]\nD': [y]\nE: [[x, a], [a, y]]\n",
            "{path}:2: name 'a' is declared twice (first at line 1); give every node and block "
            "a unique name",
        ),
        (
            "V: [x]\nD: [a]\nD': [y]\nE:\n  - [x, a]\n  - [a, z]\n",
            "{path}:6: edge [a, z] names unknown node 'z'; declare it under V, D or D' first",
        ),
        (
            "V: [x]\nD: [alpha]\nD': [y]\nE: [[x, alpa], [alpha, y]]\n",
            "{path}:4: edge [x, alpa] names unknown node 'alpa'; did you mean 'alpha'? declare "
            "it under V, D or D' first",
        ),
        (
            "V: [x]\nD: [a, b, c]\nD': [y]\nE:\n  - [x, a]\n  - [a, b]\n  - [b, c]\n"
            "  - [c, a]\n  - [c, y]\n",
            "{path}:6: the graph has a cycle: a -> b -> c -> a; a compute graph is acyclic: "
            "remove one of these edges",
        ),
        (
            "V: [x, x2]\nD: [a]\nD': [y]\nE: [[x, a], [a, x2], [a, y]]\n",
            "{path}:4: input 'x2' has a predecessor (edge [a, x2]); inputs (V) have no "
            "predecessors: move 'x2' to D",
        ),
        (
            "V: [x]\nD: [a]\nD': [y]\nE: [[x, a], [a, y], [y, a]]\n",
            "{path}:4: output 'y' has a successor (edge [y, a]); outputs (D') have no "
            "successors: move 'y' to D and add an output after it",
        ),
        (
            "symbols: {n: 3}\nV: {x: m}\nD': {y: 1}\nE: [[x, y]]\n",
            "{path}:2: unknown symbol 'm' in the size of 'x' (m); declare it with a default "
            "value under 'symbols:', e.g. symbols: {{m: 10}}",
        ),
        (
            "symbols: {n: 10}\nV: {x: n}\nD: {h1: 2*n/3}\nD': [y]\nE: [[x, h1], [h1, y]]\n",
            "{path}:3: size of block 'h1' (2*n/3) is 20/3 = 6.66667 at n = 10, not a positive "
            "integer; choose symbol values that make every size a positive integer",
        ),
        (
            "V: !!python/object/apply:os.system ['echo pwned']\nD': [y]\nE: []\n",
            "{path}:1: unsupported YAML tag 'tag:yaml.org,2002:python/object/apply:os.system'; "
            "use plain strings, numbers and lists",
        ),
        (
            "V: !!python/object/new:os.system [echo pwned]\nD': [y]\nE: []\n",
            "{path}:1: unsupported YAML tag 'tag:yaml.org,2002:python/object/new:os.system'; "
            "use plain strings, numbers and lists",
        ),
        (
            "V: {x: \"__import__('os').system('echo pwned')\"}\nD': [y]\nE: [[x, y]]\n",
            "{path}:1: size of block 'x': only plain function names may be called in "
            "\"__import__('os').system('echo pwned')\"; call a function by name, e.g. exp(x)",
        ),
        (
            "V: {x: 2**10**10}\nD': [y]\nE: [[x, y]]\n",
            "{path}:1: size of block 'x': exponent 10000000000 in '2**10**10' is too large (at "
            "most 1000); choose other symbol values or simplify the size",
        ),
        (
            "V: {x: '(2**999)**100 * (2**999)**100'}\nD': [y]\nE: [[x, y]]\n",
            "{path}:1: size of block 'x': a value in '(2**999)**100 * (2**999)**100' is too "
            "large to compute (over 100,000 bits); choose other symbol values or simplify the "
            "size",
        ),
        (
            f"V: {{x: '{'-' * 3000}1'}}\nD': [y]\nE: [[x, y]]\n",
            "{path}:1: size of block 'x': expression '" + "-" * 60 + "...' is nested too "
            "deeply; simplify it",
        ),
        (
            "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
            + "".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10)),
            "{path}:1: a YAML alias (*name) repeats the list or mapping anchored here; write the "
            "repeated list or mapping out in full",
        ),
        (
            "V: {x: 3}\nD': {y: 4}\nE: [[x, y, diag]]\n",
            "{path}:3: diag edge [x, y] joins blocks of sizes 3 and 4; a diag edge links node i "
            "to node i: give both blocks the same size",
        ),
        (
            "V: [x]\nD: [a]\nD': [y]\nE: [[x, a], [a, a], [a, y]]\n",
            "{path}:4: the graph has a cycle: a -> a; a compute graph is acyclic: remove one of "
            "these edges",
        ),
        (
            "V: {x: 'n.__class__'}\nD': [y]\nsymbols: {n: 1}\nE: [[x, y]]\n",
            "{path}:1: size of block 'x': attribute access not allowed in expression "
            "'n.__class__'; use numbers, names, + - * / // ** and parentheses",
        ),
    ],
)
def test_bad_graph_files(
    runner: CliRunner, write_graph: Callable[..., Path], text: str, expected: str
) -> None:
    path = write_graph(text)
    line = fails_cleanly(runner.invoke(cli, ["analyze", str(path)]))
    assert line == "Error: " + expected.format(path=path)


@pytest.mark.parametrize("depth", [2000, 5000])
def test_deep_yaml_nesting_is_graphcost_s_message(
    runner: CliRunner, write_graph: Callable[..., Path], depth: int
) -> None:
    # PyYAML >= 6.0.3 bounds nesting itself (with a line), older ones hit Python's recursion
    # limit (no line): either way the user reads graphcost's one message.
    path = write_graph("V: " + "[" * depth + "]" * depth + "\n")
    line = fails_cleanly(runner.invoke(cli, ["analyze", str(path)]))
    assert re.fullmatch(
        re.escape(f"Error: {path}") + r"(:1)?: the YAML is nested too deeply; "
        r"flatten the nested lists",
        line,
    ), line


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("from,to\nx,a\na;y\n", "{path}:3: expected 'from,to' or 'from,to,diag', got 'a;y'"),
        (
            "x,a\na,q\n",
            "{path}:2: edge names unknown node 'q'; declare it under V, D or D' first",
        ),
        ("x,a\na,y,weird\n", "{path}:2: expected 'from,to' or 'from,to,diag', got 'a,y,weird'"),
        (None, "{path}: edge file not found; give E: {{file: PATH}} relative to the graph file"),
    ],
)
def test_bad_edge_files(
    runner: CliRunner,
    write_graph: Callable[..., Path],
    tmp_path: Path,
    content: str | None,
    expected: str,
) -> None:
    edges = tmp_path / "edges.csv"
    if content is not None:
        edges.write_text(content, encoding="utf-8")
    path = write_graph("V: [x]\nD: [a]\nD': [y]\nE: {file: edges.csv}\n")
    line = fails_cleanly(runner.invoke(cli, ["analyze", str(path)]))
    assert line == "Error: " + expected.format(path=edges)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["analyze", "absent.yaml"], "absent.yaml: no such file; check the path (graphcost "
         "examples lists the shipped graphs: example:NAME)"),
        (["analyze", "/dev/zero"], "/dev/zero: is a device, not a file; give a regular file"),
        (["analyze", EX4B, "--set", "n"], "--set expects SYMBOL=VALUE, got 'n'; e.g. --set "
         "n=300"),
        (["analyze", EX4B, "--set", "=3"], "--set expects SYMBOL=VALUE, got '=3'; e.g. --set "
         "n=300"),
        (["analyze", EX4B, "--set", "n="], "--set expects SYMBOL=VALUE, got 'n='; e.g. --set "
         "n=300"),
        (["analyze", EX4B, "--set", "1n=3"], "--set expects SYMBOL=VALUE, got '1n=3'; e.g. --set "
         "n=300"),
        (["analyze", EX4B, "--set", "n=3/2"], "--set n=3/2: not an integer; give an integer"),
        (["analyze", EX4B, "--set", "n=abc"], "--set n: unknown symbol 'abc' in 'abc'; give an "
         "integer"),
        (["analyze", EX4B, "--set", "n=2**10**10"], "--set n: exponent 10000000000 in "
         "'2**10**10' is too large (at most 1000); give an integer"),
        (["analyze", EX4B, "--set", "m=3"], f"{EX4B}: unknown symbol 'm' in --set; this graph's "
         "symbols are: n"),
        (["analyze", EX4B, "--set", "n=10"], f"{EX4B}:10: size of block 'h1' (2*n/3) is 20/3 = "
         "6.66667 at n = 10, not a positive integer; choose symbol values that make every size "
         "a positive integer"),
        (["analyze", EX4B, "--set", "n=0"], f"{EX4B}:9: size of block 'x' (n) is 0 at n = 0, not "
         "a positive integer; choose symbol values that make every size a positive integer"),
        (["analyze", EX4B, "-c", "newton"], "unknown convention 'newton'; choose one of: "
         "elimination, dense"),
        (["analyze", EX4B, "-o", "/nonexistent-dir/out.json"], "cannot write "
         "'/nonexistent-dir/out.json': No such file or directory; check that the directory "
         "exists and is writable"),
        (["analyze", EX4B, "--qqqqqq"], "No such option '--qqqqqq'."),
        (["show"], "Missing argument 'FILE'."),
        (["analyze", EX4B, "-f", "xml"], "Invalid value for '--format' / '-f': 'xml' is not one "
         "of 'table', 'json', 'csv', 'markdown', 'latex'."),
        (["frobnicate"], "No such command 'frobnicate'."),
        (["analyze", EX4B, "--set", "n=3", "--set", "n=6"], "--set gives 'n' twice; give each "
         "name one value in --set"),
        (["show", EX4B, "--set", "n=3*10**9"], f"{EX4B}: graph 'exercise-4b' is too large to "
         "expand to nodes: 6,000,000,001 nodes and 8,000,000,001,000,000,000 edges (limits "
         "20,000,000 nodes, 40,000,000 edges); count it at block level (drop --nodes), or choose "
         "smaller sizes with --set"),
    ],
)  # fmt: skip
def test_bad_command_lines(runner: CliRunner, args: list[str], expected: str) -> None:
    assert fails_cleanly(runner.invoke(cli, args)) == "Error: " + expected


def test_too_large_for_nodes_refuses_at_once(runner: CliRunner) -> None:
    runner.invoke(cli, ["analyze", EX4B, "--nodes", "--set", "n=3"])  # import lazily-loaded code
    tracemalloc.start()
    try:
        result = runner.invoke(cli, ["analyze", EX4B, "--nodes", "--set", "n=3*10**9"])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    line = fails_cleanly(result)
    assert "too large to expand to nodes: 6,000,000,001 nodes" in line
    assert peak < 5 * 1024**2


def test_no_output_file_is_left_by_a_failed_run(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old\n")
    fails_cleanly(runner.invoke(cli, ["analyze", EX4B, "--set", "n=10", "-o", str(target)]))
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_click_usage_errors_in_a_real_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "graphcost", "analyze", "--qqqqqq"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        2,
        "",
        "Error: No such option '--qqqqqq'.\n",
    )


def test_bare_command_prints_help(runner: CliRunner) -> None:
    result = runner.invoke(cli, [])
    assert result.exit_code == 0
    assert "Usage:" in result.stdout
    assert "analyze" in result.stdout


# -- version, module entry point, docs -----------------------------------------------------


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--version"])
    assert (result.exit_code, result.stdout) == (0, f"graphcost, version {__version__}\n")


def test_python_dash_m() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "graphcost", "analyze", EX4B, "-f", "csv"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1].startswith("30,6300,5970,800,750,7.875,")


def test_importing_the_cli_stays_light() -> None:
    # `graphcost --help` must be fast: the CLI imports only click at module level.
    code = (
        "import sys, graphcost.cli; "
        "print(sorted(m for m in ('numpy', 'sympy', 'networkx', 'rich', 'yaml', 'matplotlib', "
        "'dask') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_all_formats_are_the_report_formats() -> None:
    from graphcost.cli.base import ALL_FORMATS
    from graphcost.report.render import FORMATS

    assert list(ALL_FORMATS) == list(FORMATS)


def _commands() -> list[tuple[str, click.Command]]:
    return sorted(cli.commands.items())


@pytest.mark.parametrize(("name", "command"), _commands(), ids=[n for n, _ in _commands()])
def test_every_command_has_help_with_an_example(
    runner: CliRunner, name: str, command: click.Command
) -> None:
    assert command.help, f"{name} has no help text"
    assert command.get_short_help_str()
    result = runner.invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.stdout
    assert f"graphcost {name} " in result.stdout
    for option in command.params:
        if isinstance(option, click.Option):
            assert option.help, f"{name} {option.opts} has no help"


def test_group_help_lists_every_command(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.stdout
    for name in cli.commands:
        assert name in result.stdout
