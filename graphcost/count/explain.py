"""Where a count comes from: each block's term of the forward and backward counts.

The terms are the convention's own (:mod:`graphcost.count.terms`), read block by block
instead of summed: the forward multiplications of the elimination convention are
Σ_{j∈D} |j| · (inputs reaching j) · (successors of j), and :func:`explain` lists, per block j,
those three factors and their product. The block terms add up to the totals
:func:`graphcost.count.recursions.count` reports, because both are sums of the same products;
:func:`explain` checks it anyway.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphcost.count.recursions import get_convention, structure_of, symbolic_structure
from graphcost.count.terms import QUANTITIES, Terms, count_total
from graphcost.graph.model import Graph
from graphcost.jacobian.structure import exact_sum


@dataclass(frozen=True)
class Part:
    """One product of a block's term: ``sign · Π factors`` (``labels`` say what each counts)."""

    sign: int
    factors: tuple[Any, ...]
    labels: tuple[str, ...]
    value: Any


@dataclass(frozen=True)
class BlockTerms:
    """A block's share of the four counts (:data:`~graphcost.count.terms.QUANTITIES`).

    Attributes
    ----------
    block, role
        The block's name and role (``V``, ``D``, ``D'``).
    parts
        Per quantity, the products charged to this block (empty when it contributes nothing).
    values
        Per quantity, the sum of those products (an int, or a sympy expression).
    """

    block: str
    role: str
    parts: dict[str, list[Part]]
    values: dict[str, Any]

    def contributes(self) -> bool:
        """Whether the block has a non-zero term in any of the four counts."""
        return any(value != 0 for value in self.values.values())


@dataclass(frozen=True)
class Explanation:
    """The per-block terms of one graph under one convention, and their totals.

    Attributes
    ----------
    graph, convention
        Names.
    blocks
        Every block, in the graph's order.
    totals
        Per quantity, the total (the sum of the block terms).
    symbolic
        Whether the terms are sympy expressions in the size symbols.
    values
        The symbol values used (empty when symbolic).
    """

    graph: str
    convention: str
    blocks: list[BlockTerms]
    totals: dict[str, Any]
    symbolic: bool
    values: dict[str, int] = field(default_factory=dict)


def explain(
    graph: Graph,
    *,
    convention: str = "elimination",
    values: Mapping[str, int] | None = None,
    symbolic: bool = False,
) -> Explanation:
    """Each block's term of the forward and backward counts, at block level.

    Parameters
    ----------
    graph
        A validated graph.
    convention
        A name in :data:`graphcost.count.recursions.CONVENTIONS`.
    values
        Symbol values (ignored when ``symbolic``).
    symbolic
        Terms as sympy expressions in the size symbols instead of integers.

    Returns
    -------
    Explanation

    Raises
    ------
    UsageError, SizeError, SymbolicTooLargeError

    Examples
    --------
    >>> from graphcost.graph.loader import graph_from_dict
    >>> g = graph_from_dict({"symbols": {"n": 30}, "V": {"x": "n"},
    ...     "D": {"h1": "2*n/3", "h2": "n/3"}, "D'": {"y": 1},
    ...     "E": [["x", "h1"], ["h1", "h2"], ["h2", "y"]]})
    >>> e = explain(g)
    >>> [(b.block, b.values["forward_multiplications"]) for b in e.blocks if b.role == "D"]
    [('h1', 6000), ('h2', 300)]
    >>> e.totals["forward_multiplications"]
    6300
    """
    chosen = get_convention(convention)
    if symbolic:
        structure = symbolic_structure(graph)
    else:
        structure = structure_of(graph, values, level="block")
    terms = chosen.terms(structure)
    blocks = _per_block(graph, terms)
    totals = {name: count_total(terms[name]) for name in QUANTITIES}
    for name in QUANTITIES:
        summed = exact_sum([0, *(b.values[name] for b in blocks)])
        if _differ(summed, totals[name]):  # one definition: never happens
            raise RuntimeError(f"block terms of {name} sum to {summed}, not {totals[name]}")
    return Explanation(
        graph=graph.name,
        convention=chosen.name,
        blocks=blocks,
        totals=totals,
        symbolic=symbolic,
        values={} if symbolic else graph.symbol_values(values),
    )


def _per_block(graph: Graph, terms: Terms) -> list[BlockTerms]:
    """Group every product of ``terms`` under the block it is charged to."""
    parts: list[dict[str, list[Part]]] = [{name: [] for name in QUANTITIES} for _ in graph.blocks]
    for name in QUANTITIES:
        for products in terms[name]:
            values = products.values().tolist()
            index = products.positions().tolist()
            where = products.indices().tolist()
            for value, block, position in zip(values, index, where, strict=True):
                factors = products.factors_at(position)
                signed = -value if products.sign < 0 else value
                parts[block][name].append(Part(products.sign, factors, products.labels, signed))
    return [
        BlockTerms(
            block=block.name,
            role=block.role,
            parts=shares,
            values={name: exact_sum([0, *(p.value for p in shares[name])]) for name in QUANTITIES},
        )
        for block, shares in zip(graph.blocks, parts, strict=True)
    ]


def _differ(a: Any, b: Any) -> bool:
    if isinstance(a, int) and isinstance(b, int):
        return a != b
    import sympy

    return sympy.expand(sympy.sympify(a) - sympy.sympify(b)) != 0
