"""The cost of a Hessian: scalar multiplications of three second-order modes, in closed form.

What is computed: for every output node y, the Hessian ∂²α_y/∂α_u∂α_u' over all input nodes
u, u' (one Hessian per output node; a scalar output has one), from the local partials
c_wv = ∂g_v/∂α_w on the edges and the local second partials c_ww'v = ∂²g_v/∂α_w∂α_w' of every
node v. Without node functions nothing says which pairs of predecessors interact, so **every
local Hessian is taken as dense**: c_ww'v is a structural non-zero for every pair w, w' ∈ P_v
(a linear node's zeros are counted as if they were not). All input nodes are directions
(K = |V|; ``--wrt`` chooses V).

The elimination convention of first order (:mod:`graphcost.count.recursions`) holds: a
product with a unit seed (Δ_uu = 1, ā_y = 1) or a structural zero is not counted. Notation:
A(v) the inputs reaching v, O(v) the outputs v reaches, P_v and S_v its predecessors and
successors, Δ_uv the first-order tangents. Every mode forms the **tangents of the local
partials**, ċ_wv^(u) = Σ_{w'∈P_v} c_ww'v · Δ_uw' (one product per w' ∉ V and u ∈ A(w')), and:

``forward-over-reverse`` (the tangent of the reverse sweep; one Hessian-vector product per
input direction, all K directions in one vector sweep)
    the tangents Δ (first order's forward recursion); ċ on the edges into nodes that reach an
    output; the adjoints ā_w = Σ_v ā_v · c_wv once (first order's backward recursion); and
    the second-order adjoints ǡ_w^(u,y) = Σ_{v∈S_w} (ǡ_v · c_wv + ā_v · ċ_wv^(u)), ǡ_y = 0,
    which at the inputs are the Hessian's columns.
``reverse-over-forward`` (the reverse sweep of the tangent program, once per direction u)
    the tangents Δ; then per direction u the reverse of α̇_v = Σ_w c_wv · α̇_w: the adjoints of
    the tangents ᾱ̇_w = Σ_v ᾱ̇_v · c_wv (first order's adjoints, recomputed per direction, on
    the edges of the tangent program, u ∈ A(w)), the adjoints of the local partials
    c̄_wv = ᾱ̇_v · α̇_w, their push through the local Hessian ᾱ_w' += c̄_wv · c_ww'v, and
    ᾱ_w += ᾱ_v · c_wv.
``forward-over-forward`` (the tangent of the tangent program, every ordered pair (u, u'))
    the tangents Δ (shared by both levels: they are the same numbers); ċ on every edge; and the
    second-order tangents Δ²_uu'v = Σ_{w∈P_v} (Δ_uw · ċ_wv^(u') + c_wv · Δ²_uu'w).

Closed forms over the units (blocks, or single nodes) of a
:class:`~graphcost.count.second_structure.SecondStructure`, with |j| the unit's size, a, d, p,
q the per-node inputs reaching, outputs reached, predecessors and successors, T (``into``) the
unit's Σ over in-edges from non-inputs of partials·|A(source)|, T' (``into_all``) the same over
all in-edges and r (``output_inputs``) Σ_{y∈O(v)} |A(y)|:

- forward-over-reverse = Σ_D |j|·a·q + Σ_{v∉V, d>0} p·T + Σ_D |j|·p·d + Σ_D |j|·p·r
  + Σ_D |j|·p·d·a
- reverse-over-forward = Σ_D |j|·a·q + 2·Σ_D d·T + Σ_D p·d·T' + Σ_D' p·T + Σ_D |j|·p·r
- forward-over-forward = Σ_D |j|·a·q + Σ_{v∉V} (p + a)·T + Σ_D |j|·a²·q

Why those terms: ǡ_v^(u,y) is a structural non-zero exactly when y ∈ O(v), v ≠ y and
u ∈ A(y) (some node below v that reaches y is reached by u), hence r; ċ_wv^(u) exactly when
u ∈ A(v); Δ²_uu'w exactly when u, u' ∈ A(w). Exploiting the Hessian's symmetry (edge pushing,
symmetric elimination) is not counted here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from graphcost.count.second_structure import (
    SecondStructure,
    second_structure,
    symbolic_second_structure,
)
from graphcost.count.terms import Products, count_total
from graphcost.graph.model import INPUT, OUTPUT, ROLE_CODE, Graph

__all__ = [
    "MODES",
    "REFERENCE_MODE",
    "Mode",
    "ModeCount",
    "SecondOrderCounts",
    "count_second_order",
    "count_second_order_symbolic",
]

_INPUT, _INTERMEDIATE, _OUTPUT = ROLE_CODE[INPUT], ROLE_CODE["D"], ROLE_CODE[OUTPUT]
#: A mode's count: named phases, each a sum of products over the units.
Phases = tuple[tuple[str, Products], ...]


@dataclass(frozen=True)
class Mode:
    """A second-order mode: its name, a one-line description and its phases' products."""

    name: str
    description: str
    phases: Callable[[SecondStructure], Phases]


def _masks(x: SecondStructure) -> dict[str, np.ndarray]:
    s = x.first
    return {
        "D": s.role == _INTERMEDIATE,
        "D'": s.role == _OUTPUT,
        "not V": s.role != _INPUT,
        "not V, reaches an output": (s.role != _INPUT) & _nonzero(s.desc),
    }


def _nonzero(values: np.ndarray) -> np.ndarray:
    # Structural: a symbolic count is zero exactly when it is the integer 0.
    return np.array([v != 0 for v in values.tolist()], dtype=bool)


def _tangents(x: SecondStructure) -> Products:
    s = x.first
    return Products(
        (s.size, s.anc, s.succ), ("size", "inputs reaching", "successors"), _masks(x)["D"]
    )


def forward_over_reverse(x: SecondStructure) -> Phases:
    """Phases of forward-over-reverse (module docstring)."""
    s, m = x.first, _masks(x)
    return (
        ("tangents Δ_uv", _tangents(x)),
        (
            "tangents of the local partials ċ_wv",
            Products(
                (s.pred, x.into), ("predecessors", "Σ in-edges ·|A|"), m["not V, reaches an output"]
            ),
        ),
        (
            "adjoints ā_w (once)",
            Products((s.size, s.pred, s.desc), ("size", "predecessors", "outputs reached"), m["D"]),
        ),
        (
            "second-order adjoints: ǡ_v·c_wv",
            Products(
                (s.size, s.pred, x.output_inputs),
                ("size", "predecessors", "Σ_{y reached} |A(y)|"),
                m["D"],
            ),
        ),
        (
            "second-order adjoints: ā_v·ċ_wv",
            Products(
                (s.size, s.pred, s.desc, s.anc),
                ("size", "predecessors", "outputs reached", "inputs reaching"),
                m["D"],
            ),
        ),
    )


def reverse_over_forward(x: SecondStructure) -> Phases:
    """Phases of reverse-over-forward (module docstring)."""
    s, m = x.first, _masks(x)
    return (
        ("tangents Δ_uv", _tangents(x)),
        (
            "adjoints of the tangents (per direction)",
            Products((s.desc, x.into), ("outputs reached", "Σ in-edges ·|A|"), m["D"]),
        ),
        (
            "adjoints of the local partials c̄_wv",
            Products((s.desc, x.into), ("outputs reached", "Σ in-edges ·|A|"), m["D"]),
        ),
        (
            "c̄_wv · local second partials",
            Products(
                (s.pred, s.desc, x.into_all),
                ("predecessors", "outputs reached", "Σ all in-edges ·|A|"),
                m["D"],
            ),
        ),
        (
            "c̄_wv · local second partials (into outputs)",
            Products((s.pred, x.into), ("predecessors", "Σ in-edges ·|A|"), m["D'"]),
        ),
        (
            "adjoints ᾱ_v·c_wv",
            Products(
                (s.size, s.pred, x.output_inputs),
                ("size", "predecessors", "Σ_{y reached} |A(y)|"),
                m["D"],
            ),
        ),
    )


def forward_over_forward(x: SecondStructure) -> Phases:
    """Phases of forward-over-forward (module docstring)."""
    s, m = x.first, _masks(x)
    return (
        ("tangents Δ_uv", _tangents(x)),
        (
            "tangents of the local partials ċ_wv",
            Products((s.pred, x.into), ("predecessors", "Σ in-edges ·|A|"), m["not V"]),
        ),
        (
            "second-order tangents: Δ_uw·ċ_wv",
            Products((s.anc, x.into), ("inputs reaching", "Σ in-edges ·|A|"), m["not V"]),
        ),
        (
            "second-order tangents: c_wv·Δ²_uu'w",
            Products(
                (s.size, s.anc, s.anc, s.succ),
                ("size", "inputs reaching", "inputs reaching", "successors"),
                m["D"],
            ),
        ),
    )


MODES: dict[str, Mode] = {
    mode.name: mode
    for mode in (
        Mode(
            "forward-over-reverse",
            "tangent of the reverse sweep: one Hessian-vector product per input direction",
            forward_over_reverse,
        ),
        Mode(
            "reverse-over-forward",
            "reverse sweep of the tangent program, once per input direction",
            reverse_over_forward,
        ),
        Mode(
            "forward-over-forward",
            "second-order tangents for every ordered pair of input directions",
            forward_over_forward,
        ),
    )
}
#: The mode the others are compared with.
REFERENCE_MODE = "forward-over-reverse"


@dataclass(frozen=True)
class ModeCount:
    """One mode's multiplications: the total and its phases (ints, or sympy expressions)."""

    name: str
    description: str
    multiplications: Any
    phases: dict[str, Any]


@dataclass(frozen=True)
class SecondOrderCounts:
    """The multiplications of every mode of :data:`MODES` on one graph.

    Attributes
    ----------
    graph
        The graph's name.
    level
        ``"block"`` (closed form) or ``"node"`` (expanded graph).
    modes
        :class:`ModeCount` by mode name, in :data:`MODES` order.
    directions, outputs
        Input nodes K (the Hessian is K × K) and output nodes (one Hessian each).
    values
        The symbol values used (empty when symbolic).
    approximate
        Block level: edges held as full (the counts are upper bounds), as first order's.
    """

    graph: str
    level: str
    modes: dict[str, ModeCount]
    directions: Any
    outputs: Any
    values: dict[str, int] = field(default_factory=dict)
    approximate: tuple[str, ...] = ()

    def ratio(self, name: str) -> Any:
        """A mode's multiplications / forward-over-reverse's: exact, ``None`` if undefined."""
        mine = self.modes[name].multiplications
        reference = self.modes[REFERENCE_MODE].multiplications
        if isinstance(mine, int) and isinstance(reference, int):
            return Fraction(mine, reference) if reference else None
        import sympy

        if sympy.expand(reference) == 0:
            return None
        from graphcost.count.symbolic import single_fraction

        return single_fraction(sympy.sympify(mine) / sympy.sympify(reference))


def _counts(
    graph: Graph, x: SecondStructure, values: dict[str, int], tidy: Any
) -> SecondOrderCounts:
    s = x.first
    modes = {}
    for mode in MODES.values():
        phases = {name: tidy(count_total((part,))) for name, part in mode.phases(x)}
        total = tidy(count_total(tuple(part for _, part in mode.phases(x))))
        modes[mode.name] = ModeCount(mode.name, mode.description, total, phases)
    return SecondOrderCounts(
        graph=graph.name,
        level=s.level,
        modes=modes,
        directions=tidy(count_total((Products((s.size,), ("size",), s.role == _INPUT),))),
        outputs=tidy(count_total((Products((s.size,), ("size",), s.role == _OUTPUT),))),
        values=values,
        approximate=s.approximate,
    )


def count_second_order(
    graph: Graph, *, values: Mapping[str, int] | None = None, level: str = "block"
) -> SecondOrderCounts:
    """Count the multiplications of every second-order mode on ``graph``.

    Parameters
    ----------
    graph
        A validated graph.
    values
        Symbol values overriding the graph's defaults.
    level
        ``"block"`` (closed form, never expands) or ``"node"`` (expanded graph).

    Returns
    -------
    SecondOrderCounts

    Raises
    ------
    UsageError, SizeError, GraphTooLargeError

    Examples
    --------
    >>> from graphcost.graph.loader import graph_from_dict
    >>> g = graph_from_dict({"V": ["x1", "x2"], "D": ["h"], "D'": ["y"],
    ...     "E": [["x1", "h"], ["x2", "h"], ["h", "y"]]})
    >>> r = count_second_order(g)
    >>> [m.multiplications for m in r.modes.values()]
    [14, 12, 12]
    """
    x = second_structure(graph, values, level=level)
    return _counts(graph, x, graph.symbol_values(values), int)


def count_second_order_symbolic(graph: Graph) -> SecondOrderCounts:
    """The counts as sympy expressions in the size symbols, derived at block level.

    Raises
    ------
    UsageError, SizeError
    SymbolicTooLargeError
        Before any expansion, when a size or a count would be a polynomial beyond the limits
        of :mod:`graphcost.count.budget`.
    """
    import sympy

    from graphcost.count.budget import require_symbolic_budget, values_hint
    from graphcost.count.symbolic import present

    x = symbolic_second_structure(graph)
    raw = _counts(graph, x, {}, sympy.sympify)
    require_symbolic_budget(
        {name: mode.multiplications for name, mode in raw.modes.items()},
        subject=f"graph {graph.name!r}",
        path=graph.path,
        fix=values_hint(graph),
    )
    return _counts(graph, x, {}, lambda value: present(sympy.expand(value)))
