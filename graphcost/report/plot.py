"""Plots of a sweep: the speed-up against the swept symbol, and both counts on a log scale.

matplotlib is an optional extra (``pip install '.[plot]'``). The figure is drawn with
the Agg canvas directly (no pyplot, no global backend switch, works without a display) and
written atomically.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from graphcost.errors import UsageError

#: Image formats ``--plot`` writes, by file suffix.
PLOT_FORMATS = ("png", "svg", "pdf")
#: Most curves drawn (one per combination of the other swept symbols).
MAX_CURVES = 12


def check_plot_path(path: str | os.PathLike[str]) -> str:
    """Refuse a ``--plot`` path that cannot be drawn, before any work is done.

    Checked up front so that a sweep never runs (and writes its CSV) only to fail at the plot.

    Returns
    -------
    str
        The image format (the suffix without its dot).

    Raises
    ------
    UsageError
        An unknown image suffix, a missing directory, or matplotlib not installed.
    """
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in PLOT_FORMATS:
        raise UsageError(
            f"--plot {str(path)!r}: unknown image type {suffix or '(none)'!r}",
            fix=f"end the file name in one of: {', '.join('.' + f for f in PLOT_FORMATS)}",
        )
    directory = Path(path).parent
    if not directory.is_dir():
        raise UsageError(
            f"--plot {str(path)!r}: directory {str(directory)!r} does not exist",
            fix="create it first, or give another path",
        )
    try:
        quiet_matplotlib()
    except ImportError:
        raise UsageError(
            "--plot needs matplotlib, which is not installed",
            fix="pip install '.[plot]' (from graphcost's folder; or pip install matplotlib)",
        ) from None
    return suffix


def quiet_matplotlib() -> None:
    """Import matplotlib with its own log warnings off: a font cache it cannot save (a full
    disk, a read-only home) is its affair; graphcost reports only what concerns the user.

    Raises
    ------
    ImportError
        When matplotlib is not installed.
    """
    import logging

    import matplotlib  # noqa: F401

    logging.getLogger("matplotlib").setLevel(logging.ERROR)


def plot_sweep(
    path: str | os.PathLike[str],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    x: str,
    graph: str,
    convention: str,
    group_by: Sequence[str] = (),
) -> int:
    """Draw a sweep's rows to ``path`` (``.png``, ``.svg`` or ``.pdf``).

    Left: the speed-up (forward / backward multiplications) against ``x``. Right: forward and
    backward multiplications against ``x`` on a logarithmic axis. With ``group_by`` (the other
    swept symbols), one curve per combination of their values, at most :data:`MAX_CURVES`.

    Parameters
    ----------
    path
        The image file.
    columns, rows
        The sweep's columns and rows (the stable record layout).
    x
        The symbol on the horizontal axis.
    graph, convention
        For the title.
    group_by
        Symbols whose values distinguish curves.

    Returns
    -------
    int
        The number of curves drawn.

    Raises
    ------
    UsageError
        matplotlib missing, an unknown image suffix, or nothing to plot.
    """
    from graphcost.report.writers import atomic_writer

    suffix = check_plot_path(path)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if not rows:
        raise UsageError("--plot: the sweep has no rows to plot", fix="widen the --over ranges")
    at = {name: i for i, name in enumerate(columns)}
    curves: dict[tuple[Any, ...], list[Sequence[Any]]] = {}
    for row in rows:
        curves.setdefault(tuple(row[at[g]] for g in group_by), []).append(row)
    figure = Figure(figsize=(11, 4.5), layout="constrained")
    FigureCanvasAgg(figure)
    speed, counts = figure.subplots(1, 2)
    figure.suptitle(f"{graph} — {convention} convention")
    shown = list(curves.items())[:MAX_CURVES]
    for key, members in shown:
        members = sorted(members, key=lambda row: row[at[x]])
        xs = [float(row[at[x]]) for row in members]
        label = ", ".join(f"{g} = {v}" for g, v in zip(group_by, key, strict=True))
        speedups = [
            float(row[at["speedup"]]) if row[at["speedup"]] != "" else float("nan")
            for row in members
        ]
        speed.plot(xs, speedups, marker="." if len(xs) < 60 else None, label=label or None)
        forward = [float(row[at["forward_multiplications"]]) for row in members]
        backward = [float(row[at["backward_multiplications"]]) for row in members]
        suffix_label = f" ({label})" if label else ""
        line = counts.plot(xs, forward, label=f"forward{suffix_label}")[0]
        counts.plot(
            xs, backward, linestyle="--", color=line.get_color(), label=f"backward{suffix_label}"
        )
    speed.set_xlabel(x)
    speed.set_ylabel("speed-up (forward / backward multiplications)")
    speed.set_title("speed-up")
    speed.grid(True, alpha=0.3)
    counts.set_xlabel(x)
    counts.set_ylabel("multiplications")
    counts.set_yscale("log")
    counts.set_title("multiplications (log scale)")
    counts.grid(True, which="both", alpha=0.3)
    counts.legend(fontsize="small")
    if group_by:
        speed.legend(fontsize="small")
    if len(curves) > MAX_CURVES:
        figure.text(
            0.01, 0.01, f"first {MAX_CURVES} of {len(curves)} curves shown", fontsize="small"
        )
    with atomic_writer(path, mode="wb") as stream:
        figure.savefig(stream, format=suffix, dpi=110)
    return len(shown)
