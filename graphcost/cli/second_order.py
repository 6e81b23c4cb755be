"""``graphcost analyze FILE --order 2``: the multiplications of a Hessian, mode by mode.

The counts and their definitions are :mod:`graphcost.count.second_order`'s; this module reads
the options, refuses the combinations it does not support, and builds the
:class:`~graphcost.report.render.Report` (one row per mode, its ratio to forward-over-reverse,
the formulas when sizes are symbols).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from graphcost.cli.base import parse_assignments, warn
from graphcost.cli.sources import graph_from
from graphcost.errors import UsageError

if TYPE_CHECKING:
    from graphcost.count.second_order import SecondOrderCounts
    from graphcost.graph.model import Graph
    from graphcost.report.render import Report

#: Node-level graphs with more blocks than this are counted with the node engine.
_BLOCK_LIMIT = 256


order_option = click.option(
    "--order",
    type=click.IntRange(1, 2),
    default=1,
    show_default=True,
    help="2: count the multiplications of a Hessian instead (forward-over-reverse, "
    "reverse-over-forward, forward-over-forward; README 'The cost of a Hessian').",
)


def analyze_second_order(
    file: str | None,
    layers: str | None,
    wrt: str | None,
    assignments: tuple[str, ...],
    convention: str,
    nodes: bool,
    symbolic: bool,
    latex: bool,
    explain: bool,
    strategies: Any,
    fmt: str,
    output: str | None,
    **_: Any,
) -> None:
    """``analyze --order 2`` (called with analyze's arguments): count and emit the report.

    Raises
    ------
    UsageError
        For ``--strategy``, ``--explain`` or a convention other than ``elimination``, and CSV
        without symbol values.
    """
    from graphcost.count.second_order import count_second_order
    from graphcost.report.render import emit

    unsupported = {"--explain": explain, "--strategy": strategies is not None}
    chosen = [name for name, given in unsupported.items() if given]
    if chosen:
        raise UsageError(
            f"--order 2 counts the Hessian modes alone; {chosen[0]} is for first order",
            fix=f"drop {chosen[0]}, or run it without --order 2",
        )
    if convention != "elimination":
        raise UsageError(
            f"--order 2 is counted in the elimination convention only, not {convention!r}",
            fix="drop --convention",
        )
    graph = graph_from(file, layers, wrt)
    values = parse_assignments(assignments)
    unset = graph.free_symbols - graph.symbols.keys() - values.keys()
    formulas = _formulas(graph, asked=symbolic or latex or bool(unset), quiet=bool(values))
    if unset:
        if fmt == "csv":
            missing = sorted(unset)[0]
            raise UsageError(
                f"CSV rows need values, and symbol {missing!r} has none",
                fix=f"pass --set {missing}=VALUE",
            )
        emit(second_order_report(graph, None, formulas, latex=latex), fmt, output)
        return
    big = graph.is_node_level and len(graph.blocks) > _BLOCK_LIMIT
    level = "node" if nodes or big else "block"
    result = count_second_order(graph, values=values, level=level)
    emit(second_order_report(graph, result, formulas, latex=latex), fmt, output)


def _formulas(graph: Graph, *, asked: bool, quiet: bool) -> SecondOrderCounts | None:
    """The symbolic counts when asked for, or by default for a graph with symbols and no
    ``--set``; ``None`` when not wanted (or too large when not asked for, with a warning)."""
    if not asked and (quiet or not graph.free_symbols):
        return None
    from graphcost.count.second_order import count_second_order_symbolic
    from graphcost.errors import SizeError, SymbolicTooLargeError

    try:
        return count_second_order_symbolic(graph)
    except SizeError:  # e.g. a diag edge between sizes equal only at these values
        if asked:
            raise
    except SymbolicTooLargeError as error:
        if asked:
            raise
        warn(f"formulas not derived ({error.message}); the counts are at the symbol values")
    return None


def second_order_report(
    graph: Graph,
    result: SecondOrderCounts | None,
    formulas: SecondOrderCounts | None,
    *,
    latex: bool = False,
) -> Report:
    """The report: one row per mode with its multiplications and ratio to forward-over-reverse
    (values from ``result``, formulas from ``formulas``; either may be ``None``, not both)."""
    from graphcost.count.second_order import MODES
    from graphcost.report.cells import formula
    from graphcost.report.render import Report, format_int, format_ratio

    main = _main(result, formulas)
    columns, rows = ["mode"], [[name] for name in MODES]
    if result is not None:
        columns += ["multiplications", "÷ forward-over-reverse"]
        for row in rows:
            mode = result.modes[row[0]]
            row += [format_int(mode.multiplications), format_ratio(result.ratio(row[0]))]
    if formulas is not None:
        columns += ["multiplications (formula)"]
        for row in rows:
            row.append(formula(formulas.modes[row[0]].multiplications, latex=latex))
        if result is None:
            columns += ["÷ forward-over-reverse (formula)"]
            for row in rows:
                row.append(formula(formulas.ratio(row[0]), latex=latex))
    values = ", ".join(f"{k} = {v:,}" for k, v in main.values.items())
    title = f"{main.graph} — cost of the Hessian (elimination convention" + (
        f", {values})" if values else ")"
    )
    return Report(
        title=title,
        columns=columns,
        rows=rows,
        records=[] if result is None else _records(result),
        data=_data(graph, result, formulas),
        notes=_notes(graph, main, formulas, latex=latex),
    )


def _notes(
    graph: Graph, main: SecondOrderCounts, formulas: SecondOrderCounts | None, *, latex: bool
) -> list[Any]:
    from graphcost.report.cells import formula

    outputs, directions = _text(main.outputs), _text(main.directions)
    notes: list[Any] = [
        f"the Hessian of each output node ({outputs}) with respect to every input node "
        f"({directions} directions); every local Hessian taken as dense",
        "forward-over-reverse: tangents and adjoints once, second-order adjoints per direction",
        "reverse-over-forward: a reverse sweep of the tangent program per direction",
        "forward-over-forward: second-order tangents per ordered pair of directions",
        "each mode's phases: --format json; exploiting symmetry (edge pushing) is not counted",
    ]
    if main.approximate:
        notes.append(
            f"approximate: joins of {', '.join(main.approximate)} are held as full "
            "(upper bounds); --nodes gives the exact count"
        )
    if main is not formulas:
        notes.append(f"counted at {main.level} level")
    if formulas is not None:
        notes.append(_leading(formulas, latex=latex, cell=formula))
    return notes


def _leading(formulas: SecondOrderCounts, *, latex: bool, cell: Any) -> tuple[Any, ...]:
    """The note on the leading order of each mode as the symbols grow together."""
    from graphcost.count.symbolic import leading_order
    from graphcost.report.cells import Math

    symbols = sorted(
        {s for mode in formulas.modes.values() for s in _free(mode.multiplications)}, key=str
    )
    if not symbols:
        return ("no size symbols: the counts are constants",)
    names = ", ".join(map(str, symbols))
    subject = names + (" grows" if len(symbols) == 1 else " grow together")
    parts: list[Any] = [f"leading order as {subject}: "]
    for i, (name, mode) in enumerate(formulas.modes.items()):
        shown = cell(leading_order(mode.multiplications, symbols), latex=latex)
        if isinstance(shown, Math):
            shown = Math(f"~ {shown.text}", rf"\sim {shown.latex}")
        parts += [", " * (i > 0) + f"{name} ", shown]
    return tuple(parts)


def _free(expression: Any) -> set[Any]:
    return set(getattr(expression, "free_symbols", set()))


def _text(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _records(result: SecondOrderCounts) -> list[dict[str, Any]]:
    from graphcost.count.second_order import MODES

    records = []
    for name in MODES:
        ratio = result.ratio(name)
        records.append(
            {
                "graph": result.graph,
                "mode": name,
                "level": result.level,
                **result.values,
                "multiplications": result.modes[name].multiplications,
                "ratio_to_forward_over_reverse": "" if ratio is None else str(ratio),
                "directions": result.directions,
                "outputs": result.outputs,
            }
        )
    return records


def _data(
    graph: Graph, result: SecondOrderCounts | None, formulas: SecondOrderCounts | None
) -> dict[str, Any]:
    main = _main(result, formulas)
    data: dict[str, Any] = {
        "graph": main.graph,
        "order": 2,
        "convention": "elimination",
        "level": main.level,
        "symbols": dict(main.values),
        "directions": _json(main.directions),
        "outputs": _json(main.outputs),
        "local_hessians": "dense",
        "modes": {},
        "approximate": list(main.approximate),
        "path": graph.path,
    }
    for name, mode in main.modes.items():
        ratio = main.ratio(name)
        data["modes"][name] = {
            "description": mode.description,
            "multiplications": _json(mode.multiplications) if result is not None else None,
            "ratio": _ratio(ratio) if result is not None else None,
            "ratio_exact": None if ratio is None or result is None else str(ratio),
            "phases": {k: _json(v) for k, v in mode.phases.items()} if result else None,
        }
    if formulas is not None:
        data["symbolic"] = {
            name: {
                "multiplications": str(mode.multiplications),
                "phases": {k: str(v) for k, v in mode.phases.items()},
                "ratio": None if formulas.ratio(name) is None else str(formulas.ratio(name)),
            }
            for name, mode in formulas.modes.items()
        }
    return data


def _main(result: SecondOrderCounts | None, formulas: SecondOrderCounts | None) -> Any:
    """The counts the report is titled by: the values, else the formulas."""
    main = result if result is not None else formulas
    if main is None:
        raise ValueError("a second-order report needs values or formulas")
    return main


def _json(value: Any) -> Any:
    return value if isinstance(value, int) else str(value)


def _ratio(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except OverflowError:
        return None
