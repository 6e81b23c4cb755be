"""The strategy rows, notes and JSON that ``analyze --strategy`` adds to its report."""

from __future__ import annotations

from typing import Any

from graphcost.errors import UsageError


def best_result(results: list[Any]) -> Any:
    """The result with the fewest multiplications (the first of equals)."""
    return min(results, key=lambda r: r.cost.multiplications)


def _label(name: str, width: int = 32) -> str:
    """A strategy's name in the table and notes; a long inline order is cut (JSON keeps it)."""
    return name if len(name) <= width else f"{name[: width - 1]}…"


def add_results(report: Any, results: list[Any], problem: Any, skipped: list[str]) -> None:
    """Merge strategy results into an ``analyze`` report (its ``data`` a dict, as
    :func:`graphcost.cli.analyze.analysis_report` makes it).

    Rows ``forward`` and ``backward`` already hold the recursion counts (the same numbers,
    tested); they gain the order, other strategies get rows of their own. Every row gets the
    ratio of its multiplications to forward's; the cheapest row is highlighted. Edge and face
    sequences (:mod:`graphcost.cli.family_report`) are rows like the others, with a ``family``
    column that appears only when one of them is there (so vertex-only tables are unchanged).
    """
    from fractions import Fraction

    from graphcost.cli.family_report import bound_note, family_of, row_dict, sequence_cell
    from graphcost.eliminate.strategies import run_strategy
    from graphcost.report.render import format_int, format_ratio

    if report.data.get("convention", "elimination") != "elimination":
        raise UsageError(
            "--strategy scores vertex elimination orders, which the elimination convention counts",
            fix="drop --convention dense",
        )
    by_name = {r.name: r for r in results}
    forward = by_name.get("forward") or run_strategy(problem, "forward")
    base = forward.cost.multiplications

    def ratio(multiplications: int) -> Fraction | None:
        return Fraction(multiplications, base) if base else None

    def shown(value: Fraction | None) -> str:  # the exact fraction is in the JSON
        return "—" if value is None else f"{float(value):.4g}"

    width = len(report.columns)
    families = any(hasattr(r, "family") for r in results)
    extra = ["family"] * families + ["order", "÷ forward"]
    # forward and backward are vertex elimination orders (the recursions' counts, tested)
    rows = [[*row, *["vertex"] * families, "", ""] for row in report.rows]
    for result in results:
        cells = [
            *[family_of(result)] * families,
            sequence_cell(result, problem),
            shown(ratio(result.cost.multiplications)),
        ]
        for row in rows:
            if row[0] == _label(result.name):
                row[width:] = cells
                break
        else:
            rows.append(
                [
                    _label(result.name),
                    format_int(result.cost.multiplications),
                    format_int(result.cost.additions),
                    *[""] * (width - 3),
                    *cells,
                ]
            )
    for row in rows:
        counted = report.data.get(str(row[0]))
        if row[-1] == "" and isinstance(counted, dict):
            row[-1] = shown(ratio(counted["multiplications"]))
    best = best_result(results)
    report.columns = [*report.columns, *extra]
    report.rows = rows
    report.highlight = next(i for i, row in enumerate(rows) if row[0] == _label(best.name))
    level = "whole blocks" if problem.level == "block" else "single nodes"
    notes = [f"elimination strategies eliminate {level} ({len(problem.intermediates)} vertices)"]
    kind = {"edge": ", an edge sequence", "face": ", a face sequence"}.get(family_of(best), "")
    notes.append(
        f"best: {_label(best.name)}, {format_int(best.cost.multiplications)} multiplications "
        f"({format_ratio(ratio(best.cost.multiplications))} of forward's){kind}"
    )
    for result in results:
        proven = bound_note(result, _label(result.name))
        if proven is not None:
            notes.append(proven)
        if result.remark:
            notes.append(f"{_label(result.name)}: {result.remark}")
        if result.cost.approximate:
            notes.append(
                f"{_label(result.name)}: approximate (an upper bound): fill-ins joining "
                f"{', '.join(result.cost.approximate)} are held as full; --nodes gives the exact "
                "count"
            )
    report.notes = [*report.notes, *notes, *skipped]
    report.data["strategies"] = {
        r.name: {
            **row_dict(r, problem),
            "ratio_to_forward": None if not base else float(ratio(r.cost.multiplications)),
        }
        for r in results
    }
    report.data["best_strategy"] = best.name
    report.data["strategy_level"] = problem.level
    if report.records:
        for result in results:
            report.records[0][f"{result.name}_multiplications"] = result.cost.multiplications
            report.records[0][f"{result.name}_additions"] = result.cost.additions
