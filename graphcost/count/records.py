"""The flat record of one count: the stable CSV columns of ``analyze`` and ``sweep``.

One definition for both commands, so a sweep's row at a point is the row ``analyze`` prints
there: the symbol values (one column per symbol, named as the symbol), then
:data:`COUNT_COLUMNS`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graphcost.count.recursions import CountResult

#: The count columns, after the symbol columns; their names are stable.
COUNT_COLUMNS = (
    "forward_multiplications",
    "forward_additions",
    "backward_multiplications",
    "backward_additions",
    "speedup",
)


def record_columns(symbols: Iterable[str]) -> list[str]:
    """The column names of a record: the symbols, then :data:`COUNT_COLUMNS`."""
    return [*symbols, *COUNT_COLUMNS]


def speedup_cell(forward: int, backward: int) -> str:
    """The ``speedup`` cell: forward / backward as the shortest float repr, ``""`` if undefined.

    Python's int / int is correctly rounded, so this equals ``repr(float(Fraction(f, b)))``.

    Examples
    --------
    >>> speedup_cell(6300, 800), speedup_cell(1, 0)
    ('7.875', '')
    """
    if not backward:
        return ""
    try:
        return repr(forward / backward)
    except OverflowError:  # beyond float range (n = 3·10^900): float("inf") reads it back
        return "inf"


def count_record(
    values: Mapping[str, int],
    forward_multiplications: int,
    forward_additions: int,
    backward_multiplications: int,
    backward_additions: int,
) -> dict[str, Any]:
    """One flat row: symbol columns, then the stable count columns.

    Examples
    --------
    >>> count_record({"n": 30}, 6300, 5970, 800, 750)["speedup"]
    '7.875'
    """
    return {
        **values,
        "forward_multiplications": forward_multiplications,
        "forward_additions": forward_additions,
        "backward_multiplications": backward_multiplications,
        "backward_additions": backward_additions,
        "speedup": speedup_cell(forward_multiplications, backward_multiplications),
    }


def result_record(result: CountResult) -> dict[str, Any]:
    """The record of a numeric :class:`~graphcost.count.recursions.CountResult`."""
    return count_record(
        result.values,
        result.forward.multiplications,
        result.forward.additions,
        result.backward.multiplications,
        result.backward.additions,
    )


#: The columns that end every record of ``analyze`` and ``sweep``, after the symbol, count and
#: strategy columns: the edges whose joins are held as full (``"; "``-joined, empty when the
#: counts are exact), and the multiplications of evaluating the graph itself
#: (:mod:`graphcost.count.evaluation`, empty when unknown).
EVALUATION_COLUMN = "evaluation_multiplications"
TRAILING_COLUMNS = ("approximate", EVALUATION_COLUMN)


def trailing_cells(approximate: Sequence[str], evaluation: int | None) -> tuple[str, Any]:
    """The cells of :data:`TRAILING_COLUMNS`, in their order.

    Examples
    --------
    >>> trailing_cells(["X -> S"], None), trailing_cells([], 266200)
    (('X -> S', ''), ('', 266200))
    """
    return "; ".join(approximate), "" if evaluation is None else evaluation


def with_trailing(
    record: Mapping[str, Any], approximate: Sequence[str], evaluation: int | None
) -> dict[str, Any]:
    """The record with :data:`TRAILING_COLUMNS` appended.

    Examples
    --------
    >>> list(with_trailing({"speedup": "7.875"}, [], 266200).items())
    [('speedup', '7.875'), ('approximate', ''), ('evaluation_multiplications', 266200)]
    """
    cells = trailing_cells(approximate, evaluation)
    return {**record, **dict(zip(TRAILING_COLUMNS, cells, strict=True))}
