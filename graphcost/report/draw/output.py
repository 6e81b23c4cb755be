"""The picture formats, chosen by name or file suffix, and writing one picture.

:data:`FORMATS` is the registry: SVG, PNG and PDF are drawn by matplotlib
(:mod:`~graphcost.report.draw.image`, the ``plot`` extra, imported only when one of them is
asked for); DOT, Mermaid and TikZ are text (:mod:`~graphcost.report.draw.text`). Files are
written atomically (:func:`graphcost.report.writers.atomic_writer`); text formats may go to
standard output (``-o -``).
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphcost.errors import UsageError
from graphcost.graph.model import OUTPUT
from graphcost.report.draw import text
from graphcost.report.draw.layout import Layout, layered_layout
from graphcost.report.draw.scene import Scene


@dataclass(frozen=True)
class Format:
    """A picture format.

    Attributes
    ----------
    name
        Its name, which is also its file suffix.
    description
        For ``--help`` and errors.
    image
        Drawn by matplotlib (binary output); otherwise text.
    laid_out
        Whether graphcost places the vertices (else the reading tool does: DOT, Mermaid).
    """

    name: str
    description: str
    image: bool
    laid_out: bool


FORMATS = {
    f.name: f
    for f in (
        Format("svg", "SVG image", image=True, laid_out=True),
        Format("png", "PNG image", image=True, laid_out=True),
        Format("pdf", "PDF document", image=True, laid_out=True),
        Format("dot", "Graphviz DOT (dot -Tsvg)", image=False, laid_out=False),
        Format("mmd", "Mermaid flowchart (renders on GitHub)", image=False, laid_out=False),
        Format("tex", "standalone LaTeX/TikZ document (pdflatex)", image=False, laid_out=True),
    )
}
#: Inches of box side per edge end: a box with many edges on one side grows.
PORT_SPACING = 0.06
#: The text writers of the formats graphcost does not lay out.
_TEXT: dict[str, Callable[[Scene], str]] = {"dot": text.dot, "mmd": text.mermaid}


def choose_format(output: str | None, forced: str | None) -> Format:
    """The format of ``output`` (its suffix), or ``forced`` (``--format``) when given.

    Raises
    ------
    UsageError
        An unknown suffix (or none) without ``--format``; matplotlib missing for an image.
    """
    if forced is not None:
        chosen = FORMATS[forced]
    else:
        suffix = Path(output or "").suffix.lower().lstrip(".")
        if suffix not in FORMATS:
            known = ", ".join("." + name for name in FORMATS)
            raise UsageError(
                f"cannot tell the picture format of {output!r} "
                f"(suffix {('.' + suffix) if suffix else '(none)'})",
                fix=f"end the file name in one of {known}, or give --format",
            )
        chosen = FORMATS[suffix]
    if chosen.image:
        from graphcost.report.draw.image import require_matplotlib

        require_matplotlib()
    return chosen


def lay_out(scene: Scene, fmt: Format) -> Layout | None:
    """Place ``scene`` for ``fmt``: box sizes measured (images) or estimated (TikZ)."""
    if not fmt.laid_out:
        return None
    if fmt.image:
        from graphcost.report.draw.image import measure
    else:
        measure = text.estimate
    leaving = Counter(e.source for e in scene.edges)
    arriving = Counter(e.target for e in scene.edges)
    sizes = {}
    for v in scene.vertices:  # a box with many edges on one side grows to spread their ends
        width, height = measure(v.lines)
        ends = max(leaving[v.key], arriving[v.key])
        sizes[v.key] = (width, max(height, PORT_SPACING * ends))
    feeding = {e.source for e in scene.edges}
    last = [v.key for v in scene.vertices if v.role == OUTPUT and v.key not in feeding]
    return layered_layout(sizes, [(e.source, e.target) for e in scene.edges], last=last)


def render(scene: Scene, layout: Layout | None, fmt: Format, stream: Any) -> None:
    """Write ``scene`` in ``fmt`` to ``stream`` (binary for images, text otherwise)."""
    if fmt.image:
        from graphcost.report.draw.image import write_image

        write_image(scene, layout, stream, fmt.name)  # type: ignore[arg-type]
    elif fmt.name == "tex":
        stream.write(text.tikz(scene, layout))  # type: ignore[arg-type]
    else:
        stream.write(_TEXT[fmt.name](scene))


def write_picture(scene: Scene, fmt: Format, output: str | os.PathLike[str]) -> None:
    """Draw ``scene`` into the file ``output`` atomically, or to stdout when it is ``-``.

    Raises
    ------
    UsageError
        ``-`` for an image format, or the file cannot be written.
    """
    from graphcost.report.writers import atomic_writer

    layout = lay_out(scene, fmt)
    if str(output) == "-":
        if fmt.image:
            raise UsageError(
                f"-o - writes text to standard output, and {fmt.description} is binary",
                fix="give a file name, or a text format: --format dot, mmd or tex",
            )
        render(scene, layout, fmt, sys.stdout)
        return
    with atomic_writer(output, mode="wb" if fmt.image else "w") as stream:
        render(scene, layout, fmt, stream)
