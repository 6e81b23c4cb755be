"""The human table on a terminal: cells wrap only at spaces; what cannot fit is folded whole.

A rich table squeezed below its words' widths folds them mid-word (``markowit|z``,
``0.34|5584``), which reads as a different name or number. :func:`render_table` therefore lays
the columns out itself: each column gets at least its longest word (a word is the text
between spaces), so cells wrap only at spaces; when even those widths do not fit, the table
is printed in parts, each repeating the first column (the row's name), with a note saying
so. Only a single word wider than the whole terminal is still folded.

The width is ``COLUMNS`` when set (as ``ls`` and rich read it), else the terminal's when
stdout is one, else :data:`FILE_WIDTH` (files and pipes: formulas stay on one line).
"""

from __future__ import annotations

import io
import os
import shutil
from typing import Any

#: Width of tables written to files and pipes: wide enough that formulas do not wrap.
FILE_WIDTH = 200
#: The narrowest width honoured; a smaller COLUMNS is taken as this.
MIN_WIDTH = 20


def table_width(*, terminal: bool) -> int:
    """The width to lay a table out in: ``COLUMNS``, the terminal's, or :data:`FILE_WIDTH`.

    Parameters
    ----------
    terminal
        Whether stdout is a terminal (its width is then the default).
    """
    text = os.environ.get("COLUMNS", "").strip()
    if text.isdigit() and int(text) > 0:
        return max(int(text), MIN_WIDTH)
    if terminal:
        return max(shutil.get_terminal_size().columns, MIN_WIDTH)
    return FILE_WIDTH


def _cell_widths(texts: list[str]) -> tuple[int, int]:
    """The longest word and the longest line of a column's texts (in terminal cells)."""
    from rich.cells import cell_len

    words = [cell_len(word) for text in texts for word in text.split()] or [1]
    lines = [cell_len(line) for text in texts for line in text.splitlines()] or [1]
    return max(words), max(lines)


def _frame(count: int) -> int:
    """Cells a rich table's borders and padding take around ``count`` columns."""
    return 3 * count + 1


def column_widths(columns: list[list[str]], width: int) -> list[int] | None:
    """Widths that fit ``width`` and never cut a word, or ``None`` when there are none.

    ``columns`` holds each column's texts (header first). Every column gets its longest word,
    the first (the rows' names) its longest line when that is at most 2/3 of the width; the
    room left is shared out evenly, a column never getting more than its longest line
    (so narrow columns are whole before wide ones wrap).

    Examples
    --------
    >>> column_widths([["name", "markowitz"], ["count", "0.345584"]], 60)
    [9, 8]
    >>> column_widths([["a long header", "x"], ["y"]], 14)
    [6, 1]
    >>> column_widths([["markowitz"], ["0.345584"]], 20) is None
    True
    """
    measured = [_cell_widths(texts) for texts in columns]
    room = width - _frame(len(columns))
    least = [word for word, _ in measured]
    most = [max(word, line) for word, line in measured]
    if 3 * most[0] <= 2 * width:
        least[0] = most[0]  # a row's name on one line: the row is found by it
    if sum(most) <= room:
        return most
    if sum(least) > room:
        return None
    spare, lacking = room - sum(least), [m - w for w, m in zip(least, most, strict=True)]
    widths = list(least)
    by_need = sorted(range(len(columns)), key=lacking.__getitem__)
    for served, i in enumerate(by_need):
        given = min(lacking[i], spare // (len(columns) - served))
        widths[i] += given
        spare -= given
    return widths


def column_groups(columns: list[list[str]], width: int) -> list[list[int]]:
    """Columns in parts that fit ``width``, each part starting with column 0 (the row names).

    A column too wide to fit beside the first one even alone gets a part of its own (and
    is folded there: nothing narrower exists).

    Examples
    --------
    >>> column_groups([["name"], ["1234567890"], ["1234567890"]], 30)
    [[0, 1], [0, 2]]
    >>> column_groups([["name"], ["12"], ["34"]], 30)
    [[0, 1, 2]]
    """
    if column_widths(columns, width) is not None or len(columns) < 2:
        return [list(range(len(columns)))]
    groups: list[list[int]] = []
    current = [0]
    for index in range(1, len(columns)):
        trial = [*current, index]
        if len(current) > 1 and column_widths([columns[i] for i in trial], width) is None:
            groups.append(current)
            trial = [0, index]
        current = trial
    groups.append(current)
    return groups


def render_table(
    title: str,
    header: list[str],
    rows: list[list[str]],
    notes: list[str],
    *,
    right: list[bool],
    highlight: int | None,
    width: int,
    color: bool,
) -> str:
    """A rich table of text cells in ``width`` columns, words never cut (see the module).

    Title and notes wrap at spaces too; a word longer than the width runs past it rather
    than being cut.
    """
    from rich.console import Console

    columns = [[header[i], *(row[i] for row in rows if i < len(row))] for i in range(len(header))]
    groups = column_groups(columns, width)
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, width=width, highlight=False)

    def say(text: str, style: str | None = None) -> None:
        console.print(wrap(text, width), style=style, markup=False, soft_wrap=True)

    if title:
        say(title, "bold")
    for part, group in enumerate(groups):
        if part:
            say(f"(continued: {', '.join(header[i] for i in group[1:])})")
        widths = column_widths([columns[i] for i in group], width)
        console.print(_table(group, header, rows, right, highlight, widths))
    if len(groups) > 1:
        say(
            f"(the table is in {len(groups)} parts to fit {width} columns; a wider terminal, "
            "COLUMNS=200 or --format csv shows it whole)"
        )
    for note in notes:
        say(note)
    return buffer.getvalue()


def wrap(text: str, width: int) -> str:
    """``text`` wrapped at spaces to ``width`` cells; a longer word stays whole on its line.

    Examples
    --------
    >>> print(wrap("speed-up 7.875 (63/8)", 12))
    speed-up
    7.875 (63/8)
    """
    import textwrap

    return "\n".join(
        textwrap.fill(
            line, width, break_long_words=False, break_on_hyphens=False, drop_whitespace=True
        )
        or line
        for line in text.splitlines() or [""]
    )


def _table(
    group: list[int],
    header: list[str],
    rows: list[list[str]],
    right: list[bool],
    highlight: int | None,
    widths: list[int] | None,
) -> Any:
    from rich.markup import escape
    from rich.table import Table

    table = Table()
    for position, i in enumerate(group):
        table.add_column(  # fold, never truncate: an exact count must show every digit
            escape(header[i]),
            justify="right" if right[i] else "left",
            overflow="fold",
            width=None if widths is None else widths[position],
        )
    for r, row in enumerate(rows):
        # Cells are text, never markup: a node named "[/x]" or "[bold]" must print as itself.
        table.add_row(
            *(escape(row[i]) if i < len(row) else "" for i in group),
            style="bold" if r == highlight else None,
        )
    return table
