"""``graphcost check``: forward and backward Jacobians against finite differences."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from graphcost.cli.base import ALL_FORMATS, cli, output_options
from graphcost.cli.trace import point_options, prepare

if TYPE_CHECKING:
    from graphcost.numeric import Comparison
    from graphcost.report import Report


@cli.command()
@click.argument("file", metavar="FILE")
@point_options
@click.option(
    "--tolerance",
    type=float,
    default=1e-6,
    show_default=True,
    help="Largest relative error admitted against finite differences.",
)
@click.option(
    "--step",
    type=float,
    default=1e-6,
    show_default=True,
    help="Central-difference step, relative to max(1, |x|).",
)
@output_options(*ALL_FORMATS)
def check(
    file: str,
    at: tuple[str, ...],
    seed: int,
    params_file: str | None,
    assignments: tuple[str, ...],
    tolerance: float,
    step: float,
    fmt: str,
    output: str | None,
) -> None:
    """Check the Jacobian ∂D'/∂V of FILE's node functions g: PASS or FAIL, exit 1 on FAIL.

    Computes the Jacobian by forward and by backward recursion and compares both with
    central finite differences (relative error = largest absolute difference / largest
    absolute entry of the reference), and the two recursions with each other (1e-10). It
    also checks that each recursion performed exactly the multiplications the elimination
    convention counts (graphcost analyze).

    \b
    Examples:
      graphcost check graphs/seed-002-network.yaml
      graphcost check graphs/seed-002-network.yaml --seed 7 --format markdown
      graphcost check graphs/mlp-relu.yaml --set p=5 --tolerance 1e-5
      graphcost check graphs/seed-004-expression.yaml --at x=1,w=2,b=3
    """
    from graphcost.errors import CheckFailed, UsageError
    from graphcost.numeric import check_jacobians
    from graphcost.report import emit

    if not tolerance > 0 or not step > 0:
        raise UsageError("--tolerance and --step must be positive")
    model, point, _, counted = prepare(file, assignments, at, seed, params_file)
    comparisons, ahead, behind = check_jacobians(model, point, tolerance=tolerance, step=step)
    counts = [
        ("forward", ahead.multiplications, counted.forward.multiplications),
        ("backward", behind.multiplications, counted.backward.multiplications),
    ]
    report = check_report(model.graph.name, comparisons, counts)
    emit(report, fmt, output)
    failed = [c.name for c in comparisons if not c.passed]
    failed += [f"{name} multiplications" for name, done, expected in counts if done != expected]
    if failed:
        raise CheckFailed(
            f"check of {file} failed: {', '.join(failed)}",
            fix="see the table; a smaller --step or a point away from kinks (relu) may help",
        )


def check_report(
    name: str, comparisons: list[Comparison], counts: list[tuple[str, int, int]]
) -> Report:
    """The PASS/FAIL :class:`~graphcost.report.Report` of :func:`check`."""
    from graphcost.report import Report, format_int

    rows: list[list[Any]] = []
    records: list[dict[str, Any]] = []
    for c in comparisons:
        verdict = "PASS" if c.passed else "FAIL"
        rows.append(
            [c.name, f"{c.abs_error:.3g}", f"{c.rel_error:.3g}", f"{c.tolerance:g}", verdict]
        )
        records.append(
            {
                "check": c.name,
                "abs_error": c.abs_error,
                "rel_error": c.rel_error,
                "tolerance": c.tolerance,
                "result": verdict,
            }
        )
    for schedule, done, expected in counts:
        verdict = "PASS" if done == expected else "FAIL"
        label = f"{schedule} multiplications vs count"
        rows.append([label, format_int(abs(done - expected)), "—", "exact", verdict])
        records.append(
            {
                "check": f"{schedule} multiplications",
                "abs_error": abs(done - expected),
                "rel_error": "",
                "tolerance": 0,
                "result": verdict,
            }
        )
    passed = all(r["result"] == "PASS" for r in records)
    return Report(
        title=f"{name} — Jacobian check",
        columns=["check", "largest abs error", "largest rel error", "tolerance", "result"],
        rows=rows,
        records=records,
        data={"graph": name, "passed": passed, "checks": records},
        notes=[
            *(
                f"{schedule} recursion: {format_int(done)} multiplications performed, "
                f"{format_int(expected)} counted by the elimination convention"
                for schedule, done, expected in counts
            ),
            "PASS" if passed else "FAIL",
        ],
    )
