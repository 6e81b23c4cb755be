"""Multiplication and addition counts of the forward and the backward recursion.

Two conventions, looked up by name in :data:`CONVENTIONS`:

``elimination`` (default; the lecture's, Griewank & Naumann's vertex elimination)
    Forward recursion Δ_uv = Σ_{w∈P_v} Δ_uw·∂g_v/∂α_w for every input u; backward recursion
    Δ_uv = Σ_{w: u∈P_w} ∂g_w/∂α_u·Δ_wv for every output v. A product with a unit seed
    (Δ_uu = 1) or with a structural zero (u does not reach w) is not counted, so

    - forward multiplications  = Σ_{j∈D} |input ancestors of j| · |successors of j|
    - backward multiplications = Σ_{j∈D} |predecessors of j| · |output descendants of j|
    - forward additions  = Σ_{v∉V} (number of non-zero terms of Δ_uv, summed over u) − |Δ_uv ≠ 0|

``dense``
    What a framework does with an identity seed matrix: every local partial is multiplied once
    per seed direction (forward |V| per edge, backward |D'| per edge), and a node with k
    predecessors (forward) or k successors (backward) needs k − 1 additions per direction.

Each convention is a formula over a :class:`graphcost.jacobian.structure.Structure`, so the same
definition gives block-level closed forms (ints or sympy) and node-level counts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from graphcost.count.terms import (
    ScheduleCost,
    TermFunction,
    dense_terms,
    elimination_terms,
    totals,
)
from graphcost.errors import UsageError
from graphcost.graph.model import Graph, check_level
from graphcost.jacobian.structure import (
    Structure,
    block_structure,
    expand,
    node_structure,
)

__all__ = [
    "BLOCK_ENGINE_LIMIT",
    "CONVENTIONS",
    "Convention",
    "CountResult",
    "ScheduleCost",
    "count",
    "count_symbolic",
    "get_convention",
    "structure_of",
    "symbolic_structure",
]
#: Node-level graphs with more blocks than this are counted with the node engine under "auto".
BLOCK_ENGINE_LIMIT = 256


@dataclass(frozen=True)
class CountResult:
    """Forward and backward counts of one graph under one convention.

    Attributes
    ----------
    graph
        The graph's name.
    convention
        The convention's name.
    level
        ``"block"`` (closed form over blocks) or ``"node"`` (expanded graph).
    forward, backward
        The two schedules' costs.
    values
        The symbol values used (empty for a symbolic result).
    approximate
        Block level: the edges (``"x -> y"``) whose structure was held as full because two
        index patterns had no exact join; the counts are then upper bounds and ``--nodes``
        gives the exact ones. Empty when exact.
    """

    graph: str
    convention: str
    level: str
    forward: ScheduleCost
    backward: ScheduleCost
    values: dict[str, int] = field(default_factory=dict)
    approximate: tuple[str, ...] = ()

    @property
    def speedup(self) -> Any:
        """Forward multiplications / backward multiplications: exact, ``None`` if undefined.

        A :class:`~fractions.Fraction` for numeric counts, a sympy expression for symbolic ones.
        """
        forward, backward = self.forward.multiplications, self.backward.multiplications
        if isinstance(forward, int) and isinstance(backward, int):
            return Fraction(forward, backward) if backward else None
        if backward == 0:
            return None
        import sympy

        return sympy.cancel(sympy.sympify(forward) / sympy.sympify(backward))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; the keys ``forward``, ``backward`` and ``speedup`` are stable."""
        speedup = self.speedup
        return {
            "graph": self.graph,
            "convention": self.convention,
            "level": self.level,
            "symbols": dict(self.values),
            "forward": _cost_dict(self.forward),
            "backward": _cost_dict(self.backward),
            "speedup": _as_float(speedup),
            "speedup_exact": None if speedup is None else str(speedup),
            "approximate": list(self.approximate),
        }


def _as_float(value: Any) -> float | None:
    """``float(value)``, or ``None`` if undefined or beyond float range (see ``speedup_exact``)."""
    if value is None:
        return None
    try:
        return float(value)
    except OverflowError:
        return None


def _cost_dict(cost: ScheduleCost) -> dict[str, Any]:
    return {"multiplications": cost.multiplications, "additions": cost.additions}


@dataclass(frozen=True)
class Convention:
    """A counting convention: a name, a one-line description, and its terms.

    Its counts are the sums of its terms (:mod:`graphcost.count.terms`): :meth:`formula`.
    """

    name: str
    description: str
    terms: TermFunction

    def formula(self, structure: Structure) -> tuple[ScheduleCost, ScheduleCost]:
        """Forward and backward costs on ``structure``: the sums of :attr:`terms`."""
        return totals(self.terms(structure))


CONVENTIONS: dict[str, Convention] = {
    c.name: c
    for c in (
        Convention(
            "elimination",
            "vertex elimination (Griewank & Naumann): products with a unit seed or a "
            "structural zero are not counted",
            elimination_terms,
        ),
        Convention(
            "dense",
            "identity seed matrix: every local partial is multiplied once per seed direction",
            dense_terms,
        ),
    )
}


def get_convention(name: str) -> Convention:
    """Look up a convention by name.

    Raises
    ------
    UsageError
        For an unknown name, listing the valid ones.
    """
    try:
        return CONVENTIONS[name]
    except KeyError:
        raise UsageError(
            f"unknown convention {name!r}", fix=f"choose one of: {', '.join(CONVENTIONS)}"
        ) from None


def structure_of(
    graph: Graph, values: Mapping[str, int] | None = None, *, level: str = "auto"
) -> Structure:
    """The :class:`Structure` of ``graph`` at the requested level.

    ``"auto"`` counts at block level, except node-level graphs with more than
    :data:`BLOCK_ENGINE_LIMIT` nodes, which go to the vectorised node engine.

    Raises
    ------
    SizeError, GraphTooLargeError, UsageError
    """
    check_level(level)
    if graph.is_node_level and not graph.is_shaped:
        # Every shape is (1,): one shared tuple instead of a million (checks the values all
        # the same: an unknown symbol in --set is still an error).
        graph.symbol_values(values)
        shapes, sizes = [(1,)] * len(graph.blocks), [1] * len(graph.blocks)
    else:
        shapes = graph.shapes(values)
        sizes = [math.prod(shape) for shape in shapes]
    if level == "auto":
        big = graph.is_node_level and len(graph.blocks) > BLOCK_ENGINE_LIMIT
        level = "node" if big else "block"
    if level == "block":
        return block_structure(graph, sizes, shapes)
    return node_structure(expand(graph, sizes, shapes))


def count(
    graph: Graph,
    *,
    convention: str = "elimination",
    values: Mapping[str, int] | None = None,
    level: str = "auto",
) -> CountResult:
    """Count the forward and backward recursion's multiplications and additions.

    Parameters
    ----------
    graph
        A validated graph.
    convention
        A name in :data:`CONVENTIONS`.
    values
        Symbol values overriding the graph's defaults.
    level
        ``"auto"``, ``"block"`` (closed form, never expands) or ``"node"`` (expanded graph).

    Returns
    -------
    CountResult

    Raises
    ------
    UsageError, SizeError, GraphTooLargeError

    Examples
    --------
    >>> from graphcost.graph.loader import graph_from_dict
    >>> g = graph_from_dict({"symbols": {"n": 30}, "V": {"x": "n"},
    ...     "D": {"h1": "2*n/3", "h2": "n/3"}, "D'": {"y": 1},
    ...     "E": [["x", "h1"], ["h1", "h2"], ["h2", "y"]]})
    >>> r = count(g)
    >>> r.forward.multiplications, r.backward.multiplications, r.speedup
    (6300, 800, Fraction(63, 8))
    """
    chosen = get_convention(convention)
    structure = structure_of(graph, values, level=level)
    forward, backward = chosen.formula(structure)
    return CountResult(
        graph=graph.name,
        convention=chosen.name,
        level=structure.level,
        forward=ScheduleCost(int(forward.multiplications), int(forward.additions)),
        backward=ScheduleCost(int(backward.multiplications), int(backward.additions)),
        values=graph.symbol_values(values),
        approximate=structure.approximate,
    )


def symbolic_structure(graph: Graph) -> Structure:
    """The block :class:`Structure` of ``graph`` with sympy sizes (positive integer symbols).

    Raises
    ------
    SizeError
    SymbolicTooLargeError
        When a block size would be a polynomial beyond :mod:`graphcost.count.budget`'s limits
        (checked before any expansion).
    """
    import sympy

    from graphcost.count.budget import budgeted_sizes

    budgeted_sizes(
        graph,
        {name: sympy.Symbol(name, positive=True, integer=True) for name in graph.free_symbols},
    )
    shapes, _ = graph.symbolic_shapes()
    return block_structure(graph, [math.prod(shape) for shape in shapes], shapes)


def count_symbolic(graph: Graph, *, convention: str = "elimination") -> CountResult:
    """The counts as sympy expressions in the size symbols, derived at block level.

    Exact for every admissible value of the symbols (never fitted from samples).

    Raises
    ------
    UsageError, SizeError
    SymbolicTooLargeError
        Before any expansion, when a block size or a count would be a polynomial beyond the
        limits of :mod:`graphcost.count.budget` (degree, terms).

    Examples
    --------
    >>> from graphcost.graph.loader import graph_from_dict
    >>> g = graph_from_dict({"symbols": {"n": 3}, "V": {"x": "n"}, "D": {"h": "n"},
    ...     "D'": {"y": 1}, "E": [["x", "h"], ["h", "y"]]})
    >>> count_symbolic(g).forward.multiplications
    n**2
    """
    import sympy

    from graphcost.count.budget import (
        factor_within_budget,
        require_symbolic_budget,
        values_hint,
    )

    chosen = get_convention(convention)
    structure = symbolic_structure(graph)
    forward, backward = chosen.formula(structure)
    require_symbolic_budget(
        {
            "forward multiplications": forward.multiplications,
            "forward additions": forward.additions,
            "backward multiplications": backward.multiplications,
            "backward additions": backward.additions,
        },
        subject=f"graph {graph.name!r}",
        path=graph.path,
        fix=values_hint(graph),
    )

    def tidy(cost: ScheduleCost) -> ScheduleCost:
        return ScheduleCost(
            factor_within_budget(sympy.expand(cost.multiplications)),
            factor_within_budget(sympy.expand(cost.additions)),
        )

    return CountResult(
        graph.name,
        chosen.name,
        "block",
        tidy(forward),
        tidy(backward),
        approximate=structure.approximate,
    )
