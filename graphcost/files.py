"""Read a user's file safely: regular files only, bounded in size, every failure a clean error.

Every file a user names (the graph file, an ``E: {file: ...}`` edge file, a ``.npz`` of
parameters, an ``order:PATH`` file) is opened here. Opening a named pipe (FIFO) for reading
blocks until a writer appears, and reading a device such as ``/dev/zero`` never ends, so
anything that is not a regular file is refused *before* it is opened; the file is then opened
non-blocking and checked again on the open descriptor, which closes the race of a path
replaced between the two. A file larger than the caller's limit is refused before it is read,
with the limit and the alternative in the message.

The name ``-`` is standard input (:data:`STDIN`), read under the same size limit; a terminal
as standard input is refused (it would wait for typing that nobody intends).
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from typing import BinaryIO

from graphcost.errors import GraphcostError, GraphFileError

#: What a non-regular file is, by the ``stat`` test that recognises it.
_KINDS = (
    (stat.S_ISDIR, "folder"),
    (stat.S_ISFIFO, "named pipe (FIFO)"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISCHR, "device"),
    (stat.S_ISBLK, "device"),
)


#: The file name that stands for standard input (``graphcost analyze - < g.yaml``).
STDIN = "-"
#: How messages name standard input.
STDIN_SHOWN = "<stdin>"


def shown_path(path: str | os.PathLike[str]) -> str:
    """A path as messages show it: as given, or quoted when it holds line breaks or escapes.

    A file name may contain a newline or a terminal escape; shown raw it would break the
    one-line error message (or colour the terminal), so such a name is shown as ``repr``.
    Standard input (``-``) is ``<stdin>``.

    Examples
    --------
    >>> shown_path("g.yaml"), shown_path("-")
    ('g.yaml', '<stdin>')
    """
    text = os.fspath(path)
    if text == STDIN:
        return STDIN_SHOWN
    return text if text.isprintable() else repr(text)


def open_regular(
    path: str | os.PathLike[str],
    *,
    what: str = "file",
    shown: str | None = None,
    limit_bytes: int | None = None,
    too_large_fix: str | None = None,
    missing: str | None = None,
    missing_fix: str | None = None,
    error: type[GraphcostError] = GraphFileError,
) -> BinaryIO:
    """Open a regular file for binary reading, refusing anything else without blocking.

    Parameters
    ----------
    path
        The file.
    what
        What the file is, for messages (``"edge file"``).
    shown
        The path as messages show it (default: ``path``).
    limit_bytes
        The largest size accepted, or ``None``.
    too_large_fix
        The fix of the message for a file over ``limit_bytes``.
    missing, missing_fix
        The message and fix for a file that does not exist (default ``"<what> not found"``).
    error
        The :class:`~graphcost.errors.GraphcostError` subclass raised.

    Returns
    -------
    BinaryIO
        The open file; the caller closes it.

    Raises
    ------
    GraphcostError
        Of class ``error``: missing, not a regular file, too large, or unreadable.
    """
    where = shown if shown is not None else shown_path(path)
    try:
        _require_regular(os.stat(path), where, error)
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as failure:
        raise _os_error(failure, what, where, missing, missing_fix, error) from None
    try:
        status = os.fstat(descriptor)
        _require_regular(status, where, error)
        if limit_bytes is not None and status.st_size > limit_bytes:
            raise error(
                f"the {what} is {status.st_size:,} bytes, more than the {limit_bytes:,} "
                f"a {what} may have",
                path=where,
                fix=too_large_fix,
            )
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def read_text_file(
    path: str | os.PathLike[str],
    *,
    what: str,
    limit_bytes: int,
    shown: str | None = None,
    too_large_fix: str | None = None,
    missing: str | None = None,
    missing_fix: str | None = None,
    error: type[GraphcostError] = GraphFileError,
) -> str:
    """Read a regular file of UTF-8 text of at most ``limit_bytes`` bytes.

    The parameters are those of :func:`open_regular`. A UTF-8 byte-order mark is dropped; a
    file in another encoding (UTF-16, Latin-1) is refused naming the line of the first byte
    that is not UTF-8, never quoting the content.

    Returns
    -------
    str

    Raises
    ------
    GraphcostError
        Of class ``error``, as :func:`open_regular`, or when the text is not UTF-8.

    Examples
    --------
    >>> read_text_file("/nonexistent", what="edge file", limit_bytes=10)
    Traceback (most recent call last):
    graphcost.errors.GraphFileError: /nonexistent: edge file not found
    """
    where = shown if shown is not None else shown_path(path)
    if os.fspath(path) == STDIN:
        data = _read_stdin(what, where, limit_bytes, too_large_fix, error)
        return _decode(data, what, where, error)
    with open_regular(
        path,
        what=what,
        shown=where,
        limit_bytes=limit_bytes,
        too_large_fix=too_large_fix,
        missing=missing,
        missing_fix=missing_fix,
        error=error,
    ) as file:
        try:
            # Read what fstat saw plus one byte (a read of the whole limit would allocate it
            # all up front); one byte over the limit tells a file that grew after fstat.
            expected = min(os.fstat(file.fileno()).st_size, limit_bytes)
            data = file.read(expected + 1)
            if len(data) > expected:
                data += file.read(limit_bytes + 1 - len(data))
        except OSError as failure:
            raise _os_error(failure, what, where, missing, missing_fix, error) from None
    if len(data) > limit_bytes:
        raise error(
            f"the {what} is more than the {limit_bytes:,} bytes a {what} may have",
            path=where,
            fix=too_large_fix,
        )
    return _decode(data, what, where, error)


def _read_stdin(
    what: str,
    where: str,
    limit_bytes: int,
    too_large_fix: str | None,
    error: type[GraphcostError],
) -> bytes:
    """At most ``limit_bytes`` bytes of standard input; a terminal or a closed stdin refused."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        raise error(f"standard input is closed, so there is no {what} to read", path=where)
    if sys.stdin.isatty():
        raise error(
            f"standard input is a terminal, not a {what}",
            path=where,
            fix="pipe the file in (graphcost analyze - < graph.yaml), or give its path",
        )
    chunks, size = [], 0
    try:  # in pieces: one read of the whole limit would allocate it all up front
        while size <= limit_bytes:
            chunk = stream.read1(1 << 16) if hasattr(stream, "read1") else stream.read(1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as failure:
        raise _os_error(failure, what, where, None, None, error) from None
    data = b"".join(chunks)
    if len(data) > limit_bytes:
        raise error(
            f"the {what} is more than the {limit_bytes:,} bytes a {what} may have",
            path=where,
            fix=too_large_fix,
        )
    return data


def _decode(data: bytes, what: str, where: str, error: type[GraphcostError]) -> str:
    """UTF-8 text of ``data`` (a byte-order mark dropped); other encodings refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise error(
            f"cannot read the {what}: it is UTF-16 text, not UTF-8",
            path=where,
            fix="save it as UTF-8",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as failure:
        line = data.count(b"\n", 0, failure.start) + 1
        raise error(
            f"cannot read the {what}: byte 0x{data[failure.start]:02x} is not UTF-8 text",
            path=where,
            line=line,
            fix="save it as UTF-8",
        ) from None


def _require_regular(status: os.stat_result, where: str, error: type[GraphcostError]) -> None:
    if stat.S_ISREG(status.st_mode):
        return
    kind = next((name for test, name in _KINDS if test(status.st_mode)), "special file")
    raise error(f"is a {kind}, not a file", path=where, fix="give a regular file")


def _os_error(
    failure: OSError,
    what: str,
    where: str,
    missing: str | None,
    missing_fix: str | None,
    error: type[GraphcostError],
) -> GraphcostError:
    """The clean error for an ``OSError`` from stat, open or read (no Python repr of it)."""
    if isinstance(failure, FileNotFoundError):
        return error(missing or f"{what} not found", path=where, fix=missing_fix)
    if isinstance(failure, IsADirectoryError):
        return error("is a folder, not a file", path=where, fix="give a regular file")
    reasons = {
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.ELOOP: "too many levels of symbolic links (a link loop?)",
        errno.ENOTDIR: "a part of the path is not a folder",
        errno.ENAMETOOLONG: "the path is too long",
    }
    reason = reasons.get(failure.errno) or failure.strerror or type(failure).__name__
    return error(f"cannot read the {what}: {reason}", path=where)
