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

This package holds :func:`map_ordered` and the ``--jobs`` bounds (:func:`check_jobs`); its
modules hold the parts:

- :mod:`graphcost.parallel.batches`: the unit of work and the window of batches in flight;
- :mod:`graphcost.parallel.signals`: SIGTERM as an interrupt, signals held while a worker starts;
- :mod:`graphcost.parallel.processes`: the local process pool and its workers' lifetime;
- :mod:`graphcost.parallel.dask_client`: the Dask backend, scheduler addresses and connection.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from graphcost.errors import UsageError

#: Most local worker processes (or search restarts) per CPU: more only queue up behind the
#: CPUs, and an absurd count (``--jobs 10000``) would run for hours or exhaust the machine.
JOBS_PER_CPU = 4
#: The bound never drops below this, so a small machine can still run a few dozen restarts.
MIN_MAX_JOBS = 32
#: Bound on restarts (tasks) sent to a Dask cluster, whose size this machine cannot see.
MAX_CLUSTER_JOBS = 4096


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
        ``distributed.Client``; needs the optional extra ``dask`` (``pip install '.[dask]'``).
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
    # The backends are imported when used: multiprocessing and logging cost a sweep or a
    # search that runs in this process (or just its signals module) ~15 ms of start-up.
    if scheduler is not None:
        from graphcost.parallel.dask_client import map_dask

        yield from map_dask(function, items, scheduler, chunksize)
    elif jobs == 1:
        yield from map(function, items)
    else:
        from graphcost.parallel.processes import map_processes

        yield from map_processes(function, items, jobs, chunksize)
