"""``graphcost jacobians``: the chain of Jacobian factors of a layered graph."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from graphcost.cli.base import (
    ALL_FORMATS,
    cli,
    output_options,
    parse_assignments,
    set_option,
)

if TYPE_CHECKING:
    from graphcost.count.chain import Factor
    from graphcost.graph.model import Graph
    from graphcost.report.render import Report


@cli.command()
@click.argument("file", metavar="FILE")
@click.option(
    "--wrt",
    "wrt",
    metavar="NAMES",
    default=None,
    help="Differentiate with respect to these inputs only (comma-separated; default: all), as "
    "analyze --wrt: the factors and counts of the graph it differentiates. 'params' names the "
    "weight and bias inputs of the layer ops.",
)
@set_option
@output_options(*ALL_FORMATS)
def jacobians(
    file: str, wrt: str | None, assignments: tuple[str, ...], fmt: str, output: str | None
) -> None:
    """List the Jacobian factors of the layered graph FILE in order, with their shapes.

    As in seed 003 (problem 7.3), the factor ∂b/∂a has shape size(a) × size(b), so the chain
    from the input x to the output y multiplies left to right: ∂y/∂x = ∂b1/∂x · ∂b2/∂b1 ⋯.
    Diag factors (elementwise ops) are diagonal. For each factor the table shows the product
    the forward recursion forms with it (∂b/∂x, from the left) and the one the backward
    recursion forms (∂y/∂a, from the right), with the multiplications of the elimination
    convention; the columns add up to graphcost analyze's counts.

    \b
    Examples:
      graphcost jacobians graphs/mlp-relu.yaml
      graphcost jacobians graphs/seed-002-network.yaml --format markdown
      graphcost jacobians graphs/exercise-4b.yaml --set n=300
      graphcost jacobians graphs/mlp-weights-small.yaml --wrt W_y,b_y
    """
    from graphcost.cli.sources import graph_from
    from graphcost.count.chain import jacobian_chain
    from graphcost.graph.wrt import wrt_of
    from graphcost.report.render import emit

    differentiated = graph_from(file, None, wrt)
    record = wrt_of(differentiated)
    graph = differentiated if record is None else record.primal
    values = parse_assignments(assignments)
    factors = jacobian_chain(graph, values, counted_on=differentiated)
    emit(chain_report(graph, factors, values, record), fmt, output)


def chain_report(
    graph: Graph, factors: list[Factor], values: dict[str, int], record: Any = None
) -> Report:
    """The :class:`~graphcost.report.render.Report` of a Jacobian chain (``record``: the
    :class:`~graphcost.graph.wrt.WithRespectTo` of ``--wrt``, or None)."""
    from graphcost.report.render import Report, format_int

    rows: list[list[Any]] = []
    records: list[dict[str, Any]] = []
    for i, f in enumerate(factors, start=1):
        shape = f"{f.rows}×{f.columns}"
        size = f"{f.rows_value:,}×{f.columns_value:,}"
        if shape != size:
            shape = f"{shape} = {size}"
        kind = f.pattern or ("diagonal" if f.diag else "dense")
        forward = format_int(f.forward_multiplications) if f.forward_multiplications else "copy"
        backward = format_int(f.backward_multiplications) if f.backward_multiplications else "copy"
        if f.constant:
            forward = backward = "constant"
        rows.append(
            [
                str(i),
                f"∂{f.numerator}/∂{f.denominator}",
                shape,
                kind,
                f.forward_forms,
                forward,
                f.backward_forms,
                backward,
            ]
        )
        records.append(
            {
                "position": i,
                "factor": f"d{f.numerator}/d{f.denominator}",
                "rows": f.rows,
                "columns": f.columns,
                "rows_value": f.rows_value,
                "columns_value": f.columns_value,
                "kind": kind,
                "forward_forms": f.forward_forms,
                "forward_multiplications": f.forward_multiplications,
                "backward_forms": f.backward_forms,
                "backward_multiplications": f.backward_multiplications,
                "weight": f.weight,
                "constant": f.constant,
            }
        )
    total_forward = sum(f.forward_multiplications for f in factors)
    total_backward = sum(f.backward_multiplications for f in factors)
    first, last = factors[0].denominator, factors[-1].numerator
    chain = " · ".join(f"∂{f.numerator}/∂{f.denominator}" for f in factors if not f.weight)
    shown = ", ".join(f"{k} = {v:,}" for k, v in graph.symbol_values(values).items())
    notes = []
    weights = [f for f in factors if f.weight]
    if weights:
        inputs = ", ".join(
            [first, *(f.denominator for f in weights)] if record is None else record.independent
        )
        chain = f"∂{last}/∂({inputs}), with ∂{last}/∂{first} = {chain}"
        notes.append(
            "a weight input W [n, m] enters its layer h beside the chain: ∂"
            f"{last}/∂W = ∂h/∂W · ∂{last}/∂h, where ∂h/∂W (|W| × |h|, pattern ik->i) holds "
            "∂h_i/∂W_ik = x_k, n·m non-zeros; its rows are W's nodes in row-major order W[i][j] "
            "(a bias: ∂h_i/∂b_i = 1, diagonal)"
        )
    else:
        chain = f"∂{last}/∂{first} = {chain}"
    if record is not None:
        notes.append(
            f"with respect to {', '.join(record.independent)} only (--wrt): the other inputs are "
            "constants, and a factor no chosen input reaches is not used (constant)"
        )
    return Report(
        title=f"{graph.name} — {chain}" + (f" ({shown})" if shown else ""),
        columns=[
            "#",
            "factor",
            "shape",
            "kind",
            "forward forms",
            "mults",
            "backward forms",
            "mults",
        ],
        rows=rows,
        records=records,
        data={"graph": graph.name, "symbols": graph.symbol_values(values), "factors": records},
        notes=[
            *notes,
            "shape of ∂b/∂a: size(a) × size(b) (rows: the entries of a); forward recursion "
            "multiplies from the left, backward from the right; a product with the unit seed is "
            "a copy",
            f"multiplications: forward {format_int(total_forward)}, "
            f"backward {format_int(total_backward)}",
        ],
    )
