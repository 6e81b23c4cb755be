"""Progress of the long strategies (``optimal``, ``search``): the best cost so far and the bound.

The strategies call :func:`report` at the points where they already look at the clock; with
nobody listening that is one global lookup. A front end that wants to show progress installs a
listener with :func:`listening` (the CLI does so only when stderr is a terminal). Reports come
only from the process that installed the listener: restarts forked into worker processes
inherit the module but stay silent, so two processes never write the same line.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    """Where a strategy stands: its name, the cheapest order's cost so far, a lower bound."""

    strategy: str
    best: int
    bound: int | None = None


Listener = Callable[[Progress], None]
_listener: Listener | None = None
_owner: int | None = None


def report(strategy: str, best: int, bound: int | None = None) -> None:
    """Tell the listener, if any (and if this is its process), where ``strategy`` stands."""
    if _listener is not None and os.getpid() == _owner:
        _listener(Progress(strategy, best, bound))


@contextlib.contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Send the strategies' reports to ``listener`` inside the ``with`` block.

    Examples
    --------
    >>> seen = []
    >>> with listening(seen.append):
    ...     report("search", 800, 790)
    >>> report("search", 700)  # nobody listens any more
    >>> seen
    [Progress(strategy='search', best=800, bound=790)]
    """
    global _listener, _owner
    previous = _listener, _owner
    _listener, _owner = listener, os.getpid()
    try:
        yield
    finally:
        _listener, _owner = previous
