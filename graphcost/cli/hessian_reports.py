"""The reports of ``graphcost hessian``: the Hessian with its gradient, eigenvalues and checks
(:func:`hessian_report`), convexity over points (:func:`survey_report`), closed forms
(:func:`symbolic_report`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from graphcost.cli.trace import layout_notes, number

if TYPE_CHECKING:
    from graphcost.numeric.checks import Comparison
    from graphcost.numeric.hessian import Hessian, OutputNode
    from graphcost.numeric.model import NumericModel
    from graphcost.numeric.second_convexity import Convexity
    from graphcost.numeric.second_symbolic import ClosedForm
    from graphcost.report.render import Report

#: Hessian columns shown in a table (JSON and CSV carry all of them).
MAX_COLUMNS = 10
#: Survey rows shown in a table.
MAX_ROWS = 50

RECURSION = "forward-over-reverse (one Hessian-vector product per input direction, one sweep)"


def vector(values: Sequence[float], limit: int = 8) -> str:
    """``(1, -0.5, 2)``, cut after ``limit`` entries."""
    shown = ", ".join(number(float(v)) for v in list(values)[:limit])
    return f"({shown}{', …' if len(values) > limit else ''})"


def point_text(model: NumericModel, point: Mapping[int, Any], blocks: Sequence[int]) -> str:
    """``x = (1, 2), W_h = (0.5, -1, 1, 0.25)`` (a scalar input without parentheses)."""
    parts = []
    for b in blocks:
        values = np.atleast_1d(np.asarray(point[b], dtype=float))
        shown = number(float(values[0])) if values.size == 1 else vector(values, 6)
        parts.append(f"{model.graph.blocks[b].name} = {shown}")
    return ", ".join(parts)


def verdict_notes(verdict: Convexity, names: list[str]) -> list[Any]:
    """The eigenvalues and the verdict, with a direction of negative curvature when not PSD."""
    from graphcost.report.cells import Math

    curvature = Math("zᵀHz", r"z^\top H z")
    notes: list[Any] = [f"eigenvalues: {vector(verdict.eigenvalues, 12)}"]
    if verdict.psd:
        notes.append(
            (
                "positive semidefinite: every eigenvalue ≥ "
                f"{number(verdict.threshold)} (−tolerance·max|λ|), so ",
                curvature,
                " ≥ 0 for all z here",
            )
        )
        return notes
    assert verdict.direction is not None
    assert verdict.curvature is not None
    terms = [
        f"{name}: {number(round(float(z), 6))}"
        for name, z in zip(names, verdict.direction, strict=True)
        if abs(z) > 1e-12
    ]
    shown = ", ".join(terms[:8]) + (
        f", … ({len(terms)} entries, all in json)" if len(terms) > 8 else ""
    )
    notes.append(
        (
            "not positive semidefinite: ",
            curvature,
            f" = {number(verdict.curvature)} < 0 for z, the unit eigenvector of the smallest "
            "eigenvalue:",
        )
    )
    notes.append(f"z = ({shown})")
    return notes


def check_notes(comparisons: list[Comparison]) -> list[str]:
    return [
        f"check {c.name}: largest abs error {c.abs_error:.3g}, relative beyond noise "
        f"{c.rel_error:.3g} (tolerance {c.tolerance:g}): {'PASS' if c.passed else 'FAIL'}"
        for c in comparisons
    ]


def check_records(comparisons: list[Comparison]) -> list[dict[str, Any]]:
    return [
        {
            "check": c.name,
            "abs_error": c.abs_error,
            "rel_error": c.rel_error,
            "tolerance": c.tolerance,
            "result": "PASS" if c.passed else "FAIL",
        }
        for c in comparisons
    ]


def hessian_report(
    model: NumericModel,
    node: OutputNode,
    result: Hessian,
    verdict: Convexity,
    comparisons: list[Comparison],
    sources: dict[str, str],
    chosen: list[int],
) -> Report:
    """The Hessian table (rows and columns the input nodes, the gradient beside it)."""
    from graphcost.report.render import Report

    names = result.names
    y = node.name
    shown = names[:MAX_COLUMNS]
    rows, records = [], []
    for i, name in enumerate(names):
        entries = result.matrix[i]
        rows.append([name, number(result.gradient[i]), *(number(v) for v in entries[:MAX_COLUMNS])])
        record = {"node": name, "gradient": float(result.gradient[i])}
        record.update({other: float(v) for other, v in zip(names, entries, strict=True)})
        records.append(record)
    notes = [
        f"{y} = {number(result.value)} at {point_text(model, _point(result, model), model.inputs)}"
    ]
    notes += verdict_notes(verdict, names)
    notes += check_notes(comparisons)
    notes.append(f"recursion: {RECURSION}")
    drawn = sorted(name for name, source in sources.items() if source.startswith("seed"))
    if drawn:
        notes.append(f"inputs drawn from randn (--seed): {', '.join(drawn)}")
    notes += layout_notes(model, chosen, json_hint=False)
    if len(names) > len(shown):
        notes.append(f"{len(names) - len(shown)} more columns in json/csv output")
    data = {
        "graph": model.graph.name,
        "output": y,
        "value": result.value,
        "inputs": names,
        "point": {model.graph.blocks[b].name: result.values[b].tolist() for b in model.inputs},
        "gradient": result.gradient.tolist(),
        "hessian": result.matrix.tolist(),
        "eigenvalues": verdict.eigenvalues.tolist(),
        "positive_semidefinite": verdict.psd,
        "threshold": verdict.threshold,
        "direction": None if verdict.direction is None else verdict.direction.tolist(),
        "curvature": verdict.curvature,
        "recursion": "forward-over-reverse",
        "checks": check_records(comparisons),
        "passed": all(c.passed for c in comparisons),
    }
    return Report(
        title=f"{model.graph.name} — Hessian ∂²{y}/∂x∂x with the gradient ∂{y}/∂x",
        columns=["node", f"∂{y}/∂x", *shown],
        rows=rows,
        records=records,
        data=data,
        notes=notes,
    )


def _point(result: Hessian, model: NumericModel) -> dict[int, np.ndarray]:
    return {b: result.values[b] for b in model.inputs}


def survey_report(
    model: NumericModel,
    node: OutputNode,
    points: Sequence[Mapping[int, np.ndarray]],
    verdicts: Sequence[Convexity],
    chosen: list[int],
    how: str,
) -> Report:
    """One row per point: where, the extreme eigenvalues, the verdict; the overall verdict."""
    from graphcost.report.render import Report

    rows, records = [], []
    names = model.node_names(chosen)
    for i, (point, verdict) in enumerate(zip(points, verdicts, strict=True), start=1):
        low = float(verdict.eigenvalues[0]) if verdict.eigenvalues.size else 0.0
        high = float(verdict.eigenvalues[-1]) if verdict.eigenvalues.size else 0.0
        text = "PSD" if verdict.psd else "not PSD"
        where = point_text(model, point, chosen)
        if len(rows) < MAX_ROWS:
            rows.append([str(i), where, number(low), number(high), text])
        values = np.concatenate([np.atleast_1d(point[b]) for b in chosen]).tolist()
        records.append(
            {
                "point": i,
                **dict(zip(names, values, strict=True)),
                "smallest_eigenvalue": low,
                "largest_eigenvalue": high,
                "positive_semidefinite": verdict.psd,
            }
        )
    failed = next((i for i, v in enumerate(verdicts) if not v.psd), None)
    notes = [f"points: {how}"]
    if failed is None:
        notes.append(
            f"convex on these {len(points)} points: the Hessian of {node.name} is positive "
            "semidefinite at every one (evidence, not a proof of convexity)"
        )
    else:
        notes.append(
            f"not convex: the Hessian of {node.name} is not positive semidefinite at "
            f"point {failed + 1}, the first such point"
        )
        notes += verdict_notes(verdicts[failed], names)[1:]
    if len(records) > len(rows):
        notes.append(f"{len(records) - len(rows)} more rows in json/csv output")
    data = {
        "graph": model.graph.name,
        "output": node.name,
        "inputs": names,
        "points": records,
        "convex_on_points": failed is None,
        "first_failure": None if failed is None else failed + 1,
    }
    return Report(
        title=f"{model.graph.name} — convexity of {node.name} over {len(points)} points",
        columns=["#", "point", "smallest eigenvalue", "largest eigenvalue", "verdict"],
        rows=rows,
        records=records,
        data=data,
        notes=notes,
    )


def symbolic_report(
    model: NumericModel, node: OutputNode, form: ClosedForm, chosen: list[int], *, latex: bool
) -> Report:
    """The output, its gradient and the Hessian's upper triangle as formulas."""
    import sympy

    from graphcost.report.cells import formula
    from graphcost.report.render import Report

    y = node.name
    names = [str(s) for s in form.inputs]
    entries: list[tuple[str, Any]] = [(y, form.output)]
    entries += [(f"∂{y}/∂{x}", g) for x, g in zip(names, form.gradient, strict=True)]
    entries += [
        (f"∂²{y}/∂{names[i]}²" if i == j else f"∂²{y}/∂{names[i]}∂{names[j]}", form.hessian[i][j])
        for i in range(len(names))
        for j in range(i, len(names))
    ]
    rows = [[label, formula(e, latex=latex)] for label, e in entries]
    records = [
        {"entry": label, "expression": str(e), "latex": sympy.latex(e)} for label, e in entries
    ]
    constants = ", ".join(f"{c} = {number(v)}" for c, v in form.constants.items())
    notes: list[Any] = ["the Hessian is symmetric: the entries below the diagonal are those above"]
    if constants:
        notes.append(f"constants (params:): {constants}")
    notes += layout_notes(model, chosen, json_hint=False)
    if latex and len(names) <= 6:
        notes.append(("Hessian: ", formula(sympy.Matrix(form.hessian), latex=True)))
    data = {
        "graph": model.graph.name,
        "output": y,
        "inputs": names,
        "expression": str(form.output),
        "gradient": [str(g) for g in form.gradient],
        "hessian": [[str(h) for h in row] for row in form.hessian],
        "latex": {
            "expression": sympy.latex(form.output),
            "gradient": [sympy.latex(g) for g in form.gradient],
            "hessian": [[sympy.latex(h) for h in row] for row in form.hessian],
        },
        "constants": {str(c): v for c, v in form.constants.items()},
    }
    return Report(
        title=f"{model.graph.name} — closed forms of {y}, its gradient and Hessian",
        columns=["entry", "expression"],
        rows=rows,
        records=records,
        data=data,
        notes=notes,
    )
