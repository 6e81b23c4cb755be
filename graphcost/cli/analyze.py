"""``graphcost analyze``: forward and backward recursion counts and the speed-up."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

import click

from graphcost.cli.base import (
    ALL_FORMATS,
    cli,
    convention_option,
    output_options,
    parse_assignments,
    set_option,
    warn,
)
from graphcost.cli.second_order import analyze_second_order, order_option
from graphcost.cli.sources import graph_from, graph_source
from graphcost.cli.strategies import StrategyRequest, strategy_options

if TYPE_CHECKING:
    from graphcost.count.recursions import CountResult
    from graphcost.count.symbolic import SymbolicCounts
    from graphcost.graph.model import Graph
    from graphcost.report.render import Report


@cli.command()
@graph_source
@set_option
@convention_option
@click.option(
    "--nodes",
    is_flag=True,
    help="Count on the graph expanded to single nodes instead of in closed form per block.",
)
@click.option(
    "--symbolic",
    is_flag=True,
    help="Show the formulas in the size symbols even when --set gives values "
    "(shown by default for a graph with symbols and no --set).",
)
@click.option("--latex", is_flag=True, help="Show the formulas in LaTeX (implies --symbolic).")
@click.option(
    "--explain",
    is_flag=True,
    help="Show where the counts come from: each block's term of the forward and backward "
    "multiplications (factors, formula, value), summing to the totals.",
)
@order_option
@strategy_options
@output_options(*ALL_FORMATS)
def analyze(
    file: str | None,
    layers: str | None,
    wrt: str | None,
    assignments: tuple[str, ...],
    convention: str,
    nodes: bool,
    symbolic: bool,
    latex: bool,
    explain: bool,
    order: int,
    strategies: StrategyRequest | None,
    fmt: str,
    output: str | None,
) -> None:
    """Count the multiplications and additions of forward and backward recursion on FILE.

    Prints, per schedule, the scalar multiplications and additions needed to obtain
    Δ_uv = ∂α_v/∂α_u for every input u and output v, and the speed-up factor
    forward/backward. Block graphs are counted in closed form, exact for any sizes.

    When sizes are expressions in symbols, the formulas (derived at block level, exact for
    every admissible value) are shown next to the values, with their leading order as the
    symbols grow together; JSON adds "symbolic": {"forward", "backward", "speedup", ...}.
    Instead of FILE, --layers builds a fully connected layered graph.

    With --strategy, vertex elimination orders are scored by one elimination engine: each
    strategy gets a row (forward and backward are the recursions above) with its order and its
    multiplications as a fraction of forward's; the cheapest row is bold. JSON adds
    "strategies": {name: {"multiplications", "additions", "order", "lower_bound", ...}}.

    With --explain, the table has one row per block instead: the block's term of the forward
    and the backward multiplications as its factors (elimination: |j|·inputs reaching
    j·successors of j forward, |j|·predecessors·outputs reached backward), its formula and
    value, and a total row; the notes say what the other convention counts and why its
    speed-up differs. JSON adds each block's additions and factors.

    With --order 2, the table counts the Hessian of each output node with respect to every
    input node instead: one row per mode (forward-over-reverse, reverse-over-forward,
    forward-over-forward), its multiplications and their ratio to forward-over-reverse, the
    formulas when sizes are symbols. JSON adds each mode's phases.

    \b
    Examples:
      graphcost analyze graphs/exercise-4b.yaml
      graphcost analyze graphs/exercise-4b.yaml --set n=3*10**9
      graphcost analyze graphs/exercise-4b-general.yaml --explain
      graphcost analyze graphs/exercise-4b.yaml --explain --format latex
      graphcost analyze graphs/exercise-4b.yaml --convention dense --format json
      graphcost analyze graphs/small.yaml --format csv --output small.csv
      graphcost analyze graphs/exercise-4b.yaml --set n=120 --nodes
      graphcost analyze graphs/exercise-4b-general.yaml --latex
      graphcost analyze --layers 784,300,100,10
      graphcost analyze --layers 'n,2*n/3,n/3,1' --format json
      graphcost analyze graphs/seed-004-expression.yaml --strategy all
      graphcost analyze --layers 30,35,15,5,10,20,25 --strategy forward,backward,chain
      graphcost analyze graphs/mlp-relu.yaml -s markowitz,chain --save-order best.txt
      graphcost analyze graphs/mlp-relu.yaml --strategy order:best.txt
      graphcost analyze graphs/exercise-4c.yaml --order 2
      graphcost analyze --layers 'n,h,1' --wrt params --order 2
      graphcost analyze jax:graphs/programs/mlp.py:loss --arg 'f32[n]' --arg 'f32[h,n]' \\
          --arg 'f32[h]' --arg 'f32[k,h]' --arg 'f32[k]' --arg 'f32[k]' --wrt W1,b1,W2,b2
      graphcost analyze graphs/onnx/mlp.onnx --wrt params --set N=32
      graphcost analyze graphs/benchmarks/tensor/g.yaml -s search --save-order o --for graphax
    """
    if order == 2:  # the cost of a Hessian instead: graphcost.cli.second_order
        analyze_second_order(**locals())
        return
    from graphcost.count.recursions import count
    from graphcost.report.render import emit

    if explain and (nodes or strategies is not None):
        from graphcost.errors import UsageError

        raise UsageError(
            "--explain lists the block terms of forward and backward alone",
            fix="drop --nodes and --strategy, or run them without --explain",
        )
    graph = graph_from(file, layers, wrt)
    values = parse_assignments(assignments)
    unset = graph.free_symbols - graph.symbols.keys() - values.keys()
    formulas = None
    asked = symbolic or latex or bool(unset)
    # CSV rows hold numbers only: no formula to derive (and sympy stays unimported).
    if asked or (graph.free_symbols and not values and fmt != "csv"):
        from graphcost.count.symbolic import symbolic_counts
        from graphcost.errors import SizeError, SymbolicTooLargeError

        try:
            formulas = symbolic_counts(graph, convention=convention)
        except SizeError:  # e.g. a diag edge between sizes equal only at these values
            if asked:
                raise
        except SymbolicTooLargeError as error:  # shown by default, not asked for: numbers only
            if asked:
                raise
            warn(f"formulas not derived ({error.message}); the counts are at the symbol values")
    if strategies is not None:
        strategies.require_values(unset)
    if unset:  # formulas alone (with a symbol unset they were asked for, so they exist)
        if fmt == "csv":
            from graphcost.errors import UsageError

            missing = sorted(unset)[0]
            raise UsageError(
                f"CSV rows need values, and symbol {missing!r} has none",
                fix=f"pass --set {missing}=VALUE, or graphcost sweep --over {missing}=START:STOP",
            )
        if explain:
            from graphcost.cli.explain import explain_report

            report = explain_report(graph, convention, None, formulas, latex=latex)
        else:
            report = formula_report(formulas, latex=latex, path=graph.path)
            add_evaluation(report, graph, None)
        emit(report, fmt, output)
        return
    result = count(
        graph,
        convention=convention,
        values=values,
        level="node" if nodes else "auto",
    )
    if explain:
        from graphcost.cli.explain import explain_report

        emit(explain_report(graph, convention, result, formulas, latex=latex), fmt, output)
        return
    report = analysis_report(result, graph)
    add_approximate(report, result)
    add_evaluation(report, graph, result)
    if formulas is not None:
        add_formulas(report, formulas, latex=latex)
    if strategies is not None:
        strategies.add_to(report, graph, values, nodes=nodes)
    emit(report, fmt, output)


def analysis_report(result: CountResult, graph: Graph) -> Report:
    """The :class:`~graphcost.report.render.Report` of a
    :class:`~graphcost.count.recursions.CountResult`."""
    from graphcost.count.records import result_record
    from graphcost.report.render import Report, format_int, format_ratio

    values = ", ".join(f"{k} = {v:,}" for k, v in result.values.items())
    title = f"{result.graph} — {result.convention} convention" + (f" ({values})" if values else "")
    rows = [
        [
            "forward",
            format_int(result.forward.multiplications),
            format_int(result.forward.additions),
        ],
        [
            "backward",
            format_int(result.backward.multiplications),
            format_int(result.backward.additions),
        ],
    ]
    speedup = result.speedup
    data = result.to_dict()
    data["path"] = graph.path
    return Report(
        title=title,
        columns=["schedule", "multiplications", "additions"],
        rows=rows,
        records=[result_record(result)],
        data=data,
        notes=[
            f"speed-up (forward / backward multiplications): {format_ratio(speedup)}",
            "counted on single nodes"
            if graph.is_node_level
            else f"counted at {result.level} level"
            + (" (closed form per block)" if result.level == "block" else ""),
        ],
    )


def add_approximate(report: Report, result: CountResult) -> None:
    """Say in a report whether the block-level counts are exact (issue 11).

    A note under the table naming the edges held as full; the JSON data has ``"approximate"``
    from :meth:`CountResult.to_dict`, the CSV record its column (:func:`add_evaluation`).
    """
    edges = ", ".join(result.approximate)
    if edges:
        report.notes.append(
            f"approximate: block level holds {edges} as supersets (a join that is no "
            "pattern, or a slice/concatenate/pad); the counts are upper bounds, --nodes gives "
            "the exact count"
        )


def add_evaluation(report: Report, graph: Graph, result: CountResult | None) -> None:
    """Put the cost of evaluating the graph (and the cheap-gradient ratio) into a report.

    A note under the table, ``"evaluation"`` (``{"multiplications", "gradient_ratio",
    "backward_ratio"}``, ``None`` when the graph does not say what its blocks compute) and
    ``"wrt"`` in the JSON data, and the trailing cells of the CSV record
    (:data:`~graphcost.count.records.TRAILING_COLUMNS`); without ``result`` (symbols without
    values), the evaluation formula.
    """
    from graphcost.count.evaluation import (
        evaluation_formula,
        evaluation_multiplications,
        gradient_ratio,
        output_nodes,
    )
    from graphcost.count.records import with_trailing
    from graphcost.graph.wrt import wrt_of
    from graphcost.report.render import format_int

    data = report.data if isinstance(report.data, dict) else {}
    record = wrt_of(graph)
    if record is not None:
        data["wrt"] = {"independent": list(record.independent), "dropped": list(record.dropped)}
        constants = ", ".join(record.constants) or "none"
        report.notes.append(
            f"with respect to {', '.join(record.independent)} (constants: {constants})"
        )
    if result is None:
        formula = evaluation_formula(graph)
        data["evaluation"] = {
            "multiplications": None,
            "gradient_ratio": None,
            "backward_ratio": None,
            "formula": None if formula is None else str(formula),
        }
        from graphcost.report.cells import formula as cell

        report.notes.append(("evaluation (formula): ", cell(formula)))
        return
    multiplications = evaluation_multiplications(graph, result.values)
    outputs = output_nodes(graph, result.values)
    backward = result.backward.multiplications
    ratio = gradient_ratio(backward, multiplications, outputs)
    jacobian = Fraction(backward, multiplications) if multiplications else None
    data["evaluation"] = {
        "multiplications": multiplications,
        "gradient_ratio": None if ratio is None else float(ratio),
        "backward_ratio": None if jacobian is None else float(jacobian),
    }
    report.records = [
        with_trailing(row, result.approximate, multiplications) for row in report.records
    ]
    if multiplications is None:
        report.notes.append("evaluation: — (unknown: the graph does not define its functions, g:)")
    elif ratio is not None:
        report.notes.append(
            f"evaluation: {format_int(multiplications)} multiplications; "
            f"gradient ÷ evaluation: {float(ratio):.4g}"
        )
    else:
        shown = "—" if jacobian is None else f"{float(jacobian):.4g}"
        report.notes.append(
            f"evaluation: {format_int(multiplications)} multiplications; backward ÷ "
            f"evaluation: {shown} ({format_int(outputs)} output nodes: a Jacobian, not a gradient)"
        )


def add_formulas(report: Report, symbolic: SymbolicCounts, *, latex: bool = False) -> None:
    """Put the formulas next to the values of an ``analyze`` report.

    Adds a formula column for multiplications and one for additions (filled on the
    ``forward`` and ``backward`` rows), the speed-up formula and the leading order to the notes,
    and ``symbolic`` to the JSON data.
    """
    shown = _shown(symbolic, latex)
    cells = {
        "forward": [shown["forward"], shown["forward_additions"]],
        "backward": [shown["backward"], shown["backward_additions"]],
    }
    report.columns = [*report.columns, "multiplications (formula)", "additions (formula)"]
    report.rows = [[*row, *cells.get(str(row[0]), ["", ""])] for row in report.rows]
    report.notes = [
        *report.notes,
        ("speed-up formula: ", shown["speedup"]),
        growth_line(symbolic, latex=latex),
    ]
    if isinstance(report.data, dict):
        report.data["symbolic"] = symbolic.to_dict(latex=latex)


def _shown(symbolic: SymbolicCounts, latex: bool) -> dict[str, Any]:
    """The expressions as formula cells (LaTeX source in tables too with ``latex``)."""
    from graphcost.report.cells import formula

    return {key: formula(value, latex=latex) for key, value in symbolic.expressions().items()}


def growth_line(symbolic: SymbolicCounts, *, latex: bool = False) -> Any:
    """The note on the leading order, e.g. ``leading order as n grows: forward ~ 2*n**3/9, ...``;
    formulas as :class:`~graphcost.report.cells.Math` parts."""
    from graphcost.report.cells import Math, formula

    names = list(symbolic.symbols)
    if not names:
        return "no size symbols: the counts are constants"
    subject = names[0] + " grows" if len(names) == 1 else ", ".join(names) + " grow together"
    parts: list[Any] = [f"leading order as {subject}: "]
    leading = symbolic.leading()
    for i, (key, label) in enumerate(
        (("forward", "forward"), ("backward", "backward"), ("speedup", "speed-up"))
    ):
        shown = formula(leading[key], latex=latex)
        if isinstance(shown, Math):
            shown = Math(f"~ {shown.text}", rf"\sim {shown.latex}")
        else:
            shown = "~ not a rational function"
        parts += [", " * (i > 0) + f"{label} ", shown]
    return tuple(parts)


def formula_report(
    symbolic: SymbolicCounts, *, latex: bool = False, path: str | None = None
) -> Report:
    """The report of formulas alone, for symbols that have no value (``--layers 'n,n/2,1'``)."""
    from graphcost.report.render import Report

    shown = _shown(symbolic, latex)
    symbols = ", ".join(symbolic.symbols)
    return Report(
        title=f"{symbolic.graph} — {symbolic.convention} convention (symbolic in {symbols})",
        columns=["schedule", "multiplications", "additions"],
        rows=[
            ["forward", shown["forward"], shown["forward_additions"]],
            ["backward", shown["backward"], shown["backward_additions"]],
        ],
        records=[],
        data={
            "graph": symbolic.graph,
            "convention": symbolic.convention,
            "level": "block",
            "symbols": {},
            "forward": None,
            "backward": None,
            "speedup": None,
            "speedup_exact": None,
            "path": path,
            "symbolic": symbolic.to_dict(latex=latex),
        },
        notes=[
            ("speed-up (forward / backward multiplications): ", shown["speedup"]),
            growth_line(symbolic, latex=latex),
            "give the symbols values with --set to count, or sweep them with graphcost sweep",
        ],
    )
