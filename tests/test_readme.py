"""The README's examples are true: every console block is run and its output compared.

A ```console block whose first line is ``$ graphcost …`` is a transcript: each ``$ graphcost``
line is run (in-process, in a scratch folder holding a copy of ``graphs/``) and what it
prints must be the lines below it, exactly. Its messages on stderr (warnings) may stand before
or after them, as a terminal shows them. Tables are as wide as in a file or a pipe
(``COLUMNS`` unset), which is how the README's outputs were made.

A block that cannot be run here (it needs a cluster or a package the tests do not install)
says so in the README with ``<!-- not run: reason -->`` on the line before it, and
:data:`NOT_RUN` lists it, so that no block is skipped silently. A slow one is marked
``<!-- slow: reason -->`` and runs with the slow cases (``-m slow``).

A ```yaml block after ``<!-- file: PATH -->`` is that file: a shipped one (``graphs/…``) must
be equal to it, any other is written into the scratch folder for the examples that read it.
"""

from __future__ import annotations

import itertools
import re
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from graphcost.cli import cli
from tests.conftest import GRAPHS, ROOT

README = ROOT / "README.md"

#: The console blocks the README marks ``<!-- not run: … -->``, by their first command.
NOT_RUN = {
    "$ pip install '.[plot]'": "installs matplotlib, which the tests need not have",
    "$ graphcost sweep graphs/mlp-relu.yaml --over p=2:64:2 --nodes --jobs 4": "needs a Dask "
    "cluster; the commands are shown without their output",
}


@dataclass(frozen=True)
class Block:
    """A fenced block of the README: its language, text, first line and the comment before it."""

    language: str
    text: str
    line: int
    note: str


def readme_blocks(text: str) -> list[Block]:
    """Every fenced block of ``text``, with the ``<!-- … -->`` comment just before it, if any."""
    blocks = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        opening = re.fullmatch(r"```(\w*)", lines[i])
        if not opening:
            i += 1
            continue
        end = lines.index("```", i + 1)
        before = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        note = before.strip() if before.startswith("<!--") else ""
        body = "".join(line + "\n" for line in lines[i + 1 : end])
        blocks.append(Block(opening.group(1), body, i + 1, note))
        i = end + 1
    return blocks


def transcripts() -> list[Block]:
    """The console blocks that begin with ``$ graphcost``."""
    return [
        b
        for b in readme_blocks(README.read_text(encoding="utf-8"))
        if b.language == "console" and b.text.startswith("$ graphcost")
    ]


def marked_files() -> dict[str, str]:
    """The yaml blocks marked ``<!-- file: PATH -->``: path → text."""
    files = {}
    for block in readme_blocks(README.read_text(encoding="utf-8")):
        found = re.fullmatch(r"<!-- file: (\S+) -->", block.note)
        if found:
            files[found.group(1)] = block.text
    return files


def commands(block: Block) -> list[tuple[str, str]]:
    """The ``(command line, printed lines)`` pairs of a transcript."""
    pairs = []
    for part in re.split(r"^\$ ", block.text, flags=re.M)[1:]:
        command, _, printed = part.partition("\n")
        pairs.append((command, printed))
    return pairs


def first_command(block: Block) -> str:
    return block.text.splitlines()[0]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a copy of graphs/ and the README's other files, where the examples run."""
    folder = tmp_path_factory.mktemp("readme")
    shutil.copytree(GRAPHS, folder / "graphs")
    (folder / "docs").mkdir()
    for path, text in marked_files().items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text, encoding="utf-8")
    return folder


def run_block(block: Block, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(folder)
    for command, printed in commands(block):
        words = shlex.split(command, comments=True)
        assert words[0] == "graphcost", f"README line {block.line}: {command!r} is not graphcost"
        result = CliRunner(env={"COLUMNS": None}).invoke(cli, words[1:])
        assert result.exit_code == 0, f"README line {block.line}: {command}\n{result.output}"
        shown = {result.stdout + result.stderr, result.stderr + result.stdout}
        assert printed in shown, (
            f"README line {block.line}: `{command}` prints\n{result.stdout}{result.stderr}"
        )
        for written in pictures(words):  # the README shows the repository's copy
            assert (folder / written).read_bytes() == (ROOT / written).read_bytes(), written


def pictures(words: list[str]) -> list[str]:
    """The files under docs/ that a command writes (``-o docs/...``): the README shows them."""
    return [
        target
        for option, target in itertools.pairwise(words)
        if option in ("-o", "--output") and target.startswith("docs/")
    ]


@pytest.mark.parametrize(
    "block",
    [
        pytest.param(b, marks=pytest.mark.slow) if b.note.startswith("<!-- slow:") else b
        for b in transcripts()
        if not b.note.startswith("<!-- not run")
    ],
    ids=lambda b: f"line{b.line}:{first_command(b)[2:60]}",
)
def test_readme_example_prints_what_the_readme_shows(
    block: Block, scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_block(block, scratch, monkeypatch)


def test_the_blocks_not_run_are_marked_and_listed() -> None:
    console = [
        b for b in readme_blocks(README.read_text(encoding="utf-8")) if b.language == "console"
    ]
    marked = {first_command(b): b.note for b in console if b.note.startswith("<!-- not run:")}
    assert marked == {command: f"<!-- not run: {why} -->" for command, why in NOT_RUN.items()}
    # A block that is not a graphcost transcript must say why it is not run.
    others = [first_command(b) for b in console if not b.text.startswith("$ graphcost")]
    assert set(others) <= set(marked)
    assert len(transcripts()) >= 25


def test_the_yaml_blocks_that_are_shipped_files_equal_them() -> None:
    shipped = {p: t for p, t in marked_files().items() if p.startswith("graphs/")}
    assert len(shipped) >= 3
    for path, text in shipped.items():
        assert text == (ROOT / path).read_text(encoding="utf-8"), path


def test_no_yaml_block_names_a_shipped_file_without_being_checked() -> None:
    for block in readme_blocks(README.read_text(encoding="utf-8")):
        if block.language == "yaml" and re.match(r"# graphs/\S+\.yaml", block.text):
            assert block.note.startswith("<!-- file: graphs/"), f"README line {block.line}"
