"""Reports: what a command shows, rendered as a rich table, JSON, CSV, Markdown or LaTeX.

A command builds one :class:`Report` and hands it to :func:`emit`, which branches once on the
format (looked up in :data:`FORMATS`) and prints the text, or writes it to a file through
:func:`graphcost.report.writers.write_atomic` (never left half-written). The number formats of
table cells (:func:`format_int`, :func:`format_ratio`) live here too.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from graphcost.errors import UsageError
from graphcost.report.cells import plain
from graphcost.report.latex import latex_cell, markdown_cell
from graphcost.report.terminal import FILE_WIDTH, table_width
from graphcost.report.writers import is_stdout, write_atomic


@dataclass
class Report:
    """Everything a command outputs, in the three shapes the formats need.

    Attributes
    ----------
    title
        Heading of the table.
    columns, rows
        The human table (cells may be pre-formatted strings, or
        :class:`~graphcost.report.cells.Math` formulas, typeset by LaTeX and Markdown).
    records
        Flat rows for CSV, with stable column names.
    data
        The JSON payload.
    notes
        Lines printed under the table (not in JSON or CSV): strings, or sequences of strings
        and formulas (:data:`~graphcost.report.cells.Note`).
    highlight
        Index of a row to emphasise in the table (e.g. the best strategy).
    """

    title: str
    columns: list[str]
    rows: list[list[Any]]
    records: list[dict[str, Any]]
    data: Any
    notes: list[str] = field(default_factory=list)
    highlight: int | None = None


_NUMBER = re.compile(r"^[-+]?[\d,._]+(e[-+]?\d+)?( \(.*\))?$|^—$")


def _is_numeric_column(report: Report, column: int) -> bool:
    """Whether every cell of the column reads as a number (right-aligned in tables)."""
    return column > 0 and all(
        _NUMBER.match(str(row[column])) for row in report.rows if column < len(row)
    )


#: Most rows a rich table is drawn with: rich lays out every cell (about a millisecond a row),
#: so 10^6 rows would take a quarter of an hour; nobody reads a table that long either.
MAX_TABLE_ROWS = 2_000


def check_table_rows(rows: int) -> None:
    """Refuse a table of more than :data:`MAX_TABLE_ROWS` rows, before any work is done.

    Raises
    ------
    UsageError
        Naming the bound and the formats that have none.
    """
    if rows > MAX_TABLE_ROWS:
        raise UsageError(
            f"a table of {rows:,} rows is too long to draw (at most {MAX_TABLE_ROWS:,} rows)",
            fix="use --format csv or json (with -o FILE for large outputs), or fewer rows",
        )


def _render_table(
    report: Report, *, color: bool = False, width: int | None = None, **_: Any
) -> str:
    """The rich table, laid out by :func:`graphcost.report.terminal.render_table` (words are
    never cut) in ``width`` columns (default :data:`FILE_WIDTH`)."""
    from graphcost.report.terminal import render_table

    check_table_rows(len(report.rows))
    return render_table(
        report.title,
        [str(column) for column in report.columns],
        [[str(cell) for cell in row] for row in report.rows],
        [plain(note) for note in report.notes],
        right=[_is_numeric_column(report, i) for i in range(len(report.columns))],
        highlight=report.highlight,
        width=FILE_WIDTH if width is None else width,
        color=color,
    )


def _render_json(report: Report, **_: Any) -> str:
    return json.dumps(report.data, indent=2, default=_json_default) + "\n"


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


def _render_csv(report: Report, **_: Any) -> str:
    buffer = io.StringIO()
    write_csv(buffer, report.records)
    return buffer.getvalue()


def write_csv(stream: TextIO, records: list[dict[str, Any]]) -> None:
    """Write records as CSV with a header from the first record's keys."""
    if not records:
        return
    writer = csv.DictWriter(stream, fieldnames=list(records[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)


def _render_markdown(report: Report, **_: Any) -> str:
    """A GitHub-flavoured pipe table, the title in bold above it and the notes below.

    Text is escaped where Markdown would read it as markup (formulas in plain text are full
    of ``**``); :class:`~graphcost.report.cells.Math` formulas are ``$…$`` math spans.
    """
    lines = [f"**{markdown_cell(report.title)}**", ""] if report.title else []
    lines.append("| " + " | ".join(markdown_cell(c) for c in report.columns) + " |")
    aligns = [
        ":---" if i == 0 or not _is_numeric_column(report, i) else "---:"
        for i in range(len(report.columns))
    ]
    lines.append("|" + "|".join(aligns) + "|")
    lines.extend("| " + " | ".join(markdown_cell(v) for v in row) + " |" for row in report.rows)
    if report.notes:
        lines.append("")
        lines.extend(f"{markdown_cell(note)}  " for note in report.notes)
    return "\n".join(lines) + "\n"


def _render_latex(report: Report, **_: Any) -> str:
    """A ``tabular`` (booktabs rules) with the title above and the notes below as text.

    Paste-ready: formulas in math mode, every other character escaped or written as a LaTeX
    command (the output is ASCII); needs ``\\usepackage{booktabs}``.
    """
    spec = "".join(
        "r" if _is_numeric_column(report, i) else "l" for i in range(len(report.columns))
    )
    lines = [r"% needs \usepackage{booktabs}"]
    if report.title:
        lines.append(rf"\noindent\textbf{{{latex_cell(report.title)}}}\par\smallskip")
    lines += [rf"\noindent\begin{{tabular}}{{{spec}}}", r"\toprule"]
    lines.append(" & ".join(latex_cell(c) for c in report.columns) + r" \\")
    lines.append(r"\midrule")
    for i, row in enumerate(report.rows):
        cells = [latex_cell(v) for v in row]
        if i == report.highlight:
            cells = [rf"\textbf{{{cell}}}" for cell in cells]
        lines.append(_after_break(" & ".join(cells)) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    if report.notes:
        lines += ["", r"\smallskip\noindent"]
        notes = [_after_break(latex_cell(note)) for note in report.notes]
        lines.extend(note + r" \\" for note in notes[:-1])
        lines += [notes[-1], r"\par"]
    return "\n".join(lines) + "\n"


def _after_break(line: str) -> str:
    """A line that follows ``\\\\``: a leading ``[`` would be read as its optional argument."""
    return "{}" + line if line.startswith("[") else line


FORMATS: dict[str, Callable[..., str]] = {
    "table": _render_table,
    "json": _render_json,
    "csv": _render_csv,
    "markdown": _render_markdown,
    "latex": _render_latex,
}


def render(report: Report, fmt: str, *, color: bool = False, width: int | None = None) -> str:
    """Render a report in a format named in :data:`FORMATS`.

    ``width`` is the table's width in terminal cells (default: :data:`FILE_WIDTH`); the
    other formats have none.

    Raises
    ------
    UsageError
        For an unknown format, listing the valid ones.
    """
    try:
        renderer = FORMATS[fmt]
    except KeyError:
        raise UsageError(
            f"unknown format {fmt!r}", fix=f"choose one of: {', '.join(FORMATS)}"
        ) from None
    return renderer(report, color=color, width=width)


def emit(report: Report, fmt: str, output: str | None = None) -> None:
    """Print the report on stdout (``output`` ``None`` or ``"-"``), or write it atomically to
    ``output``.

    On stdout a table is as wide as ``COLUMNS`` or the terminal
    (:func:`graphcost.report.terminal.table_width`), in colour on a terminal; in a file it is
    :data:`FILE_WIDTH` wide.

    Raises
    ------
    UsageError
        When ``output`` cannot be written (it is then left as it was).
    """
    if output is None or is_stdout(output):
        terminal = sys.stdout.isatty()
        color = fmt == "table" and terminal
        text = render(report, fmt, color=color, width=table_width(terminal=terminal))
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write_atomic(output, render(report, fmt))


def format_int(value: Any) -> str:
    """An exact integer with thousands separators (``6,300``); anything else as ``str``."""
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def format_ratio(value: Any) -> str:
    """A speed-up for tables: ``7.875 (63/8)``; ``—`` when undefined."""
    if value is None:
        return "—"
    try:
        number = float(value)
    except (TypeError, OverflowError):  # symbolic, or beyond float range: exact only
        return str(value)
    exact = str(value)
    shown = f"{number:.6g}"
    return shown if exact in (shown, f"{number:g}") else f"{shown} ({exact})"
