"""Signals while work runs in other processes: SIGTERM as Ctrl-C, signals held at a start.

:func:`terminate_as_interrupt` turns SIGTERM into ``KeyboardInterrupt`` while workers run (the
CLI wraps long searches and sweeps in it too), so that they are stopped on the way out and the
CLI exits 130; :func:`signals_deferred` holds SIGINT and SIGTERM back while a local worker is
being started.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C (``KeyboardInterrupt``) inside the block.

    The code that runs workers then stops them on its way out, and the CLI exits 130 with
    ``Error: interrupted``, as for Ctrl-C. Outside the main thread (where Python cannot set
    handlers) the block runs unchanged.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back inside the block, then raise ``KeyboardInterrupt``.

    For starting a worker: interrupted halfway, the pool has not recorded the process yet, so
    it could not stop it, and the half-started worker prints a traceback of its own.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def hold(signum: int, frame: Any) -> None:
        caught.append(signum)

    previous = {number: signal.signal(number, hold) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if caught:
        raise KeyboardInterrupt
