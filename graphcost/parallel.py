"""An ordered parallel map: one process, local processes, or a Dask distributed cluster.

:func:`map_ordered` yields ``function(item)`` for every item **in the order of the items**,
whichever backend runs them, so a sweep or a set of search restarts gives identical rows in
identical order with ``--jobs 1``, ``--jobs 8`` or ``--scheduler tcp://host:8786``.

Items are sent in batches (``chunksize`` items per task, to amortise the cost of shipping the
function and its data) and at most a bounded window of batches is in flight at once, so memory
stays bounded for long item streams and results are yielded as soon as the next one in order
is ready. ``function`` must be picklable (a module-level function or a dataclass instance with
``__call__``) for the process and Dask backends.

Workers never outlive graphcost. While work runs in other processes, SIGTERM is turned into
``KeyboardInterrupt`` (as Ctrl-C), so the CLI stops the pool and exits 130 with
``Error: interrupted``, the same code an interrupted sweep gives. Local workers ignore SIGINT
(the parent, which gets it too, decides) and die with graphcost even when it is killed
outright: a thread in every worker watches graphcost's pid.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

from graphcost.errors import UsageError

#: Batches in flight per worker: enough to keep workers busy while the oldest is collected.
WINDOW_PER_WORKER = 4
#: Seconds to try reaching a Dask scheduler (and to wait for one worker) before giving up.
CONNECT_SECONDS = 5.0
#: Most local worker processes (or search restarts) per CPU: more only queue up behind the
#: CPUs, and an absurd count (``--jobs 10000``) would run for hours or exhaust the machine.
JOBS_PER_CPU = 4
#: The bound never drops below this, so a small machine can still run a few dozen restarts.
MIN_MAX_JOBS = 32
#: Bound on restarts (tasks) sent to a Dask cluster, whose size this machine cannot see.
MAX_CLUSTER_JOBS = 4096
#: How often a worker checks that graphcost is still alive.
PARENT_POLL_SECONDS = 0.5


def max_jobs(*, cluster: bool = False) -> int:
    """The largest ``--jobs`` accepted: local processes, or tasks for a Dask cluster."""
    if cluster:
        return MAX_CLUSTER_JOBS
    return max(MIN_MAX_JOBS, JOBS_PER_CPU * (os.cpu_count() or 1))


def check_jobs(jobs: int, *, cluster: bool = False) -> int:
    """Return ``jobs`` if it is a sane ``--jobs`` value, else raise.

    Parameters
    ----------
    jobs
        Worker processes (or search restarts) asked for.
    cluster
        Whether the work goes to a Dask cluster (a larger bound: its size is not known here).

    Raises
    ------
    UsageError
        For ``jobs < 1`` or more than :func:`max_jobs`.

    Examples
    --------
    >>> check_jobs(2)
    2
    """
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {jobs}")
    bound = max_jobs(cluster=cluster)
    if jobs > bound:
        where = "on a Dask cluster" if cluster else f"on this machine ({os.cpu_count()} CPUs)"
        raise UsageError(
            f"--jobs {jobs} is more than the {bound} {where} allows",
            fix=f"give --jobs {bound} or fewer",
        )
    return jobs


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
        For ``jobs`` out of :func:`check_jobs`' bounds or ``chunksize < 1``, when
        dask.distributed is missing, or when the scheduler cannot be reached. An exception
        raised by ``function`` propagates unchanged.

    Examples
    --------
    >>> list(map_ordered(abs, [-3, 1, -2]))
    [3, 1, 2]
    """
    check_jobs(jobs, cluster=scheduler is not None)
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
def _signals_deferred() -> Iterator[None]:
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
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _map_processes(
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
            yield from _windowed(
                lambda batch: _submit(executor, function, batch),
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


def _submit(executor: Any, function: Callable[[Any], Any], batch: list[Any]) -> Any:
    with _signals_deferred():  # a submit may start a worker
        return executor.submit(apply_batch, function, batch)


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
    client = connect_client(scheduler) if own else scheduler
    try:
        with terminate_as_interrupt():
            workers = max(1, sum(client.nthreads().values()))
            yield from _windowed(
                lambda batch: client.submit(apply_batch, function, batch, pure=False),
                _batches(items, chunksize),
                WINDOW_PER_WORKER * workers,
            )
    finally:
        if own:
            with _quiet_distributed():
                client.close(timeout=CONNECT_SECONDS)


#: How to start a scheduler, appended to every connection error.
_SCHEDULER_FIX = (
    "start one with `dask scheduler` and workers with `dask worker ADDRESS`, and give the "
    "address it prints (tcp://HOST:PORT)"
)


def scheduler_endpoint(address: str) -> tuple[str, str, int]:
    """Split a scheduler address into (scheme, host, port), refusing anything else.

    Only ``tcp://`` and ``tls://`` (the schemes a remote scheduler listens on) are accepted;
    a bare ``HOST:PORT`` means ``tcp://``.

    Raises
    ------
    UsageError
        For an address that is not ``[tcp://|tls://]HOST:PORT`` with a port in 1..65535.

    Examples
    --------
    >>> scheduler_endpoint("tcp://127.0.0.1:8786")
    ('tcp', '127.0.0.1', 8786)
    >>> scheduler_endpoint("[::1]:8786")
    ('tcp', '::1', 8786)
    """
    scheme, sep, rest = address.strip().partition("://")
    if not sep:
        scheme, rest = "tcp", address.strip()
    host, colon, port_text = rest.rpartition(":")
    bracketed = host.startswith("[") and host.endswith("]")
    if bracketed:  # an IPv6 literal, [::1]
        host = host[1:-1]
    port = int(port_text) if port_text.isascii() and port_text.isdigit() else 0
    well_formed = bool(host) and not any(c in host for c in "[]/@ ") and host.isprintable()
    if ":" in host and not bracketed:
        well_formed = False
    if scheme not in ("tcp", "tls") or not colon or not well_formed or not 1 <= port <= 65535:
        raise UsageError(
            f"--scheduler {address!r} is not a Dask scheduler address (tcp://HOST:PORT)",
            fix="give the address `dask scheduler` prints, e.g. tcp://127.0.0.1:8786",
        )
    return scheme, host, port


def connect_client(address: str) -> Any:
    """A ``distributed.Client`` on the scheduler at ``address`` with at least one worker.

    Before the client is made, the address is checked, a TCP connection is tried and the
    server is asked who it is (each within :data:`CONNECT_SECONDS`), so that a wrong address,
    nothing listening, or a server that is not a Dask scheduler gives one clear error, never
    distributed's retries, log lines and tracebacks (a failed ``Client`` blocks at exit).

    Raises
    ------
    UsageError
        When the address is malformed, nothing answers, the server is not a Dask scheduler,
        or the scheduler has no workers.
    """
    import socket

    from distributed import Client

    scheme, host, port = scheduler_endpoint(address)
    where = f"the Dask scheduler at {address!r}"
    server = f"the server at {address!r}"
    try:
        socket.create_connection((host, port), timeout=CONNECT_SECONDS).close()
    except TimeoutError:
        raise UsageError(
            f"{where} did not answer within {CONNECT_SECONDS:g} s", fix=_SCHEDULER_FIX
        ) from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise UsageError(f"cannot reach {where}: {reason}", fix=_SCHEDULER_FIX) from None
    with _quiet_distributed():
        kind = _identify(f"{scheme}://{_join(host, port)}")
        if kind != "Scheduler":
            what = (
                f"a Dask {kind}, not the scheduler"
                if kind
                else "not a Dask scheduler (it does not answer Dask's protocol)"
            )
            raise UsageError(f"{server} is {what}", fix=_SCHEDULER_FIX)
        try:
            client = Client(address, timeout=f"{CONNECT_SECONDS}s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as error:  # it went away meanwhile
            raise UsageError(
                f"cannot connect to {where}: {type(error).__name__}", fix=_SCHEDULER_FIX
            ) from None
        try:
            client.wait_for_workers(1, timeout=CONNECT_SECONDS)
        except TimeoutError:
            client.close(timeout=CONNECT_SECONDS)
            raise UsageError(
                f"{where} has no workers",
                fix="start workers with `dask worker ADDRESS`",
            ) from None
    return client


def _join(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _identify(address: str) -> str | None:
    """The ``type`` a Dask server at ``address`` reports (``"Scheduler"``), or ``None``.

    ``None`` for anything that does not speak Dask's protocol within :data:`CONNECT_SECONDS`:
    silence, garbage (whose first bytes Dask would read as a frame length, hence a
    MemoryError), a reset connection.
    """
    import asyncio

    from distributed.comm import connect

    async def ask() -> Any:
        comm = await connect(address, timeout=CONNECT_SECONDS)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    try:
        reply = asyncio.run(asyncio.wait_for(ask(), CONNECT_SECONDS))
    except (Exception, MemoryError):
        return None
    kind = reply.get("type") if isinstance(reply, dict) else None
    return kind if isinstance(kind, str) and kind.isidentifier() else None


@contextlib.contextmanager
def _quiet_distributed() -> Iterator[None]:
    """Silence distributed's loggers (they print retries and tracebacks on failure)."""
    logger = logging.getLogger("distributed")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)
