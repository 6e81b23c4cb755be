"""Hostile corpus: output files, standard streams and sweeps under faults.

Disk full (``/dev/full``, and a file-size limit that makes every file write past it fail the
way a full disk does), closed and broken standard output, outputs that are directories,
missing folders, symlinks or the input graph itself, sweeps too large to draw or to count,
markup in names, and signals during a sweep. Whenever a case fails, the output that existed
before must hold the same bytes after.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import os
import resource
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from tests.conftest import GRAPHS
from tests.hostile.conftest import (
    TIME_LIMIT,
    Outcome,
    assert_clean_error,
    run_graphcost,
    started,
)

EX4B = str(GRAPHS / "exercise-4b.yaml")
GENERAL = str(GRAPHS / "exercise-4b-general.yaml")
SMALL = str(GRAPHS / "small.yaml")
PREVIOUS = "n,forward_multiplications\n3,9\n"
HEADER = "n,forward_multiplications,forward_additions,backward_multiplications,backward_additions"


def _fault(*, close: Sequence[int] = (), file_size: int | None = None) -> None:
    """In the child, after the harness's set-up: the fault asked for."""
    if file_size is not None:
        # Every write to a file beyond this size fails with EFBIG, as a full disk fails with
        # ENOSPC (Python ignores SIGXFSZ); pipes are not files, so stdout and stderr still work.
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
    for descriptor in close:
        os.close(descriptor)


@contextlib.contextmanager
def _started_with_fault(
    args: Sequence[str],
    *,
    close: Sequence[int] = (),
    file_size: int | None = None,
    stdout: object = subprocess.PIPE,
    cwd: Path | None = None,
) -> Iterator[subprocess.Popen[str]]:
    """The harness's ``started``, with a closed descriptor or a file-size limit."""
    fault = functools.partial(_fault, close=close, file_size=file_size)
    with started(args, cwd=cwd, stdout=stdout, fault=fault) as process:  # type: ignore[arg-type]
        yield process


def _run_with_fault(args: Sequence[str], **fault: object) -> Outcome:
    start = time.monotonic()
    with _started_with_fault(args, **fault) as process:  # type: ignore[arg-type]
        try:
            out, err = process.communicate(timeout=TIME_LIMIT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"graphcost {' '.join(args)} gave no answer in {TIME_LIMIT:.0f} s")
        return Outcome(process.returncode, out or "", err, time.monotonic() - start)


def _run_to_full_stdout(args: Sequence[str]) -> Outcome:
    with open("/dev/full", "w") as full:
        return _run_with_fault(args, stdout=full)


needs_dev_full = pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")


# --- disk full on standard output ------------------------------------------------------------

FULL_STDOUT = [
    ["analyze", EX4B],
    ["analyze", EX4B, "-f", "json"],
    ["sweep", EX4B, "--over", "n=3:300:3"],
    ["show", SMALL],
]


@needs_dev_full
@pytest.mark.parametrize("args", FULL_STDOUT, ids=lambda a: " ".join(a[:1] + a[2:]))
def test_full_stdout_is_a_clean_error(args: list[str]) -> None:
    outcome = _run_to_full_stdout(args)
    assert_clean_error(
        outcome, contains=["standard output", "No space left on device"], stdout=None
    )


# --- closed standard output (`>&-`) ----------------------------------------------------------

CLOSED_STDOUT = [
    ["analyze", EX4B],
    ["sweep", EX4B, "--over", "n=3:300:3"],
    ["show", SMALL],
]


@pytest.mark.parametrize("args", CLOSED_STDOUT, ids=lambda a: " ".join(a[:1] + a[2:]))
def test_closed_stdout_is_a_clean_error(args: list[str]) -> None:
    outcome = _run_with_fault(args, close=[1], stdout=None)
    assert_clean_error(outcome, contains=["standard output", "closed"], stdout=None)


def test_closed_stdout_does_not_stop_output_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    outcome = _run_with_fault(
        ["sweep", EX4B, "--over", "n=3:30:3", "-o", str(target)], close=[1], stdout=None
    )
    assert (outcome.code, outcome.stderr) == (0, "")
    assert target.read_text().startswith(HEADER)
    assert len(target.read_text().splitlines()) == 11


def test_closed_stdout_and_stderr_still_exit_2() -> None:
    outcome = _run_with_fault(["analyze", EX4B], close=[1, 2], stdout=None)
    assert outcome.code == 2


# --- a reader that goes away (`| head -1`) ---------------------------------------------------

EARLY_READERS = [
    ["sweep", EX4B, "--over", "n=3:300000:3"],
    ["sweep", EX4B, "--over", "n=3:3000:3", "-f", "json"],
    ["analyze", EX4B, "-f", "json"],
]


@pytest.mark.parametrize("args", EARLY_READERS, ids=lambda a: " ".join(a[:1] + a[2:]))
def test_a_reader_that_stops_early_ends_the_run_quietly(args: list[str]) -> None:
    with started(args) as process:
        assert process.stdout is not None
        process.stdout.readline()  # `head -1`: one line, then the pipe is closed
        process.stdout.close()
        process.wait(timeout=TIME_LIMIT)
        assert process.stderr is not None
        stderr = process.stderr.read()
    assert (process.returncode, stderr) in ((0, ""), (-signal.SIGPIPE, ""))


# --- disk full on -o, --plot: the previous output keeps its bytes ----------------------------


@needs_dev_full
@pytest.mark.parametrize(
    "args",
    [
        ["analyze", EX4B, "-o", "/dev/full"],
        ["sweep", EX4B, "--over", "n=3:300:3", "-o", "/dev/full"],
        ["sweep", EX4B, "--over", "n=3:30:3", "-f", "json", "-o", "/dev/full"],
    ],
    ids=["analyze", "sweep-csv", "sweep-json"],
)
def test_a_full_device_as_output_is_a_clean_error(args: list[str]) -> None:
    outcome = run_graphcost(args)
    assert_clean_error(outcome, contains=["/dev/full", "No space left on device"])
    assert Path("/dev/full").is_char_device()


@needs_dev_full
def test_a_link_to_a_full_device_keeps_the_link(tmp_path: Path) -> None:
    link = tmp_path / "out.csv"
    link.symlink_to("/dev/full")
    outcome = run_graphcost(["sweep", EX4B, "--over", "n=3:300:3", "-o", str(link)])
    assert_clean_error(outcome, contains=["No space left on device"])
    assert link.is_symlink()


FULL_DISK = [
    (["sweep", EX4B, "--over", "n=3:30000:3"], "out.csv"),
    (["sweep", EX4B, "--over", "n=3:3000:3", "-f", "json"], "out.json"),
    (["sweep", EX4B, "--over", "n=3:1500:3", "-f", "table"], "out.txt"),
    (["analyze", EX4B, "-f", "json"], "out.json"),
    (["analyze", EX4B, "-s", "all", "--iterations", "300", "-f", "markdown"], "out.md"),
    (["show", EX4B, "--set", "n=30", "-f", "yaml"], "out.yaml"),
]


@pytest.mark.parametrize(("args", "name"), FULL_DISK, ids=lambda a: str(a)[:60])
def test_a_full_disk_leaves_the_previous_output(tmp_path: Path, args: list[str], name: str) -> None:
    target = tmp_path / name
    target.write_text(PREVIOUS)
    outcome = _run_with_fault([*args, "-o", str(target)], file_size=200)
    assert_clean_error(outcome, contains=[name, "left as it was"])
    assert target.read_text() == PREVIOUS
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_a_full_disk_creates_no_output(tmp_path: Path) -> None:
    target = tmp_path / "new.csv"
    outcome = _run_with_fault(
        ["sweep", EX4B, "--over", "n=3:30000:3", "-o", str(target)], file_size=200
    )
    assert_clean_error(outcome, contains=["new.csv"])
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_under_a_plot_leaves_the_previous_plot(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    plot = tmp_path / "plot.png"
    plot.write_bytes(b"\x89PNG previous")
    outcome = _run_with_fault(
        ["sweep", EX4B, "--over", "n=3:300:3", "-o", os.devnull, "--plot", str(plot)],
        file_size=200,
    )
    assert_clean_error(outcome, contains=["plot.png"])
    assert plot.read_bytes() == b"\x89PNG previous"


# --- outputs that are not plain new files ----------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["analyze", EX4B, "-o", "{dir}"],
        ["sweep", EX4B, "--over", "n=3:30:3", "-o", "{dir}"],
        ["analyze", EX4B, "-o", "{dir}/missing/out.json"],
        ["sweep", EX4B, "--over", "n=3:30:3", "-o", "{dir}/missing/out.csv"],
        ["sweep", EX4B, "--over", "n=3:30:3", "-o", os.devnull, "--plot", "{dir}/missing/p.png"],
        ["sweep", EX4B, "--over", "n=3:30:3", "-o", os.devnull, "--plot", "{dir}"],
    ],
    ids=[
        "analyze-dir",
        "sweep-dir",
        "analyze-missing",
        "sweep-missing",
        "plot-missing",
        "plot-dir",
    ],
)
def test_unwritable_output_paths_are_clean_errors(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "keep.txt").write_text("kept\n")
    outcome = run_graphcost([arg.replace("{dir}", str(tmp_path)) for arg in args])
    assert_clean_error(outcome)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


INPUT_AS_OUTPUT = [
    ["analyze", "{graph}", "-o", "{graph}"],
    ["analyze", "{graph}", "-f", "csv", "-o", "{link}"],
    ["sweep", "{graph}", "--over", "n=3:30:3", "-o", "{graph}"],
    ["sweep", "{graph}", "--over", "n=3:30:3", "-f", "json", "-o", "{graph}"],
    ["sweep", "{graph}", "--over", "n=3:30:3", "-o", "{link}"],
    ["show", "{graph}", "-f", "yaml", "-o", "{graph}"],
]


@pytest.mark.parametrize("args", INPUT_AS_OUTPUT, ids=lambda a: " ".join(a[:1] + a[2:]))
def test_the_input_graph_is_never_the_output(tmp_path: Path, args: list[str]) -> None:
    graph = tmp_path / "graph.yaml"
    original = Path(EX4B).read_bytes()
    graph.write_bytes(original)
    (tmp_path / "link.yaml").symlink_to(graph)
    names = {"{graph}": str(graph), "{link}": str(tmp_path / "link.yaml")}
    outcome = run_graphcost([names.get(arg, arg) for arg in args])
    assert_clean_error(outcome, contains=["input"])
    assert graph.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.yaml", "link.yaml"]


def test_an_output_through_a_symlink_updates_its_file(tmp_path: Path) -> None:
    real, link = tmp_path / "real.csv", tmp_path / "link.csv"
    real.write_text(PREVIOUS)
    link.symlink_to(real)
    outcome = run_graphcost(["sweep", EX4B, "--over", "n=3:30:3", "-o", str(link)])
    assert (outcome.code, outcome.stderr) == (0, "")
    assert link.is_symlink()
    assert real.read_text().startswith(HEADER)


# --- sweeps too large, bad ranges, errors before any row -------------------------------------

TOO_LARGE = [
    (["--over", "n=3:3*10**6:3", "-f", "table"], ["2,000 rows", "csv"]),
    (["--over", "n=3:3*10**9:3", "-f", "table"], ["2,000 rows"]),
    (["--over", "n=3:3*10**7:3", "-f", "json"], ["1,000,000"]),
    (["--over", "n=1:10**30"], ["1,000,000,000"]),
    (["--over", "n=10**30:1:-1"], ["1,000,000,000"]),
    (["--over", "n=1:10**10", "-o", "{dir}/out.csv"], ["1,000,000,000"]),
    (["--over", "n=3:3*10**9:3", "--plot", "{dir}/p.png", "-o", os.devnull], ["--plot"]),
]


@pytest.mark.parametrize(("args", "contains"), TOO_LARGE, ids=lambda a: " ".join(a)[:40])
def test_sweeps_too_large_are_refused_before_any_work(
    tmp_path: Path, args: list[str], contains: list[str]
) -> None:
    outcome = run_graphcost(["sweep", EX4B, *(a.replace("{dir}", str(tmp_path)) for a in args)])
    assert_clean_error(outcome, contains=contains)
    assert outcome.seconds < 20
    assert list(tmp_path.iterdir()) == []


def test_the_grid_of_two_huge_axes_is_refused() -> None:
    outcome = run_graphcost(
        ["sweep", GENERAL, "--over", "V=1:10**9", "--over", "V1=1:10**9", "-o", os.devnull]
    )
    assert_clean_error(outcome, contains=["points", "1,000,000,000"])


def test_strict_prints_nothing_on_stdout() -> None:
    outcome = run_graphcost(["sweep", EX4B, "--over", "n=1:7", "--strict"])
    assert_clean_error(outcome, contains=["h1", "positive integer"])


def test_strict_leaves_the_previous_output(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text(PREVIOUS)
    outcome = run_graphcost(["sweep", EX4B, "--over", "n=1:7", "--strict", "-o", str(target)])
    assert_clean_error(outcome, contains=["h1"])
    assert target.read_text() == PREVIOUS
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_a_sweep_where_every_point_is_skipped_still_prints_its_header() -> None:
    outcome = run_graphcost(["sweep", EX4B, "--over", "n=4:5"])
    assert outcome.code == 0
    assert outcome.stdout.startswith(HEADER)
    assert len(outcome.stdout.splitlines()) == 1


# --- rich markup in names --------------------------------------------------------------------

MARKUP_GRAPH = """\
name: "[bold]m[/x]"
V: ["[/x]", "[bold]"]
D: ["[red]a"]
D': ["[/]"]
E: [["[/x]", "[red]a"], ["[bold]", "[red]a"], ["[red]a", "[/]"]]
"""


@pytest.mark.parametrize(
    "args",
    [["analyze"], ["analyze", "-s", "markowitz,forward"], ["show"]],
    ids=["analyze", "strategies", "show"],
)
def test_markup_in_names_prints_as_text(graph_file, args: list[str]) -> None:
    path = graph_file(MARKUP_GRAPH)
    outcome = run_graphcost([args[0], str(path), *args[1:]])
    assert (outcome.code, outcome.stderr) == (0, ""), outcome.stderr
    assert "[bold]m[/x]" in outcome.stdout
    if args[0] == "show":
        for name in ("[/x]", "[bold]", "[red]a", "[/]"):
            assert name in outcome.stdout


# --- signals during a sweep ------------------------------------------------------------------


def _wait_for_rows(process: subprocess.Popen[str], folder: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        found = list(folder.glob(".*.partial"))
        if found and found[0].stat().st_size > 50_000:
            return
        time.sleep(0.05)
    pytest.fail("the sweep wrote no rows")


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_during_a_sweep_keeps_complete_rows(tmp_path: Path, number: int) -> None:
    target = tmp_path / "out.csv"
    target.write_text(PREVIOUS)
    args = ["sweep", EX4B, "--over", "n=3:3*10**9:3", "-o", str(target)]
    with started(args) as process:
        _wait_for_rows(process, tmp_path)
        process.send_signal(number)
        _, stderr = process.communicate(timeout=TIME_LIMIT)
    assert process.returncode == 130
    assert stderr.rstrip().endswith("Error: interrupted")
    rows = list(csv.reader(io.StringIO(target.read_text())))
    assert ",".join(rows[0]).startswith(HEADER)
    assert len(rows) > 100
    assert all(len(row) == 8 for row in rows)  # counts, approximate, evaluation_multiplications
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_a_signal_during_a_kept_sweep_leaves_the_previous_output(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text(PREVIOUS)
    args = ["sweep", EX4B, "--over", "n=3:2999997:3", "--nodes", "-f", "json", "-o", str(target)]
    with started(args) as process:
        time.sleep(1.5)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=TIME_LIMIT)
    assert process.returncode == 130
    assert stderr.strip().splitlines()[-1] == "Error: interrupted"
    assert target.read_text() == PREVIOUS
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]
