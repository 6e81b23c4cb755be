"""``graphcost hessian``: the Hessian of a scalar output, its convexity, and its closed form."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from graphcost.cli.base import ALL_FORMATS, cli, output_options, split_assignments
from graphcost.cli.trace import point_options, prepare

if TYPE_CHECKING:
    from graphcost.numeric.hessian import OutputNode
    from graphcost.numeric.model import NumericModel
    from graphcost.numeric.second_convexity import Axis


@cli.command()
@click.argument("file", metavar="FILE")
@point_options
@click.option(
    "--output-node",
    "output_node",
    metavar="NAME",
    default=None,
    help="The scalar output differentiated (a node name such as f[0], or a one-node output "
    "block); needed when the graph has more than one output node.",
)
@click.option(
    "--check/--no-check",
    default=True,
    show_default=True,
    help="Compare the Hessian with central differences of the gradient, with its transpose "
    "and, on graphs of at most 50 nodes, with sympy's exact Hessian; exit 1 on FAIL.",
)
@click.option(
    "--tolerance",
    type=float,
    default=1e-6,
    show_default=True,
    help="Largest relative error admitted against the differences of the gradient, beyond "
    "their own error estimate |D(2h) − D(h)|, relative to the largest entry of the Hessian.",
)
@click.option(
    "--step",
    type=float,
    default=1e-5,
    show_default=True,
    help="Central-difference step h of the check, relative to max(1, |x|); in [1e-12, 0.1].",
)
@click.option(
    "--psd-tolerance",
    type=float,
    default=1e-9,
    show_default=True,
    help="An eigenvalue λ ≥ −tolerance·max|λ| counts as non-negative (rounding).",
)
@click.option(
    "--points",
    type=click.IntRange(min=1, max=10_000),
    default=None,
    help="Convexity over N random points: the --wrt inputs drawn radius·randn from --seed, "
    "the other inputs as at the point.",
)
@click.option(
    "--grid",
    multiple=True,
    metavar="NAME=A:B:COUNT",
    help="Convexity over a grid: COUNT values from A to B for the input node NAME (or every "
    "node of a block); repeatable, the grid is the product (at most 10,000 points).",
)
@click.option(
    "--radius",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Scale of the random points of --points.",
)
@click.option(
    "--expect-convex",
    is_flag=True,
    help="Exit 1 when the Hessian is not positive semidefinite (at the point or at some point "
    "of --points/--grid).",
)
@click.option(
    "--symbolic",
    is_flag=True,
    help="Print the output, its gradient and Hessian as simplified expressions in the inputs "
    "(sympy; graphs of at most 50 nodes).",
)
@click.option("--latex", is_flag=True, help="With --symbolic: the expressions as LaTeX source.")
@output_options(*ALL_FORMATS)
def hessian(
    file: str,
    at: tuple[str, ...],
    seed: int,
    params_file: str | None,
    wrt: str | None,
    assignments: tuple[str, ...],
    output_node: str | None,
    check: bool,
    tolerance: float,
    step: float,
    psd_tolerance: float,
    points: int | None,
    grid: tuple[str, ...],
    radius: float,
    expect_convex: bool,
    symbolic: bool,
    latex: bool,
    fmt: str,
    output: str | None,
) -> None:
    """The Hessian ∂²y/∂x² of a scalar output y of FILE's node functions g, and convexity.

    The second partials of every node function come from sympy (exact, compiled for numpy);
    the Hessian is propagated by forward-over-reverse: the backward (adjoint) recursion
    differentiated along the forward tangents of every chosen input at once, i.e. one
    Hessian-vector product H·e_k per input direction in a single reverse sweep. Rows and
    columns are the input nodes (x, W_h[0][1], ...); --wrt chooses them (default: all inputs;
    'params' names the weight and bias inputs). The table gives the gradient beside H; the
    notes give the eigenvalues and the verdict "positive semidefinite" or a direction z with
    zᵀHz < 0 (the eigenvector of the smallest eigenvalue), then the checks (--check).

    --points N or --grid NAME=A:B:COUNT: the verdict at every point and "convex on these
    points" or the first point where the Hessian is not positive semidefinite. --symbolic:
    the closed forms instead (with --latex as LaTeX source).

    Exit code 0 when the Hessian and verdict are computed (convex or not); 1 when a check
    fails, or with --expect-convex when the Hessian is not positive semidefinite somewhere.

    \b
    Examples:
      graphcost hessian graphs/seed-002-logistic.yaml --wrt beta
      graphcost hessian graphs/exercise-4c-phi.yaml --wrt params
      graphcost hessian graphs/exercise-4c-phi.yaml --wrt params --points 200 --radius 2
      graphcost hessian graphs/seed-004-expression.yaml --grid x=-1:1:5 --grid w=0.5:2:4
      graphcost hessian graphs/seed-004-expression.yaml --symbolic --latex
      graphcost hessian graphs/seed-002-network.yaml --output-node 'f[0]' --format json
    """
    from graphcost.errors import CheckFailed, UsageError
    from graphcost.report.render import emit

    if not 0 < tolerance < 1 or not 0 < psd_tolerance < 1:
        raise UsageError(
            "--tolerance and --psd-tolerance are relative errors between 0 and 1 (exclusive)",
            fix="e.g. --tolerance 1e-6 --psd-tolerance 1e-9 (the defaults)",
        )
    if not 1e-12 <= step <= 0.1:
        raise UsageError(
            f"--step {step:g} is outside [1e-12, 0.1]", fix="e.g. --step 1e-5 (the default)"
        )
    if latex and not symbolic:
        raise UsageError("--latex goes with --symbolic", fix="add --symbolic")
    if symbolic and (points or grid):
        raise UsageError(
            "--symbolic prints closed forms, not a survey of points",
            fix="drop --points/--grid, or --symbolic",
        )
    if points and grid:
        raise UsageError("give --points or --grid, not both", fix="e.g. --points 100")
    model, point, sources, _, independent = prepare(file, assignments, at, seed, params_file, wrt)
    chosen = list(model.inputs) if independent is None else independent
    node = choose_output(model, output_node)
    from graphcost.cli import hessian_reports as reports

    if symbolic:
        from graphcost.numeric.second_symbolic import closed_form

        form = closed_form(model, node.block, node.index, chosen)
        emit(reports.symbolic_report(model, node, form, chosen, latex=latex), fmt, output)
        return
    if points or grid:
        report, failed_at = survey_points(
            model, point, node, chosen, points, grid, seed, radius, psd_tolerance
        )
        emit(report, fmt, output)
        if expect_convex and failed_at is not None:
            raise CheckFailed(
                f"--expect-convex: the Hessian is not positive semidefinite at point {failed_at}",
                fix="see the table",
            )
        return
    from graphcost.numeric.hessian import hessian as compute
    from graphcost.numeric.second_checks import check_hessian
    from graphcost.numeric.second_convexity import convexity

    result = compute(model, point, node, wrt=chosen)
    verdict = convexity(result.matrix, psd_tolerance)
    comparisons = (
        check_hessian(model, point, result, node, chosen, tolerance=tolerance, step=step)
        if check
        else []
    )
    report = reports.hessian_report(model, node, result, verdict, comparisons, sources, chosen)
    emit(report, fmt, output)
    failed = [c.name for c in comparisons if not c.passed]
    if failed:
        raise CheckFailed(
            f"Hessian check of {file} failed: {', '.join(failed)}",
            fix="see the notes; a point away from kinks, or another --step, may help",
        )
    if expect_convex and not verdict.psd:
        raise CheckFailed(
            f"--expect-convex: the Hessian of {node.name} is not positive semidefinite here "
            f"(smallest eigenvalue {verdict.curvature:.6g})",
            fix="see the direction z in the notes",
        )


def choose_output(model: NumericModel, name: str | None) -> OutputNode:
    """The output node named ``name`` (a node, or a block of one node), or the only one.

    Raises
    ------
    UsageError
        When ``name`` is no output node, or is missing while there are several, listing them.
    """
    from graphcost.errors import UsageError
    from graphcost.numeric.hessian import output_nodes

    nodes = output_nodes(model)
    names = [n.name for n in nodes]
    shown = ", ".join(names[:12]) + (f", … ({len(names)} in all)" if len(names) > 12 else "")
    if name is None:
        if len(nodes) == 1:
            return nodes[0]
        raise UsageError(
            f"the Hessian is of one scalar output, and {model.graph.name!r} has "
            f"{len(nodes)} output nodes",
            fix=f"choose one with --output-node NAME: {shown}",
        )
    for node in nodes:
        if name == node.name or (name == model.graph.blocks[node.block].name and len(nodes) == 1):
            return node
    blocks = {model.graph.blocks[n.block].name: n for n in nodes}
    if name in blocks and model.sizes[blocks[name].block] == 1:
        return blocks[name]
    raise UsageError(f"--output-node {name!r} is not an output node", fix=f"choose one of: {shown}")


def parse_grid(model: NumericModel, items: tuple[str, ...], wrt: list[int]) -> list[Axis]:
    """``NAME=A:B:COUNT`` for an input node or block into grid axes.

    Raises
    ------
    UsageError
    """
    import numpy as np

    from graphcost.errors import UsageError
    from graphcost.numeric.second_convexity import Axis

    nodes = {}
    for block in model.inputs:
        for index, name in enumerate(model.node_names([block])):
            nodes[name] = ((block, index),)
        nodes.setdefault(
            model.graph.blocks[block].name, tuple((block, i) for i in range(model.sizes[block]))
        )
    axes = []
    pairs = split_assignments(
        items, "--grid", metavar="NAME=A:B:COUNT", example="x=-1:1:5", valid=bool
    )
    for name, text in pairs:
        if name not in nodes:
            raise UsageError(
                f"--grid {name}: not an input node or block",
                fix=f"the inputs are: {', '.join(model.node_names(wrt)[:12])}",
            )
        parts = text.split(":")
        try:
            start, stop, count = float(parts[0]), float(parts[1]), int(parts[2])
            if len(parts) != 3 or count < 1 or not np.isfinite([start, stop]).all():
                raise ValueError
        except (ValueError, IndexError):
            raise UsageError(
                f"--grid {name}={text}: expected A:B:COUNT (finite numbers, COUNT ≥ 1)",
                fix=f"e.g. --grid {name}=-1:1:5",
            ) from None
        axes.append(Axis(name, nodes[name], tuple(np.linspace(start, stop, count).tolist())))
    return axes


def survey_points(
    model: NumericModel,
    point: dict[int, Any],
    node: OutputNode,
    chosen: list[int],
    points: int | None,
    grid: tuple[str, ...],
    seed: int,
    radius: float,
    tolerance: float,
) -> tuple[Any, int | None]:
    """The survey report over ``--points`` or ``--grid``, and the first failing point (1-based)."""
    from graphcost.cli import hessian_reports as reports
    from graphcost.numeric.propagation import as_vectors
    from graphcost.numeric.second_convexity import grid_points, random_points, survey
    from graphcost.numeric.second_partials import second_kernels

    base = as_vectors(point)
    if points:
        where = random_points(base, chosen, points, seed, radius)
        how = (
            f"{points} points, the inputs {', '.join(model.node_names(chosen)[:6])} ~ "
            f"{radius:g}·randn (--seed {seed})"
        )
    else:
        axes = parse_grid(model, grid, chosen)
        where = grid_points(base, axes)
        how = "grid " + " × ".join(
            f"{a.name} ∈ {a.values[0]:g}…{a.values[-1]:g} ({len(a.values)})" for a in axes
        )
    verdicts = survey(model, where, node, chosen, second_kernels(model), tolerance)
    failed = next((i + 1 for i, v in enumerate(verdicts) if not v.psd), None)
    return reports.survey_report(model, node, where, verdicts, chosen, how), failed
