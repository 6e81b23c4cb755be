"""The counting conventions as sums of products: one term per unit, or per edge.

Each convention writes each of its four counts (forward and backward multiplications and
additions) as :class:`Products`: a product of per-unit (or per-edge) factor arrays of a
:class:`~graphcost.jacobian.structure.Structure`, restricted to the units that contribute, an
edge's product charged to one unit (its target or its source). The totals are the sums of the
products (:func:`totals`, vectorised); ``graphcost analyze --explain``
(:mod:`graphcost.count.explain`) reads the same products block by block. So the per-block
terms a student sees and the counts are one definition, not two.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphcost.graph.model import ROLE_CODE
from graphcost.jacobian.structure import Structure, exact_sum

_INPUT, _INTERMEDIATE, _OUTPUT = ROLE_CODE["V"], ROLE_CODE["D"], ROLE_CODE["D'"]
#: The four counts of a convention, in the order :func:`totals` reads them.
QUANTITIES = (
    "forward_multiplications",
    "forward_additions",
    "backward_multiplications",
    "backward_additions",
)


@dataclass(frozen=True)
class ScheduleCost:
    """Scalar operations of one schedule (ints, or sympy expressions when symbolic)."""

    multiplications: Any
    additions: Any


@dataclass(frozen=True)
class Products:
    """One part of a count: Σ sign · Π factors over the units (or edges) where ``mask`` holds.

    Attributes
    ----------
    factors
        Per-unit arrays (or per-edge arrays when ``owner`` is set), or scalars.
    labels
        What each factor counts, in words (``"inputs reaching"``), for explanations.
    mask
        Which units (edges) contribute; ``None``: all of them.
    owner
        For per-edge products: the unit each edge's term is charged to; ``None`` otherwise.
    sign
        ``+1``, or ``-1`` for a part that is subtracted.
    """

    factors: tuple[Any, ...]
    labels: tuple[str, ...]
    mask: np.ndarray | None = None
    owner: np.ndarray | None = None
    sign: int = 1

    def values(self) -> np.ndarray:
        """The products of the contributing units (edges), in unit (edge) order."""
        product = functools.reduce(operator.mul, self.factors)
        if np.ndim(product) == 0:
            product = np.full(len(self._length_of()), product, dtype=object)
        return product if self.mask is None else product[self.mask]

    def indices(self) -> np.ndarray:
        """The index (unit, or edge) of each value of :meth:`values` in the factor arrays."""
        index = np.arange(len(self._length_of()))
        return index if self.mask is None else index[self.mask]

    def positions(self) -> np.ndarray:
        """The unit each value of :meth:`values` is charged to."""
        index = self.indices()
        return index if self.owner is None else self.owner[index]

    def factors_at(self, position: int) -> tuple[Any, ...]:
        """The factors of one unit's (edge's) product, ``position`` as in the arrays."""
        return tuple(f[position] if np.ndim(f) else f for f in self.factors)

    def total(self) -> Any:
        """The exact sum of the products, with the sign."""
        total = _total(self.values())
        return -total if self.sign < 0 else total

    def _length_of(self) -> np.ndarray:
        for factor in self.factors:
            if np.ndim(factor):
                return factor
        raise ValueError("a product needs at least one array factor")


#: A count: its parts, added.
Count = tuple[Products, ...]
#: A convention's four counts by name (:data:`QUANTITIES`).
Terms = dict[str, Count]


def count_total(parts: Count) -> Any:
    """The exact sum of a count's parts."""
    return exact_sum([part.total() for part in parts])


def totals(terms: Terms) -> tuple[ScheduleCost, ScheduleCost]:
    """Forward and backward costs: the sums of a convention's terms."""
    fm, fa, bm, ba = (count_total(terms[name]) for name in QUANTITIES)
    return ScheduleCost(fm, fa), ScheduleCost(bm, ba)


def _total(values: np.ndarray) -> Any:
    """Exact sum: Python ints (or sympy) for object arrays, overflow-safe for int64."""
    if values.dtype == object:
        return exact_sum(values.tolist())
    if values.size == 0:
        return 0
    largest = max(abs(int(values.max())), abs(int(values.min())))  # no |values| copy
    if float(largest) * values.size < 2.0**62:
        return int(values.sum(dtype=np.int64))
    return sum(int(v) for v in values.tolist())


def elimination_terms(s: Structure) -> Terms:
    """The elimination convention: unit seeds and structural zeros are free.

    - forward multiplications: Σ_{j∈D} |j| · inputs reaching j · successors of j
    - backward multiplications: Σ_{j∈D} |j| · predecessors of j · outputs j reaches
    - forward additions: at each non-input unit, the non-zero terms arriving along its
      in-edges (partials · inputs reaching the source) less one per Δ_uv it assembles
    - backward additions: the same read from the outputs back
    """
    intermediate = s.role == _INTERMEDIATE
    return {
        "forward_multiplications": (
            Products(
                (s.size, s.anc, s.succ), ("size", "inputs reaching", "successors"), intermediate
            ),
        ),
        "forward_additions": (
            Products(
                (s.edge_count, _per_edge(s.anc, s.edge_src)),
                ("partials in", "inputs reaching"),
                owner=s.edge_dst,
            ),
            Products((s.size, s.anc), ("size", "inputs reaching"), s.role != _INPUT, sign=-1),
        ),
        "backward_multiplications": (
            Products(
                (s.size, s.pred, s.desc), ("size", "predecessors", "outputs reached"), intermediate
            ),
        ),
        "backward_additions": (
            Products(
                (s.edge_count, _per_edge(s.desc, s.edge_dst)),
                ("partials out", "outputs reached"),
                owner=s.edge_src,
            ),
            Products((s.size, s.desc), ("size", "outputs reached"), s.role != _OUTPUT, sign=-1),
        ),
    }


def dense_terms(s: Structure) -> Terms:
    """The dense convention: every partial is multiplied once per seed direction.

    Forward, each partial into a unit costs |V| multiplications (one per input direction) and
    a node with k > 0 predecessors k − 1 additions per direction; backward likewise with |D'|
    and the partials out of a unit.
    """
    inputs = _total(s.size[s.role == _INPUT])
    outputs = _total(s.size[s.role == _OUTPUT])
    return {
        "forward_multiplications": (
            Products((inputs, s.edge_count), ("inputs", "partials in"), owner=s.edge_dst),
        ),
        "forward_additions": (
            Products(
                (inputs, s.size, s.pred - 1),
                ("inputs", "size", "predecessors - 1"),
                _nonzero(s.pred),
            ),
        ),
        "backward_multiplications": (
            Products((outputs, s.edge_count), ("outputs", "partials out"), owner=s.edge_src),
        ),
        "backward_additions": (
            Products(
                (outputs, s.size, s.succ - 1),
                ("outputs", "size", "successors - 1"),
                _nonzero(s.succ),
            ),
        ),
    }


def _per_edge(values: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """``values[ends]``, as ``int32`` when the values fit: a node-level count's per-edge
    factor then costs 4 bytes an edge, not 8 (its products are still ``int64``)."""
    if values.dtype == np.int64 and values.size and values.min() >= 0 and values.max() < 2**31:
        values = values.astype(np.int32)
    return values[ends]


def _nonzero(values: np.ndarray) -> np.ndarray:
    if values.dtype != object:
        return values != 0
    # Structural: a symbolic count is zero exactly when it is the integer 0.
    return np.array([v != 0 for v in values.tolist()], dtype=bool)


#: The term functions by convention name (the registry with descriptions is
#: :data:`graphcost.count.recursions.CONVENTIONS`).
TermFunction = Callable[[Structure], Terms]
