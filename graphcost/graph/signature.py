"""The notation of an edge's index pattern: which entries of the target block depend on which
entries of the source block, written as an einsum-like signature such as ``ik->i``.

One letter per dimension of each side. A letter on both sides pairs those dimensions (equal
index); a letter on the source side only is summed over (every source entry along it feeds
the target entry); a letter on the target side only is broadcast. ``full`` and ``diag`` are
shorthands (:meth:`Pattern.full`, :meth:`Pattern.diag`).

This module only holds the notation (the graph loader validates edges with it); the algebra
of patterns (node pairs, composition, its cost, joins) is :mod:`graphcost.jacobian.blocks`.

Examples
--------
>>> Pattern.parse("ik->i"), Pattern.full(1, 2), Pattern.diag(2)
(Pattern('ik->i'), Pattern('a->bc'), Pattern('ab->ab'))
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Most dimensions a block (one side of a signature) may have.
MAX_RANK = 8

_SIGNATURE = re.compile(r"^\s*([a-z]*)\s*->\s*([a-z]*)\s*$")


@dataclass(frozen=True)
class Pattern:
    """An index pattern between a source and a target block (see the module docstring).

    Attributes
    ----------
    source, target
        One letter per dimension of the source / target block.

    Raises
    ------
    ValueError
        When a letter repeats on one side or a side has more than :data:`MAX_RANK` letters.
    """

    source: tuple[str, ...]
    target: tuple[str, ...]

    def __post_init__(self) -> None:
        for side in (self.source, self.target):
            if len(side) > MAX_RANK:
                raise ValueError(f"{self} has more than {MAX_RANK} dimensions on one side")
            if len(set(side)) != len(side):
                repeated = next(x for x in side if side.count(x) > 1)
                raise ValueError(f"letter {repeated!r} repeats on one side of {self}")

    @classmethod
    def parse(cls, text: str) -> Pattern:
        """Read a signature such as ``"ik->i"`` (lower-case letters, ``->``).

        Raises
        ------
        ValueError
            When ``text`` is no signature, or a letter repeats on one side.
        """
        match = _SIGNATURE.match(text)
        if match is None:
            raise ValueError(f"not an index signature: {text!r}")
        return cls(tuple(match.group(1)), tuple(match.group(2)))

    @classmethod
    def full(cls, source_rank: int, target_rank: int) -> Pattern:
        """Every target entry depends on every source entry (the edge kind ``full``)."""
        letters = [chr(ord("a") + i) for i in range(source_rank + target_rank)]
        return cls(tuple(letters[:source_rank]), tuple(letters[source_rank:]))

    @classmethod
    def diag(cls, rank: int) -> Pattern:
        """Entry i of the target depends on entry i of the source only (the kind ``diag``)."""
        letters = tuple(chr(ord("a") + i) for i in range(rank))
        return cls(letters, letters)

    def canonical(self) -> Pattern:
        """The same pattern with letters renamed in order of first appearance."""
        names: dict[str, str] = {}
        for letter in (*self.source, *self.target):
            names.setdefault(letter, chr(ord("a") + len(names)))
        return Pattern(tuple(names[x] for x in self.source), tuple(names[x] for x in self.target))

    @property
    def is_diag(self) -> bool:
        """Whether this is the pattern of a ``diag`` edge (each dimension paired with itself)."""
        return self.source == self.target

    @property
    def is_full(self) -> bool:
        """Whether this is the pattern of a ``full`` edge (no dimension paired)."""
        return not set(self.source) & set(self.target)

    @property
    def paired(self) -> list[tuple[int, int]]:
        """(source dimension, target dimension) of every paired letter."""
        return [(d, self.target.index(x)) for d, x in enumerate(self.source) if x in self.target]

    def __str__(self) -> str:
        return f"{''.join(self.source)}->{''.join(self.target)}"

    def __repr__(self) -> str:
        return f"Pattern({str(self)!r})"


def read_kind(kind: object, source_rank: int, target_rank: int) -> tuple[bool, Pattern | None]:
    """The third entry of an edge: ``full``, ``diag`` or a signature, for blocks of these ranks.

    Returns
    -------
    diag, pattern
        Whether the edge is a diag, and its pattern when given as a signature (else ``None``).

    Raises
    ------
    ValueError
        With two arguments, what is wrong and how to fix it.

    Examples
    --------
    >>> read_kind("diag", 1, 1), read_kind("ik->i", 2, 1)
    ((True, None), (False, Pattern('ik->i')))
    """
    if kind == "full":
        return False, None
    if kind == "diag":
        if source_rank != target_rank:
            raise ValueError(
                f"diag edge joins blocks of {source_rank} and {target_rank} dimensions",
                "a diag edge links entry i to entry i: give both blocks the same shape, "
                "or write a signature such as 'ij->ij'",
            )
        return True, None
    if not isinstance(kind, str) or "->" not in kind:
        raise ValueError(
            f"unknown kind {kind!r}"[:120],
            "the kinds are: full (default), diag, or a signature such as 'ik->i'",
        )
    try:
        pattern = Pattern.parse(kind)
    except ValueError as error:
        raise ValueError(
            str(error)[:160], "write lower-case letters on both sides of '->', e.g. 'ik->i'"
        ) from None
    for side, letters, rank in (
        ("source", pattern.source, source_rank),
        ("target", pattern.target, target_rank),
    ):
        if len(letters) != rank:
            raise ValueError(
                f"signature '{pattern}' has {len(letters)} letters for the {side}, "
                f"which has {rank} dimensions",
                "write one letter per dimension of each block ('' for a scalar, e.g. 'i->')",
            )
    return pattern.is_diag, pattern
