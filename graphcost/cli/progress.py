"""A progress line on stderr for the long strategies (``optimal``, ``search``), on terminals only.

``graphcost analyze FILE --strategy optimal`` may think for a minute. When stderr is a
terminal, :func:`strategy_progress` shows one line, rewritten in place, with the strategy's
name, the cheapest order so far, the lower bound when one is known and the seconds elapsed;
the line is erased when the strategy ends, so the report that follows is unchanged. In pipes,
files and tests (stderr not a terminal) nothing is written.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import time
from collections.abc import Iterator
from typing import Any, TextIO

#: Seconds before the line appears (quick strategies stay silent) and between rewrites.
DELAY, INTERVAL = 0.5, 0.2
#: Erase the current terminal line (carriage return, then ANSI "erase to end of line").
_ERASE = "\r\x1b[K"


def progress_text(name: str, best: int, bound: int | None, seconds: float) -> str:
    """The progress line's text.

    Examples
    --------
    >>> progress_text("optimal", 12345, 12000, 3.21)
    'optimal: best so far 12,345 multiplications, lower bound 12,000, 3.2 s'
    >>> progress_text("search", 800, None, 61)
    'search: best so far 800 multiplications, 61.0 s'
    """
    bound_text = "" if bound is None else f", lower bound {bound:,}"
    return f"{name}: best so far {best:,} multiplications{bound_text}, {seconds:.1f} s"


@contextlib.contextmanager
def strategy_progress(name: str, stream: TextIO | None = None) -> Iterator[None]:
    """Show the progress of strategy ``name`` on ``stream`` (stderr) if it is a terminal."""
    from graphcost.eliminate.progress import Progress, listening

    stream = sys.stderr if stream is None else stream
    if not _is_terminal(stream):
        yield
        return
    began = time.monotonic()
    state: dict[str, Any] = {"last": 0.0, "shown": False}

    def show(progress: Progress) -> None:
        now = time.monotonic()
        if now - began < DELAY or now - state["last"] < INTERVAL:
            return
        state["last"], state["shown"] = now, True
        text = progress_text(name, progress.best, progress.bound, now - began)
        text = text[: max(shutil.get_terminal_size().columns - 1, 20)]  # one line, or \r fails
        with contextlib.suppress(OSError, ValueError):
            stream.write(_ERASE + text)
            stream.flush()

    try:
        with listening(show):
            yield
    finally:
        if state["shown"]:
            with contextlib.suppress(OSError, ValueError):
                stream.write(_ERASE)
                stream.flush()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
