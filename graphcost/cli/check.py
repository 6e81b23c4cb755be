"""``graphcost check``: forward and backward Jacobians against finite differences."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from graphcost.cli.base import ALL_FORMATS, cli, output_options
from graphcost.cli.trace import layout_notes, point_options, prepare

if TYPE_CHECKING:
    from graphcost.numeric.checks import Comparison
    from graphcost.report.render import Report


@cli.command()
@click.argument("file", metavar="FILE")
@point_options
@click.option(
    "--tolerance",
    type=float,
    default=1e-6,
    show_default=True,
    help="Largest relative error admitted, each difference measured against the magnitude of "
    "the terms the chain rule sums (|J|abs: the Jacobian of the absolute local partials), so "
    "cancellation is no failure. Against finite differences: tolerance × the largest entry of "
    "|J|abs, after subtracting |D(2h) − D(h)|, the differences' own estimated error. Forward vs "
    "backward (exact up to rounding): tolerance × 1e-4 × |J|abs, entry by entry.",
)
@click.option(
    "--step",
    type=float,
    default=1e-6,
    show_default=True,
    help="Central-difference step h, relative to max(1, |x|); between 1e-15 and 0.1.",
)
@output_options(*ALL_FORMATS)
def check(
    file: str,
    at: tuple[str, ...],
    seed: int,
    params_file: str | None,
    wrt: str | None,
    assignments: tuple[str, ...],
    tolerance: float,
    step: float,
    fmt: str,
    output: str | None,
) -> None:
    """Check the Jacobian ∂D'/∂V of FILE's node functions g: PASS, FAIL or VACUOUS.

    Computes the Jacobian by forward and by backward recursion and compares both with
    central finite differences, and the two recursions with each other (see --tolerance:
    errors are relative to the magnitude of the terms summed, not of the result, so a
    Jacobian entry that cancels to almost zero is judged against its terms). It also checks
    that each recursion performed exactly the multiplications the elimination convention
    counts (graphcost analyze). A Jacobian that is identically zero at the point (no output
    depends on an input, dead relu units, saturated functions) checks nothing: the verdict is
    VACUOUS. Exit code 1 on FAIL or VACUOUS.

    \b
    Examples:
      graphcost check graphs/seed-002-network.yaml
      graphcost check graphs/seed-002-network.yaml --seed 7 --format markdown
      graphcost check graphs/mlp-relu.yaml --set p=5 --tolerance 1e-5
      graphcost check graphs/seed-004-expression.yaml --at x=1,w=2,b=3
      graphcost check graphs/mlp-weights-small.yaml --wrt params
    """
    from graphcost.errors import CheckFailed, UsageError
    from graphcost.numeric.checks import check_jacobians, is_vacuous
    from graphcost.report.render import emit

    # NaN fails every comparison, so `not (... )` also refuses it; inf would admit anything.
    if not 0 < tolerance < 1:
        raise UsageError(
            f"--tolerance {tolerance:g} is not a relative error between 0 and 1 (exclusive)",
            fix="e.g. --tolerance 1e-6 (the default)",
        )
    if not 1e-15 <= step <= 0.1:
        raise UsageError(
            f"--step {step:g} is outside [1e-15, 0.1]: below, x ± h rounds to x; above, the "
            "difference is no derivative",
            fix="e.g. --step 1e-6 (the default)",
        )
    model, point, _, counted, independent = prepare(file, assignments, at, seed, params_file, wrt)
    comparisons, ahead, behind = check_jacobians(
        model, point, tolerance=tolerance, step=step, wrt=independent
    )
    counts = [
        ("forward", ahead.multiplications, counted.forward.multiplications),
        ("backward", behind.multiplications, counted.backward.multiplications),
    ]
    vacuous = is_vacuous(ahead, behind)
    report = check_report(model.graph.name, comparisons, counts, vacuous=vacuous)
    report.notes[-1:-1] = layout_notes(model, independent, json_hint=False)
    emit(report, fmt, output)
    failed = [c.name for c in comparisons if not c.passed]
    failed += [f"{name} multiplications" for name, done, expected in counts if done != expected]
    if failed:
        raise CheckFailed(
            f"check of {file} failed: {', '.join(failed)}",
            fix="see the table; a smaller --step or a point away from kinks (relu) may help",
        )
    if vacuous:
        raise CheckFailed(
            f"check of {file} is vacuous: the Jacobian ∂D'/∂V is identically zero at this "
            "point, so the comparisons check nothing",
            fix="choose a point where some output depends on some input (--at, --seed)",
        )


#: The note of a check whose Jacobian is identically zero.
VACUOUS_NOTE = (
    "VACUOUS: the Jacobian is identically zero at this point (no output depends on an input, "
    "or every path has a zero partial: dead relu units, saturated functions), so agreeing on it "
    "checks nothing; choose another point (--at, --seed)"
)


def check_report(
    name: str,
    comparisons: list[Comparison],
    counts: list[tuple[str, int, int]],
    *,
    vacuous: bool = False,
) -> Report:
    """The PASS/FAIL/VACUOUS :class:`~graphcost.report.render.Report` of :func:`check`.

    ``vacuous``: the Jacobian is identically zero, so a comparison that agrees is reported
    VACUOUS (not PASS), and so is the whole check unless something failed.
    """
    from graphcost.report.render import Report, format_int

    rows: list[list[Any]] = []
    records: list[dict[str, Any]] = []
    for c in comparisons:
        verdict = ("VACUOUS" if vacuous else "PASS") if c.passed else "FAIL"
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
    failed = any(r["result"] == "FAIL" for r in records)
    verdict = "FAIL" if failed else "VACUOUS" if vacuous else "PASS"
    return Report(
        title=f"{name} — Jacobian check",
        columns=[
            "check",
            "largest abs error",
            "relative error beyond noise",
            "tolerance",
            "result",
        ],
        rows=rows,
        records=records,
        data={
            "graph": name,
            "passed": passed,
            "vacuous": vacuous,
            "result": verdict,
            "checks": records,
        },
        notes=[
            *(
                f"{schedule} recursion: {format_int(done)} multiplications performed, "
                f"{format_int(expected)} counted by the elimination convention"
                for schedule, done, expected in counts
            ),
            VACUOUS_NOTE if verdict == "VACUOUS" else verdict,
        ],
    )
