"""A layered left-to-right layout of a DAG (Sugiyama's scheme, kept small).

1. **Columns by depth**: a vertex's column is its longest path from the sources; vertices in
   ``last`` (outputs that feed nothing) move to the last column, so inputs stand left and
   outputs right.
2. **Lanes for long edges**: an edge that spans several columns gets one dummy point per
   column it crosses, so it runs in a lane of its own instead of through boxes.
3. **Order within a column**: barycentre sweeps (left to right, then right to left) reorder
   each column by the mean position of its neighbours; the order with the fewest crossings
   between neighbouring columns is kept.
4. **Heights**: each vertex moves towards the mean height of its neighbours, columns keeping
   their order and the minimum gaps.

Everything is in inches, y growing downwards. Pure Python: the image and TikZ renderers draw
the same :class:`Layout`. Sizes of boxes are the caller's (measured text, or an estimate).
"""

from __future__ import annotations

import bisect
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise

Point = tuple[float, float]
#: Barycentre sweeps (each one left to right and back).
SWEEPS = 6
#: Height passes of step 4.
HEIGHT_PASSES = 8


@dataclass(frozen=True, eq=False)
class Layout:
    """Where everything goes.

    Attributes
    ----------
    centres
        Vertex key → centre (x, y) of its box.
    sizes
        Vertex key → (width, height) of its box.
    lanes
        (source, target) → for every column the edge crosses, its lane's entry and exit.
    paths
        (source, target) → the points an edge runs through: its start on the source box's
        right side, its lane points, its end on the target's left side (:meth:`route`).
        Between columns an edge is a curve, inside a lane a straight line.
    column
        Vertex key → column number.
    width, height
        The extent of the drawing.
    """

    centres: dict[int, Point]
    sizes: dict[int, Point]
    lanes: dict[tuple[int, int], tuple[Point, ...]]
    column: dict[int, int]
    width: float
    height: float

    @cached_property
    def paths(self) -> dict[tuple[int, int], tuple[Point, ...]]:
        """The path of every laid-out edge (see the class docstring)."""
        return self.route(list(self.lanes))

    def route(
        self,
        edges: Sequence[tuple[int, int]],
        via: Mapping[tuple[int, int], Sequence[int]] | None = None,
    ) -> dict[tuple[int, int], tuple[Point, ...]]:
        """Paths of ``edges`` (those of a frame): laid-out edges keep their lanes; an edge
        added later (fill-in) runs along the path it replaced, through the places of the
        vertices in ``via[edge]``, or straight without them. The ends are spread over each box
        side in the order of where the edges go, so that no two start or end at the same
        point."""
        lanes = {e: self._lanes_via(e, (via or {}).get(e, ())) for e in edges}
        toward = {e: (lanes[e][0][1] if lanes[e] else self.centres[e[1]][1]) for e in edges}
        back = {e: (lanes[e][-1][1] if lanes[e] else self.centres[e[0]][1]) for e in edges}
        out_of: dict[int, list[tuple[int, int]]] = {}
        into: dict[int, list[tuple[int, int]]] = {}
        for e in edges:
            out_of.setdefault(e[0], []).append(e)
            into.setdefault(e[1], []).append(e)
        start: dict[tuple[int, int], Point] = {}
        end: dict[tuple[int, int], Point] = {}
        for key, leaving in out_of.items():
            (cx, cy), (w, h) = self.centres[key], self.sizes[key]
            leaving.sort(key=lambda e: (toward[e], e))
            for e, offset in zip(leaving, _spread(len(leaving), h), strict=True):
                start[e] = (cx + w / 2, cy + offset)
        for key, arriving in into.items():
            (cx, cy), (w, h) = self.centres[key], self.sizes[key]
            arriving.sort(key=lambda e: (back[e], e))
            for e, offset in zip(arriving, _spread(len(arriving), h), strict=True):
                end[e] = (cx - w / 2, cy + offset)
        return {e: (start[e], *lanes[e], end[e]) for e in edges}

    def _lanes_via(self, edge: tuple[int, int], via: Sequence[int]) -> tuple[Point, ...]:
        hops = [edge[0], *via, edge[1]]
        points: list[Point] = list(self.lanes.get((hops[0], hops[1]), ()))
        for vertex, following in zip(via, hops[2:], strict=True):
            (cx, cy), (w, _) = self.centres[vertex], self.sizes[vertex]
            points += [(cx - w / 2, cy), (cx + w / 2, cy)]  # through the vertex's empty place
            points += self.lanes.get((vertex, following), ())
        return tuple(points)


def depths(keys: Sequence[int], edges: Iterable[tuple[int, int]]) -> dict[int, int]:
    """The longest-path depth of every vertex from the sources (0 for a vertex without preds).

    >>> depths([0, 1, 2], [(0, 1), (1, 2), (0, 2)])
    {0: 0, 1: 1, 2: 2}
    """
    succs: dict[int, list[int]] = {k: [] for k in keys}
    missing = dict.fromkeys(keys, 0)
    for a, b in edges:
        succs[a].append(b)
        missing[b] += 1
    depth = dict.fromkeys(keys, 0)
    ready = [k for k in keys if missing[k] == 0]
    while ready:
        vertex = ready.pop()
        for s in succs[vertex]:
            depth[s] = max(depth[s], depth[vertex] + 1)
            missing[s] -= 1
            if missing[s] == 0:
                ready.append(s)
    return depth


def crossings(upper: Mapping[Hashable, int], lower: Mapping[Hashable, int], pairs: list) -> int:
    """Edge crossings between two neighbouring columns (positions ``upper``, ``lower``).

    Two edges cross when their upper ends and their lower ends are in opposite orders: the
    inversions of the lower ends, taken in the order of the upper ones.

    >>> crossings({"a": 0, "b": 1}, {"c": 0, "d": 1}, [("a", "d"), ("b", "c")])
    1
    """
    seen: list[int] = []
    count = 0
    for _, below in sorted((upper[a], lower[b]) for a, b in pairs):
        count += len(seen) - bisect.bisect_right(seen, below)
        bisect.insort(seen, below)
    return count


def _order_columns(columns: list[list[Hashable]], up: dict, down: dict) -> list[list[Hashable]]:
    def positions(column: list[Hashable]) -> dict[Hashable, int]:
        return {node: i for i, node in enumerate(column)}

    def total(candidate: list[list[Hashable]]) -> int:
        found = 0
        for left, right in pairwise(candidate):
            at_left, at_right = positions(left), positions(right)
            pairs = [(a, b) for b in right for a in up[b]]
            found += crossings(at_left, at_right, pairs)
        return found

    def resort(column: list[Hashable], neighbours: dict, at: dict[Hashable, int]) -> None:
        def key(item: tuple[int, Hashable]) -> float:
            index, node = item
            near = [at[n] for n in neighbours[node]]
            return sum(near) / len(near) if near else float(index)

        column[:] = [node for _, node in sorted(enumerate(column), key=key)]

    best, best_count = [list(c) for c in columns], total(columns)
    for _ in range(SWEEPS):
        for i in range(1, len(columns)):
            resort(columns[i], up, positions(columns[i - 1]))
        for i in range(len(columns) - 2, -1, -1):
            resort(columns[i], down, positions(columns[i + 1]))
        count = total(columns)
        if count < best_count:
            best, best_count = [list(c) for c in columns], count
        if best_count == 0:
            break
    return best


def _place(desired: list[float], gaps: list[float]) -> list[float]:
    """Heights as near ``desired`` as the gaps allow (the mean of a push down and a push up)."""
    down, up = list(desired), list(desired)
    for i in range(1, len(down)):
        down[i] = max(down[i], down[i - 1] + gaps[i - 1])
    for i in range(len(up) - 2, -1, -1):
        up[i] = min(up[i], up[i + 1] - gaps[i])
    return [(a + b) / 2 for a, b in zip(down, up, strict=True)]


def layered_layout(
    sizes: Mapping[int, Point],
    edges: Sequence[tuple[int, int]],
    *,
    last: Iterable[int] = (),
    column_gap: float = 0.8,
    row_gap: float = 0.25,
    lane: float = 0.12,
) -> Layout:
    """Lay out the vertices (keys of ``sizes``: width and height of each box) and ``edges``.

    Parameters
    ----------
    sizes
        Vertex key → box (width, height), in inches; the key order is the first order tried.
    edges
        (source, target) pairs of a DAG.
    last
        Vertices to put in the last column (outputs that feed nothing).
    column_gap, row_gap, lane
        Horizontal gap between columns, vertical gap between boxes, and a lane's height.

    Returns
    -------
    Layout

    Examples
    --------
    Output 3 moves to the last column; its edge from 0 crosses column 1 in a lane (4 points).

    >>> boxes = dict.fromkeys(range(4), (1.0, 0.3))
    >>> layout = layered_layout(boxes, [(0, 1), (1, 2), (0, 3)], last=[3])
    >>> layout.column, len(layout.paths[0, 3])
    ({0: 0, 1: 1, 2: 2, 3: 2}, 4)
    """
    keys = list(sizes)
    column = depths(keys, edges)
    deepest = max(column.values(), default=0)
    for key in last:
        column[key] = deepest
    columns: list[list[Hashable]] = [[] for _ in range(deepest + 1)]
    for key in keys:
        columns[column[key]].append(key)
    up: dict[Hashable, list[Hashable]] = {k: [] for k in keys}
    down: dict[Hashable, list[Hashable]] = {k: [] for k in keys}
    chains: dict[tuple[int, int], list[Hashable]] = {}
    for a, b in edges:
        chain: list[Hashable] = [a]
        for c in range(column[a] + 1, column[b]):
            dummy = ("lane", a, b, c)
            columns[c].append(dummy)
            up[dummy], down[dummy] = [], []
            chain.append(dummy)
        chain.append(b)
        for left, right in pairwise(chain):
            down[left].append(right)
            up[right].append(left)
        chains[a, b] = chain[1:-1]
    columns = _order_columns(columns, up, down)
    height = {n: (sizes[n][1] if isinstance(n, int) else lane) for c in columns for n in c}
    y = _heights(columns, up, down, height, row_gap, lane)
    widths = [max((sizes[n][0] for n in c if isinstance(n, int)), default=0.3) for c in columns]
    lefts, x = [], 0.0
    for w in widths:
        lefts.append(x)
        x += w + column_gap
    centres = {k: (lefts[column[k]] + widths[column[k]] / 2, y[k]) for k in keys}
    lanes = _lanes(chains, y, lefts, widths)
    top = min((y[n] - height[n] / 2 for n in y), default=0.0)
    bottom = max((y[n] + height[n] / 2 for n in y), default=0.0)
    centres = {k: (cx, cy - top) for k, (cx, cy) in centres.items()}
    lanes = {e: tuple((px, py - top) for px, py in p) for e, p in lanes.items()}
    return Layout(centres, dict(sizes), lanes, column, max(x - column_gap, 0.0), bottom - top)


def _heights(
    columns: list[list[Hashable]],
    up: dict,
    down: dict,
    height: dict[Hashable, float],
    row_gap: float,
    lane: float,
) -> dict[Hashable, float]:
    def gaps(column: list[Hashable]) -> list[float]:
        return [
            (height[a] + height[b]) / 2
            + (row_gap if isinstance(a, int) and isinstance(b, int) else lane / 2)
            for a, b in pairwise(column)
        ]

    y: dict[Hashable, float] = {}
    for column in columns:
        at = 0.0
        for node, gap in zip(column, [0.0, *gaps(column)], strict=True):
            at += gap
            y[node] = at
        middle = at / 2
        for node in column:
            y[node] -= middle
    for _ in range(HEIGHT_PASSES):
        for sweep, neighbours in ((columns, up), (columns[::-1], down)):
            for column in sweep:
                desired = [
                    sum(y[n] for n in neighbours[node]) / len(neighbours[node])
                    if neighbours[node]
                    else y[node]
                    for node in column
                ]
                for node, placed in zip(column, _place(desired, gaps(column)), strict=True):
                    y[node] = placed
    return y


def _lanes(
    chains: dict[tuple[int, int], list[Hashable]],
    y: dict[Hashable, float],
    lefts: list[float],
    widths: list[float],
) -> dict[tuple[int, int], tuple[Point, ...]]:
    """Each edge's lane points: entry and exit of every column it crosses."""
    return {
        edge: tuple(
            point
            for node in chain
            for point in ((lefts[node[3]], y[node]), (lefts[node[3]] + widths[node[3]], y[node]))  # type: ignore[index]
        )
        for edge, chain in chains.items()
    }


def _spread(count: int, height: float) -> list[float]:
    """Offsets of ``count`` edge ends over the middle 80 % of a box side."""
    if count <= 1:
        return [0.0] * count
    span = 0.8 * height
    return [-span / 2 + span * i / (count - 1) for i in range(count)]
