"""The chain rule as a person writes it, for node-level traces: symbolic local partials
(:func:`local_partials`) and per node the recursion of its adjoint or tangent
(:func:`chain_rules`).

For display only: the numbers come from :func:`graphcost.numeric.evaluate.local_jacobians`.
"""

from __future__ import annotations

from typing import Any

from graphcost.graph.functions import sympy_functions
from graphcost.numeric.model import NumericModel

#: Combining marks that turn a node name into its adjoint (``x̄``) or its tangent (``ẋ``).
ADJOINT_MARK = "\u0304"
TANGENT_MARK = "\u0307"


def local_partials(model: NumericModel, block: int) -> dict[int, Any]:
    """∂g_v/∂α_u for every parent u of ``block``, as sympy expressions in the node names.

    Constants stay symbols (their names), and a layer op's partial is its weight parameter, so
    the result is for display: the numbers come from :func:`local_jacobians`. Symbols are only
    ever printed, never compiled.

    Examples
    --------
    >>> from graphcost.graph.loader import graph_from_dict
    >>> from graphcost.numeric.build import build_model
    >>> g = graph_from_dict({"V": ["x", "w"], "D'": ["y"], "g": {"y": "x * w + 1 / w"}})
    >>> local_partials(build_model(g), 2)
    {0: w, 1: x - 1/w**2}
    """
    import sympy

    definition = model.definitions[block]
    blocks = model.graph.blocks
    if definition.op is not None:
        partials: dict[int, Any] = {
            p: sympy.Symbol(model.weight_name(block, p)) for p in definition.parents
        }
        for p, w in zip(definition.parents, definition.weights, strict=True):
            if w is not None:  # a weight input: ∂h/∂W = the parent it multiplies
                partials[w] = sympy.Symbol(blocks[p].name)
        if definition.bias is not None:
            partials[definition.bias] = sympy.Integer(1)
        return partials
    symbols = {blocks[p].name: sympy.Symbol(blocks[p].name, real=True) for p in definition.parents}
    symbols.update({c: sympy.Symbol(c, real=True) for c in definition.constants})
    expression = definition.expr.to_sympy(symbols, sympy_functions())
    return {p: sympy.diff(expression, symbols[blocks[p].name]) for p in definition.parents}


def chain_rules(model: NumericModel, mode: str) -> list[str] | None:
    """Per block, the recursion that gives its adjoint or tangent, with symbolic partials.

    Backward: ``v̄ = Σ_{w ∈ succ(v)} w̄·∂g_w/∂v`` (successors in evaluation order), ``1`` for an
    output (the seed). Forward: ``v̇ = Σ_{u ∈ P_v} ∂g_v/∂u·u̇`` (parents in the order of the
    definition), ``1`` for an input. A partial that is not a name, a call or a non-negative
    number is parenthesised; terms whose partial is identically zero are left out (``0`` when
    none is left). Only node-level graphs have such rules: ``None`` when a block has more than
    one node.

    Parameters
    ----------
    model
        The numeric model.
    mode
        ``"backward"`` or ``"forward"``.

    Examples
    --------
    >>> from graphcost.graph.loader import graph_from_dict
    >>> from graphcost.numeric.build import build_model
    >>> g = graph_from_dict({"V": ["x", "w"], "D": ["v"], "D'": ["y"],
    ...     "g": {"v": "x * w", "y": "sin(v)"}})
    >>> chain_rules(build_model(g), "backward")
    ['x̄ = v̄·w', 'w̄ = v̄·x', 'v̄ = ȳ·cos(v)', 'ȳ = 1']
    >>> chain_rules(build_model(g), "forward")
    ['ẋ = 1', 'ẇ = 1', 'v̇ = w·ẋ + x·ẇ', 'ẏ = cos(v)·v̇']
    """
    if any(size != 1 for size in model.sizes):
        return None
    reverse = mode == "backward"
    mark = ADJOINT_MARK if reverse else TANGENT_MARK
    names = [_marked(block.name, mark) for block in model.graph.blocks]
    partials = {block: local_partials(model, block) for block in model.definitions}
    seeds = set(model.outputs if reverse else model.inputs)
    successors: list[list[int]] = [[] for _ in model.sizes]
    for block in model.graph.order.tolist():  # evaluation order
        for parent in partials.get(block, {}):
            successors[parent].append(block)
    rules = []
    for v, name in enumerate(names):
        if v in seeds:
            rules.append(f"{name} = 1")
            continue
        if reverse:
            terms = [
                f"{names[w]}·{_factor(partials[w][v])}"
                for w in successors[v]
                if partials[w][v] != 0
            ]
        else:
            terms = [
                f"{_factor(partial)}·{names[u]}"
                for u, partial in partials.get(v, {}).items()
                if partial != 0
            ]
        rules.append(f"{name} = {' + '.join(terms) or '0'}")
    return rules


def _marked(name: str, mark: str) -> str:
    """``name`` with ``mark`` over its first character, as the seeds write v̄2 and ẋ."""
    return name[:1] + mark + name[1:]


def _factor(expression: Any) -> str:
    """A partial as one factor of a product: parenthesised unless it is a name, call or number."""
    text = str(expression)
    atomic = expression.is_Symbol or expression.is_Function
    if atomic or (expression.is_Number and expression >= 0):
        return text
    return f"({text})"
