"""``graphcost analyze --explain``: the block terms, counted and laid out."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graphcost.count.recursions import CountResult
    from graphcost.count.symbolic import SymbolicCounts
    from graphcost.graph.model import Graph
    from graphcost.report.render import Report


def explain_report(
    graph: Graph,
    convention: str,
    result: CountResult | None,
    formulas: SymbolicCounts | None,
    *,
    latex: bool = False,
) -> Report:
    """The ``--explain`` report of ``graph``.

    Parameters
    ----------
    graph, convention
        What is counted.
    result
        The counts at the symbol values (``None`` when a symbol has no value): the block terms
        are evaluated at the same values and must add up to them.
    formulas
        The symbolic counts when formulas are shown (``None`` otherwise): the block terms are
        then shown as formulas too, and must add up to these.
    latex
        Formulas as LaTeX source in the table too.

    Raises
    ------
    RuntimeError
        When the block terms do not add up to the counts (a bug: one definition gives both).
    """
    from graphcost.count.explain import explain
    from graphcost.count.recursions import CONVENTIONS, count
    from graphcost.report.explain import OtherConvention, explanation_report

    numbers = formulas_terms = other = None
    if result is not None:
        numbers = explain(graph, convention=convention, values=result.values)
        if result.level == "block":
            _check(numbers.totals, result.forward, result.backward)
        name = next(c for c in CONVENTIONS if c != result.convention)
        counted = count(graph, convention=name, values=result.values, level="block")
        other = OtherConvention(
            name, counted.forward.multiplications, counted.backward.multiplications
        )
    if formulas is not None:
        formulas_terms = explain(graph, convention=convention, symbolic=True)
        _check(formulas_terms.totals, formulas.forward, formulas.backward)
        if other is None:
            name = next(c for c in CONVENTIONS if c != formulas.convention)
            other = OtherConvention(name, None, None)
    return explanation_report(numbers, formulas_terms, other=other, latex=latex)


def _check(totals: dict, forward: object, backward: object) -> None:
    """The block terms' sums against the counts reported beside them."""
    import sympy

    for quantity, expected in (
        ("forward_multiplications", forward.multiplications),  # type: ignore[attr-defined]
        ("forward_additions", forward.additions),  # type: ignore[attr-defined]
        ("backward_multiplications", backward.multiplications),  # type: ignore[attr-defined]
        ("backward_additions", backward.additions),  # type: ignore[attr-defined]
    ):
        if sympy.expand(sympy.sympify(totals[quantity]) - sympy.sympify(expected)) != 0:
            raise RuntimeError(
                f"the block terms of {quantity} add up to {totals[quantity]}, not {expected}"
            )
