"""``graphcost draw``: a picture of a graph, or a flip-book of its vertex elimination."""

from __future__ import annotations

from typing import Any

import click

from graphcost.cli.base import cli, parse_assignments, set_option
from graphcost.cli.sources import graph_from, graph_source
from graphcost.cli.strategies import search_budget_options
from graphcost.errors import UsageError

#: The picture formats (:data:`graphcost.report.draw.output.FORMATS`), spelled out so that
#: start-up does not import the drawing modules (tests/test_draw.py checks that they agree).
DRAW_FORMATS = ("svg", "png", "pdf", "dot", "mmd", "tex")
#: Most vertices a picture shows.
MAX_VERTICES = 2_000


@cli.command()
@graph_source
@set_option
@click.option(
    "--output",
    "-o",
    metavar="PATH",
    default=None,
    help="The picture; its suffix picks the format (.svg .png .pdf .dot .mmd .tex). "
    "'-' writes a text format to standard output.",
)
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(DRAW_FORMATS),
    default=None,
    help="The format, whatever the suffix (default: from the suffix of -o; svg for --steps).",
)
@click.option(
    "--nodes", is_flag=True, help="Draw (and eliminate) single nodes instead of whole blocks."
)
@click.option(
    "--strategy",
    "-s",
    "strategy",
    metavar="NAME",
    default=None,
    help="With --steps: the elimination order to show: forward, backward (= reverse), "
    "markowitz, chain, optimal, search, order:a,b,c or order:PATH (as analyze --strategy).",
)
@click.option(
    "--steps",
    "steps",
    metavar="DIR",
    default=None,
    help="Write one picture per elimination step of --strategy into DIR (step-00.svg is the "
    "graph before, step-NN after the NN-th elimination); DIR is replaced as a whole.",
)
@search_budget_options
def draw(
    file: str | None,
    layers: str | None,
    wrt: str | None,
    assignments: tuple[str, ...],
    output: str | None,
    fmt: str | None,
    nodes: bool,
    strategy: str | None,
    steps: str | None,
    seed: int,
    time_limit: float | None,
    iterations: int | None,
) -> None:
    """Draw the graph FILE: blocks as boxes in columns by depth, inputs left, outputs right.

    Boxes show each block's name and size or shape (h1 [2*n/3 = 20], W [n, m]) and, where the
    file defines it (g:), its function. Inputs, intermediates and outputs have their own
    colours; full edges are solid, diag edges dashed, other index patterns dotted and
    labelled with the pattern (ab->a). SVG, PNG and PDF need matplotlib
    (pip install '.[plot]'); DOT (Graphviz), Mermaid (GitHub renders ```mermaid blocks) and
    TikZ (a standalone LaTeX document for pdflatex) are text and need nothing.

    With --strategy and --steps DIR, a flip-book: one picture per vertex elimination, the
    eliminated vertex as a red ghost, new fill-in edges red, edges that received products
    orange, and the running multiplication count in the title; the last count is the one
    graphcost analyze --strategy reports.

    \b
    Examples:
      graphcost draw graphs/exercise-4b.yaml -o exercise-4b.svg
      graphcost draw graphs/mlp-relu.yaml -o mlp-relu.png
      graphcost draw graphs/seed-004-expression.yaml -o seed-004.tex
      graphcost draw graphs/small.yaml -o - --format mmd
      graphcost draw graphs/exercise-4b.yaml --set n=3 --nodes -o ex4b-nodes.dot
      graphcost draw graphs/small.yaml --strategy backward --steps small-backward
      graphcost draw graphs/mlp-relu.yaml -s markowitz --steps frames --format png
    """
    from graphcost.report.draw.flipbook import check_folder
    from graphcost.report.draw.output import choose_format

    if file is None and layers is None:
        graph_from(file, layers, wrt)  # says that a FILE (or --layers) is missing
    if steps is None and strategy is not None:
        raise UsageError(
            "--strategy draws a flip-book and needs --steps DIR", fix="add --steps DIR"
        )
    if steps is not None and strategy is None:
        raise UsageError(
            "--steps needs the order to show", fix="add --strategy backward (or another)"
        )
    if steps is None and output is None:
        raise UsageError(
            "give the picture's file with -o", fix="e.g. -o graph.svg (or .png .pdf .dot .mmd .tex)"
        )
    picture = choose_format(output, fmt) if output is not None else None
    frames = choose_format(None, fmt or "svg") if steps is not None else None
    if steps is not None:
        check_folder(steps)
    if strategy is not None:
        _check_one_strategy(strategy)
    graph = graph_from(file, layers, wrt)
    values = parse_assignments(assignments)
    if steps is not None:
        problem, result = _order(graph, values, nodes, strategy, seed, time_limit, iterations)
    elif nodes:
        from graphcost.eliminate.problem import elimination_problem

        problem = elimination_problem(graph, values, level="node")
    else:
        problem = None
    base = _base_scene(graph, values, problem)
    if picture is not None:
        from graphcost.report.draw.output import write_picture

        write_picture(base, picture, output)  # type: ignore[arg-type]
    if steps is not None:
        _write_flipbook(base, problem, result, frames, steps, quiet=output == "-")


def _check_one_strategy(strategy: str) -> None:
    if strategy.strip() in ("all", "") or ("," in strategy and not strategy.startswith("order:")):
        raise UsageError(
            f"draw --strategy takes one strategy, not {strategy!r}",
            fix="e.g. --strategy backward; draw one flip-book per strategy",
        )


def _order(
    graph: Any,
    values: dict[str, int],
    nodes: bool,
    strategy: str,
    seed: int,
    time_limit: float | None,
    iterations: int | None,
) -> tuple[Any, Any]:
    """The problem analyze --strategy eliminates, and the strategy's result on it."""
    from graphcost.eliminate.problem import elimination_problem
    from graphcost.eliminate.registry import StrategyOptions
    from graphcost.eliminate.strategies import run_strategy

    unset = sorted(graph.free_symbols - graph.symbols.keys() - values.keys())
    if unset:
        raise UsageError(
            f"--strategy needs numeric sizes, and symbol {unset[0]!r} has no value",
            fix=f"pass --set {unset[0]}=VALUE",
        )
    problem = elimination_problem(graph, values, level="node" if nodes else "auto")
    options = StrategyOptions(seed=seed, time_limit=time_limit, iterations=iterations)
    return problem, run_strategy(problem, strategy, options)


def _base_scene(graph: Any, values: dict[str, int], problem: Any) -> Any:
    from graphcost.report.draw.scene import graph_scene, problem_scene

    if problem is not None and problem.level == "node" and not graph.is_node_level:
        scene = problem_scene(problem, graph_scene(graph, values).title + ", single nodes")
    else:
        scene = graph_scene(graph, values)
    if len(scene.vertices) > MAX_VERTICES:
        raise UsageError(
            f"{graph.name!r} has {len(scene.vertices):,} vertices to draw "
            f"(at most {MAX_VERTICES:,} make a picture)",
            fix="draw whole blocks (drop --nodes), or choose smaller sizes with --set",
        )
    return scene


def _write_flipbook(
    base: Any, problem: Any, result: Any, fmt: Any, folder: str, *, quiet: bool
) -> None:
    from graphcost.report.draw.flipbook import MAX_FRAMES, elimination_frames, write_frames

    count = len(problem.intermediates) + 1
    if count > MAX_FRAMES:
        raise UsageError(
            f"the flip-book would have {count:,} pictures (at most {MAX_FRAMES:,})",
            fix="draw whole blocks (drop --nodes), or choose smaller sizes with --set",
        )
    frames = elimination_frames(base, problem, result.order, result.name)
    paths = write_frames(frames, count, fmt, folder)
    if not quiet:
        click.echo(
            f"{folder}: {len(paths)} pictures ({paths[0].name} … {paths[-1].name}); "
            f"{result.name}: {result.cost.multiplications:,} multiplication"
            f"{'' if result.cost.multiplications == 1 else 's'}"
        )
