"""The local process pool: ordered batches on worker processes that never outlive graphcost.

Workers are started from a forkserver (or spawned), ignore SIGINT (the parent, which gets it
too, decides) and watch graphcost's pid from a thread, so that they die with it even when it is
killed outright. An interrupted, failed or abandoned map terminates its workers instead of
waiting for the batches still running.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from graphcost.parallel.batches import WINDOW_PER_WORKER, apply_batch, batches, windowed
from graphcost.parallel.signals import signals_deferred, terminate_as_interrupt

#: How often a worker checks that graphcost is still alive.
PARENT_POLL_SECONDS = 0.5


def _worker_setup(parent: int) -> None:
    """Initializer of local workers: leave SIGINT to ``parent``, and die when it dies."""
    # Ctrl-C reaches the whole process group; the parent stops the pool itself. A worker that
    # took it would print its own traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int) -> None:
    # Polling graphcost's pid, not PR_SET_PDEATHSIG: a worker's parent is the forkserver,
    # which outlives graphcost as long as any worker runs (workers hold its "alive" pipe).
    while _alive(parent):
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(1)


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs: it exists and (on Linux) is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # the pid exists (reused by someone else's process, at worst)
        return True
    try:  # killed but not yet reaped by its own parent: a zombie, state Z
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rpartition(b")")[2].split()[:1] != [b"Z"]
    except OSError:  # no /proc (not Linux): existence is all we can see
        return True


def _process_context() -> Any:
    # forkserver: workers are forked from a clean server process, not from this one (which
    # may hold threads, e.g. a Dask client's), so no fork-with-threads deadlock.
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    _start_forkserver_ignoring_sigint()
    return multiprocessing.get_context("forkserver")


def _start_forkserver_ignoring_sigint() -> None:
    """Start the forkserver (if it is not running) with SIGINT ignored.

    A Python started with SIGINT ignored keeps it ignored, and the forkserver gives every
    worker it forks the disposition it started with. Otherwise a Ctrl-C that reaches the
    process group between a worker's fork and its initializer raised KeyboardInterrupt in the
    worker, which printed "Process ForkServerProcess-1:" and a traceback.
    """
    from multiprocessing import forkserver

    if threading.current_thread() is not threading.main_thread():
        forkserver.ensure_running()
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, previous)


def map_processes(
    function: Callable[[Any], Any], items: Iterable[Any], jobs: int, chunksize: int
) -> Iterator[Any]:
    from concurrent.futures import ProcessPoolExecutor

    workers = min(jobs, os.cpu_count() or jobs, 256)
    executor = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=_process_context(),
        initializer=_worker_setup,
        initargs=(os.getpid(),),
    )
    finished = False
    try:
        with terminate_as_interrupt():
            yield from windowed(
                lambda batch: _submit(executor, function, batch),
                batches(items, chunksize),
                WINDOW_PER_WORKER * workers,
            )
        finished = True
    finally:
        if not finished:
            # Interrupted, failed or abandoned: do not wait for batches still running (they
            # may take long); stop the workers. `_processes` is the executor's own record of
            # them (no public API offers this in Python 3.11).
            for process in list(getattr(executor, "_processes", {}).values()):
                process.terminate()
        executor.shutdown(wait=True, cancel_futures=True)


def _submit(executor: Any, function: Callable[[Any], Any], batch: list[Any]) -> Any:
    with signals_deferred():  # a submit may start a worker
        return executor.submit(apply_batch, function, batch)
