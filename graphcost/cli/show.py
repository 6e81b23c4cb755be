"""``graphcost show``: a graph expanded to single nodes, for inspection or export."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from graphcost.cli.base import cli, load, output_options, parse_assignments, set_option

if TYPE_CHECKING:
    from graphcost.jacobian.structure import NodeGraph
    from graphcost.report.render import Report


@cli.command()
@click.argument("file", metavar="FILE")
@set_option
@click.option(
    "--limit",
    default=50,
    show_default=True,
    type=click.IntRange(min=0),
    help="Edges listed in the table (0: all).",
)
@output_options(
    "table",
    "yaml",
    "edges",
    "json",
    "csv",
    "markdown",
    "latex",
    help="table (also json, csv, markdown, latex): blocks and node-level edges; yaml: a "
    "node-level graph file that graphcost loads back; edges: from,to lines (for "
    "E: {file: ...}).",
)
def show(file: str, assignments: tuple[str, ...], fmt: str, output: str | None, limit: int) -> None:
    """Expand the block graph FILE to single nodes and print or export it.

    A block of size k becomes the nodes block[0] ... block[k-1]; full edges connect every
    pair, diag edges node i to node i. Refuses at once when the expansion is too large.

    \b
    Examples:
      graphcost show graphs/exercise-4b.yaml --set n=3
      graphcost show graphs/exercise-4b.yaml --set n=12 --format yaml -o ex4b-nodes.yaml
      graphcost show graphs/exercise-4b.yaml --set n=12 --format edges -o edges.csv
      graphcost show graphs/exercise-4b.yaml --set n=3 --format markdown
    """
    from graphcost.jacobian.structure import expand
    from graphcost.report.writers import write_atomic

    graph = load(file)
    values = parse_assignments(assignments)
    nodes = expand(graph, graph.sizes(values), graph.shapes(values))
    if fmt in EXPORTS:
        text = EXPORTS[fmt](nodes, limit)
        if output:
            write_atomic(output, text)
        else:
            click.echo(text, nl=False)
        return
    from graphcost.report.render import emit

    emit(_report(nodes, limit), fmt, output)


def _report(nodes: NodeGraph, limit: int) -> Report:
    """The blocks as a table (edges in the notes); JSON has every node-level edge."""
    from graphcost.report.render import Report

    graph = nodes.graph
    rows = [
        [block.name, block.role, block.shape_text, f"{size:,}"]
        for block, size in zip(graph.blocks, nodes.sizes, strict=True)
    ]
    names = nodes.names()
    shown = len(nodes.src) if limit == 0 else min(limit, len(nodes.src))
    edge_lines = [
        f"  {names[a]} -> {names[b]}"
        for a, b in zip(nodes.src[:shown], nodes.dst[:shown], strict=True)
    ]
    more = len(nodes.src) - shown
    patterns = [
        f"  {graph.blocks[a].name} -> {graph.blocks[b].name}: {pattern}"
        for a, b, pattern, given in zip(
            graph.edges.src.tolist(),
            graph.edges.dst.tolist(),
            graph.edge_patterns,
            graph.edges.pattern or (None,) * len(graph.edges),
            strict=True,
        )
        if given is not None
    ]
    notes = [
        *(["index patterns:", *patterns] if patterns else []),
        f"{nodes.node_count:,} nodes, {len(nodes.src):,} edges",
        "edges:",
        *edge_lines,
        *([f"  ... and {more:,} more (--limit 0 lists all)"] if more else []),
    ]
    columns = ["block", "role", "size", "nodes"]
    records = [
        {"block": block.name, "role": block.role, "size": block.shape_text, "nodes": size}
        for block, size in zip(graph.blocks, nodes.sizes, strict=True)
    ]
    data = {
        "graph": graph.name,
        "path": graph.path,
        "blocks": records,
        "nodes": nodes.node_count,
        "edges": [
            [names[a], names[b]]
            for a, b in zip(nodes.src.tolist(), nodes.dst.tolist(), strict=True)
        ],
    }
    return Report(graph.name, columns, rows, records, data, notes)


def _yaml(nodes: NodeGraph, limit: int) -> str:
    import yaml

    from graphcost.graph.model import ROLES

    names = nodes.names()
    data = {"name": f"{nodes.graph.name}-nodes"}
    for code, key in enumerate(ROLES):
        data[key] = [names[i] for i in (nodes.role == code).nonzero()[0].tolist()]
    data["E"] = [
        [names[a], names[b]] for a, b in zip(nodes.src.tolist(), nodes.dst.tolist(), strict=True)
    ]
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=100)


def _edges(nodes: NodeGraph, limit: int) -> str:
    names = nodes.names()
    lines = [
        f"{names[a]},{names[b]}"
        for a, b in zip(nodes.src.tolist(), nodes.dst.tolist(), strict=True)
    ]
    return "from,to\n" + "\n".join(lines) + "\n"


#: The formats that export the graph itself rather than a report of it.
EXPORTS = {"yaml": _yaml, "edges": _edges}
