"""Memory budgets of the exact search: the default limit, parsing ``--memory-limit``, estimates.

The exact search (:mod:`graphcost.eliminate.exact`) keeps one dict entry and about one heap
entry per state; it estimates its own memory from their counts (:data:`MEMO_BYTES`,
:data:`QUEUE_BYTES`, :data:`CACHE_BYTES`, measured with ``tracemalloc`` on CPython 3.11–3.13)
rather than reading the process size, so that the estimate does not depend on what else the
process holds, and the switch to depth-first search happens at the same state on every
machine.
"""

from __future__ import annotations

import os
import re
import sys

from graphcost.errors import UsageError

#: Bytes per memo entry (int mask → int), per queue entry (a 4-tuple in a heap list) and per
#: memoised cut (int key → small int).
MEMO_BYTES = 125
QUEUE_BYTES = 185
CACHE_BYTES = 110
#: Share of the physical memory the exact search may use by default.
DEFAULT_SHARE = 0.25
#: Default when the physical memory cannot be read.
FALLBACK_LIMIT = 2 * 1024**3
_UNITS = {"": 1, "B": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def physical_memory() -> int | None:
    """Bytes of physical memory, or ``None`` where the platform does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def default_memory_limit() -> int:
    """A quarter of the physical memory (2 GiB where it cannot be read)."""
    total = physical_memory()
    return FALLBACK_LIMIT if not total else int(total * DEFAULT_SHARE)


def parse_memory(text: str) -> int:
    """Bytes of a size such as ``512M``, ``2G``, ``1.5GB`` or ``100000`` (binary units).

    Raises
    ------
    UsageError
        For anything else, or a size below one byte.

    Examples
    --------
    >>> parse_memory("512M"), parse_memory("1.5GB"), parse_memory("4096")
    (536870912, 1610612736, 4096)
    """
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([KMGT]?)(i?B)?\s*", text, re.IGNORECASE)
    if match is None:
        raise UsageError(
            f"--memory-limit must be a size such as 512M or 2G, got {text!r}",
            fix="give a number of bytes with an optional unit K, M, G or T",
        )
    size = int(float(match.group(1)) * _UNITS[match.group(2).upper()])
    if size < 1:
        raise UsageError(f"--memory-limit must be at least one byte, got {text!r}", fix="e.g. 2G")
    return size


def peak_resident_bytes() -> int | None:
    """The process's peak resident memory in bytes, or ``None`` where it cannot be read."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024
