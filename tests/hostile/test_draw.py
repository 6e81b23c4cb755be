"""Hostile corpus: ``graphcost draw`` and its flip-books.

Unwritable and unknown outputs, a named pipe as the graph, strategies that do not exist,
``--steps`` folders that are files or hold other files, and a full disk in the middle of a
flip-book. Each case: one ``Error:`` line, exit 2, nothing on stdout, and no picture or
folder half-written (what was there before holds the same bytes after).
"""

from __future__ import annotations

import os
import resource
from pathlib import Path

import pytest

from tests.conftest import GRAPHS
from tests.hostile.conftest import assert_clean_error, run_graphcost, started

SMALL = str(GRAPHS / "small.yaml")
EX4B = str(GRAPHS / "exercise-4b.yaml")


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() if p.is_file() else b"<dir>"
        for p in sorted(folder.rglob("*"))
    }


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["-o", "picture.gif"], ["cannot tell the picture format", ".svg"]),
        (["-o", "picture"], ["suffix (none)", "--format"]),
        (["-o", "missing/picture.dot"], ["cannot write", "missing/picture.dot"]),
        (["-o", "-", "-f", "svg"], ["binary", "--format dot"]),
        ([], ["-o"]),
        (["-s", "backward"], ["--steps DIR"]),
        (["--steps", "frames"], ["--strategy"]),
        (["-s", "nosuch", "--steps", "frames"], ["unknown strategy 'nosuch'", "markowitz"]),
        (["-s", "all", "--steps", "frames"], ["one strategy"]),
        (["-s", "forward,backward", "--steps", "frames"], ["one strategy"]),
        (["-s", "order:b", "--steps", "frames"], ["leaves out 1 intermediate vertex: a"]),
        (["--steps", "missing/frames", "-s", "forward"], ["folder 'missing' does not exist"]),
        (["-o", "x.svg", "-f", "gif"], ["'gif' is not one of"]),
    ],
)
def test_usage_errors_write_nothing(tmp_path: Path, args: list[str], fragments: list[str]) -> None:
    outcome = run_graphcost(["draw", SMALL, *args], cwd=tmp_path)
    assert_clean_error(outcome, contains=fragments)
    assert _tree(tmp_path) == {}


def test_a_named_pipe_as_the_graph_is_refused_at_once(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    outcome = run_graphcost(["draw", "pipe.yaml", "-o", "g.dot"], cwd=tmp_path)
    assert_clean_error(outcome, contains=["named pipe"])
    assert outcome.seconds < 30


def test_the_input_is_never_replaced_by_its_picture(tmp_path: Path) -> None:
    graph = tmp_path / "small.yaml"
    graph.write_bytes(Path(SMALL).read_bytes())
    outcome = run_graphcost(["draw", "small.yaml", "-o", "small.yaml", "-f", "dot"], cwd=tmp_path)
    assert_clean_error(outcome, contains=["is an input"])
    assert graph.read_bytes() == Path(SMALL).read_bytes()


def test_a_full_disk_keeps_the_previous_picture(tmp_path: Path) -> None:
    picture = tmp_path / "g.dot"
    picture.write_text("previous\n")
    outcome = run_graphcost(["draw", EX4B, "-o", "/dev/full", "-f", "dot"], cwd=tmp_path)
    assert_clean_error(outcome, contains=["/dev/full"])
    assert _tree(tmp_path) == {"g.dot": b"previous\n"}


@pytest.mark.parametrize(
    ("prepare", "fragments"),
    [
        (lambda folder: (folder / "frames").write_text("a file\n"), ["is a file"]),
        (lambda folder: _folder_with(folder, "notes.txt"), ["not frames", "notes.txt"]),
    ],
)
def test_steps_folders_that_are_not_flipbooks_are_left_alone(
    tmp_path: Path, prepare, fragments: list[str]
) -> None:
    prepare(tmp_path)
    before = _tree(tmp_path)
    outcome = run_graphcost(
        ["draw", SMALL, "-s", "backward", "--steps", "frames", "-f", "mmd"], cwd=tmp_path
    )
    assert_clean_error(outcome, contains=fragments)
    assert _tree(tmp_path) == before


def _folder_with(folder: Path, name: str) -> None:
    (folder / "frames").mkdir()
    (folder / "frames" / name).write_text("mine\n")


@pytest.mark.parametrize("extra", [["-o", "g.dot"], ["-s", "forward", "--steps", "frames"]])
def test_sizes_that_do_not_fit_are_refused(tmp_path: Path, extra: list[str]) -> None:
    outcome = run_graphcost(["draw", EX4B, "--set", "n=4", *extra], cwd=tmp_path)
    assert_clean_error(outcome, contains=["h1", "not a positive integer"])
    assert _tree(tmp_path) == {}


def _limit_files(size: int) -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


def test_a_full_disk_mid_flipbook_keeps_the_previous_flipbook(tmp_path: Path) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    (folder / "step-00.mmd").write_text("previous frame\n")
    before = _tree(tmp_path)
    args = ["draw", str(GRAPHS / "mlp-relu.yaml"), "-s", "forward", "--steps", "frames"]
    with started([*args, "-f", "mmd"], cwd=tmp_path, fault=lambda: _limit_files(600)) as child:
        out, err = child.communicate(timeout=60)
    assert child.returncode == 2, err
    assert err.startswith("Error: cannot write --steps 'frames'"), err
    assert "Traceback" not in err
    assert out == ""
    assert _tree(tmp_path) == before


def test_no_graph_is_said_first(tmp_path: Path) -> None:
    outcome = run_graphcost(["draw"], cwd=tmp_path)
    assert_clean_error(outcome, contains=["give a graph FILE or --layers SIZES"])


def test_too_many_vertices_to_draw(tmp_path: Path) -> None:
    args = ["draw", str(GRAPHS / "mlp-relu.yaml"), "--set", "p=3000", "--nodes", "-o", "g.dot"]
    outcome = run_graphcost(args, cwd=tmp_path)
    assert_clean_error(outcome, contains=["3,05", "vertices to draw", "drop --nodes"])
    assert _tree(tmp_path) == {}
