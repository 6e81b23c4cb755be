"""The CSV bytes of a block-level sweep chunk, formatted by numpy without a Python call per cell.

:meth:`graphcost.count.sweep.SweepChunk.csv_bytes` uses :func:`numeric_csv` when every cell of
a chunk is a non-negative ``int64`` or a speed-up with a short exact decimal; otherwise it
formats the rows with Python (the same bytes, slower). The bytes are those ``csv.writer``
writes: plain digits for the integers, ``repr(forward / backward)`` for the speed-up.

How the speed-up is exact without a float: with ``I = f // b`` and ``r = f % b`` in lowest
terms ``r' / 2^j`` (the denominator a power of two), the quotient is the decimal
``I.d1…dj`` with ``r'·5^j`` as its ``j`` fractional digits (the last one odd, so nonzero).
Python's ``f / b`` is that decimal correctly rounded to a float, and when it has at most 15
significant digits (``DBL_DIG``) no other decimal of 15 digits or fewer rounds to the same float,
so the shortest repr is exactly those digits; ``repr`` writes them in fixed notation (``7.875``,
``3.0``) when the value is 0 or lies in [1e-4, 1e16). Any other quotient (``7/3``) makes
:func:`speedup_digits` return ``None`` and the chunk is formatted with Python.

A row is laid out as fields of right-aligned, zero-padded digits and constant separators; the
rows of a run with the same digit counts in every field keep the same byte columns, so a run is
cut out of the padded matrix with one fancy index (a monotone sweep has few runs; a chunk with
many runs uses a boolean mask instead).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: ``_DIGITS4[i]`` holds the four ASCII digits of ``i`` (zero-padded), as one uint32.
_QUADS = np.arange(10_000)
_DIGITS4 = (
    np.stack([_QUADS // 1000, _QUADS // 100 % 10, _QUADS // 10 % 10, _QUADS % 10], axis=1)
    .astype(np.uint8)
    .__add__(ord("0"))
    .view(np.uint32)
    .ravel()
)
#: 10^1 … 10^18: the digit count of v is 1 + how many of these are ≤ v.
_POWERS_OF_TEN = 10 ** np.arange(1, 19, dtype=np.int64)
#: Most significant digits whose decimal the shortest float repr reproduces (DBL_DIG).
_EXACT_DIGITS = 15
#: More runs than points // this: the boolean mask is cheaper than one slice per run.
_RUNS_PER_MASK = 16


@dataclass(frozen=True)
class Field:
    """Right-aligned digits of one cell per row: row ``i`` shows ``digits[i, start[i]:stop[i]]``."""

    digits: np.ndarray
    start: np.ndarray
    stop: np.ndarray


def decimal_lengths(values: np.ndarray) -> np.ndarray:
    """Digits of each non-negative int64 (1 for 0)."""
    return 1 + np.searchsorted(_POWERS_OF_TEN, values, side="right")


def digit_matrix(values: np.ndarray, width: int) -> np.ndarray:
    """The non-negative int64 ``values`` as right-aligned, zero-padded ASCII digits: a
    ``(len(values), 4·⌈width/4⌉)`` uint8 array, four digits per table look-up."""
    groups = max(1, -(-width // 4))
    quads = np.empty((len(values), groups), dtype=np.uint32)
    # Unsigned division by a constant is the fastest numpy has (faster than np.divmod); the
    # remainders, below 10^4, index the table as int64 (the index type numpy takes fastest).
    rest = values.view(np.uint64)
    low = np.empty_like(rest)
    for group in range(groups - 1, 0, -1):
        higher = rest // np.uint64(10_000)
        np.subtract(rest, np.multiply(higher, np.uint64(10_000), out=low), out=low)
        quads[:, group] = _DIGITS4.take(low.view(np.int64))
        rest = higher
    quads[:, 0] = _DIGITS4.take(rest.view(np.int64))  # below 10^4 by the choice of groups
    return quads.view(np.uint8)


def int_field(values: np.ndarray) -> Field:
    """The field of non-negative int64 ``values``: their digits, no padding shown."""
    lengths = decimal_lengths(values)
    digits = digit_matrix(values, int(lengths.max(initial=1)))
    width = digits.shape[1]
    return Field(digits, width - lengths, np.full(len(values), width))


def speedup_digits(forward: np.ndarray, backward: np.ndarray) -> tuple[Field, bytes, Field] | None:
    """The pieces of ``repr(f / b)`` at every point: the integer part's field, ``.``, the
    fraction's field (see the module docstring); ``None`` unless every quotient is a decimal
    that repr writes exactly."""
    if not (backward > 0).all():
        return None
    whole, rest = np.divmod(forward, backward)
    common = np.gcd(rest, backward)
    numerator, denominator = rest // common, backward // common
    if not ((denominator & (denominator - 1)) == 0).all():
        return None
    bits = np.frexp(denominator.astype(np.float64))[1].astype(np.int64) - 1  # exact: 2^j
    lengths = decimal_lengths(whole)
    if (np.where(whole > 0, lengths + bits, bits) > _EXACT_DIGITS).any():
        return None
    # repr turns to exponent notation below 1e-4 (0 < f/b < 1e-4 needs 2^-14 or smaller).
    if ((whole == 0) & (numerator > 0) & (numerator * 10_000 < denominator)).any():
        return None
    width = max(1, int(bits.max(initial=0)))
    fraction = numerator * 5**bits * 10 ** (width - bits)  # j digits, then zeros to the width
    digits = digit_matrix(fraction, width)
    start = np.full(len(forward), digits.shape[1] - width)
    return int_field(whole), b".", Field(digits, start, start + np.maximum(bits, 1))


def numeric_csv(pieces: Sequence[Field | bytes]) -> bytes:
    """The rows laid out as ``pieces`` (fields and constant bytes, the line's end included),
    concatenated: the chunk's CSV text.

    Examples
    --------
    >>> n = np.array([3, 12, 102])
    >>> numeric_csv([int_field(n), b",", *speedup_digits(n, np.array([8, 8, 4])), b"\\n"])
    b'3,0.375\\n12,1.5\\n102,25.5\\n'
    """
    fields = [piece for piece in pieces if isinstance(piece, Field)]
    count = len(fields[0].start)
    changed = np.zeros(max(count - 1, 0), dtype=bool)
    for field in fields:
        changed |= (field.start[1:] != field.start[:-1]) | (field.stop[1:] != field.stop[:-1])
    bounds = [0, *(np.flatnonzero(changed) + 1).tolist(), count]
    if len(bounds) - 1 > count // _RUNS_PER_MASK + 1:
        return _masked(pieces, count)
    return b"".join(_run(pieces, low, high) for low, high in itertools.pairwise(bounds))


def _run(pieces: Sequence[Field | bytes], low: int, high: int) -> np.ndarray:
    """Rows ``low:high``, whose fields show the same digit columns, as one uint8 array."""
    spans = [
        (piece.digits, int(piece.start[low]), int(piece.stop[low]))
        if isinstance(piece, Field)
        else (np.frombuffer(piece, dtype=np.uint8), 0, len(piece))
        for piece in pieces
    ]
    out = np.empty((high - low, sum(stop - start for _, start, stop in spans)), dtype=np.uint8)
    at = 0
    for source, start, stop in spans:
        width = stop - start
        out[:, at : at + width] = source[low:high, start:stop] if source.ndim == 2 else source
        at += width
    return out


def _masked(pieces: Sequence[Field | bytes], count: int) -> bytes:
    """The rows through a mask over the padded matrix (for chunks with many short runs)."""
    blocks, shown = [], []
    for piece in pieces:
        if isinstance(piece, Field):
            slots = np.arange(piece.digits.shape[1])
            blocks.append(piece.digits)
            shown.append((slots >= piece.start[:, None]) & (slots < piece.stop[:, None]))
        else:
            blocks.append(
                np.broadcast_to(np.frombuffer(piece, dtype=np.uint8), (count, len(piece)))
            )
            shown.append(np.ones((count, len(piece)), dtype=bool))
    return np.concatenate(blocks, axis=1)[np.concatenate(shown, axis=1)].tobytes()
