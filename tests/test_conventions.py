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
