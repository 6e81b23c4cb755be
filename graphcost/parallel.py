"""An ordered parallel map: one process, local processes, or a Dask distributed cluster.

:func:`map_ordered` yields ``function(item)`` for every item **in the order of the items**,
whichever backend runs them, so a sweep or a set of search restarts gives identical rows in
identical order with ``--jobs 1``, ``--jobs 8`` or ``--scheduler tcp://host:8786``.

Items are sent in batches (``chunksize`` items per task, to amortise the cost of shipping the
function and its data) and at most a bounded window of batches is in flight at once, so memory
stays bounded for long item streams and results are yielded as soon as the next one in order
is ready. ``function`` must be picklable (a module-level function or a dataclass instance with
``__call__``) for the process and Dask backends.
"""

from __future__ import annotations

import collections
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

from graphcost.errors import UsageError

#: Batches in flight per worker: enough to keep workers busy while the oldest is collected.
WINDOW_PER_WORKER = 4
#: How long to try reaching a Dask scheduler before giving up.
CONNECT_TIMEOUT = "10s"


def map_ordered(
    function: Callable[[Any], Any],
    items: Iterable[Any],
    *,
    jobs: int = 1,
    scheduler: Any = None,
    chunksize: int = 1,
) -> Iterator[Any]:
    """Apply ``function`` to every item, in parallel, yielding the results in item order.

    Parameters
    ----------
    function
        A picklable callable of one argument.
    items
        The arguments (any iterable; consumed lazily).
    jobs
        Local worker processes; ``1`` runs everything in this process. Ignored when
        ``scheduler`` is given.
    scheduler
        A Dask distributed scheduler address (``"tcp://host:8786"``) or a
        ``distributed.Client``; needs the optional extra ``graphcost[dask]``.
    chunksize
        Items per task.

    Yields
    ------
    The results, in the order of ``items``.

    Raises
    ------
    UsageError
        For ``jobs < 1`` or ``chunksize < 1``, when dask.distributed is missing, or when the
        scheduler cannot be reached. An exception raised by ``function`` propagates unchanged.

    Examples
    --------
    >>> list(map_ordered(abs, [-3, 1, -2]))
    [3, 1, 2]
    """
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {jobs}")
    if chunksize < 1:
        raise UsageError(f"chunksize must be at least 1, got {chunksize}")
    if scheduler is not None:
        yield from _map_dask(function, items, scheduler, chunksize)
    elif jobs == 1:
        yield from map(function, items)
    else:
        yield from _map_processes(function, items, jobs, chunksize)


def apply_batch(function: Callable[[Any], Any], batch: list[Any]) -> list[Any]:
    """Apply ``function`` to every item of ``batch`` (the unit of work sent to a worker)."""
    return [function(item) for item in batch]


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _windowed(
    submit: Callable[[list[Any]], Any], batches: Iterator[list[Any]], window: int
) -> Iterator[Any]:
    """Keep up to ``window`` batches in flight; yield results in submission order."""
    pending: collections.deque[Any] = collections.deque()
    try:
        for batch in batches:
            pending.append(submit(batch))
            if len(pending) >= window:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()


def _process_context() -> Any:
    # forkserver: workers are forked from a clean server process, not from this one (which
    # may hold threads, e.g. a Dask client's), so no fork-with-threads deadlock.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _map_processes(
    function: Callable[[Any], Any], items: Iterable[Any], jobs: int, chunksize: int
) -> Iterator[Any]:
    from concurrent.futures import ProcessPoolExecutor

    workers = min(jobs, os.cpu_count() or jobs, 256)
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=_process_context())
    finished = False
    try:
        yield from _windowed(
            lambda batch: executor.submit(apply_batch, function, batch),
            _batches(items, chunksize),
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


def _map_dask(
    function: Callable[[Any], Any], items: Iterable[Any], scheduler: Any, chunksize: int
) -> Iterator[Any]:
    try:
        from distributed import Client
    except ImportError:
        raise UsageError(
            "--scheduler needs dask.distributed, which is not installed",
            fix="pip install 'graphcost[dask]'",
        ) from None
    own = not isinstance(scheduler, Client)
    if own:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as error:
            raise UsageError(
                f"cannot connect to the Dask scheduler {scheduler!r}: {error}",
                fix="start one with `dask scheduler` and workers with `dask worker ADDRESS`, "
                "or give the address it prints (tcp://HOST:PORT)",
            ) from None
    else:
        client = scheduler
    try:
        workers = max(1, sum(client.nthreads().values()))
        yield from _windowed(
            lambda batch: client.submit(apply_batch, function, batch, pure=False),
            _batches(items, chunksize),
            WINDOW_PER_WORKER * workers,
        )
    finally:
        if own:
            client.close()
