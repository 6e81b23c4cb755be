"""Scenes drawn with matplotlib (the ``plot`` extra): SVG, PNG and PDF.

The figure is drawn on the Agg canvas directly (no pyplot, no global backend switch, works
without a display). One data unit is one inch, y grows downwards, so label sizes measured in
points place the boxes exactly; the figure grows with the graph. SVG output is reproducible
(fixed ids, no date), so a shipped picture can be checked against a fresh one. Patches are
added with ``add_artist``, not ``add_patch``: the limits are fixed, and ``add_patch``'s update
of the data limits took most of the time of a large picture.
"""

from __future__ import annotations

from typing import Any

from graphcost.errors import UsageError
from graphcost.report.draw.layout import Layout, Point
from graphcost.report.draw.scene import Scene
from graphcost.report.draw.style import (
    EDGE_LINE,
    FILL,
    GHOST_FILL,
    GHOST_LINE,
    KIND_LABEL,
    ROLE_LABEL,
    STATE_LABEL,
    STATE_STYLE,
)

#: Line style per edge kind.
DASHES = {"full": "-", "diag": (0, (5, 3)), "pattern": (0, (1, 2))}
FONT_SIZE, PATTERN_FONT_SIZE, TITLE_SIZE = 9.0, 6.5, 11.0
#: Inside a box: horizontal and vertical padding (inches); the line height (× font size).
PAD_X, PAD_Y, LINE_HEIGHT = 0.09, 0.06, 1.25
MARGIN = 0.3
#: Width of a legend entry and height of a legend row (inches).
LEGEND_ENTRY, LEGEND_ROW = 1.7, 0.2
MIN_WIDTH = 7.0
#: PNG resolution, lowered for huge pictures so that neither side exceeds MAX_PIXELS.
DPI, MAX_PIXELS = 110, 20_000


def require_matplotlib() -> None:
    """Raise a :class:`UsageError` naming the extra when matplotlib is not installed."""
    from graphcost.report.plot import quiet_matplotlib

    try:
        quiet_matplotlib()
    except ImportError:
        raise UsageError(
            "drawing SVG, PNG or PDF needs matplotlib, which is not installed",
            fix="pip install '.[plot]' (or write .dot, .mmd or .tex, which need nothing)",
        ) from None


def measure(lines: tuple[str, ...]) -> Point:
    """The (width, height) in inches of a box holding ``lines`` in the label font."""
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    renderer = _renderer(RendererAgg)
    font = FontProperties(size=FONT_SIZE)
    widest = max(renderer.get_text_width_height_descent(line, font, ismath=False)[0]
                 for line in lines)  # fmt: skip
    height = len(lines) * FONT_SIZE * LINE_HEIGHT / 72
    return widest / 72 + 2 * PAD_X, height + 2 * PAD_Y


_RENDERERS: dict[str, Any] = {}


def _renderer(kind: Any) -> Any:
    if "agg" not in _RENDERERS:
        _RENDERERS["agg"] = kind(10, 10, 72)
    return _RENDERERS["agg"]


def write_image(scene: Scene, layout: Layout, stream: Any, fmt: str) -> None:
    """Draw ``scene`` as placed by ``layout`` and save it to the binary ``stream`` as ``fmt``."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    title_band = 0.3 * (scene.title.count("\n") + 1)
    width = max(layout.width + 2 * MARGIN, MIN_WIDTH)
    handles = _legend_entries(scene)
    columns = max(1, min(len(handles), int(width / LEGEND_ENTRY)))
    legend_band = LEGEND_ROW * -(-len(handles) // columns) + 0.15
    height = layout.height + 2 * MARGIN + title_band + legend_band
    origin = ((width - layout.width) / 2, MARGIN + title_band + legend_band)
    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, width)
    axes.set_ylim(height, 0)
    axes.set_axis_off()
    axes.text(width / 2, MARGIN, scene.title, ha="center", va="top", fontsize=TITLE_SIZE,
              parse_math=False, linespacing=1.4)  # fmt: skip
    legend_top = (width / 2, MARGIN + title_band)
    axes.legend(handles=handles, loc="upper center", bbox_to_anchor=legend_top,
                bbox_transform=axes.transData, ncol=columns, frameon=False, fontsize=8,
                handlelength=2.6, borderaxespad=0, borderpad=0)  # fmt: skip
    paths = layout.route(
        [(e.source, e.target) for e in scene.edges],
        {(e.source, e.target): e.via for e in scene.edges},
    )
    for edge in scene.edges:
        _edge(axes, edge, paths[edge.source, edge.target], origin)
    for vertex in scene.vertices:
        _box(axes, vertex, layout, origin)
    dpi = DPI if fmt != "png" else min(DPI, MAX_PIXELS / max(width, height))
    metadata = {"svg": {"Date": None}, "pdf": {"CreationDate": None}}.get(fmt)
    with matplotlib.rc_context({"svg.hashsalt": "graphcost"}):
        figure.savefig(stream, format=fmt, dpi=dpi, metadata=metadata)


def _shift(point: Point, origin: Point) -> Point:
    return point[0] + origin[0], point[1] + origin[1]


def _box(axes: Any, vertex: Any, layout: Layout, origin: Point) -> None:
    from matplotlib.patches import FancyBboxPatch

    (cx, cy), (w, h) = _shift(layout.centres[vertex.key], origin), layout.sizes[vertex.key]
    face = GHOST_FILL if vertex.eliminated else FILL[vertex.role]
    line = GHOST_LINE if vertex.eliminated else EDGE_LINE[vertex.role]
    box = FancyBboxPatch(
        (cx - w / 2, cy - h / 2), w, h, boxstyle="round,pad=0,rounding_size=0.06",
        facecolor=face, edgecolor=line, linewidth=2.0 if vertex.eliminated else 1.0,
        linestyle="--" if vertex.eliminated else "-", zorder=3,
    )  # fmt: skip
    box.set_gid(f"vertex {vertex.name}")
    axes.add_artist(box)
    axes.text(cx, cy, "\n".join(vertex.lines), ha="center", va="center", fontsize=FONT_SIZE,
              linespacing=LINE_HEIGHT, parse_math=False, zorder=4,
              color=GHOST_LINE if vertex.eliminated else "black")  # fmt: skip


def bezier(points: tuple[Point, ...]) -> tuple[list[Point], list[int]]:
    """Vertices and codes of a path through ``points``: curves between columns (leaving and
    arriving horizontally), straight lines inside lanes (between points 1–2, 3–4, …)."""
    from matplotlib.path import Path

    vertices, codes = [points[0]], [Path.MOVETO]
    for i in range(len(points) - 1):
        (x0, y0), (x1, y1) = points[i], points[i + 1]
        if i % 2 == 0:
            dx = (x1 - x0) / 2
            vertices += [(x0 + dx, y0), (x1 - dx, y1), (x1, y1)]
            codes += [Path.CURVE4] * 3
        else:
            vertices.append((x1, y1))
            codes.append(Path.LINETO)
    return vertices, codes


def _edge(axes: Any, edge: Any, path: tuple[Point, ...], origin: Point) -> None:
    from matplotlib.patches import FancyArrowPatch, PathPatch
    from matplotlib.path import Path

    points = tuple(_shift(p, origin) for p in path)
    colour, width = STATE_STYLE[edge.state]
    vertices, codes = bezier(points)
    line = PathPatch(
        Path(vertices, codes), fill=False, edgecolor=colour, linewidth=width,
        linestyle=DASHES[edge.kind], zorder=1 if edge.state == "plain" else 2,
    )  # fmt: skip
    line.set_gid(f"edge {edge.source} {edge.target} {edge.kind} {edge.state}")
    axes.add_artist(line)
    end = points[-1]
    axes.add_artist(FancyArrowPatch((end[0] - 0.1, end[1]), end, arrowstyle="-|>",
                                   mutation_scale=9, color=colour, linewidth=width,
                                   shrinkA=0, shrinkB=0, zorder=2))  # fmt: skip
    if edge.kind == "pattern" and edge.pattern:
        (x0, y0), (x1, y1) = points[-2], points[-1]
        axes.text((x0 + x1) / 2, (y0 + y1) / 2, edge.pattern, fontsize=PATTERN_FONT_SIZE,
                  ha="center", va="center", color=colour, parse_math=False, zorder=2,
                  bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none",
                        "alpha": 0.85})  # fmt: skip


def _legend_entries(scene: Scene) -> list[Any]:
    """The legend's entries: the roles and edge kinds shown, and a frame's markings."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    roles = {v.role for v in scene.vertices}
    # A frame shows every kind, so that the legend stays put while the pictures are flipped.
    kinds = set(KIND_LABEL) if scene.frame else {e.kind for e in scene.edges}
    handles = [
        Patch(facecolor=FILL[role], edgecolor=EDGE_LINE[role], label=label)
        for role, label in ROLE_LABEL.items()
        if role in roles
    ]
    handles += [
        Line2D([], [], color=STATE_STYLE["plain"][0], linestyle=DASHES[kind], label=label)
        for kind, label in KIND_LABEL.items()
        if kind in kinds
    ]
    if scene.frame:
        handles.append(
            Patch(facecolor=GHOST_FILL, edgecolor=GHOST_LINE, linestyle="--", label="eliminated")
        )
        handles += [
            Line2D([], [], color=STATE_STYLE[state][0], lw=STATE_STYLE[state][1], label=label)
            for state, label in STATE_LABEL.items()
        ]
    return handles
