"""The symbolic side of ``--expect`` (:mod:`graphcost.numeric.expect`): every node as an
expression in the inputs (:func:`forms_of`), the adjoint ∂(of)/∂(wrt) by a symbolic reverse sweep
(:func:`symbolic_adjoint`) and whether sympy proves a difference zero (:func:`proved_equal`).
"""

from __future__ import annotations

from typing import Any

from graphcost.graph.functions import sympy_functions
from graphcost.numeric.model import NumericModel

#: Most operations of a difference sympy.simplify is tried on, and the largest integer power in
#: it (simplify expands powers: (x + 1)**1000 would take hours).
MAX_SIMPLIFY_OPS = 400
MAX_SIMPLIFY_POWER = 12


def forms_of(model: NumericModel) -> tuple[list[Any], dict[str, Any]]:
    """Every node as a sympy expression in the input and constant symbols."""
    import sympy

    blocks = model.graph.blocks
    constants = {
        c: sympy.Symbol(c, real=True) for d in model.definitions.values() for c in d.constants
    }
    forms: list[Any] = [None] * len(blocks)
    for block in model.graph.order.tolist():
        definition = model.definitions.get(block)
        if definition is None:
            forms[block] = sympy.Symbol(blocks[block].name, real=True)
            continue
        symbols = {blocks[p].name: forms[p] for p in definition.parents} | constants
        forms[block] = definition.expr.to_sympy(symbols, sympy_functions())
    return forms, constants


def symbolic_adjoint(model: NumericModel, forms: list[Any], of: int, wrt: int) -> Any:
    """∂(of)/∂(wrt), wrt independent: the reverse sweep over symbolic local partials."""
    import sympy

    blocks = model.graph.blocks
    adjoint: dict[int, Any] = {of: sympy.Integer(1)}
    for block in model.graph.order.tolist()[::-1]:
        definition = model.definitions.get(block)
        if block == wrt or definition is None or block not in adjoint:
            continue
        local = {
            blocks[p].name: sympy.Symbol(f"_p{i}", real=True)
            for i, p in enumerate(definition.parents)
        }
        symbols = local | {c: sympy.Symbol(c, real=True) for c in definition.constants}
        expression = definition.expr.to_sympy(symbols, sympy_functions())
        back = {local[blocks[p].name]: forms[p] for p in definition.parents}
        for p in definition.parents:
            partial = sympy.diff(expression, local[blocks[p].name]).xreplace(back)
            adjoint[p] = adjoint.get(p, 0) + adjoint[block] * partial
    return adjoint.get(wrt, sympy.Integer(0))


def _elementary(expression: Any) -> Any:
    """sigmoid, softplus, relu, pos and log1p written with functions sympy simplifies."""
    import sympy

    rewrite = {
        "sigmoid": lambda u: 1 / (1 + sympy.exp(-u)),
        "softplus": lambda u: sympy.log(1 + sympy.exp(u)),
        "relu": lambda u: sympy.Max(0, u),
        "pos": lambda u: sympy.Heaviside(u, 0),
        "log1p": lambda u: sympy.log(1 + u),
    }
    return expression.replace(
        lambda e: type(e).__name__ in rewrite and len(e.args) == 1,
        lambda e: rewrite[type(e).__name__](e.args[0]),
    )


def proved_equal(difference: Any) -> bool:
    """Whether sympy simplifies ``difference`` to 0 (tried only on small expressions)."""
    import sympy

    difference = _elementary(difference)
    if difference == 0:
        return True
    powers = [abs(p.exp) for p in difference.atoms(sympy.Pow) if p.exp.is_Integer]
    if max(powers, default=0) > MAX_SIMPLIFY_POWER:
        return False
    if sympy.count_ops(difference) > MAX_SIMPLIFY_OPS:
        return False
    return bool(sympy.simplify(difference) == 0)
