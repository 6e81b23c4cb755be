"""Reports: what a command shows, rendered as a rich table, JSON or CSV, written atomically.

A command builds one :class:`Report` and hands it to :func:`emit`, which branches once on the
format (looked up in :data:`FORMATS`). Files are written to a temporary file beside the target
and renamed into place, so no output file is ever left half-written; :class:`CsvRowFile`
streams the rows of a long computation (a sweep) the same way, keeping the finished rows when
it is interrupted.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from graphcost.errors import UsageError


@dataclass
class Report:
    """Everything a command outputs, in the three shapes the formats need.

    Attributes
    ----------
    title
        Heading of the table.
    columns, rows
        The human table (cells may be pre-formatted strings).
    records
        Flat rows for CSV, with stable column names.
    data
        The JSON payload.
    notes
        Lines printed under the table (not in JSON or CSV).
    highlight
        Index of a row to emphasise in the table (e.g. the best strategy).
    """

    title: str
    columns: list[str]
    rows: list[list[Any]]
    records: list[dict[str, Any]]
    data: Any
    notes: list[str] = field(default_factory=list)
    highlight: int | None = None


#: Width of tables written to files and pipes: wide enough that formulas do not wrap.
FILE_WIDTH = 200
_NUMBER = re.compile(r"^[-+]?[\d,._]+(e[-+]?\d+)?( \(.*\))?$|^—$")


def _is_numeric_column(report: Report, column: int) -> bool:
    """Whether every cell of the column reads as a number (right-aligned in tables)."""
    return column > 0 and all(
        _NUMBER.match(str(row[column])) for row in report.rows if column < len(row)
    )


#: Most rows a rich table is drawn with: rich lays out every cell (about a millisecond a row),
#: so 10^6 rows would take a quarter of an hour; nobody reads a table that long either.
MAX_TABLE_ROWS = 2_000


def check_table_rows(rows: int) -> None:
    """Refuse a table of more than :data:`MAX_TABLE_ROWS` rows, before any work is done.

    Raises
    ------
    UsageError
        Naming the bound and the formats that have none.
    """
    if rows > MAX_TABLE_ROWS:
        raise UsageError(
            f"a table of {rows:,} rows is too long to draw (at most {MAX_TABLE_ROWS:,} rows)",
            fix="use --format csv or json (with -o FILE for large outputs), or fewer rows",
        )


def _render_table(report: Report, *, color: bool = False) -> str:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    check_table_rows(len(report.rows))
    table = Table()
    for i, column in enumerate(report.columns):
        table.add_column(  # fold, never truncate: an exact count must show every digit
            escape(str(column)),
            justify="right" if _is_numeric_column(report, i) else "left",
            overflow="fold",
        )
    for i, row in enumerate(report.rows):
        # Cells are text, never markup: a node named "[/x]" or "[bold]" must print as itself.
        table.add_row(
            *(escape(str(cell)) for cell in row), style="bold" if i == report.highlight else None
        )
    buffer = io.StringIO()
    width = shutil.get_terminal_size().columns if color else FILE_WIDTH
    console = Console(file=buffer, force_terminal=color, width=width, highlight=False)
    if report.title:
        console.print(report.title, style="bold", markup=False)
    console.print(table)
    for note in report.notes:
        console.print(note, markup=False)
    return buffer.getvalue()


def _render_json(report: Report, **_: Any) -> str:
    return json.dumps(report.data, indent=2, default=_json_default) + "\n"


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


def _render_csv(report: Report, **_: Any) -> str:
    buffer = io.StringIO()
    write_csv(buffer, report.records)
    return buffer.getvalue()


def write_csv(stream: TextIO, records: list[dict[str, Any]]) -> None:
    """Write records as CSV with a header from the first record's keys."""
    if not records:
        return
    writer = csv.DictWriter(stream, fieldnames=list(records[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)


def _render_markdown(report: Report, **_: Any) -> str:
    """A GitHub-flavoured pipe table, the title in bold above it and the notes below."""

    def cell(value: Any) -> str:
        # Escape what Markdown would read as emphasis or code (formulas are full of `**`).
        text = str(value).replace("\n", " ")
        for special in "\\|*_`":
            text = text.replace(special, "\\" + special)
        return text

    lines = [f"**{cell(report.title)}**", ""] if report.title else []
    lines.append("| " + " | ".join(cell(c) for c in report.columns) + " |")
    aligns = [
        ":---" if i == 0 or not _is_numeric_column(report, i) else "---:"
        for i in range(len(report.columns))
    ]
    lines.append("|" + "|".join(aligns) + "|")
    lines.extend("| " + " | ".join(cell(v) for v in row) + " |" for row in report.rows)
    if report.notes:
        lines.append("")
        lines.extend(f"{cell(note)}  " for note in report.notes)
    return "\n".join(lines) + "\n"


_LATEX_SPECIAL = {c: "\\" + c for c in "&%$#_{}"} | {
    "\\": r"\textbackslash{}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def _latex(value: Any) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(value))


def _render_latex(report: Report, **_: Any) -> str:
    """A ``tabular`` (booktabs rules) with the title as a comment; special characters escaped."""
    spec = "".join(
        "r" if _is_numeric_column(report, i) else "l" for i in range(len(report.columns))
    )
    lines = [f"% {_latex(report.title)}"] if report.title else []
    lines += [f"\\begin{{tabular}}{{{spec}}}", r"\toprule"]
    lines.append(" & ".join(_latex(c) for c in report.columns) + r" \\")
    lines.append(r"\midrule")
    lines.extend(" & ".join(_latex(v) for v in row) + r" \\" for row in report.rows)
    lines += [r"\bottomrule", r"\end{tabular}"]
    lines.extend(f"% {_latex(note)}" for note in report.notes)
    return "\n".join(lines) + "\n"


FORMATS: dict[str, Callable[..., str]] = {
    "table": _render_table,
    "json": _render_json,
    "csv": _render_csv,
    "markdown": _render_markdown,
    "latex": _render_latex,
}


def render(report: Report, fmt: str, *, color: bool = False) -> str:
    """Render a report in a format named in :data:`FORMATS`.

    Raises
    ------
    UsageError
        For an unknown format, listing the valid ones.
    """
    try:
        renderer = FORMATS[fmt]
    except KeyError:
        raise UsageError(
            f"unknown format {fmt!r}", fix=f"choose one of: {', '.join(FORMATS)}"
        ) from None
    return renderer(report, color=color)


def emit(report: Report, fmt: str, output: str | None = None) -> None:
    """Print the report on stdout, or write it atomically to ``output``.

    Raises
    ------
    UsageError
        When ``output`` cannot be written (it is then left as it was).
    """
    if output is None:
        color = fmt == "table" and sys.stdout.isatty()
        text = render(report, fmt, color=color)
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write_atomic(output, render(report, fmt))


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file renamed into place."""
    with atomic_writer(path) as stream:
        stream.write(text)


#: ``errno`` values of a write that failed for the machine's state (disk full, quota, I/O
#: error, file too large, read-only file system): a clean error, not a bug.
WRITE_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG, errno.EROFS, errno.EBADF}
)


def cannot_write(path: str | os.PathLike[str], error: OSError, *, kept: bool) -> UsageError:
    """The error for an output that could not be written.

    Parameters
    ----------
    path
        The output, as the user named it.
    error
        The operating system's error.
    kept
        Whether an existing ``path`` was left as it was (a file, not a device).
    """
    name = str(path)
    if error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        fix = "free some space, or write somewhere else"
    else:
        fix = "give a writable file or device"
    if kept:
        fix += f"; {name!r} is left as it was"
    return UsageError(f"cannot write {name!r}: {error.strerror}", fix=fix)


_INPUTS: set[tuple[int, int]] = set()


def protect_input(path: str | os.PathLike[str]) -> None:
    """Remember a file graphcost read, so that no output of this run replaces it.

    ``graphcost analyze g.yaml -o g.yaml`` would otherwise rename the report onto the graph.
    """
    with contextlib.suppress(OSError):
        info = os.stat(path)
        _INPUTS.add((info.st_dev, info.st_ino))


def _refuse_inputs(path: str | os.PathLike[str], target: Path) -> None:
    try:
        info = os.stat(target)
    except OSError:
        return
    if (info.st_dev, info.st_ino) in _INPUTS:
        raise UsageError(
            f"the output {str(path)!r} is an input of this command; writing it would destroy it",
            fix="give another output file",
        )


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str], *, mode: str = "w") -> Iterator[Any]:
    """Open a temporary file beside ``path``; rename it onto ``path`` only on success.

    The temporary file is flushed and synced to disk before the rename, so a full disk is
    found before ``path`` is touched. On an exception the temporary file is removed and
    ``path`` is left as it was. A device or pipe (``/dev/null``, ``/dev/stdout``) is written
    in place, and a symlink's file is replaced, not the link.

    Raises
    ------
    UsageError
        When the directory does not exist or is not writable, the disk is full (or another
        write error), or ``path`` is a file this run read as input.
    """
    newline = "" if "b" not in mode else None
    encoding = "utf-8" if "b" not in mode else None
    target = output_target(path)
    _refuse_inputs(path, target)
    if is_special_file(target):
        try:
            with open(target, mode, newline=newline, encoding=encoding) as stream:
                yield stream
        except OSError as error:
            if error.errno not in WRITE_ERRNOS and error.filename is None:
                raise
            raise cannot_write(path, error, kept=False) from None
        return
    handle, temporary = temporary_beside(target, ".tmp")
    try:
        with os.fdopen(handle, mode, newline=newline, encoding=encoding) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(error, OSError) and error.errno in WRITE_ERRNOS:
            raise cannot_write(path, error, kept=True) from None
        raise


def output_target(path: str | os.PathLike[str]) -> Path:
    """The file an output path names: a symlink is followed, so the link itself survives."""
    target = Path(path)
    return Path(os.path.realpath(target)) if target.is_symlink() else target


def is_special_file(path: Path) -> bool:
    """Whether ``path`` exists and is not a regular file (``/dev/null``, ``/dev/stdout``, a pipe).

    Such a target is written in place: renaming a temporary file onto it would replace the
    device itself with a plain file.
    """
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def temporary_beside(path: Path, suffix: str) -> tuple[int, str]:
    """Create a hidden temporary file in ``path``'s directory, with a plain file's mode.

    Returns the open descriptor and the temporary file's path.

    Raises
    ------
    UsageError
        When the directory does not exist or is not writable.
    """
    directory = path.parent if str(path.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=suffix)
    except OSError as error:
        raise UsageError(
            f"cannot write {str(path)!r}: {error.strerror}",
            fix="check that the directory exists and is writable",
        ) from None
    # mkstemp creates the file private (0600); give it the mode a plain open() would.
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(handle, 0o666 & ~umask)
    return handle, temporary


class CsvRowFile:
    """CSV output that receives rows as a sweep produces them.

    To a file (``path``): the header and rows go to a temporary file beside the target
    (``.NAME.XXXX.partial``), each batch of rows as complete lines, written and flushed to the
    operating system at once; the byte offset after the last complete batch is remembered.

    - When the sweep finishes, the temporary file is synced to disk and renamed onto ``path``.
    - When it is interrupted (``KeyboardInterrupt``: Ctrl-C, SIGINT; SIGTERM when the CLI
      turns it into one), the temporary file is cut back to the last complete line (an
      interrupt can land in the middle of a write) and renamed onto ``path``: the user stopped
      the sweep, and ``path`` then holds a valid CSV of the rows finished so far, never a torn
      last line.
    - When the sweep fails (a user error such as ``--strict``, a full disk, a crash), the
      temporary file is removed and ``path`` is left as it was: a failure never replaces a
      previous complete output by a partial one. A write that fails is a
      :class:`~graphcost.errors.UsageError` naming ``path``.
    - If the process is killed outright (SIGKILL, power loss), ``path`` is untouched and the
      finished rows are in the ``.partial`` file.

    To stdout (``path=None``), or a device: each batch is written as complete lines and
    flushed; the header waits for the first batch (or a successful end), so that an error
    found before any row (``--strict``, an unreachable scheduler) prints nothing on stdout.

    Use as a context manager; :meth:`write` takes a list of row tuples.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None,
        columns: Sequence[str],
        stream: TextIO | None = None,
    ) -> None:
        self.name = None if path is None else str(path)
        self.path = None if path is None else output_target(path)
        self.columns = list(columns)
        self.stream = stream
        self.rows_written = 0
        self._descriptor: int | None = None
        self._temporary: str | None = None
        self._complete = 0
        self._owned: TextIO | None = None
        self._header = ""

    def __enter__(self) -> CsvRowFile:
        header = _csv_text([self.columns])
        if self.path is not None:
            _refuse_inputs(self.name or "", self.path)
        if self.path is not None and is_special_file(self.path):
            # A device or pipe (e.g. /dev/stdout) is streamed into like stdout, never replaced.
            try:
                self._owned = open(self.path, "w", newline="", encoding="utf-8")
            except OSError as error:
                raise UsageError(
                    f"cannot write {self.name!r}: {error.strerror}",
                    fix="give a writable file or device",
                ) from None
            self.stream = self._owned
            self._header = header
        elif self.path is not None:
            self._descriptor, self._temporary = temporary_beside(self.path, ".partial")
            try:
                self._emit(header)
            except BaseException:
                self.__exit__(*sys.exc_info())  # __exit__ is not called when __enter__ fails
                raise
        else:
            self._header = header
        return self

    def write(self, rows: list[tuple[Any, ...]]) -> None:
        """Append complete lines for ``rows`` and flush them.

        Raises
        ------
        UsageError
            When the output cannot be written (a full disk); the sweep should stop.
        """
        if rows:
            self._emit(_csv_text(rows))
            self.rows_written += len(rows)

    def _emit(self, text: str) -> None:
        if self._descriptor is None:
            text, self._header = self._header + text, ""
            stream = self.stream if self.stream is not None else sys.stdout
            try:
                stream.write(text)
                stream.flush()
            except OSError as error:
                if self._owned is None:
                    raise  # stdout: the CLI's edge names it (and a closed pipe is no error)
                raise cannot_write(self.name or "", error, kept=False) from None
            return
        data = memoryview(text.encode("utf-8"))
        try:
            while data:
                written = os.write(self._descriptor, data)
                data = data[written:]
        except OSError as error:
            raise cannot_write(self.name or "", error, kept=True) from None
        self._complete = os.lseek(self._descriptor, 0, os.SEEK_CUR)

    def _through_last_line(self, descriptor: int) -> int:
        """The file's length up to its last complete line.

        An interrupt can land inside a batch's writes: the lines of that batch already written
        are kept, only the torn last line is dropped.
        """
        end = os.lseek(descriptor, 0, os.SEEK_END)
        os.lseek(descriptor, self._complete, os.SEEK_SET)
        torn = os.read(descriptor, end - self._complete)
        return self._complete + torn.rfind(b"\n") + 1

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> None:
        if self._descriptor is None or self._temporary is None:
            if kind is None and self._header:
                self._emit("")  # no row at all: the header alone is the complete CSV
            if self._owned is not None:
                owned, self._owned = self._owned, None
                try:
                    owned.close()
                except OSError as failure:
                    if kind is None:
                        raise cannot_write(self.name or "", failure, kept=False) from None
            return
        descriptor, temporary = self._descriptor, self._temporary
        self._descriptor = self._temporary = None
        closed = False
        try:
            if kind is not None and not issubclass(kind, KeyboardInterrupt):
                # A failure, not the user's stop: never replace the previous output.
                closed = True
                os.close(descriptor)
                os.unlink(temporary)
                return
            if kind is not None:
                os.ftruncate(descriptor, self._through_last_line(descriptor))
            os.fsync(descriptor)  # a full disk shows here at the latest, before the rename
            closed = True
            os.close(descriptor)
            os.replace(temporary, self.path)  # type: ignore[arg-type]
        except BaseException as failure:
            if not closed:
                with contextlib.suppress(OSError):
                    os.close(descriptor)
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            if kind is None and isinstance(failure, OSError):
                raise cannot_write(self.name or "", failure, kept=True) from None
            raise


def _csv_text(rows: list[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def format_int(value: Any) -> str:
    """An exact integer with thousands separators (``6,300``); anything else as ``str``."""
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def format_ratio(value: Any) -> str:
    """A speed-up for tables: ``7.875 (63/8)``; ``—`` when undefined."""
    if value is None:
        return "—"
    try:
        number = float(value)
    except (TypeError, OverflowError):  # symbolic, or beyond float range: exact only
        return str(value)
    exact = str(value)
    shown = f"{number:.6g}"
    return shown if exact in (shown, f"{number:g}") else f"{shown} ({exact})"
