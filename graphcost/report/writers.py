"""Output writers: files written atomically, streamed CSV rows, inputs protected from outputs.

Files are written to a temporary file beside the target and renamed into place
(:func:`write_atomic`, :func:`atomic_writer`), so no output file is ever left half-written; a
device or pipe is written in place. :class:`CsvRowFile` streams the rows of a long computation
(a sweep) the same way, keeping the finished rows when it is interrupted. A file the run read
(:func:`protect_input`) is never replaced by an output, and a write that fails for the
machine's state (:data:`WRITE_ERRNOS`) is a :class:`~graphcost.errors.UsageError` naming the
output (:func:`cannot_write`).
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import os
import stat
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from graphcost.errors import UsageError

#: The output name that stands for standard output (``-o -``), as in most Unix tools.
STDOUT = "-"


def is_stdout(path: str | os.PathLike[str] | None) -> bool:
    """Whether an output path names standard output (:data:`STDOUT`).

    Examples
    --------
    >>> is_stdout("-"), is_stdout("./-"), is_stdout(None)
    (True, False, False)
    """
    return path is not None and os.fspath(path) == STDOUT


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file renamed into place (``-``: stdout)."""
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

    ``path`` ``"-"`` (:data:`STDOUT`) is standard output, written and flushed as is (a file
    named ``-`` is ``./-``).

    Raises
    ------
    UsageError
        When the directory does not exist or is not writable, the disk is full (or another
        write error), or ``path`` is a file this run read as input.
    """
    if is_stdout(path):
        stream = sys.stdout.buffer if "b" in mode else sys.stdout
        yield stream
        stream.flush()
        return
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

    To stdout (``path=None`` or ``"-"``), or a device: each batch is written as complete lines and
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
        path = None if is_stdout(path) else path
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

    def write_text(self, text: str | bytes, rows: int) -> None:
        """Append ``rows`` complete lines already formatted as CSV (``text``, or its UTF-8
        ``bytes``, ends in a newline), as :meth:`write` would; a sweep formats its rows a
        chunk at a time."""
        if rows:
            if isinstance(text, bytes) and self._descriptor is None:  # a stream takes str
                text = text.decode("utf-8")
            self._emit(text)
            self.rows_written += rows

    def _emit(self, text: str | bytes) -> None:
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
        data = memoryview(text if isinstance(text, bytes) else text.encode("utf-8"))
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
