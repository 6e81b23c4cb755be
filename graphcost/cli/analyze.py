"""``graphcost analyze``: forward and backward recursion counts and the speed-up."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from graphcost.cli.base import cli, load, output_options, parse_assignments, set_option

if TYPE_CHECKING:
    from graphcost.counting import CountResult
    from graphcost.model import Graph
    from graphcost.report import Report


@cli.command()
@click.argument("file", metavar="FILE")
@set_option
@click.option(
    "--convention",
    "-c",
    default="elimination",
    show_default=True,
    help="Counting convention: elimination (vertex elimination, Griewank & Naumann) or dense "
    "(identity seed matrix).",
)
@click.option(
    "--nodes",
    is_flag=True,
    help="Count on the graph expanded to single nodes instead of in closed form per block.",
)
@output_options("table", "json", "csv")
def analyze(
    file: str,
    assignments: tuple[str, ...],
    convention: str,
    nodes: bool,
    fmt: str,
    output: str | None,
) -> None:
    """Count the multiplications and additions of forward and backward recursion on FILE.

    Prints, per schedule, the scalar multiplications and additions needed to obtain
    Δ_uv = ∂α_v/∂α_u for every input u and output v, and the speed-up factor
    forward/backward. Block graphs are counted in closed form, exact for any sizes.

    \b
    Examples:
      graphcost analyze graphs/exercise-4b.yaml
      graphcost analyze graphs/exercise-4b.yaml --set n=3*10**9
      graphcost analyze graphs/exercise-4b.yaml --convention dense --format json
      graphcost analyze graphs/small.yaml --format csv --output small.csv
      graphcost analyze graphs/exercise-4b.yaml --set n=120 --nodes
    """
    from graphcost.counting import count
    from graphcost.report import emit

    graph = load(file)
    result = count(
        graph,
        convention=convention,
        values=parse_assignments(assignments),
        level="node" if nodes else "auto",
    )
    emit(analysis_report(result, graph), fmt, output)


def analysis_report(result: CountResult, graph: Graph) -> Report:
    """The :class:`~graphcost.report.Report` of a :class:`~graphcost.counting.CountResult`."""
    from graphcost.report import Report, format_int, format_ratio

    values = ", ".join(f"{k} = {v:,}" for k, v in result.values.items())
    title = f"{result.graph} — {result.convention} convention" + (f" ({values})" if values else "")
    rows = [
        [
            "forward",
            format_int(result.forward.multiplications),
            format_int(result.forward.additions),
        ],
        [
            "backward",
            format_int(result.backward.multiplications),
            format_int(result.backward.additions),
        ],
    ]
    speedup = result.speedup
    data = result.to_dict()
    data["path"] = graph.path
    return Report(
        title=title,
        columns=["schedule", "multiplications", "additions"],
        rows=rows,
        records=[result_record(result)],
        data=data,
        notes=[
            f"speed-up (forward / backward multiplications): {format_ratio(speedup)}",
            f"counted at {result.level} level",
        ],
    )


def result_record(result: CountResult) -> dict[str, Any]:
    """One flat CSV row: symbol columns, then the stable count columns."""
    speedup = result.speedup
    return {
        **result.values,
        "forward_multiplications": result.forward.multiplications,
        "forward_additions": result.forward.additions,
        "backward_multiplications": result.backward.multiplications,
        "backward_additions": result.backward.additions,
        "speedup": "" if speedup is None else repr(float(speedup)),
    }
