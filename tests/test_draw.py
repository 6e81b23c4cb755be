"""graphcost draw: every format written and read back, flip-books that end at analyze's count.

The references are independent of the drawing code: the graph as loaded (blocks, edges and
their patterns), the edge sets before and after each elimination compared plainly, and the
count ``graphcost analyze --strategy NAME --format json`` reports.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from itertools import pairwise
from pathlib import Path

import pytest

from graphcost.cli import cli
from graphcost.cli.draw import DRAW_FORMATS
from graphcost.eliminate.problem import elimination_problem
from graphcost.eliminate.steps import elimination_steps
from graphcost.eliminate.strategies import run_strategy
from graphcost.graph.loader import load_graph
from graphcost.report.draw import output
from graphcost.report.draw.flipbook import elimination_frames, write_frames
from graphcost.report.draw.layout import crossings, layered_layout
from graphcost.report.draw.scene import edge_kind, graph_scene
from graphcost.report.draw.text import latex_text
from tests.conftest import GRAPHS, ROOT

TENSOR = GRAPHS / "benchmarks" / "tensor"
STEP_GRAPHS = [
    GRAPHS / "small.yaml",
    GRAPHS / "seed-004-expression.yaml",
    GRAPHS / "exercise-4b.yaml",
    GRAPHS / "mlp-relu.yaml",
    GRAPHS / "seed-002-network.yaml",
    TENSOR / "Perceptron.yaml",
]
DRAWN = [
    GRAPHS / "exercise-4b.yaml",
    GRAPHS / "mlp-relu.yaml",
    GRAPHS / "seed-004-expression.yaml",
    TENSOR / "Encoder.yaml",
]
STYLE_OF_KIND = {"full": "solid", "diag": "dashed", "pattern": "dotted"}


def graph_edges(path: Path) -> dict[tuple[str, str], str]:
    """The edges of a graph file as (source name, target name) → kind, from the loader."""
    graph = load_graph(path)
    names = [b.name for b in graph.blocks]
    return {
        (names[a], names[b]): edge_kind(p)
        for a, b, p in zip(
            graph.edges.src.tolist(), graph.edges.dst.tolist(), graph.edge_patterns, strict=True
        )
    }


def analyze_count(runner, path: Path, strategy: str) -> int:
    result = runner.invoke(cli, ["analyze", str(path), "-s", strategy, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["strategies"][strategy]["multiplications"]


def test_the_cli_lists_every_format() -> None:
    assert tuple(output.FORMATS) == DRAW_FORMATS


# --- elimination steps ------------------------------------------------------------------------


@pytest.mark.parametrize("path", STEP_GRAPHS, ids=lambda p: p.stem)
@pytest.mark.parametrize("strategy", ["forward", "backward", "markowitz"])
def test_steps_end_at_the_analyze_count(runner, path: Path, strategy: str) -> None:
    problem = elimination_problem(load_graph(path))
    order = run_strategy(problem, strategy).order
    steps = list(elimination_steps(problem, order))
    assert [s.number for s in steps] == list(range(1, len(problem.intermediates) + 1))
    assert sum(s.multiplications for s in steps) == steps[-1].total_multiplications
    assert steps[-1].total_multiplications == analyze_count(runner, path, strategy)


@pytest.mark.parametrize("path", STEP_GRAPHS, ids=lambda p: p.stem)
def test_fill_in_is_what_appeared_and_updated_what_was_there(path: Path) -> None:
    problem = elimination_problem(load_graph(path))
    before = {(a, b) for a, targets in enumerate(problem.succs) for b in targets}
    for step in elimination_steps(problem, run_strategy(problem, "markowitz").order):
        after = {(a, b) for a, b, _ in step.edges}
        around = {(a, b) for a, b in before if step.vertex in (a, b)}
        preds = {a for a, b in around if b == step.vertex}
        succs = {b for a, b in around if a == step.vertex}
        assert {(a, b) for a, b, _ in step.removed} == around
        assert after == (before - around) | {(p, s) for p in preds for s in succs}
        assert set(step.fill) == after - before
        assert set(step.updated) == {(p, s) for p in preds for s in succs} & before
        before = after


def test_a_node_graph_keeps_its_vertex_numbers() -> None:
    """Frames draw problem vertices over the file's blocks: the numbering must agree."""
    for path in (GRAPHS / "small.yaml", GRAPHS / "seed-004-expression.yaml"):
        graph = load_graph(path)
        assert elimination_problem(graph).names == [b.name for b in graph.blocks]


# --- formats ------------------------------------------------------------------------------


def draw(runner, path: Path, out: Path, *extra: str) -> None:
    result = runner.invoke(cli, ["draw", str(path), "-o", str(out), *extra])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""


@pytest.mark.parametrize("path", DRAWN, ids=lambda p: p.stem)
def test_dot_has_every_vertex_and_edge_once_styled_by_kind(runner, tmp_path, path) -> None:
    out = tmp_path / "g.dot"
    draw(runner, path, out)
    text = out.read_text()
    nodes = dict(re.findall(r'^  (n\d+) \[label="([^"\\]*(?:\\.[^"\\]*)*)"', text, re.M))
    names = {key: label.split("\\n")[0].split(" [")[0] for key, label in nodes.items()}
    assert sorted(names.values()) == sorted(b.name for b in load_graph(path).blocks)
    edges = re.findall(r"^  (n\d+) -> (n\d+) \[style=(\w+)", text, re.M)
    drawn = {(names[a], names[b]): style for a, b, style in edges}
    assert len(drawn) == len(edges)
    assert drawn == {e: STYLE_OF_KIND[k] for e, k in graph_edges(path).items()}


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz (dot) is not installed")
@pytest.mark.parametrize("path", DRAWN, ids=lambda p: p.stem)
def test_graphviz_draws_the_dot(runner, tmp_path, path) -> None:
    out = tmp_path / "g.dot"
    draw(runner, path, out)
    run = subprocess.run(["dot", "-Tsvg", str(out)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    titles = [e.text for e in ET.fromstring(run.stdout).iter("{http://www.w3.org/2000/svg}title")]
    assert len([t for t in titles if "->" in t]) == len(graph_edges(path))


MERMAID_LINE = re.compile(
    r'^  (n\d+\["[^"]*"\]'  # a node
    r'|n\d+ (-->|-\.->)(\|"[^"|]*"\|)? n\d+'  # an edge, maybe labelled
    r"|linkStyle \d+(,\d+)* [a-z-]+:[^,\s]+( [^,\s]+)?(,[a-z-]+:[^,\s]+( [^,\s]+)?)*"
    r"|classDef \w+ [a-z-]+:[^,\s]+(,[a-z-]+:[^,\s]+( [^,\s]+)?)*"
    r"|class n\d+(,n\d+)* \w+)$"
)


@pytest.mark.parametrize("path", DRAWN, ids=lambda p: p.stem)
def test_mermaid_is_well_formed_with_every_vertex_and_edge_once(runner, tmp_path, path) -> None:
    out = tmp_path / "g.mmd"
    draw(runner, path, out)
    lines = out.read_text().splitlines()
    assert lines[0] == lines[2] == "---"
    assert lines[1].startswith('title: "')
    assert lines[3] == "flowchart LR"
    for line in lines[4:]:
        assert MERMAID_LINE.match(line), line
    nodes = dict(re.findall(r'^  (n\d+)\["([^"<]*)', "\n".join(lines), re.M))
    names = {key: label.split(" [")[0] for key, label in nodes.items()}
    assert sorted(names.values()) == sorted(b.name for b in load_graph(path).blocks)
    edges = re.findall(r"^  (n\d+) (-->|-\.->)\S* (n\d+)$", "\n".join(lines), re.M)
    kinds = graph_edges(path)
    assert sorted((names[a], names[b]) for a, _, b in edges) == sorted(kinds)
    styled = {}
    for found in re.findall(r"^  linkStyle ([\d,]+) (.*)$", "\n".join(lines), re.M):
        for index in found[0].split(","):
            assert int(index) not in styled, "one linkStyle per link"
            styled[int(index)] = found[1]
    for index, (a, arrow, b) in enumerate(edges):
        kind = kinds[names[a], names[b]]
        assert (arrow == "-->") == (kind == "full")
        dashes = {"full": None, "diag": "6 4", "pattern": "2 3"}[kind]
        assert (dashes is None and index not in styled) or f"dasharray:{dashes}" in styled[index]


def test_mermaid_escapes_what_its_parser_reads() -> None:
    from graphcost.report.draw.text import _mermaid_text

    assert _mermaid_text('a"b<c>#') == "a#quot;b#lt;c#gt;#35;"


@pytest.mark.parametrize("path", DRAWN, ids=lambda p: p.stem)
def test_svg_names_every_vertex_and_edge_once(runner, tmp_path, path) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "g.svg"
    draw(runner, path, out)
    ids = [e.get("id") for e in ET.parse(out).iter() if e.get("id")]
    vertices = sorted(i.removeprefix("vertex ") for i in ids if i.startswith("vertex "))
    graph = load_graph(path)
    assert vertices == sorted(b.name for b in graph.blocks)
    names = [b.name for b in graph.blocks]
    edges = [i.split()[1:] for i in ids if i.startswith("edge ")]
    assert len(edges) == len(graph.edges)
    assert {(names[int(a)], names[int(b)]): kind for a, b, kind, _ in edges} == graph_edges(path)


def test_png_and_pdf(runner, tmp_path) -> None:
    pytest.importorskip("matplotlib")
    draw(runner, GRAPHS / "mlp-relu.yaml", tmp_path / "g.png")
    draw(runner, GRAPHS / "mlp-relu.yaml", tmp_path / "g.pdf")
    assert (tmp_path / "g.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert (tmp_path / "g.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("path", DRAWN[:3], ids=lambda p: p.stem)
def test_tikz_has_every_vertex_once_and_compiles(runner, tmp_path, path) -> None:
    out = tmp_path / "g.tex"
    draw(runner, path, out)
    text = out.read_text()
    vertices = re.findall(r"^\\node\[gc-[^]]*\] \((n\d+)\)", text, re.M)
    assert sorted(vertices) == sorted(f"n{k}" for k in range(len(load_graph(path).blocks)))
    edges = re.findall(r"^\\draw\[gc-(\w+), gc-plain\] \(\[yshift=\S+\](n\d+)\.east\)", text, re.M)
    assert sorted(kind for kind, _ in edges) == sorted(graph_edges(path).values())
    if not shutil.which("pdflatex") or not shutil.which("kpsewhich"):
        pytest.skip("pdflatex is not installed")
    found = subprocess.run(["kpsewhich", "tikz.sty"], capture_output=True, text=True).stdout
    if not found.strip():
        pytest.skip("TikZ is not installed")
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", out.name],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-2000:]
    assert (tmp_path / "g.pdf").read_bytes().startswith(b"%PDF")


def test_latex_text_escapes_specials() -> None:
    assert latex_text("a_b & 50% #1 {x} ~^ \\") == (
        r"a\_b \& 50\% \#1 \{x\} \textasciitilde{}\textasciicircum{} \textbackslash{}"
    )
    assert latex_text("α — ab->a") == r"$\alpha$ --- ab$\to$a"
    assert latex_text("☃") == "?"  # no LaTeX for it in pdflatex's text mode


def test_a_tikz_picture_of_greek_names_spells_them(runner, tmp_path) -> None:
    graph = tmp_path / "greek.yaml"
    graph.write_text("V: [x, α]\nD: [β]\nD': [y]\nE: [[x, β], [α, β], [β, y]]\n")
    out = tmp_path / "greek.tex"
    draw(runner, graph, out)
    text = out.read_text()
    assert text.isascii()
    assert r"{$\alpha$};" in text
    assert r"{$\beta$};" in text


def test_text_to_stdout_and_forced_format(runner, tmp_path) -> None:
    result = runner.invoke(cli, ["draw", str(GRAPHS / "small.yaml"), "-o", "-", "-f", "mmd"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith('---\ntitle: "small"\n---\nflowchart LR\n')
    out = tmp_path / "picture.txt"
    draw(runner, GRAPHS / "small.yaml", out, "--format", "dot")
    assert out.read_text().startswith("// graphcost draw: small\ndigraph")


def test_symbolic_sizes_are_drawn_as_written(runner) -> None:
    args = ["draw", str(GRAPHS / "exercise-4b-general.yaml"), "-o", "-", "-f", "dot"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert 'label="h1 [V1 = 20]"' in result.stdout


def test_nodes_draws_single_nodes(runner) -> None:
    args = ["draw", str(GRAPHS / "exercise-4b.yaml"), "--set", "n=3", "--nodes", "-o", "-"]
    result = runner.invoke(cli, [*args, "-f", "mmd"])
    assert result.exit_code == 0, result.output
    assert result.stdout.count('["') == 3 + 2 + 1 + 1
    assert len(re.findall(r" --> ", result.stdout)) == 3 * 2 + 2 * 1 + 1 * 1


# --- flip-books ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", STEP_GRAPHS[:4], ids=lambda p: p.stem)
@pytest.mark.parametrize("strategy", ["forward", "backward", "markowitz"])
def test_flipbook_titles_count_up_to_analyze(runner, tmp_path, path, strategy) -> None:
    folder = tmp_path / "frames"
    args = ["draw", str(path), "-s", strategy, "--steps", str(folder), "-f", "mmd"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    problem = elimination_problem(load_graph(path))
    frames = sorted(folder.iterdir())
    assert [f.name for f in frames] == [
        f"step-{i:02d}.mmd" for i in range(len(problem.intermediates) + 1)
    ]
    counts = [
        int(re.search(r"— ([\d,]+) multiplications?", f.read_text()).group(1).replace(",", ""))
        for f in frames
    ]
    assert counts[0] == 0
    assert counts == sorted(counts)
    assert counts[-1] == analyze_count(runner, path, strategy)
    assert f"{strategy}: {counts[-1]:,} multiplications" in result.stdout


def test_flipbook_frames_highlight_the_step(tmp_path) -> None:
    graph = load_graph(GRAPHS / "small.yaml")
    problem = elimination_problem(graph)
    frames = list(elimination_frames(graph_scene(graph), problem, ["a", "b"], "forward"))
    first = frames[1]  # after eliminating a: x1, x2 -> b and y are new or updated
    assert [v.name for v in first.vertices if v.eliminated] == ["a"]
    states = {(first.vertices[e.source].name, first.vertices[e.target].name): e.state
              for e in first.edges}  # fmt: skip
    assert states == {
        ("x1", "a"): "removed", ("x2", "a"): "removed", ("a", "b"): "removed",
        ("a", "y"): "removed", ("x1", "b"): "fill", ("x1", "y"): "fill",
        ("x2", "b"): "updated", ("x2", "y"): "fill", ("b", "y"): "plain",
    }  # fmt: skip
    assert all(e.via == ((2,) if e.state == "fill" else ()) for e in first.edges)
    last = frames[2]  # x1 -> y and x2 -> y still run through a's place; b's edges are gone
    assert "a" not in [v.name for v in last.vertices]
    assert {(e.source, e.target): e.via for e in last.edges if e.state != "removed"} == {
        (0, 4): (2,),
        (1, 4): (2,),
    }


def test_a_failed_flipbook_leaves_nothing_and_keeps_the_previous(tmp_path, monkeypatch) -> None:
    graph = load_graph(GRAPHS / "small.yaml")
    problem = elimination_problem(graph)
    fmt = output.FORMATS["mmd"]
    folder = tmp_path / "frames"
    write_frames(elimination_frames(graph_scene(graph), problem, ["a", "b"], "x"), 3, fmt, folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    calls = []

    def failing(scene, layout, fmt, stream):
        calls.append(scene)
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        stream.write("partial")

    monkeypatch.setattr("graphcost.report.draw.flipbook.render", failing)
    frames = elimination_frames(graph_scene(graph), problem, ["b", "a"], "y")
    with pytest.raises(RuntimeError):
        write_frames(frames, 3, fmt, folder)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frames"]


# --- layout -------------------------------------------------------------------------------


def test_layout_columns_are_depths_and_boxes_do_not_overlap() -> None:
    graph = load_graph(TENSOR / "RoeFlux_3d.yaml")
    scene = graph_scene(graph)
    layout = output.lay_out(scene, output.FORMATS["tex"])
    for a, b in graph_edges(TENSOR / "RoeFlux_3d.yaml"):
        ka, kb = graph.index[a], graph.index[b]
        assert layout.column[ka] < layout.column[kb]
    by_column: dict[int, list[tuple[float, float]]] = {}
    for key, (_, y) in layout.centres.items():
        h = layout.sizes[key][1]
        by_column.setdefault(layout.column[key], []).append((y - h / 2, y + h / 2))
    for spans in by_column.values():
        spans.sort()
        assert all(top >= bottom for (_, bottom), (top, _) in pairwise(spans))


def test_barycentre_ordering_removes_avoidable_crossings() -> None:
    # x1 -> b, x2 -> a in file order a, b: drawn in file order, the edges cross.
    boxes = dict.fromkeys(range(4), (1.0, 0.3))
    layout = layered_layout(boxes, [(0, 3), (1, 2)])
    assert crossings({0: 0, 1: 1}, {2: 0, 3: 1}, [(0, 3), (1, 2)]) == 1
    order_left = sorted((0, 1), key=lambda k: layout.centres[k][1])
    order_right = sorted((2, 3), key=lambda k: layout.centres[k][1])
    at_left = {k: i for i, k in enumerate(order_left)}
    at_right = {k: i for i, k in enumerate(order_right)}
    assert crossings(at_left, at_right, [(0, 3), (1, 2)]) == 0


# --- the README's pictures -----------------------------------------------------------------


def pictures_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Pictures\n")
    return text[start : text.index("\n## ", start + 1)]


def test_the_readme_mermaid_block_is_what_draw_prints(runner) -> None:
    block = re.search(r"```mermaid\n(.*?)```", pictures_section(), re.S).group(1)
    args = ["draw", str(GRAPHS / "mlp-relu.yaml"), "-o", "-", "-f", "mmd"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert block == result.stdout


@pytest.mark.parametrize(
    ("shipped", "args", "frame"),
    [
        ("seed-004-expression.svg", ["seed-004-expression.yaml", "-o", "{out}/picture.svg"], None),
        (
            "small-forward-step-01.svg",
            ["small.yaml", "-s", "forward", "--steps", "{out}/frames"],
            "frames/step-01.svg",
        ),
    ],
)
def test_the_shipped_pictures_are_what_draw_makes(runner, tmp_path, shipped, args, frame) -> None:
    pytest.importorskip("matplotlib")
    assert f"(docs/{shipped})" in pictures_section()
    args = [str(GRAPHS / args[0]), *(a.format(out=tmp_path) for a in args[1:])]
    result = runner.invoke(cli, ["draw", *args])
    assert result.exit_code == 0, result.output
    made = tmp_path / (frame or "picture.svg")
    assert made.read_bytes() == (ROOT / "docs" / shipped).read_bytes(), (
        f"regenerate docs/{shipped} with graphcost draw {' '.join(args)}"
    )
