"""Paste-ready output: every LaTeX output compiles, every Markdown formula is a math span.

The commands are the README's examples (read from the README, so a new example is covered
at once) and the report commands on the shipped graphs, each run with ``--format latex`` and
``--format markdown``. LaTeX must be ASCII (pdflatex rejects raw ``∂``, ``·``, ``x̄``), have
balanced math and braces, carry its notes as text rather than ``%`` comments and never escape
a formula's backslashes; a slow test compiles each with pdflatex where it is installed.
Markdown is parsed with markdown-it-py: the table keeps its columns and every ``$…$`` span
comes out verbatim (no emphasis, no eaten backslash).
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

from graphcost.cli import cli
from tests.conftest import GRAPHS, ROOT
from tests.test_readme import readme_blocks

#: The commands that print a report, in every format.
REPORT_COMMANDS = ("analyze", "sweep", "show", "trace", "check", "jacobians")
#: Options of a README example that write files or need a cluster: such examples are left out.
_SKIP = ("-o", "--output", "--plot", "--jobs", "--scheduler", "--save-order", "order:")


def readme_examples() -> list[list[str]]:
    """The ``$ graphcost ...`` lines of the README that run on the shipped graphs alone (not
    those of a block marked slow: ``tests/test_readme.py`` runs it with the slow cases)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    slow = {b.text.splitlines()[0] for b in readme_blocks(text) if b.note.startswith("<!-- slow:")}
    commands = []
    for line in text.splitlines():
        if not line.startswith("$ graphcost ") or line in slow:
            continue
        words = shlex.split(line[2:], comments=True)[1:]
        if words[0] not in REPORT_COMMANDS:  # draw writes pictures, import writes graphs
            continue
        files = [w for w in words if w.endswith(".yaml")]
        if any(w.startswith(_SKIP) for w in words) or not all((ROOT / f).exists() for f in files):
            continue
        commands.append(without_format(words))
    return commands


def without_format(words: list[str]) -> list[str]:
    out, skip = [], False
    for word in words:
        if skip:
            skip = False
        elif word == "--format":
            skip = True
        elif not word.startswith("--format="):
            out.append(word)
    return out


def g(name: str) -> str:
    return str((GRAPHS / name).relative_to(ROOT))


#: Report commands beyond the README's, one per command and output kind.
EXTRA = [
    ["analyze", g("exercise-4b.yaml"), "--explain"],
    ["analyze", g("exercise-4b-general.yaml"), "--explain"],
    ["analyze", g("exercise-4b.yaml"), "--explain", "--convention", "dense", "--set", "n=60"],
    ["analyze", "--layers", "n,2*n/3,n/3,1", "--explain"],
    ["analyze", g("exercise-4b.yaml"), "--latex"],
    ["analyze", g("exercise-4b.yaml"), "--explain", "--latex"],
    ["analyze", g("seed-004-expression.yaml"), "--strategy", "forward,backward,markowitz"],
    ["show", g("exercise-4b.yaml"), "--set", "n=3"],
    ["show", g("mlp-weights-small.yaml")],
    ["sweep", g("exercise-4b.yaml"), "--over", "n=3:12:3"],
    ["jacobians", g("mlp-relu.yaml")],
    ["trace", g("seed-004-expression.yaml")],
    ["check", g("seed-002-network.yaml")],
    ["check", g("exercise-4c-theta.yaml")],
]
COMMANDS = readme_examples() + EXTRA


def run(runner, words: list[str], fmt: str) -> str:
    result = runner.invoke(cli, [*words, "--format", fmt])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def command_id(words: list[str]) -> str:
    return " ".join(words)


def test_the_readme_has_examples() -> None:
    assert len(readme_examples()) >= 10


# -- LaTeX --------------------------------------------------------------------------------------

_ESCAPED = re.compile(r"\\[\\$%&#_{}]")


def math_spans(text: str) -> list[str]:
    """The ``$…$`` spans of LaTeX text (escaped ``\\$`` is not a delimiter)."""
    plain = _ESCAPED.sub("", text)
    assert plain.count("$") % 2 == 0, "unbalanced $"
    return re.findall(r"\$([^$]*)\$", plain)


def check_latex(text: str) -> None:
    assert text.isascii(), sorted({c for c in text if not c.isascii()})
    lines = text.splitlines()
    assert lines[0] == r"% needs \usepackage{booktabs}"
    assert not any(line.startswith("%") for line in lines[1:]), "notes must be text"
    assert text.count(r"\begin{tabular}") == text.count(r"\end{tabular}") == 1
    assert r"\textbackslash" not in text, "a formula escaped twice"
    depth = 0
    for char in _ESCAPED.sub("", text):
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0, "} before {"
    assert depth == 0, "unbalanced braces"
    for span in math_spans(text):
        assert "**" not in span, f"Python syntax in math: {span}"


@pytest.mark.parametrize("words", COMMANDS, ids=command_id)
def test_latex_output_is_paste_ready(runner, words: list[str]) -> None:
    check_latex(run(runner, words, "latex"))


def test_explain_latex_has_the_formulas_in_math_mode(runner) -> None:
    text = run(runner, ["analyze", g("exercise-4b.yaml"), "--explain"], "latex")
    assert (
        r"h1 & D & $\frac{2 n}{3} \cdot n \cdot \frac{n}{3} = \frac{2 n^{3}}{9}$ & 6,000 & "
        r"$\frac{2 n}{3} \cdot n \cdot 1 = \frac{2 n^{2}}{3}$ & 600 \\"
    ) in text.splitlines()
    assert r"speed-up formula: $\frac{2 n + 3}{8}$ \\" in text.splitlines()


def test_latex_flag_is_not_escaped_twice(runner) -> None:
    text = run(runner, ["analyze", g("exercise-4b.yaml"), "--latex"], "latex")
    assert r"forward & 6,300 & 5,970 & $\frac{n^{2} \left(2 n + 3\right)}{9}$" in text
    assert r"leading order as n grows: forward $\sim \frac{2 n^{3}}{9}$" in text


# -- Markdown -----------------------------------------------------------------------------------


def check_markdown(text: str) -> None:
    md = MarkdownIt("commonmark").enable("table")
    tokens = md.parse(text)
    header = [t for t in tokens if t.type == "th_open"]
    assert header, "no table"
    cells_per_row: list[int] = []
    for token in tokens:
        if token.type == "tr_open":
            cells_per_row.append(0)
        elif token.type in ("td_open", "th_open"):
            cells_per_row[-1] += 1
    assert set(cells_per_row) == {len(header)}, "a cell was split or lost"
    html = md.render(text)
    spans = re.findall(r"(?<!\\)\$[^$]+(?<!\\)\$", text)
    for span in spans:
        assert escapeHtml(span) in html, f"markdown changed the formula {span}"
        assert "**" not in span


@pytest.mark.parametrize("words", COMMANDS, ids=command_id)
def test_markdown_output_keeps_its_table_and_formulas(runner, words: list[str]) -> None:
    check_markdown(run(runner, words, "markdown"))


def test_markdown_formulas_are_math_spans(runner) -> None:
    text = run(runner, ["analyze", g("exercise-4b.yaml")], "markdown")
    assert r"| forward | 6,300 | 5,970 | $\frac{n^{2} \left(2 n + 3\right)}{9}$ |" in text
    assert r"speed-up formula: $\frac{2 n + 3}{8}$" in text


def test_every_report_command_offers_every_format(runner) -> None:
    for command in REPORT_COMMANDS:
        help_text = runner.invoke(cli, [command, "--help"]).stdout
        [choices] = re.findall(r"--format \[([a-z|]+)\]", help_text)
        assert {"table", "json", "csv", "markdown", "latex"} <= set(choices.split("|")), command


# -- pdflatex -----------------------------------------------------------------------------------

DOCUMENT = r"""\documentclass{article}
\usepackage[a4paper,landscape,margin=1cm]{geometry}
\usepackage{booktabs}
\begin{document}
\tiny
%s
\end{document}
"""


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_pdflatex_compiles_every_latex_output(runner, tmp_path: Path) -> None:
    failures = []
    for i, words in enumerate(COMMANDS):
        body = run(runner, words, "latex")
        source = tmp_path / f"out{i}.tex"
        source.write_text(DOCUMENT % body, encoding="ascii")
        result = subprocess.run(
            ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", source.name],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0 or not (tmp_path / f"out{i}.pdf").exists():
            errors = [line for line in result.stdout.splitlines() if line.startswith("!")]
            failures.append(f"{command_id(words)}: {errors[:3]}")
    assert failures == []
