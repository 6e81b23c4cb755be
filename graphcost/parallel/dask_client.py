"""The Dask distributed backend: ordered batches on a cluster, and reaching its scheduler.

:func:`map_dask` runs batches on a ``distributed.Client`` (given, or made by
:func:`connect_client` from an address and closed afterwards). An address is checked
(:func:`scheduler_endpoint`) and the server behind it identified before any client is made,
so that a wrong address or a server that is not a Dask scheduler gives one clear
:class:`~graphcost.errors.UsageError`, never distributed's retries and tracebacks.
dask.distributed is an optional extra (``pip install '.[dask]'``), imported only when used.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from graphcost.errors import UsageError
from graphcost.parallel.batches import WINDOW_PER_WORKER, apply_batch, batches, windowed
from graphcost.parallel.signals import terminate_as_interrupt

#: Seconds to try reaching a Dask scheduler (and to wait for one worker) before giving up.
CONNECT_SECONDS = 5.0


def map_dask(
    function: Callable[[Any], Any], items: Iterable[Any], scheduler: Any, chunksize: int
) -> Iterator[Any]:
    try:
        from distributed import Client
    except ImportError:
        raise UsageError(
            "--scheduler needs dask.distributed, which is not installed",
            fix="pip install '.[dask]' (from graphcost's folder; or pip install distributed)",
        ) from None
    own = not isinstance(scheduler, Client)
    client = connect_client(scheduler) if own else scheduler
    try:
        with terminate_as_interrupt():
            workers = max(1, sum(client.nthreads().values()))
            yield from windowed(
                lambda batch: client.submit(apply_batch, function, batch, pure=False),
                batches(items, chunksize),
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
