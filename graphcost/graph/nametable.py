"""Exact lookup of many short names at once: the fields of an edge file to node indices.

An edge file of 10^7 lines has 2·10^7 names; splitting them into Python strings and looking
each up in a dict costs about a quarter of a microsecond apiece. :class:`NameTable` instead
holds the declared names as little-endian 64-bit words in an open-addressing hash table
(linear probing, built and probed by whole numpy arrays), and :meth:`NameTable.lookup` reads
the fields straight from the file's bytes: one unaligned 8-byte load per word of a field,
a hash, and a few probing rounds over the fields still unresolved. A match compares every
word and the length, so it is exact whatever the hash does; a hash an input defeats (many
names in one cluster) only makes :func:`name_table` or the lookup give up (``None``), and the
caller takes the plain dict path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

#: Names longer than this (in UTF-8 bytes) are left to the dict path.
MAX_NAME_BYTES = 32
#: Probing rounds after which a table or a lookup gives up (a defeated hash, not a full table:
#: the table is at most a quarter full).
MAX_ROUNDS = 256
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
#: ``_MASKS[k]`` keeps the first k bytes of a little-endian word.
_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype=np.uint64)


@dataclass(frozen=True)
class NameTable:
    """Declared names as words in a hash table, for :meth:`lookup`.

    Attributes
    ----------
    entries
        ``(slots, W + 1)``: the little-endian words of the UTF-8 bytes of the name in each
        slot, zero-padded, then the index it stands for. A first word of zero is an empty slot
        (a name is not empty and holds no NUL). One row per slot: a probe is one memory access.
    """

    entries: np.ndarray

    @property
    def width(self) -> int:
        """Words per name (W)."""
        return self.entries.shape[1] - 1

    def lookup(self, data: bytes, starts: np.ndarray, ends: np.ndarray) -> np.ndarray | None:
        """The value of each field ``data[starts[i]:ends[i]]``, or ``None`` if a field is not
        a declared name (or the probing gives up).

        Examples
        --------
        >>> table = name_table({"x": 0, "y1": 1, "long_name_z": 2})
        >>> table.lookup(b"y1,x\\nlong_name_z", np.array([0, 3, 5]), np.array([2, 4, 16]))
        array([1, 0, 2])
        >>> table.lookup(b"y", np.array([0]), np.array([1])) is None
        True
        """
        lengths = ends - starts
        if len(lengths) and (lengths.max() > 8 * self.width or lengths.min() < 1):
            return None
        if b"\0" in data:  # zero bytes would read as the padding of a shorter name
            return None
        words = _words(data, starts, lengths, self.width)
        mask = len(self.entries) - 1
        position = _hash(words, len(self.entries))
        entries = np.take(self.entries, position, axis=0)
        found = entries[:, -1].astype(np.int64)
        todo = np.arange(len(starts))
        for _ in range(MAX_ROUNDS):
            same = entries[:, 0] == words[0]
            for column in range(1, self.width):
                same &= entries[:, column] == words[column]
            found[todo[same]] = entries[same, -1]
            missed = np.flatnonzero(~same)
            if not missed.size:
                return found
            if np.any(entries[missed, 0] == 0):
                return None  # an empty slot: this field is no declared name
            todo, position = todo[missed], (position[missed] + 1) & mask
            words = [column[missed] for column in words]
            entries = np.take(self.entries, position, axis=0)
        return None


def name_table(index: Mapping[str, int]) -> NameTable | None:
    """A :class:`NameTable` of the names of ``index`` (name → value), or ``None`` when some
    name is too long or holds a comma, a line break or a NUL, or the hash is defeated."""
    names = list(index)
    if not names:
        return None
    encoded = "\n".join(names).encode("utf-8")
    breaks = np.flatnonzero(np.frombuffer(encoded, dtype=np.uint8) == ord("\n"))
    if len(breaks) != len(names) - 1 or any(c in encoded for c in (b",", b"\r", b"\0")):
        return None
    starts = np.concatenate([[0], breaks + 1])
    lengths = np.append(breaks, len(encoded)) - starts
    if lengths.max() > MAX_NAME_BYTES or lengths.min() < 1:
        return None
    width = (int(lengths.max()) + 7) // 8
    words = _words(encoded, starts, lengths, width)
    size = 1 << (4 * len(names)).bit_length()  # at most a quarter full: short probes
    rows = _fill(_hash(words, size), size)
    if rows is None:
        return None
    taken = np.flatnonzero(rows >= 0)
    entries = np.zeros((size, width + 1), dtype=np.int64)
    for column in range(width):
        entries[taken, column] = words[column][rows[taken]].view(np.int64)
    values = np.fromiter(index.values(), dtype=np.int64, count=len(names))
    entries[taken, width] = values[rows[taken]]
    return NameTable(entries)


def _words(data: bytes, starts: np.ndarray, lengths: np.ndarray, width: int) -> list[np.ndarray]:
    """Per word, the little-endian word of each field, bytes past its end zeroed."""
    padded = data + bytes(8 * width)
    # Every byte offset as the start of an 8-byte word: one unaligned load per field and word.
    at_offset = np.ndarray(shape=(len(padded) - 7,), dtype="<u8", buffer=padded, strides=(1,))
    words = []
    for column in range(width):
        kept = np.minimum(lengths - 8 * column, 8)
        if column:
            np.maximum(kept, 0, out=kept)
        words.append((at_offset[starts + 8 * column] & _MASKS[kept]).view(np.int64))
    return words


def _hash(words: list[np.ndarray], size: int) -> np.ndarray:
    """Slot of each key: its words mixed multiplicatively, the top bits kept."""
    mixed = words[0].view(np.uint64) * _MULTIPLIER
    for column in words[1:]:
        mixed ^= mixed >> np.uint64(29)
        mixed = (mixed ^ column.view(np.uint64)) * _MULTIPLIER
    return (mixed >> np.uint64(64 - (size.bit_length() - 1))).astype(np.int64)


def _fill(position: np.ndarray, size: int) -> np.ndarray | None:
    """The table: every key placed at its slot or the next free one (linear probing)."""
    slots = np.full(size, -1, dtype=np.int32 if size < 2**31 else np.int64)
    pending = np.arange(len(position), dtype=slots.dtype)
    position = position.copy()
    for _ in range(MAX_ROUNDS):
        if not pending.size:
            return slots
        at = position[pending]
        free = slots[at] < 0
        # Several keys may want one free slot: the last write wins, so write in reverse
        # to let the first of them have it.
        slots[at[free][::-1]] = pending[free][::-1]
        placed = slots[at] == pending
        pending = pending[~placed]
        position[pending] = (position[pending] + 1) & (size - 1)
    return None
