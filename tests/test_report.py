"""Reports: the three formats, exact number formatting, and atomic writes."""

from __future__ import annotations

import errno
import io
import json
import os
import stat
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from graphcost.errors import SizeError, UsageError
from graphcost.report import render as report_module
from graphcost.report import writers as writers_module
from graphcost.report.render import (
    FORMATS,
    Report,
    emit,
    format_int,
    format_ratio,
    render,
)
from graphcost.report.writers import CsvRowFile, atomic_writer, write_atomic


def _report() -> Report:
    return Report(
        title="demo",
        columns=["schedule", "multiplications"],
        rows=[["forward", "6,300"], ["backward", "800"]],
        records=[{"schedule": "forward", "multiplications": 6300}],
        data={"forward": {"multiplications": np.int64(6300)}, "ratio": Fraction(63, 8)},
        notes=["a note"],
    )


def test_table() -> None:
    text = render(_report(), "table")
    lines = text.splitlines()
    assert lines[0] == "demo"
    assert "│ forward  │           6,300 │" in lines
    assert lines[-1] == "a note"


def test_json_handles_numpy_and_fractions() -> None:
    assert json.loads(render(_report(), "json")) == {
        "forward": {"multiplications": 6300},
        "ratio": "63/8",
    }


def test_csv() -> None:
    assert render(_report(), "csv") == "schedule,multiplications\nforward,6300\n"


def test_unknown_format_lists_the_valid_ones() -> None:
    with pytest.raises(UsageError) as caught:
        render(_report(), "xml")
    assert str(caught.value) == f"unknown format 'xml'; choose one of: {', '.join(FORMATS)}"
    assert {"table", "json", "csv"} <= set(FORMATS)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(6300, "6,300"), (0, "0"), (10**12, "1,000,000,000,000"), ("n**2", "n**2")],
)
def test_format_int(value: object, expected: str) -> None:
    assert format_int(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Fraction(63, 8), "7.875 (63/8)"),
        (Fraction(2), "2"),
        (Fraction(1, 3), "0.333333 (1/3)"),
        (None, "—"),
        (1.5, "1.5"),
        (Fraction(10**400 + 1, 3), f"{10**400 + 1}/3"),  # beyond float range: exact only
    ],
)
def test_format_ratio(value: object, expected: str) -> None:
    assert format_ratio(value) == expected


def test_emit_writes_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "r.csv"
    emit(_report(), "csv", str(target))
    assert target.read_text() == "schedule,multiplications\nforward,6300\n"
    assert capsys.readouterr().out == ""
    emit(_report(), "csv")
    assert capsys.readouterr().out == "schedule,multiplications\nforward,6300\n"


def test_write_atomic_replaces(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    write_atomic(target, "new")
    assert target.read_text() == "new"
    assert os.listdir(tmp_path) == ["out.txt"]


class _Boom(Exception):
    pass


def _write_then_fail(target: Path, error: type[BaseException]) -> None:
    with atomic_writer(target) as stream:
        stream.write("half of the new conte")
        stream.flush()
        raise error


def test_a_failure_while_writing_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")

    with pytest.raises(_Boom):
        _write_then_fail(target, _Boom)
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_a_failure_while_rendering_creates_nothing(tmp_path: Path) -> None:
    target = tmp_path / "new.json"
    report = _report()

    def explode(*_: object, **__: object) -> str:
        raise RuntimeError("renderer failed")

    FORMATS["exploding"] = explode
    try:
        with pytest.raises(RuntimeError):
            emit(report, "exploding", str(target))
    finally:
        del FORMATS["exploding"]
    assert os.listdir(tmp_path) == []


def test_binary_mode(tmp_path: Path) -> None:
    target = tmp_path / "b.bin"
    with atomic_writer(target, mode="wb") as stream:
        stream.write(b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"


def test_missing_directory_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="check that the directory exists"):
        write_atomic(tmp_path / "absent" / "out.txt", "x")


def test_interrupt_while_writing_cleans_up(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    with pytest.raises(KeyboardInterrupt):
        _write_then_fail(target, KeyboardInterrupt)
    assert os.listdir(tmp_path) == []


# --- CsvRowFile --------------------------------------------------------------------------------


def test_row_file_renames_on_success(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    with CsvRowFile(target, ["a", "b"]) as sink:
        sink.write([(1, 2), (3, 4)])
        assert not target.exists()  # rows go to a temporary file until the end
    assert target.read_text() == "a,b\n1,2\n3,4\n"
    assert list(tmp_path.iterdir()) == [target]


def test_row_file_keeps_finished_rows_on_interrupt(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"

    def interrupted() -> None:
        with CsvRowFile(target, ["a"]) as sink:
            sink.write([(1,), (2,)])
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert target.read_text() == "a\n1\n2\n"
    assert list(tmp_path.iterdir()) == [target]


def test_row_file_cuts_a_torn_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.csv"
    real_write = os.write

    def torn(descriptor: int, data: bytes) -> int:
        real_write(descriptor, bytes(data[:3]))  # part of the batch reaches the file...
        raise KeyboardInterrupt  # ...and the interrupt lands in the middle of the write

    def interrupted() -> None:
        with CsvRowFile(target, ["a", "b"]) as sink:
            sink.write([(1, 2)])
            monkeypatch.setattr(writers_module.os, "write", torn)
            sink.write([(333, 444), (5, 6)])

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert target.read_text() == "a,b\n1,2\n"


def test_row_file_keeps_the_complete_lines_of_a_torn_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An interrupt inside a large batch keeps the lines of that batch already written."""
    target = tmp_path / "out.csv"
    real_write = os.write

    def torn(descriptor: int, data: bytes) -> int:
        real_write(descriptor, bytes(data[:10]))  # "333,444\n5," reaches the file
        raise KeyboardInterrupt

    def interrupted() -> None:
        with CsvRowFile(target, ["a", "b"]) as sink:
            sink.write([(1, 2)])
            monkeypatch.setattr(writers_module.os, "write", torn)
            sink.write([(333, 444), (5, 6)])

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert target.read_text() == "a,b\n1,2\n333,444\n"


def test_row_file_leaves_target_alone_on_user_error(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("previous\n")

    def failing() -> None:
        with CsvRowFile(target, ["a"]) as sink:
            sink.write([(1,)])
            raise SizeError("bad point")

    with pytest.raises(SizeError):
        failing()
    assert target.read_text() == "previous\n"
    assert list(tmp_path.iterdir()) == [target]


def test_row_file_to_a_stream() -> None:
    stream = io.StringIO()
    with CsvRowFile(None, ["a"], stream=stream) as sink:
        sink.write([(1,)])
    assert stream.getvalue() == "a\n1\n"


def test_row_file_missing_directory(tmp_path: Path) -> None:
    with (
        pytest.raises(UsageError, match="cannot write"),
        CsvRowFile(tmp_path / "no" / "out.csv", ["a"]),
    ):
        pass


# --- markdown and latex ----------------------------------------------------------------------

SPECIAL = Report(
    title="t_1 & 50%",
    columns=["name", "a|b"],
    rows=[["x_1", "1"], ["{y}", "~^\\"]],
    records=[],
    data=None,
    notes=["note #1"],
)


def test_markdown_escapes_pipes_and_emphasis() -> None:
    # The second column holds a non-number, so it is left-aligned.
    assert render(SPECIAL, "markdown") == (
        "**t\\_1 & 50%**\n\n| name | a\\|b |\n|:---|:---|\n| x\\_1 | 1 |\n| {y} | ~^\\\\ |\n"
        "\nnote #1  \n"
    )


def test_markdown_formulas_keep_their_stars() -> None:
    report = Report("", ["schedule", "formula"], [["forward", "n**2*(2*n + 3)/9"]], [], None)
    assert "| forward | n\\*\\*2\\*(2\\*n + 3)/9 |" in render(report, "markdown")


def test_latex_escapes_special_characters() -> None:
    text = render(SPECIAL, "latex")
    assert text.splitlines() == [
        "% needs \\usepackage{booktabs}",
        "\\noindent\\textbf{t\\_1 \\& 50\\%}\\par\\smallskip",
        "\\noindent\\begin{tabular}{ll}",  # the second column holds a non-number
        "\\toprule",
        "name & a\\textbar{}b \\\\",
        "\\midrule",
        "x\\_1 & 1 \\\\",
        "\\{y\\} & \\textasciitilde{}\\textasciicircum{}\\textbackslash{} \\\\",
        "\\bottomrule",
        "\\end{tabular}",
        "",
        "\\smallskip\\noindent",  # the notes are text under the table, not comments
        "note \\#1",
        "\\par",
    ]


def test_markdown_and_latex_are_registered() -> None:
    assert {"markdown", "latex"} <= set(FORMATS)


# -- outputs that are not plain files (found by the acceptance audit: `-o /dev/stdout` run as
# root used to rename a temporary file onto the device, replacing it with a plain file) ---------


def test_a_fifo_target_is_written_in_place_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader, so opening to write won't block
    try:
        writers_module.write_atomic(fifo, "a,b\n")
        with writers_module.CsvRowFile(fifo, ["n"]) as sink:
            sink.write([(1,), (2,)])
        assert stat.S_ISFIFO(os.stat(fifo).st_mode)
        assert os.read(reader, 100) == b"a,b\nn\n1\n2\n"
    finally:
        os.close(reader)


def test_a_symlink_target_keeps_the_link_and_updates_its_file(tmp_path: Path) -> None:
    real, link = tmp_path / "real.csv", tmp_path / "link.csv"
    real.write_text("old\n")
    link.symlink_to(real)
    writers_module.write_atomic(link, "new\n")
    assert link.is_symlink()
    assert real.read_text() == "new\n"
    with writers_module.CsvRowFile(link, ["n"]) as sink:
        sink.write([(3,)])
    assert link.is_symlink()
    assert real.read_text() == "n\n3\n"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_device_is_a_usage_error(tmp_path: Path) -> None:
    link = tmp_path / "full"
    link.symlink_to("/dev/full")  # through a link: a regression replaces the link, not the device
    with pytest.raises(UsageError, match="No space left on device"):
        writers_module.write_atomic(link, "x\n")
    with (
        pytest.raises(UsageError, match="No space left on device"),
        writers_module.CsvRowFile(link, ["n"]) as sink,
    ):
        sink.write([(1,)])
    assert link.is_symlink()


# -- faults: a full disk never replaces an existing output; markup in cells; long tables -----


def _enospc(*_: object) -> int:
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_during_a_sweep_leaves_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The data-loss bug: a valid out.csv was replaced by an empty file when the disk filled."""
    target = tmp_path / "out.csv"
    target.write_text("a,b\n1,2\n")

    def sweep() -> None:
        with CsvRowFile(target, ["a", "b"]) as sink:
            sink.write([(3, 4)])
            monkeypatch.setattr(writers_module.os, "write", _enospc)
            sink.write([(5, 6)])

    with pytest.raises(UsageError, match=r"No space left on device.*left as it was"):
        sweep()
    assert target.read_text() == "a,b\n1,2\n"
    assert list(tmp_path.iterdir()) == [target]


def test_a_full_disk_at_the_end_of_a_sweep_leaves_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old\n")

    def sweep() -> None:
        with CsvRowFile(target, ["a"]) as sink:
            sink.write([(1,)])
            monkeypatch.setattr(writers_module.os, "fsync", _enospc)

    with pytest.raises(UsageError, match=r"out\.csv"):
        sweep()
    assert target.read_text() == "old\n"
    assert list(tmp_path.iterdir()) == [target]


def test_a_crash_during_a_sweep_leaves_the_previous_file(tmp_path: Path) -> None:
    """Only the user's stop (an interrupt) keeps partial rows; a failure keeps the old file."""
    target = tmp_path / "out.csv"
    target.write_text("old\n")

    def sweep() -> None:
        with CsvRowFile(target, ["a"]) as sink:
            sink.write([(1,)])
            raise _Boom

    with pytest.raises(_Boom):
        sweep()
    assert target.read_text() == "old\n"
    assert list(tmp_path.iterdir()) == [target]


def test_a_full_disk_found_by_fsync_leaves_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.json"
    target.write_text("old\n")
    monkeypatch.setattr(writers_module.os, "fsync", _enospc)
    with pytest.raises(UsageError, match=r"cannot write .*out\.json.*No space left"):
        write_atomic(target, "new\n")
    assert target.read_text() == "old\n"
    assert list(tmp_path.iterdir()) == [target]


def test_the_header_waits_for_the_first_row_on_a_stream() -> None:
    stream = io.StringIO()
    with pytest.raises(SizeError), CsvRowFile(None, ["a"], stream=stream):
        raise SizeError("bad point")
    assert stream.getvalue() == ""
    with CsvRowFile(None, ["a"], stream=stream):
        pass
    assert stream.getvalue() == "a\n"


def test_an_input_is_never_replaced_by_an_output(tmp_path: Path) -> None:
    graph = tmp_path / "g.yaml"
    graph.write_text("V: [x]\n")
    writers_module.protect_input(graph)
    try:
        with pytest.raises(UsageError, match="input"):
            write_atomic(graph, "report\n")
        with pytest.raises(UsageError, match="input"), CsvRowFile(graph, ["a"]):
            pass
    finally:
        writers_module._INPUTS.clear()
    assert graph.read_text() == "V: [x]\n"


@pytest.mark.parametrize("name", ["[/x]", "[bold]", "[/]", "a[red]b[/red]", "\\[x]"])
def test_table_cells_are_text_not_markup(name: str) -> None:
    report = Report(name, [name, "n"], [[name, "1"]], [], None, [name])
    text = render(report, "table")
    assert text.count(name) == 4  # title, column, cell, note


def test_long_tables_are_refused() -> None:
    rows = [[str(i)] for i in range(report_module.MAX_TABLE_ROWS + 1)]
    with pytest.raises(UsageError, match="at most 2,000 rows"):
        render(Report("", ["n"], rows, [], None), "table")
