"""Batches: the unit of work sent to a worker, and the bounded window of batches in flight.

Both backends (:mod:`graphcost.parallel.processes`, :mod:`graphcost.parallel.dask_client`)
submit :func:`apply_batch` on consecutive :func:`batches` of the items through
:func:`windowed`, which keeps at most a window of them in flight and yields the results in
submission order.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

#: Batches in flight per worker: enough to keep workers busy while the oldest is collected.
WINDOW_PER_WORKER = 4


def apply_batch(function: Callable[[Any], Any], batch: list[Any]) -> list[Any]:
    """Apply ``function`` to every item of ``batch`` (the unit of work sent to a worker)."""
    return [function(item) for item in batch]


def batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Consecutive lists of ``size`` items (the last one shorter), read lazily from ``items``."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def windowed(
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
