"""``graphcost trace``: the primal trace with the reverse adjoint (or forward tangent) trace."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from graphcost.cli.base import (
    ALL_FORMATS,
    cli,
    output_options,
    parse_assignments,
    set_option,
    split_assignments,
)

if TYPE_CHECKING:
    from graphcost.count.recursions import CountResult
    from graphcost.numeric.model import NumericModel
    from graphcost.numeric.propagation import Propagation
    from graphcost.report.render import Report

#: Derivative columns shown in a table (JSON and CSV carry all of them).
MAX_COLUMNS = 8


def point_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--at``, ``--seed``, ``--params`` and ``--set`` (where a graph is evaluated)."""
    function = click.option(
        "--params",
        "params_file",
        type=click.Path(dir_okay=False),
        default=None,
        help="An .npz of parameters (W_<block>, b_<block>, constants); overrides params: file.",
    )(function)
    function = click.option(
        "--seed",
        # numpy's generators take non-negative seeds only: refused here, with the option named.
        type=click.IntRange(min=0),
        default=0,
        show_default=True,
        help="Seed (a non-negative integer) for parameters and inputs given nowhere else "
        "(W ~ randn(m, n)·√(2/n), b ~ 0.1·randn(m), inputs ~ randn).",
    )(function)
    function = click.option(
        "--at",
        "at",
        multiple=True,
        metavar="NAME=VALUE",
        help="Value of an input (repeatable; x=0.3,w=0.5 also works); overrides the file's at:. "
        "On a block input the value is used for every node.",
    )(function)
    function = click.option(
        "--wrt",
        "wrt",
        metavar="NAMES",
        default=None,
        help="Differentiate with respect to these inputs only (comma-separated; default: all). "
        "The others are constants; 'params' names the weight and bias inputs of the layer ops.",
    )(function)
    return set_option(function)


def parse_point(items: tuple[str, ...]) -> dict[str, float]:
    """Parse ``--at x=0.3,w=0.5`` into input values (numbers or safe constant expressions).

    Raises
    ------
    UsageError
    """
    from graphcost.errors import ExpressionError, UsageError
    from graphcost.graph.expr import parse_expression

    values: dict[str, float] = {}
    pairs = split_assignments(items, "--at", metavar="NAME=VALUE", example="x=0.3", valid=bool)
    for name, text in pairs:
        try:
            value = float(parse_expression(text, allow_floats=True).evaluate({}))
        except ExpressionError as error:
            raise UsageError(f"--at {name}: {error.message}", fix="give a number") from None
        except (OverflowError, ValueError, ZeroDivisionError):
            # 1e999 parses as inf, 10**400 overflows a float: no finite input value.
            value = math.inf
        if not math.isfinite(value):
            shown = text if len(text) <= 40 else f"{text[:40]}…"
            raise UsageError(
                f"--at {name}={shown} is not a finite number (beyond ±1.8e308)",
                fix="give a finite value, e.g. --at x=0.3",
            )
        values[name] = value
    return values


def prepare(
    file: str,
    assignments: tuple[str, ...],
    at: tuple[str, ...],
    seed: int,
    params_file: str | None,
    wrt: str | None = None,
) -> tuple[NumericModel, dict[int, Any], dict[str, str], CountResult, list[int] | None]:
    """Load FILE; build its numeric model, the point to evaluate it at (and where each input
    came from), the elimination counts the recursions must match, and the input blocks
    differentiated by (``None``: all; ``--wrt``, counted on the graph it differentiates)."""
    from graphcost.cli.sources import graph_from
    from graphcost.count.recursions import count
    from graphcost.graph.wrt import wrt_of
    from graphcost.numeric.build import build_model, input_values

    differentiated = graph_from(file, None, wrt)
    record = wrt_of(differentiated)
    graph = differentiated if record is None else record.primal
    values = parse_assignments(assignments)
    model = build_model(graph, values=values, seed=seed, params_file=params_file)
    point, sources = input_values(model, parse_point(at), seed=seed)
    independent = None if record is None else [graph.index[n] for n in record.independent]
    return model, point, sources, count(differentiated, values=values), independent


@cli.command()
@click.argument("file", metavar="FILE")
@click.option(
    "--mode",
    type=click.Choice(["reverse", "forward"]),
    default="reverse",
    show_default=True,
    help="reverse: adjoints ∂y/∂v (backward recursion); forward: tangents ∂v/∂x "
    "for every input x (forward recursion).",
)
@point_options
@click.option(
    "--limit",
    default=100,
    show_default=True,
    type=click.IntRange(min=0),
    help="Rows in the table (0: all).",
)
@output_options(*ALL_FORMATS)
def trace(
    file: str,
    mode: str,
    at: tuple[str, ...],
    seed: int,
    params_file: str | None,
    wrt: str | None,
    assignments: tuple[str, ...],
    limit: int,
    fmt: str,
    output: str | None,
) -> None:
    """Evaluate the node functions g of FILE and print the trace as a person writes it down.

    One row per node in evaluation order: its definition, its value (the forward primal
    trace), and in reverse mode its adjoint v̄ = ∂y/∂v for every output y (the reverse
    adjoint trace, computed by the backward recursion), in forward mode its tangents ∂v/∂x
    for every input x (forward recursion). Inputs come from --at, the file's at:, or --seed.
    On a node-level graph a last column gives each node's rule with the local partials
    written out: v̄ = Σ w̄·∂g_w/∂v over the successors w (an output: 1), or in forward mode
    v̇ = Σ ∂g_v/∂u·u̇ over the parents u (an input: 1). At a kink of max, min, abs or relu
    the notes name it and give the one-sided derivatives (the subgradient interval where the
    kink is convex); in reverse mode on a node-level graph a column shows them per node.

    \b
    Examples:
      graphcost trace graphs/seed-004-expression.yaml
      graphcost trace graphs/seed-004-expression.yaml --at x=0.3,w=0.5,b=0.1 --mode forward
      graphcost trace graphs/seed-004-expression.yaml --format markdown
      graphcost trace graphs/seed-002-network.yaml --seed 1 --format json
      graphcost trace graphs/exercise-4c-theta.yaml --wrt params
      graphcost trace graphs/seed-004-hinge.yaml
    """
    from graphcost.numeric.propagation import backward, forward
    from graphcost.report.render import emit

    model, point, sources, counted, independent = prepare(
        file, assignments, at, seed, params_file, wrt
    )
    result = (backward if mode == "reverse" else forward)(model, point, wrt=independent)
    expected = (counted.backward if mode == "reverse" else counted.forward).multiplications
    report = trace_report(model, result, sources, expected, limit)
    add_kinks(report, model, result, independent)
    emit(report, fmt, output)


def add_kinks(
    report: Report, model: NumericModel, result: Propagation, independent: list[int] | None
) -> None:
    """At a kink of max, min, abs or relu: say so under the table, give the one-sided
    derivatives (reverse mode, node level: a column ``left | right`` for the first output)."""
    from graphcost.cli.check_reports import kink_data, kink_notes, one_sided_cell
    from graphcost.numeric.kinks import find_kinks, one_sided

    kinks = find_kinks(model, result.values)
    if not kinks:
        return
    found = one_sided(model, result.values, kinks)
    chosen = [model.graph.blocks[b].name for b in (independent or model.inputs)]
    reverse = result.mode == "backward"
    report.notes += kink_notes(kinks, found, None if reverse else chosen)
    report.data.update(kink_data(kinks, found))
    if found is None or not reverse:
        return
    first = model.graph.blocks[model.outputs[0]].name
    header = f"∂{first}/∂v one-sided (left | right)"
    position = len(report.columns) - 1 if report.columns[-1] == "adjoint rule" else None
    for row, record in zip(report.rows, report.records, strict=False):
        cell = one_sided_cell(found, first, record["node"])
        record[header] = cell
        row.insert(len(row) if position is None else position, cell)
    for record in report.records[len(report.rows) :]:
        record[header] = one_sided_cell(found, first, record["node"])
    report.columns.insert(len(report.columns) if position is None else position, header)


def number(value: float) -> str:
    """A value as a table shows it: 6 significant digits, no ``-0``."""
    return "0" if value == 0 else f"{value:.6g}"


def layout_notes(
    model: NumericModel, independent: list[int] | None = None, *, json_hint: bool = True
) -> list[str]:
    """What is differentiated by, and where a matrix input's derivatives are: row-major
    nodes, so ∂f/∂W has W's shape."""
    notes = []
    if independent is not None and independent != model.inputs:
        names = model.graph.blocks
        constants = [names[b].name for b in model.inputs if b not in independent]
        notes.append(
            f"with respect to {', '.join(names[b].name for b in independent)} "
            f"(constants: {', '.join(constants)})"
        )
    chosen = model.inputs if independent is None else independent
    matrices = [b for b in chosen if model.shapes and len(model.shapes[b]) > 1]
    if not matrices:
        return notes
    shown = ", ".join(f"{model.graph.blocks[b].name} {list(model.shapes[b])}" for b in matrices[:6])
    return [
        *notes,
        f"matrix inputs ({shown}): nodes in row-major order W[i][j], so ∂f/∂W has W's shape, "
        "entry [i][j] = ∂f/∂W[i][j]"
        + (" (JSON: gradients, per output node and input block)" if json_hint else ""),
    ]


def gradients(
    model: NumericModel, jacobian: Any, independent: list[int]
) -> dict[str, dict[str, Any]]:
    """∂y/∂u for every output node y and input block u, as nested lists of u's shape."""
    result: dict[str, dict[str, Any]] = {}
    for row, output in zip(jacobian, model.node_names(model.outputs), strict=True):
        start, per_input = 0, {}
        for block in independent:
            size = model.sizes[block]
            shape = model.shapes[block] if model.shapes else (size,)
            per_input[model.graph.blocks[block].name] = (
                row[start : start + size].reshape(shape).tolist()
            )
            start += size
        result[output] = per_input
    return result


def trace_report(
    model: NumericModel,
    result: Propagation,
    sources: dict[str, str],
    counted: int,
    limit: int,
) -> Report:
    """The :class:`~graphcost.report.render.Report` of a numeric trace."""
    from graphcost.numeric.rules import chain_rules
    from graphcost.report.render import Report, format_int

    graph = model.graph
    reverse = result.mode == "backward"
    # Node level only: on a block graph a node's rule would be a row of a Jacobian product.
    rules = chain_rules(model, result.mode)
    rule_column = "adjoint rule" if reverse else "tangent rule"
    independent = result.independent or model.inputs
    seeds = model.outputs if reverse else independent
    seed_names = model.node_names(seeds)
    headers = [f"∂{s}/∂v" if reverse else f"∂v/∂{s}" for s in seed_names]
    shown = headers[:MAX_COLUMNS]
    rows: list[list[Any]] = []
    records: list[dict[str, Any]] = []
    nodes: list[dict[str, Any]] = []
    for block in graph.order.tolist():
        definition = model.definitions.get(block)
        text = definition.text if definition is not None else "input"
        for i, name in enumerate(model.node_names([block])):
            value = float(result.values[block][i])
            derivatives = [float(d) for d in result.deltas[block][i]]
            record = {"node": name, "definition": text, "value": value}
            record.update(zip(headers, derivatives, strict=True))
            node = {
                "node": name,
                "block": graph.blocks[block].name,
                "definition": text,
                "value": value,
                ("adjoint" if reverse else "tangent"): dict(
                    zip(seed_names, derivatives, strict=True)
                ),
            }
            row = [name, text, number(value), *(number(d) for d in derivatives[:MAX_COLUMNS])]
            if rules is not None:
                record[rule_column] = node["rule"] = rules[block]
                row.append(rules[block])
            records.append(record)
            nodes.append(node)
            if limit == 0 or len(rows) < limit:
                rows.append(row)
    point = ", ".join(
        f"{graph.blocks[b].name} = {number(float(model_value[0]))}"
        for b, model_value in ((b, result.values[b]) for b in model.inputs)
        if model.sizes[b] == 1
    )
    kind = "reverse adjoint trace" if reverse else "forward tangent trace"
    title = f"{graph.name} — primal and {kind}" + (f" at {point}" if point else "")
    recursion = "backward" if reverse else "forward"
    notes = [
        f"{format_int(result.multiplications)} multiplications performed by the {recursion} "
        f"recursion (elimination count: {format_int(counted)})",
    ]
    if reverse:
        order = [graph.blocks[b].name for b in graph.order.tolist()[::-1]]
        notes.append("adjoints computed from the outputs back: " + ", ".join(order[:12]))
    drawn = sorted(name for name, source in sources.items() if source.startswith("seed"))
    if drawn:
        notes.append(f"inputs drawn from randn (--seed): {', '.join(drawn)}")
    seeded = sorted(
        name for name, source in model.param_sources.items() if source.startswith("seed")
    )
    if seeded:
        notes.append(
            "parameters drawn from randn·√(2/fan-in), biases 0.1·randn (--seed): "
            + ", ".join(seeded)
        )
    notes += layout_notes(model, independent)
    if len(records) > len(rows):
        notes.append(f"{len(records) - len(rows):,} more rows (--limit 0 shows all)")
    if len(headers) > len(shown):
        notes.append(f"{len(headers) - len(shown)} more derivative columns in json/csv output")
    data = {
        "graph": graph.name,
        "path": graph.path,
        "mode": "reverse" if reverse else "forward",
        "multiplications": result.multiplications,
        "elimination_count": counted,
        "inputs": model.node_names(independent),
        "outputs": model.node_names(model.outputs),
        "nodes": nodes,
        "jacobian": result.jacobian.tolist(),
        "gradients": gradients(model, result.jacobian, independent),
    }
    return Report(
        title=title,
        columns=["node", "definition", "value", *shown, *([rule_column] if rules else [])],
        rows=rows,
        records=records,
        data=data,
        notes=notes,
    )
