"""Terminal and pipe conventions: what a user sees at 60 or 80 columns, through pipes and files.

- tables never cut a word or a number (cells wrap at spaces; whole columns move to a further
  part of the table), checked on every README example and on made-up tables;
- ``-`` as FILE reads the graph from stdin, ``-o -`` writes to stdout;
- a reader that goes away (``| head -1``) ends the run quietly with exit 0;
- nothing reaches stdout before an error that stops the command;
- a progress line on stderr only when stderr is a terminal;
- typed JSON (numbers as numbers, null as null) that matches the shipped JSON Schemas;
- fixed choices that shell completion offers, and one meaning per option name.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.cells import cell_len

from graphcost.cli import cli
from graphcost.report.render import Report, render
from graphcost.report.terminal import column_groups, column_widths
from tests.conftest import GRAPHS, ROOT
from tests.test_paste import COMMANDS, command_id

EX4B = str((GRAPHS / "exercise-4b.yaml").relative_to(ROOT))
SMALL = str((GRAPHS / "small.yaml").relative_to(ROOT))

# -- tables never cut a word --------------------------------------------------------------------

#: What separates the words of a rendered table: spaces and rich's box-drawing characters.
_SEPARATORS = re.compile(r"[\s\u2500-\u257f]+")


def words(text: str) -> list[str]:
    """The words of a table as printed: cell, title and note text without the borders."""
    return [word for word in _SEPARATORS.split(text) if word]


def as_table(words_: list[str]) -> list[str]:
    return [*words_, "--format", "table"] if words_[0] == "sweep" else words_


@pytest.mark.parametrize("width", [60, 80])
@pytest.mark.parametrize("command", COMMANDS, ids=command_id)
def test_narrow_tables_keep_every_word_whole(runner, command: list[str], width: int) -> None:
    """Every word of the wide table (each cell's words, the notes) is a word of the narrow one:
    a word cut across lines (``markowit|z``) would be missing."""
    wide = runner.invoke(cli, as_table(command), env={"COLUMNS": "200"})
    narrow = runner.invoke(cli, as_table(command), env={"COLUMNS": str(width)})
    assert wide.exit_code == narrow.exit_code == 0, narrow.stderr
    missing = set(words(wide.stdout)) - set(words(narrow.stdout))
    assert not missing, narrow.stdout
    longest = max(cell_len(line) for line in narrow.stdout.splitlines())
    longest_word = max(cell_len(word) for word in words(wide.stdout))
    assert longest <= max(width, longest_word), narrow.stdout


@pytest.mark.slow  # several seconds: run with -m slow (README: slow cases and benchmarks)
def test_the_width_is_columns_even_in_a_pipe(runner) -> None:
    """``COLUMNS`` is honoured as ``ls`` does; without it a pipe gets the file width."""
    narrow = runner.invoke(cli, ["analyze", EX4B, "--strategy", "all"], env={"COLUMNS": "60"})
    wide = runner.invoke(cli, ["analyze", EX4B, "--strategy", "all"], env={"COLUMNS": ""})
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 60
    assert max(len(line) for line in wide.stdout.splitlines()) > 80
    assert "the table is in 3 parts to fit 60 columns" in narrow.stdout


def _report(columns: list[str], rows: list[list[str]], notes: list[str] | None = None) -> Report:
    return Report("made up", columns, rows, records=[], data={}, notes=notes or [])


def test_columns_that_do_not_fit_move_whole_to_a_second_part() -> None:
    names = ["markowitz", "forward", "backward"]
    report = _report(
        ["schedule", "ratio", "multiplications", "order"],
        [[name, "0.345584", "1,234,567,890", "h1, h2, h3"] for name in names],
    )
    text = render(report, "table", width=40)
    assert max(len(line) for line in text.splitlines()) <= 40
    assert set(words(render(report, "table"))) <= set(words(text))
    assert "(continued: multiplications, order)" in text or "(continued: order)" in text
    assert text.count("markowitz") == len(column_groups([[c] for c in report.columns], 40))


def test_cells_wrap_at_spaces_and_short_columns_are_whole_first() -> None:
    """A formula wraps at its spaces; the narrow columns beside it stay on one line."""
    report = _report(["f", "formula", "order"], [["x", "n**2*(2*n + 3)/9 + n**3/27", "h1, h2"]])
    text = render(report, "table", width=30)
    lines = [line for line in text.splitlines() if "│" in line]
    assert any("h1, h2" in line for line in lines), text
    assert set(words(render(report, "table"))) <= set(words(text))


def test_widths_give_every_column_its_longest_word() -> None:
    texts = [["name", "markowitz"], ["a formula", "n**2*(2*n + 3)/9"], ["x", "0.345584"]]
    for width in range(40, 60):
        widths = column_widths(texts, width)
        assert widths is not None
        assert widths[0] >= 9
        assert widths[1] >= len("n**2*(2*n")
        assert widths[2] >= 8
        assert sum(widths) + 3 * len(widths) + 1 <= width
    assert column_widths(texts, 30) is None


def test_a_long_note_wraps_at_spaces_and_keeps_long_words(runner) -> None:
    report = _report(["a"], [["1"]], notes=["see " + "x" * 50 + " for the rest of it"])
    text = render(report, "table", width=30)
    assert "x" * 50 in text.splitlines()
    assert max(len(line) for line in text.splitlines() if "x" * 50 not in line) <= 30


# -- `-` is stdin, `-o -` is stdout ------------------------------------------------------------


def graphcost(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    """Run ``python -m graphcost`` as a user would (real stdin, stdout and stderr)."""
    kwargs.setdefault("capture_output", True)
    return subprocess.run(
        [sys.executable, "-m", "graphcost", *args], text=True, cwd=ROOT, timeout=120, **kwargs
    )


def test_dash_reads_the_graph_from_stdin(runner) -> None:
    text = (GRAPHS / "exercise-4b.yaml").read_text()
    piped = runner.invoke(cli, ["analyze", "-", "-f", "csv"], input=text)
    named = runner.invoke(cli, ["analyze", EX4B, "-f", "csv"])
    assert piped.exit_code == 0, piped.stderr
    assert piped.stdout == named.stdout
    assert "6300" in piped.stdout


def test_dash_errors_name_stdin(runner) -> None:
    result = runner.invoke(cli, ["show", "-"], input="V: [x]\nD: [a]\n")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: <stdin>")


def test_dash_refuses_a_terminal() -> None:
    """A terminal as stdin would wait for typing: refused at once (pty from ``script``)."""
    pty = pytest.importorskip("pty")
    import os

    leader, follower = pty.openpty()
    try:
        result = graphcost("analyze", "-", stdin=follower)
    finally:
        os.close(leader)
        os.close(follower)
    assert result.returncode == 2
    assert result.stderr.startswith("Error: <stdin>: standard input is a terminal"), result.stderr
    assert result.stdout == ""


def test_dash_is_bounded_like_a_file(monkeypatch, runner) -> None:
    import graphcost.graph.loader as loader

    monkeypatch.setattr(loader, "MAX_GRAPH_FILE_BYTES", 100)
    result = runner.invoke(cli, ["analyze", "-"], input="# padding\n" * 20)
    assert result.exit_code == 2
    assert "more than the 100 bytes a graph file may have" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["analyze", EX4B, "-f", "json"],
        ["analyze", EX4B],
        ["sweep", EX4B, "--over", "n=3:9:3"],
        ["sweep", EX4B, "--over", "n=3:9:3", "-f", "markdown"],
        ["show", SMALL, "-f", "yaml"],
        ["jacobians", str((GRAPHS / "mlp-relu.yaml").relative_to(ROOT))],
    ],
    ids=lambda a: " ".join(a[:1] + a[2:]),
)
def test_dash_output_is_stdout(args: list[str]) -> None:
    to_stdout = graphcost(*args, "-o", "-")
    plain = graphcost(*args)
    assert to_stdout.returncode == 0, to_stdout.stderr
    assert to_stdout.stdout == plain.stdout != ""
    assert not (ROOT / "-").exists()


def test_a_file_named_dash_is_dot_slash_dash(runner, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["analyze", str(ROOT / EX4B), "-f", "csv", "-o", "./-"])
    expected = runner.invoke(cli, ["analyze", str(ROOT / EX4B), "-f", "csv"]).stdout
    assert result.exit_code == 0
    assert result.stdout == ""
    assert (tmp_path / "-").read_text() == expected


# -- broken pipe: `| head -1` ends the run quietly with 0 ---------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        f"sweep {EX4B} --over n=3:300000:3",
        f"sweep {EX4B} --over n=3:3000:3 --format json",
        pytest.param(f"analyze {EX4B} --strategy all", marks=pytest.mark.slow),
    ],
)
def test_a_closed_pipe_exits_0_with_nothing_on_stderr(tmp_path: Path, args: str) -> None:
    """A real shell pipe into ``head -1``: graphcost's own exit status (PIPESTATUS) is 0."""
    errors = tmp_path / "stderr"
    script = (
        f"{sys.executable} -m graphcost {args} 2>{errors} | head -1 >/dev/null; "
        "echo ${PIPESTATUS[0]}"
    )
    result = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.stdout.strip() == "0"
    assert errors.read_text() == ""


# -- nothing on stdout before an error that stops the command ----------------------------------


def test_strict_stops_before_any_row_even_after_good_points() -> None:
    """n = 3 is a valid point, n = 4 is not: --strict fails and stdout stays empty."""
    result = graphcost("sweep", EX4B, "--over", "n=3:7", "--strict")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ")
    assert "n = 4" in result.stderr


def test_an_unreachable_scheduler_prints_no_header() -> None:
    pytest.importorskip("distributed")
    mlp = str((GRAPHS / "mlp-relu.yaml").relative_to(ROOT))
    for fmt in ("csv", "json"):
        result = graphcost(
            "sweep", mlp, "--over", "p=2:4:2", "--nodes", "--scheduler", "tcp://127.0.0.1:1",
            "--format", fmt,
        )  # fmt: skip
        assert result.returncode == 2
        assert result.stdout == ""
        assert result.stderr.startswith("Error: cannot reach the Dask scheduler")


# -- typed JSON, checked against the schemas in docs/schemas/ ----------------------------------

SCHEMAS = ROOT / "docs" / "schemas"
_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
    "integer": int,
    "number": (int, float),
}


def schema_errors(value, schema: dict, where: str = "$") -> list[str]:
    """What in ``value`` breaks ``schema`` (the JSON Schema subset docs/schemas/ uses:
    type, enum, minimum, properties, required, additionalProperties, items)."""
    errors: list[str] = []
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        is_bool = isinstance(value, bool)
        if not any(
            isinstance(value, _TYPES[k]) and not (is_bool and k in ("integer", "number"))
            for k in kinds
        ):
            return [f"{where}: {value!r} is not {' or '.join(kinds)}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} not in {schema['enum']}")
    if "minimum" in schema and isinstance(value, int | float) and value < schema["minimum"]:
        errors.append(f"{where}: {value!r} < {schema['minimum']}")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        errors += [f"{where}: {key!r} missing" for key in schema.get("required", [])
                   if key not in value]  # fmt: skip
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in properties:
                errors += schema_errors(item, properties[key], f"{where}.{key}")
            elif extra is False:
                errors.append(f"{where}: unexpected key {key!r}")
            elif isinstance(extra, dict):
                errors += schema_errors(item, extra, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            errors += schema_errors(item, schema["items"], f"{where}[{i}]")
    return errors


def schema(command: str) -> dict:
    return json.loads((SCHEMAS / f"{command}.schema.json").read_text(encoding="utf-8"))


JSON_COMMANDS = [c for c in COMMANDS if (SCHEMAS / f"{c[0]}.schema.json").exists()] + [
    ["analyze", EX4B, "--strategy", "all", "--iterations", "300"],
    ["analyze", EX4B, "--symbolic"],
    ["sweep", EX4B, "--over", "n=3:12:3", "--strategy", "markowitz"],
    ["sweep", str((GRAPHS / "exercise-4b-general.yaml").relative_to(ROOT)), "--over", "V=10:20:10"],
    ["trace", str((GRAPHS / "seed-004-expression.yaml").relative_to(ROOT)), "--mode", "forward"],
]


@pytest.mark.parametrize(
    "command",
    [c for c in JSON_COMMANDS if not (c[0] == "check" and "--expect" in c)],
    ids=command_id,
)
def test_json_output_matches_its_schema(runner, command: list[str]) -> None:
    result = runner.invoke(cli, [*command, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert schema_errors(json.loads(result.stdout), schema(command[0])) == []


def test_every_report_command_has_a_schema() -> None:
    for command in ("analyze", "sweep", "show", "jacobians", "trace", "check"):
        loaded = schema(command)
        assert loaded["$schema"].endswith("2020-12/schema")
        assert loaded["title"] == f"graphcost {command} --format json"


def test_the_schemas_reject_strings_for_numbers_and_empty_for_null() -> None:
    """The validator and schemas are not vacuous: the old sweep row is refused."""
    old_row = {
        "n": 3,
        "forward_multiplications": 9,
        "forward_additions": 3,
        "backward_multiplications": 8,
        "backward_additions": 3,
        "speedup": "1.125",
        "approximate": "",
        "evaluation_multiplications": "",
    }
    errors = schema_errors(old_row, schema("sweep")["properties"]["rows"]["items"])
    assert len(errors) == 3, errors
    typed = {**old_row, "speedup": 1.125, "approximate": [], "evaluation_multiplications": None}
    assert schema_errors(typed, schema("sweep")["properties"]["rows"]["items"]) == []
    check_row = schema("check")["properties"]["checks"]["items"]
    row = {"check": "x", "abs_error": 0, "rel_error": "", "tolerance": 0, "result": "PASS"}
    assert schema_errors(row, check_row) == ["$.rel_error: '' is not number or null"]


def test_sweep_json_is_typed_like_analyze(runner) -> None:
    sweep = json.loads(
        runner.invoke(cli, ["sweep", EX4B, "--over", "n=30", "--format", "json"]).stdout
    )
    analyze = json.loads(runner.invoke(cli, ["analyze", EX4B, "--format", "json"]).stdout)
    [row] = sweep["rows"]
    assert row["speedup"] == analyze["speedup"] == 7.875
    assert row["approximate"] == analyze["approximate"] == []
    assert row["evaluation_multiplications"] is analyze["evaluation"]["multiplications"] is None
    assert row["forward_multiplications"] == analyze["forward"]["multiplications"]


# -- progress of optimal and search: on a terminal only -----------------------------------------

ROEFLUX = str((GRAPHS / "benchmarks" / "RoeFlux_1d.yaml").relative_to(ROOT))


def run_with_terminal_stderr(*args: str) -> tuple[subprocess.CompletedProcess[str], str]:
    """Run graphcost with stderr on a pseudo-terminal; returns the run and what it showed."""
    import os
    import pty

    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "graphcost", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=follower,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    stdout = process.stdout.read() if process.stdout else ""
    process.wait(timeout=120)
    if process.stdout:
        process.stdout.close()
    done = subprocess.CompletedProcess(process.args, process.returncode, stdout, "")
    return done, shown.decode("utf-8", "replace")


@pytest.mark.parametrize("strategy", ["search", "optimal"])
def test_long_strategies_show_progress_on_a_terminal(strategy: str) -> None:
    args = ("analyze", ROEFLUX, "-s", strategy, "--time-limit", "1.5", "-f", "csv")
    done, shown = run_with_terminal_stderr(*args)
    assert done.returncode == 0
    lines = re.findall(rf"{strategy}: best so far ([\d,]+) multiplications(.*?) s", shown)
    assert lines, shown
    best = [int(cost.replace(",", "")) for cost, _ in lines]
    assert best == sorted(best, reverse=True)  # best so far never gets worse
    header, row = done.stdout.splitlines()[:2]
    final = int(
        dict(zip(header.split(","), row.split(","), strict=True))[f"{strategy}_multiplications"]
    )
    assert best[-1] >= final  # the report's order is at least as cheap as the last line shown
    assert shown.endswith("\r\x1b[K")  # the line is erased: the report is unchanged
    assert "lower bound" in lines[-1][1]


def test_no_progress_in_pipes() -> None:
    result = graphcost("analyze", ROEFLUX, "-s", "search", "--time-limit", "1", "-f", "csv")
    assert result.returncode == 0
    assert result.stderr == ""


# -- choices that completion offers; one meaning per option name -------------------------------


def complete(*words: str) -> list[str]:
    """What bash completion offers for the last word (click's protocol, as the shell asks)."""
    import os

    env = {
        **os.environ,
        "_GRAPHCOST_COMPLETE": "bash_complete",
        "COMP_WORDS": " ".join(["graphcost", *words]),
        "COMP_CWORD": str(len(words)),
    }
    result = subprocess.run(
        [sys.executable, "-m", "graphcost"], env=env, capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    return [line.split(",", 1)[1] for line in result.stdout.splitlines()]


def test_completion_offers_conventions() -> None:
    assert complete("analyze", EX4B, "--convention", "") == ["elimination", "dense"]
    assert complete("sweep", EX4B, "-c", "d") == ["dense"]


def test_completion_offers_strategies_in_comma_lists_and_order_paths() -> None:
    from graphcost.eliminate.registry import STRATEGIES

    offered = complete("analyze", EX4B, "--strategy", "")
    assert set(STRATEGIES) - {"order", "graphax"} <= set(offered)
    assert {"all", "order:", "graphax:"} <= set(offered)
    assert complete("analyze", EX4B, "-s", "forward,mark") == ["forward,markowitz"]
    assert complete("sweep", EX4B, "-s", "ch") == ["chain"]
    assert "order:graphs/small.yaml" in complete("analyze", EX4B, "-s", "order:graphs/sm")


def test_an_unknown_convention_still_names_the_valid_ones(runner) -> None:
    result = runner.invoke(cli, ["analyze", EX4B, "-c", "newton"])
    assert result.exit_code == 2
    assert "elimination" in result.stderr
    assert "dense" in result.stderr


def test_search_seed_is_the_seed_of_searches_and_seed_its_old_spelling(runner) -> None:
    base = ["analyze", ROEFLUX, "-s", "search", "--iterations", "300", "-f", "json"]

    def order(*args: str):
        result = runner.invoke(cli, [*base, *args])
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)["strategies"]["search"]["order"], result.stderr

    default, quiet = order()
    assert quiet == ""
    assert order("--search-seed", "0") == (default, "")
    new, _ = order("--search-seed", "5")
    old, warned = order("--seed", "5")
    assert old == new != default  # the seed changes the search, both spellings alike
    assert warned.startswith("Warning: --seed of analyze, sweep and draw is now --search-seed")


def test_seed_means_random_values_wherever_it_is_not_deprecated(runner) -> None:
    for command in ("trace", "check", "hessian"):
        help_text = runner.invoke(cli, [command, "--help"]).stdout
        assert "--seed" in help_text, command
        assert "--search-seed" not in help_text, command
    for command in ("analyze", "sweep"):
        help_text = runner.invoke(cli, [command, "--help"]).stdout
        assert "--search-seed" in help_text, command
