"""Input-output pairs still to be completed: the lower-bound term shared by the edge and face
families (:func:`~graphcost.eliminate.edge_strategies.edge_lower_bound`,
:func:`~graphcost.eliminate.face_strategies.face_lower_bound`).

A pair (x, y) of an input and an output is *pending* while some of its paths are not yet
summed into the one x -> y partial, and every pending pair needs a face of its own that
completes it. It is *far* when no single face can complete it now (no x -> j -> y with both
partials present): before its completing face it also needs a face that completes no pair
and creates a partial x -> j from its input or j -> y into its output. Such a face creates
one partial, so every pair it brings within reach shares its input or its output. Hence the
fewest inputs and outputs touching every far pair (a minimum vertex cover) drops by at most
one per face, and pending + cover is a consistent lower bound on the faces still to come.
"""

from __future__ import annotations


def far_cover(far: dict[int, list[int]]) -> int:
    """The fewest inputs and outputs that touch every far pair.

    Parameters
    ----------
    far
        Per input, its far outputs.

    Returns
    -------
    int
        The size of a minimum vertex cover of the bipartite graph of far pairs, which by
        König's theorem is the size of a maximum matching (augmenting paths; the graphs the
        exact searches see are small).

    Examples
    --------
    >>> far_cover({0: [5, 6], 1: [5, 6]}), far_cover({0: [5], 1: [5]}), far_cover({})
    (2, 1, 0)
    """
    matched: dict[int, int] = {}  # output -> its input in the matching

    def augment(x: int, seen: set[int]) -> bool:
        for y in far[x]:
            if y not in seen:
                seen.add(y)
                if y not in matched or augment(matched[y], seen):
                    matched[y] = x
                    return True
        return False

    return sum(augment(x, set()) for x in far)
