"""Scenes as text that other tools draw: Graphviz DOT, Mermaid (GitHub renders it), TikZ.

Each writer returns the whole document as a string. Vertices get ids ``n0``, ``n1``, … (their
keys), so no name can clash with a keyword of the target language; names and labels are
escaped for it. Edge kinds: DOT ``solid`` / ``dashed`` / ``dotted``; Mermaid ``-->`` (full)
and ``-.->`` (diag, pattern) with a ``linkStyle`` dash pattern per kind; TikZ the styles
``full``, ``diag``, ``pattern``. A pattern edge carries its pattern (``ab->a``) as a label.
DOT and Mermaid lay the graph out themselves (left to right); TikZ uses :mod:`.layout`.
"""

from __future__ import annotations

from graphcost.graph.model import INPUT, OUTPUT
from graphcost.report.draw.layout import Layout, Point
from graphcost.report.draw.scene import Edge, Scene
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
from graphcost.report.latex import latex_text as table_latex_text

CLASS = ROLE_LABEL
DOT_STYLE = {"full": "solid", "diag": "dashed", "pattern": "dotted"}
#: Mermaid dash patterns by edge kind (full edges are plain solid links).
MERMAID_DASHES = {"diag": "6 4", "pattern": "2 3"}
#: Estimated text metrics of the TikZ labels (\sffamily\small): inches per character, per line.
CHAR_WIDTH, LINE_HEIGHT, PAD = 0.075, 0.19, 0.08


def estimate(lines: tuple[str, ...]) -> Point:
    """An estimate of the (width, height) in inches of a TikZ box holding ``lines``."""
    return max(len(line) for line in lines) * CHAR_WIDTH + 2 * PAD, len(lines) * LINE_HEIGHT + PAD


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _dot_edge_attributes(edge: Edge) -> list[str]:
    attributes = [f"style={DOT_STYLE[edge.kind]}"]
    if edge.kind == "pattern" and edge.pattern:
        attributes.append(f'label="{_dot_text(edge.pattern)}", fontsize=8')
    if edge.state != "plain":
        colour, width = STATE_STYLE[edge.state]
        attributes.append(f'color="{colour}", penwidth={width}')
    return attributes


def dot(scene: Scene) -> str:
    """The scene as a Graphviz ``digraph`` (``dot -Tsvg``), left to right, inputs first."""
    lines = [
        f"// graphcost draw: {scene.name}",
        f'digraph "{_dot_text(scene.name)}" {{',
        f'  graph [rankdir=LR, label="{_dot_text(scene.title)}", labelloc=t, fontsize=14, '
        'fontname="Helvetica"];',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
        '  edge [arrowsize=0.7, fontname="Helvetica"];',
    ]
    for v in scene.vertices:
        face, line = (GHOST_FILL, GHOST_LINE) if v.eliminated else (FILL[v.role], EDGE_LINE[v.role])
        extra = ', style="rounded,filled,dashed", penwidth=2' if v.eliminated else ""
        lines.append(
            f'  n{v.key} [label="{_dot_text(chr(10).join(v.lines))}", '
            f'fillcolor="{face}", color="{line}", tooltip="{CLASS[v.role]}"{extra}];'
        )
    for e in scene.edges:
        lines.append(f"  n{e.source} -> n{e.target} [{', '.join(_dot_edge_attributes(e))}];")
    for role, rank in ((INPUT, "source"), (OUTPUT, "sink")):
        keys = [f"n{v.key};" for v in scene.vertices if v.role == role]
        if keys:
            lines.append(f"  {{ rank={rank}; {' '.join(keys)} }}")
    return "\n".join([*lines, "}", ""])


def _mermaid_text(text: str) -> str:
    """Mermaid entity codes for the characters its parser or HTML labels would read."""
    codes = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;"}
    return "".join(codes.get(c, c) for c in text)


def mermaid(scene: Scene) -> str:
    """The scene as a Mermaid ``flowchart LR`` (renders in GitHub markdown and issues)."""
    title = " — ".join(scene.title.splitlines()).replace("\\", "\\\\").replace('"', '\\"')
    lines = ["---", f'title: "{title}"', "---", "flowchart LR"]
    for v in scene.vertices:
        label = "<br/>".join(_mermaid_text(line) for line in v.lines)
        lines.append(f'  n{v.key}["{label}"]')
    styled: dict[tuple[str, str], list[int]] = {}
    for index, e in enumerate(scene.edges):
        arrow = "-->" if e.kind == "full" else "-.->"
        label = f'|"{_mermaid_text(e.pattern)}"|' if e.kind == "pattern" and e.pattern else ""
        lines.append(f"  n{e.source} {arrow}{label} n{e.target}")
        styled.setdefault((e.kind, e.state), []).append(index)
    for (kind, state), indices in styled.items():
        style = []
        if state != "plain":
            colour, width = STATE_STYLE[state]
            style += [f"stroke:{colour}", f"stroke-width:{width:g}px"]
        if kind in MERMAID_DASHES:
            style.append(f"stroke-dasharray:{MERMAID_DASHES[kind]}")
        if style:
            lines.append(f"  linkStyle {','.join(map(str, indices))} {','.join(style)}")
    for role, name in CLASS.items():
        lines.append(f"  classDef {name} fill:{FILL[role]},stroke:{EDGE_LINE[role]}")
        keys = [f"n{v.key}" for v in scene.vertices if v.role == role and not v.eliminated]
        if keys:
            lines.append(f"  class {','.join(keys)} {name}")
    ghosts = [f"n{v.key}" for v in scene.vertices if v.eliminated]
    if ghosts:
        lines.append(
            f"  classDef eliminated fill:{GHOST_FILL},stroke:{GHOST_LINE},"
            "stroke-width:2px,stroke-dasharray:5 3"
        )
        lines.append(f"  class {','.join(ghosts)} eliminated")
    return "\n".join([*lines, ""])


def latex_text(text: str) -> str:
    r"""``text`` for LaTeX's text mode: ``->`` as an arrow, the rest as the tables' LaTeX
    writes it (:func:`graphcost.report.latex.latex_text`: specials escaped, Greek letters and
    graphcost's own symbols as commands, pure ASCII for pdflatex).

    >>> latex_text("W_1 [n] ab->a")
    'W\\_1 [n] ab$\\to$a'
    >>> latex_text("α·β")
    '$\\alpha$$\\cdot$$\\beta$'
    """
    return r"$\to$".join(table_latex_text(part) for part in text.split("->"))


def _tikz_point(point: Point) -> str:
    return f"({point[0]:.3f},{point[1]:.3f})"


def _tikz_path(key_from: int, key_to: int, points: tuple[Point, ...], centre: dict) -> str:
    """A TikZ path through ``points``: the ends as shifted anchors, curves between columns."""
    (_, y0), (_, y1) = points[0], points[-1]
    start = f"([yshift={centre[key_from][1] - y0:.3f}in]n{key_from}.east)"
    end = f"([yshift={centre[key_to][1] - y1:.3f}in]n{key_to}.west)"
    pieces = [start]
    for i in range(len(points) - 1):
        (x0, a), (x1, b) = points[i], points[i + 1]
        target = end if i == len(points) - 2 else _tikz_point(points[i + 1])
        if i % 2 == 0:
            dx = (x1 - x0) / 2
            first, second = _tikz_point((x0 + dx, a)), _tikz_point((x1 - dx, b))
            pieces.append(f".. controls {first} and {second} .. {target}")
        else:
            pieces.append(f"-- {target}")
    return " ".join(pieces)


def tikz(scene: Scene, layout: Layout) -> str:
    """The scene as a standalone LaTeX document with one TikZ picture (``pdflatex`` it)."""
    colours = {
        **{CLASS[r]: (FILL[r], EDGE_LINE[r]) for r in CLASS},
        "ghost": (GHOST_FILL, GHOST_LINE),
    }
    lines = [
        "% graphcost draw: compile with pdflatex. The page is the picture's size (set below",
        "% without the standalone class); to use the picture elsewhere, copy the tikzpicture",
        "% with the colour definitions and \\usetikzlibrary line.",
        r"\documentclass{article}",
        r"\usepackage{tikz}",
        r"\usetikzlibrary{arrows.meta}",
        r"\pagestyle{empty}",
        r"\newsavebox{\graphcostpicture}",
        r"\pgfdeclarelayer{edges}\pgfsetlayers{edges,main}",
        *(
            rf"\definecolor{{gc{name}fill}}{{HTML}}{{{f[1:].upper()}}}"
            rf"\definecolor{{gc{name}line}}{{HTML}}{{{s[1:].upper()}}}"
            for name, (f, s) in colours.items()
        ),
        *(
            rf"\definecolor{{gc{s}}}{{HTML}}{{{STATE_STYLE[s][0][1:].upper()}}}"
            for s in STATE_STYLE
        ),
        r"\begin{document}",
        r"\begin{lrbox}{\graphcostpicture}",
        r"\begin{tikzpicture}[x=1in, y=-1in, >={Stealth[length=4pt]},",
        r"  gc-box/.style={draw, rounded corners=2pt, align=center, font=\sffamily\small,"
        r" inner sep=3pt},",
        *(
            f"  gc-{name}/.style={{gc-box, fill=gc{name}fill, draw=gc{name}line}},"
            for name in CLASS.values()
        ),
        r"  gc-ghost/.style={gc-box, fill=gcghostfill, draw=gcghostline, dashed, line width=1pt},",
        "  gc-full/.style={->}, gc-diag/.style={->, dashed},",
        "  gc-pattern/.style={->, dotted, thick},",
        "  gc-plain/.style={draw=gcplain}, gc-fill/.style={draw=gcfill, line width=1.4pt},",
        "  gc-updated/.style={draw=gcupdated, line width=1.2pt},",
        "  gc-removed/.style={draw=gcremoved},",
        r"  gc-label/.style={font=\sffamily\tiny, fill=white, inner sep=1pt}]",
    ]
    legend, top = _tikz_legend(scene, layout.width)
    title = r" \\ ".join(latex_text(line) for line in scene.title.splitlines())
    lines += legend
    lines.append(
        r"\node[align=center, font=\sffamily\bfseries, anchor=south] "
        rf"at ({layout.width / 2:.3f},{top - 0.08:.3f}) {{{title}}};"
    )
    centre = layout.centres
    for v in scene.vertices:
        style = "gc-ghost" if v.eliminated else f"gc-{CLASS[v.role]}"
        text = r" \\ ".join(latex_text(line) for line in v.lines)
        width, height = layout.sizes[v.key]  # at least the size the layout gave the box
        size = f"minimum width={width:.3f}in, minimum height={height:.3f}in"
        lines.append(
            rf"\node[{style}, {size}] (n{v.key}) at {_tikz_point(centre[v.key])} {{{text}}};"
        )
    paths = layout.route(
        [(e.source, e.target) for e in scene.edges],
        {(e.source, e.target): e.via for e in scene.edges},
    )
    lines.append(r"\begin{pgfonlayer}{edges}")  # under the boxes, as in the images
    for e in scene.edges:
        path = _tikz_path(e.source, e.target, paths[e.source, e.target], centre)
        label = ""
        if e.kind == "pattern" and e.pattern:
            label = f" node[gc-label, pos=0.5] {{{latex_text(e.pattern)}}}"
        lines.append(rf"\draw[gc-{e.kind}, gc-{e.state}] {path}{label};")
    lines += [
        r"\end{pgfonlayer}",
        r"\end{tikzpicture}",
        r"\end{lrbox}",
        r"\pdfpagewidth=\dimexpr\wd\graphcostpicture+16pt\relax",
        r"\pdfpageheight=\dimexpr\ht\graphcostpicture+\dp\graphcostpicture+16pt\relax",
        r"\hoffset=-1in \voffset=-1in",
        r"\shipout\vbox{\kern8pt\hbox{\kern8pt\usebox{\graphcostpicture}}}",
        r"\end{document}",
        "",
    ]
    return "\n".join(lines)


#: Width of one legend entry (inches) and the height of a legend row.
LEGEND_ENTRY, LEGEND_ROW = 1.45, 0.2


def _tikz_legend(scene: Scene, width: float) -> tuple[list[str], float]:
    """Legend rows above the picture (roles, edge kinds, a frame's states); and their top."""
    roles = {v.role for v in scene.vertices}
    kinds = set(KIND_LABEL) if scene.frame else {e.kind for e in scene.edges}
    entries = [(f"gc-{CLASS[r]}", None, label) for r, label in ROLE_LABEL.items() if r in roles]
    entries += [(None, f"gc-{k}, gc-plain", label) for k, label in KIND_LABEL.items() if k in kinds]
    if scene.frame:
        entries.append(("gc-ghost", None, "eliminated"))
        entries += [(None, f"gc-full, gc-{s}", label) for s, label in STATE_LABEL.items()]
    per_row = max(3, int(width / LEGEND_ENTRY))
    rows = (len(entries) + per_row - 1) // per_row
    lines = []
    for index, (box, line, label) in enumerate(entries):
        row, column = divmod(index, per_row)
        x, y = column * LEGEND_ENTRY, -0.15 - (rows - 1 - row) * LEGEND_ROW
        if box is not None:
            lines.append(
                rf"\node[{box}, minimum width=0.25in, minimum height=0.11in, inner sep=0pt] "
                f"at ({x + 0.12:.3f},{y:.3f}) {{}};"
            )
        else:
            lines.append(rf"\draw[{line}] ({x:.3f},{y:.3f}) -- ({x + 0.25:.3f},{y:.3f});")
        lines.append(
            rf"\node[anchor=west, font=\sffamily\scriptsize] at ({x + 0.3:.3f},{y:.3f}) "
            f"{{{latex_text(label)}}};"
        )
    return lines, -0.15 - rows * LEGEND_ROW + 0.05
