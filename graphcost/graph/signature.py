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


_SHIFTED_SOURCE = re.compile(r"([a-z])(?:\*(-?\d+))?([+-]\d+)?")


@dataclass(frozen=True)
class Shifted:
    """A pattern whose paired dimensions may be shifted and strided: the exact structure of a
    slice, a concatenation's operand or a padding, written ``a+2b->ab`` (source entry
    [t+2, b] feeds target entry [t, b]), ``a*2+1->a`` (source entry 2t+1 feeds entry t),
    ``a*-1+4->a`` (a reversal of 5 entries) or ``a+0->a`` (entry t feeds entry t, the two
    dimensions of different sizes: a prefix).

    For each source dimension, ``moves`` holds ``None`` (a plain letter) or (stride, offset):
    the letter links target index t to source index stride·t + offset, where that lies inside
    the source (other pairs are absent). Node-level expansion is exact
    (:func:`graphcost.jacobian.blocks.node_pairs`); block level uses :meth:`superset`, each
    shifted letter unpaired, and marks its counts approximate.

    Examples
    --------
    >>> s = Shifted.parse("ab+1->ab")
    >>> s, s.superset()
    (Shifted('ab+1->ab'), Pattern('ac->ab'))
    """

    pattern: Pattern
    moves: tuple[tuple[int, int] | None, ...]

    def __post_init__(self) -> None:
        if len(self.moves) != len(self.pattern.source):
            raise ValueError(f"{self.pattern}: one move per source dimension")
        for letter, move in zip(self.pattern.source, self.moves, strict=True):
            if move is not None and letter not in self.pattern.target:
                raise ValueError(f"shifted letter {letter!r} of {self} is not on the target side")
            if move is not None and move[0] == 0:
                raise ValueError(f"stride of {letter!r} in {self} must not be 0")

    @classmethod
    def parse(cls, text: str) -> Shifted | Pattern:
        """Read ``a+2b->ab``-style text; a text without shifts gives a plain :class:`Pattern`.

        Raises
        ------
        ValueError
            When ``text`` is no such signature.
        """
        if "->" not in text:
            raise ValueError(f"not an index signature: {text!r}")
        left, right = (side.strip() for side in text.split("->", 1))
        tokens = _SHIFTED_SOURCE.findall(left)
        if "".join(f"{x}{'*' + k if k else ''}{c}" for x, k, c in tokens) != left:
            raise ValueError(f"not an index signature: {text!r}")
        base = Pattern.parse(f"{''.join(x for x, _, _ in tokens)}->{right}")
        moves = tuple(
            (int(k) if k else 1, int(c) if c else 0) if k or c else None for _, k, c in tokens
        )
        if all(move is None for move in moves):
            return base
        return cls(base, moves)

    def superset(self) -> Pattern:
        """The block-level pattern: shifted letters unpaired (every pair of theirs kept)."""
        used = set(self.pattern.source) | set(self.pattern.target)
        fresh = iter(x for x in "abcdefghijklmnopqrstuvwxyz" if x not in used)
        source = tuple(
            x if move is None else next(fresh)
            for x, move in zip(self.pattern.source, self.moves, strict=True)
        )
        return Pattern(source, self.pattern.target)

    @property
    def source(self) -> tuple[str, ...]:
        """The source letters (as :attr:`Pattern.source`)."""
        return self.pattern.source

    @property
    def target(self) -> tuple[str, ...]:
        """The target letters (as :attr:`Pattern.target`)."""
        return self.pattern.target

    def __str__(self) -> str:
        parts = []
        for x, move in zip(self.pattern.source, self.moves, strict=True):
            if move is None:
                parts.append(x)
            else:
                stride, offset = move
                parts.append(x + (f"*{stride}" if stride != 1 else "") + f"{offset:+d}")
        return f"{''.join(parts)}->{''.join(self.pattern.target)}"

    def __repr__(self) -> str:
        return f"Shifted({str(self)!r})"


def read_kind(
    kind: object, source_rank: int, target_rank: int
) -> tuple[bool, Pattern | Shifted | None]:
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
        pattern = Shifted.parse(kind)
    except ValueError as error:
        raise ValueError(
            str(error)[:160],
            "write lower-case letters on both sides of '->', e.g. 'ik->i' (a source letter may "
            "carry a stride and an offset, 'a*2+1->a')",
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
    return isinstance(pattern, Pattern) and pattern.is_diag, pattern
