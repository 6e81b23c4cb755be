"""``graphcost check``: forward and backward Jacobians against finite differences."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from graphcost.cli.base import ALL_FORMATS, cli, output_options
from graphcost.cli.trace import layout_notes, point_options, prepare

if TYPE_CHECKING:
    from graphcost.numeric.checks import Comparison
    from graphcost.numeric.kinks import Kink, OneSided
    from graphcost.numeric.model import NumericModel
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
@click.option(
    "--expect",
    "expect",
    multiple=True,
    metavar="'NODE = EXPR'",
    help="Your derivative of the output with respect to an input or node (repeatable), e.g. "
    "'w = 2*(p - y)*p*(1 - p)*x', or OF/WRT = EXPR for ∂OF/∂WRT ('p/a = p*(1 - p)'); EXPR "
    "uses the graph's nodes and constants. Says EQUAL or DIFFERENT (exit 1) for each, and "
    "the first wrong step; replaces the Jacobian check. Node-level graphs.",
)
@click.option(
    "--output-node",
    "output_node",
    metavar="NAME",
    default=None,
    help="With --expect: the output differentiated (needed when the graph has several).",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Exit 1 when the point is at a kink (max, min, abs, relu) instead of 0.",
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
    expect: tuple[str, ...],
    output_node: str | None,
    strict: bool,
    fmt: str,
    output: str | None,
) -> None:
    """Check the Jacobian ∂D'/∂V of FILE's node functions g (PASS, FAIL, KINK or VACUOUS), or
    your own derivatives (--expect: EQUAL or DIFFERENT).

    Computes the Jacobian by forward and by backward recursion and compares both with
    central finite differences, and the two recursions with each other (see --tolerance:
    errors are relative to the magnitude of the terms summed, not of the result, so a
    Jacobian entry that cancels to almost zero is judged against its terms). It also checks
    that each recursion performed exactly the multiplications the elimination convention
    counts (graphcost analyze). A Jacobian that is identically zero at the point (no output
    depends on an input, dead relu units, saturated functions) checks nothing: the verdict is
    VACUOUS. At a kink of max, min, abs or relu (arguments tied) the derivative is not
    defined and central differences need not match the recursions: a comparison that fails
    there reads KINK, and on node-level graphs the one-sided derivatives (with the
    subgradient interval where the kink is convex) are checked against one-sided differences
    instead. Exit code 1 on FAIL or VACUOUS (and on KINK with --strict).

    With --expect, compares each expression with the derivative the graph defines:
    symbolically when sympy simplifies the difference to 0, else at the graph's point and 7
    random points around it; EQUAL or DIFFERENT with a point and both values, and the first
    wrong step in the order the reverse sweep computes them. Exit code 1 on DIFFERENT.

    \b
    Examples:
      graphcost check graphs/seed-002-network.yaml
      graphcost check graphs/seed-002-network.yaml --seed 7 --format markdown
      graphcost check graphs/mlp-relu.yaml --set p=5 --tolerance 1e-5
      graphcost check graphs/seed-004-expression.yaml --at x=1,w=2,b=3
      graphcost check graphs/mlp-weights-small.yaml --wrt params
      graphcost check graphs/seed-004-hinge.yaml
      graphcost check graphs/seed-004-logistic-squared.yaml --expect 'w = 2*(p - y)*p*(1 - p)*x'
      graphcost check graphs/seed-004-expression.yaml --expect 'x = 1 - w/v2**2'
    """
    from graphcost.cli.check_reports import kink_data, kink_notes
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
    if expect:
        check_expect(model, point, expect, output_node, seed, tolerance, fmt, output, file)
        return
    comparisons, ahead, behind = check_jacobians(
        model, point, tolerance=tolerance, step=step, wrt=independent
    )
    kinks, found, one_sided_checks = kink_checks(model, point, independent, tolerance, step)
    counts = [
        ("forward", ahead.multiplications, counted.forward.multiplications),
        ("backward", behind.multiplications, counted.backward.multiplications),
    ]
    # At a kink the one-sided derivatives are checked too: vacuous only if they are all zero.
    vacuous = is_vacuous(ahead, behind) and not any(d.left or d.right for d in found or [])
    report = check_report(
        model.graph.name, comparisons + one_sided_checks, counts, vacuous=vacuous, kinks=kinks
    )
    inputs = [model.graph.blocks[b].name for b in (independent or model.inputs)]
    report.notes[-1:-1] = layout_notes(model, independent, json_hint=False)
    if kinks:
        report.notes[-1:-1] = kink_notes(kinks, found, inputs)
        report.data.update(kink_data(kinks, found))
    emit(report, fmt, output)
    failed = [c.name for c in comparisons + one_sided_checks if not c.passed]
    if kinks:  # at a kink central differences see the average of the sides: no failure
        failed = [name for name in failed if "finite differences" not in name]
    failed += [f"{name} multiplications" for name, done, expected in counts if done != expected]
    if failed:
        raise CheckFailed(
            f"check of {file} failed: {', '.join(failed)}",
            fix="see the table; a smaller --step or a point away from kinks (relu) may help",
        )
    if kinks:
        if strict:
            raise CheckFailed(
                f"check of {file}: the point is at a kink ({kinks[0].node}: {kinks[0].call}) "
                "and --strict is set",
                fix="choose a point off the kink (--at, --seed), or drop --strict",
            )
        return
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


def kink_checks(
    model: NumericModel,
    point: dict[int, Any],
    independent: list[int] | None,
    tolerance: float,
    step: float,
) -> tuple[list[Kink], list[OneSided] | None, list[Comparison]]:
    """The kinks at the point, the one-sided derivatives there (node-level graphs) and their
    comparisons with one-sided differences along the inputs differentiated by."""
    from graphcost.numeric.evaluate import evaluate
    from graphcost.numeric.kinks import check_one_sided, find_kinks, one_sided

    values = evaluate(model, point)
    kinks = find_kinks(model, values)
    if not kinks:
        return [], None, []
    found = one_sided(model, values, kinks)
    if found is None:
        return kinks, None, []
    chosen = {model.graph.blocks[b].name for b in (independent or model.inputs)}
    on_inputs = [d for d in found if d.wrt in chosen]
    inputs = [b for b in model.inputs if model.graph.blocks[b].name in chosen]
    checks = check_one_sided(model, point, on_inputs, tolerance=tolerance, step=step, wrt=inputs)
    return kinks, found, checks


def check_expect(
    model: NumericModel,
    point: dict[int, Any],
    expect: tuple[str, ...],
    output_node: str | None,
    seed: int,
    tolerance: float,
    fmt: str,
    output: str | None,
    file: str,
) -> None:
    """``check --expect``: decide every expectation, print the table, exit 1 on DIFFERENT."""
    from graphcost.cli.check_reports import expect_report
    from graphcost.errors import CheckFailed, UsageError
    from graphcost.numeric.expect import check_expectations, first_wrong, parse_expectation
    from graphcost.report.render import emit

    of = None
    if output_node is not None:
        names = {model.graph.blocks[b].name: b for b in model.outputs}
        if output_node not in names:
            raise UsageError(
                f"--output-node {output_node!r} is not an output node",
                fix=f"choose one of: {', '.join(names)}",
            )
        of = names[output_node]
    expectations = [parse_expectation(text, model, of) for text in expect]
    verdicts = check_expectations(model, point, expectations, seed=seed, tolerance=tolerance)
    emit(expect_report(model, verdicts, tolerance), fmt, output)
    wrong = first_wrong(verdicts)
    if wrong is not None:
        raise CheckFailed(
            f"--expect {wrong.expectation.text!r} differs from the derivative",
            fix="see the table: the first wrong step is named under it",
        )


#: The note of a check at a kink.
KINK_NOTE = (
    "KINK: the point is at a kink, no derivative there; a failing comparison with central "
    "differences reads KINK, and one-sided derivatives are checked instead (node level)"
)


def check_report(
    name: str,
    comparisons: list[Comparison],
    counts: list[tuple[str, int, int]],
    *,
    vacuous: bool = False,
    kinks: list[Kink] | None = None,
) -> Report:
    """The PASS/FAIL/KINK/VACUOUS :class:`~graphcost.report.render.Report` of :func:`check`.

    ``vacuous``: the Jacobian is identically zero, so a comparison that agrees is reported
    VACUOUS (not PASS), and so is the whole check unless something failed. ``kinks``: the point
    is at a kink, so a comparison with central differences that fails reads KINK, and so does
    the whole check unless something else failed.
    """
    from graphcost.report.render import Report, format_int

    rows: list[list[Any]] = []
    records: list[dict[str, Any]] = []
    for c in comparisons:
        verdict = ("VACUOUS" if vacuous else "PASS") if c.passed else "FAIL"
        if kinks and verdict != "PASS" and "finite differences" in c.name:
            verdict = "KINK"
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
                "rel_error": None,
                "tolerance": 0,
                "result": verdict,
            }
        )
    passed = all(r["result"] == "PASS" for r in records)
    failed = any(r["result"] == "FAIL" for r in records)
    verdict = "FAIL" if failed else "KINK" if kinks else "VACUOUS" if vacuous else "PASS"
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
            "kink": bool(kinks),
            "result": verdict,
            "checks": records,
        },
        notes=[
            *(
                f"{schedule} recursion: {format_int(done)} multiplications performed, "
                f"{format_int(expected)} counted by the elimination convention"
                for schedule, done, expected in counts
            ),
            VACUOUS_NOTE if verdict == "VACUOUS" else KINK_NOTE if verdict == "KINK" else verdict,
        ],
    )
