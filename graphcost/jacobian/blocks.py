"""The algebra of Jacobian-block structure: the one place that knows what an edge between two
blocks links, how two such edges compose, what composing them costs, and how a fill-in joins
an edge that is already there.

An edge I → J between blocks of sizes s_I and s_J stands for a block ∂J/∂I of local partials,
of one of two structures (:class:`Kind`):

``FULL``
    every node of J depends on every node of I: s_I·s_J partials;
``DIAG``
    node i of J depends on node i of I only (s_I = s_J): s_I partials.

Both the recursion counts (:mod:`graphcost.jacobian.structure`, read by
:mod:`graphcost.count.recursions`) and vertex elimination (:mod:`graphcost.eliminate.engine`)
do their block arithmetic here, at block level with ints or sympy sizes, so the two can never
disagree about what a block costs. Every rule equals the node-level count of the expanded
blocks (tests/test_blocks.py checks each against a plain node-level enumeration).

Examples
--------
Composing a full edge x → h (3 × 4) with a diag edge h → a (4 × 4) costs 3·4 products and
gives a full edge x → a:

>>> compose_cost(Kind.FULL, Kind.DIAG, 3, 4, 4), compose(Kind.FULL, Kind.DIAG)
(12, <Kind.FULL: 'full'>)
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """The structure of an edge's Jacobian block."""

    FULL = "full"
    DIAG = "diag"

    @classmethod
    def of(cls, diag: bool) -> Kind:
        """The kind of an edge stored as a ``diag`` flag (as
        :class:`~graphcost.graph.model.Edges` stores it)."""
        return cls.DIAG if diag else cls.FULL


def partials(kind: Kind, s_src: Any, s_dst: Any) -> Any:
    """Node-level edges (local partials) that an edge of ``kind`` between blocks stands for."""
    return s_src if kind is Kind.DIAG else s_src * s_dst


def sources_per_node(kind: Kind, s_src: Any) -> Any:
    """Nodes of the source block each node of the target depends on through this edge."""
    return 1 if kind is Kind.DIAG else s_src


def targets_per_node(kind: Kind, s_dst: Any) -> Any:
    """Nodes of the target block each node of the source feeds through this edge."""
    return 1 if kind is Kind.DIAG else s_dst


def compose(first: Kind, second: Kind) -> Kind:
    """The structure of I → K obtained through J from I → J (``first``) and J → K (``second``)."""
    return Kind.DIAG if first is Kind.DIAG and second is Kind.DIAG else Kind.FULL


def compose_cost(first: Kind, second: Kind, s_i: Any, s_j: Any, s_k: Any) -> Any:
    """Scalar multiplications of composing I → J with J → K (every non-zero product once)."""
    if first is Kind.DIAG:
        return s_j if second is Kind.DIAG else s_j * s_k
    return s_i * s_j if second is Kind.DIAG else s_i * s_j * s_k


def join(existing: Kind | None, added: Kind) -> Kind:
    """The structure of an edge after ``added`` partials are summed into it (``None``: no edge)."""
    if existing is None:
        return added
    return Kind.DIAG if existing is Kind.DIAG and added is Kind.DIAG else Kind.FULL


def new_partials(existing: Kind | None, added: Kind, s_src: Any, s_dst: Any) -> Any:
    """Node pairs that ``added`` creates where ``existing`` had none (the rest cost an addition)."""
    if existing is None:
        return partials(added, s_src, s_dst)
    return partials(join(existing, added), s_src, s_dst) - partials(existing, s_src, s_dst)
