"""What ``graphcost check`` and ``graphcost trace`` say about kinks, and the report of
``graphcost check --expect``: notes and JSON for :mod:`graphcost.numeric.kinks`, and the
EQUAL/DIFFERENT table of :mod:`graphcost.numeric.expect`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graphcost.numeric.expect import Verdict
    from graphcost.numeric.kinks import Kink, OneSided
    from graphcost.numeric.model import NumericModel
    from graphcost.report.render import Report

#: Kink lines shown under a table (JSON lists all).
MAX_KINK_NOTES = 6
#: How the recursions differentiate each kinked function at its kink.
AT_THE_KINK = "the recursions use max/min: the average of the tied sides, abs: 0, relu: 0"


def kink_notes(
    kinks: list[Kink], found: list[OneSided] | None, wrt: list[str] | None = None
) -> list[str]:
    """One line per kink, then per (output, node) the one-sided derivatives where they differ.

    ``wrt``: the nodes whose one-sided derivatives are shown (default: all); ``found`` is
    ``None`` on graphs where they are not computed (blocks of several nodes).
    """
    from graphcost.numeric.kinks import MAX_ONE_SIDED_NODES

    notes = [
        f"KINK at {k.node}: {k.call}, "
        + ("equal arguments" if len(k.arguments) > 1 else "argument")
        + f" {', '.join(_number(a) for a in k.arguments)}"
        for k in kinks[:MAX_KINK_NOTES]
    ]
    if len(kinks) > MAX_KINK_NOTES:
        notes.append(f"{len(kinks) - MAX_KINK_NOTES} more kinks (--format json lists all)")
    notes.append(f"at a kink {AT_THE_KINK}")
    if found is None:
        notes.append(
            "one-sided derivatives are computed on node-level graphs of at most "
            f"{MAX_ONE_SIDED_NODES} nodes only"
        )
        return notes
    for d in found:
        if (wrt is None or d.wrt in wrt) and d.kind != "smooth":
            notes.append(
                f"∂{d.output}/∂{d.wrt} at the kink: left {_number(d.left)}, right "
                f"{_number(d.right)}: "
                + (
                    f"subgradient interval [{_number(d.left)}, {_number(d.right)}]"
                    if d.kind == "convex"
                    else "concave kink, no subgradient"
                )
            )
    return notes


def kink_data(kinks: list[Kink], found: list[OneSided] | None) -> dict[str, Any]:
    """The kinks and one-sided derivatives for JSON output."""
    return {
        "kinks": [{"node": k.node, "call": k.call, "arguments": list(k.arguments)} for k in kinks],
        "one_sided": None
        if found is None
        else [
            {
                "output": d.output,
                "wrt": d.wrt,
                "left": d.left,
                "right": d.right,
                "kind": d.kind,
                "subgradient": [d.left, d.right] if d.kind == "convex" else None,
            }
            for d in found
        ],
    }


def one_sided_cell(found: list[OneSided], output: str, node: str) -> str:
    """``-1 | 0`` (left | right) where the sides differ, the common value where they agree."""
    d = next((d for d in found if d.output == output and d.wrt == node), None)
    if d is None:
        return "1" if node == output else "0"
    if d.kind == "smooth":
        return _number(d.right)
    return f"{_number(d.left)} | {_number(d.right)}"


def _number(value: float) -> str:
    return "0" if value == 0 else f"{value:.6g}"


def _label(model: NumericModel, verdict: Verdict) -> str:
    names = model.graph.blocks
    e = verdict.expectation
    return f"∂{names[e.of].name}/∂{names[e.wrt].name}"


def expect_report(model: NumericModel, verdicts: list[Verdict], tolerance: float) -> Report:
    """The EQUAL/DIFFERENT :class:`~graphcost.report.render.Report` of ``check --expect``."""
    from graphcost.numeric.expect import RANDOM_POINTS, first_wrong
    from graphcost.report.render import Report

    rows, records = [], []
    for v in verdicts:
        how = (
            "sympy: the difference simplifies to 0"
            if v.method == "sympy"
            else "differs at the point shown"
            if not v.equal
            else f"agrees at {v.points} points"
        )
        point = ", ".join(f"{k} = {_number(x)}" for k, x in (v.point or {}).items())
        shown = [_number(x) if x is not None else "—" for x in (v.yours, v.derivative)]
        result = "EQUAL" if v.equal else "DIFFERENT"
        expression = v.expectation.expr.text
        rows.append([_label(model, v), expression, result, how, point, *shown])
        records.append(
            {
                "step": _label(model, v),
                "expect": v.expectation.text,
                "result": result,
                "method": v.method,
                "points": v.points,
                "point": point,
                "yours": v.yours,
                "derivative": v.derivative,
            }
        )
    wrong = first_wrong(verdicts)
    notes = [
        "steps in the order the reverse sweep computes them; EQUAL by sympy is a proof, at "
        f"points: the graph's point and {RANDOM_POINTS} random ones (--seed), --tolerance "
        f"{tolerance:g}",
    ]
    if wrong is not None:
        notes.append(
            f"first wrong step: {_label(model, wrong)} = {wrong.expectation.expr.text} "
            f"(yours {_number(wrong.yours or 0)}, the derivative {_number(wrong.derivative or 0)})"
        )
    notes.append("DIFFERENT" if wrong is not None else "EQUAL")
    return Report(
        title=f"{model.graph.name} — your derivatives (--expect)",
        columns=["step", "your expression", "result", "how", "at", "yours", "derivative"],
        rows=rows,
        records=records,
        data={
            "graph": model.graph.name,
            "result": "DIFFERENT" if wrong is not None else "EQUAL",
            "first_wrong": None if wrong is None else wrong.expectation.text,
            "expectations": records,
        },
        notes=notes,
    )
